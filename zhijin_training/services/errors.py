"""Errors the services raise for the user to read. Each says what was wrong and where."""

from __future__ import annotations

from datetime import datetime


class DomainError(Exception):
    """A user-facing error: the message is one clear line; nothing was written."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ValidationError(DomainError):
    """Input that cannot be accepted (bad date, end before start, unknown status ...)."""


class NotFoundError(DomainError):
    """A referenced unit, cadre, programme or session does not exist."""


class AmbiguousError(DomainError):
    """A reference (e.g. a name) matches more than one record."""


class PermissionDenied(DomainError):
    """The acting user's role does not allow this change."""


class ConflictError(DomainError):
    """Someone else changed the record since it was loaded (optimistic locking)."""

    def __init__(self, entity: str, entity_id: int, changed_by: str, changed_at: datetime | None) -> None:
        from zhijin_training.timeutil import format_local

        when = format_local(changed_at) if changed_at else "?"
        super().__init__(
            f"{entity} #{entity_id} was changed by {changed_by or '?'} at {when}; reload and try again"
        )
        self.entity = entity
        self.entity_id = entity_id
        self.changed_by = changed_by
        self.changed_at = changed_at


class SchemaOutOfDate(DomainError):
    """The database needs `db upgrade` (or `init`) before it can be used."""
