"""Everything that speaks SQL. Imports nothing from bot/ or telegram."""

from storage.db import Database, open_database
from storage.errors import NotFound, StorageError
from storage.stores import Stores

__all__ = ["Database", "NotFound", "StorageError", "Stores", "open_database"]
