"""Everything that speaks SQL. Imports nothing from bot/ or telegram."""

from storage.db import Database, open_database
from storage.errors import NotFound, StorageError
from storage.repository import Repository

__all__ = ["Database", "NotFound", "Repository", "StorageError", "open_database"]
