"""Errors raised by the storage layer; callers never see sqlite3 exceptions."""


class StorageError(Exception):
    """Base class of storage errors."""


class NotFound(StorageError):
    """The row asked for does not exist."""


class MigrationError(StorageError):
    """The database file is newer than this code, or a migration failed."""
