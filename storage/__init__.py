"""Everything that speaks SQL. Imports nothing from bot/ or telegram.

`from storage import Stores` (and the other names below) loads its module when first asked
for, not when the package is imported: a command that needs one module of the package (the
export reads storage.export and storage.files) does not load every store, aiosqlite and
asyncio with it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.db import Database, open_database
    from storage.errors import NotFound, StorageError
    from storage.stores import Stores

__all__ = ["Database", "NotFound", "StorageError", "Stores", "open_database"]
_HOMES = {
    "Database": "storage.db",
    "open_database": "storage.db",
    "NotFound": "storage.errors",
    "StorageError": "storage.errors",
    "Stores": "storage.stores",
}


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'storage' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value  # asked once
    return value
