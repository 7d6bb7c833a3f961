"""Errors the services raise for a person to read: a code and parameters, never prose.

The words live in the message catalogues (`locale/<lang>.errors.json` and each topic's own file), under
`error.<code>`; `describe(exc, lang)` turns an error into a title and one line of text in the interface's
language, for the TUI and the CLI alike. Tests assert `exc.code` and `exc.params`, never wording.

    raise ValidationError("text.too_long", field="title", length=500, limit=200)
    raise EndBeforeStart(start=..., end=..., field="end")

`field` names the form field at fault (the TUI marks it and shows the text beside it); `where` tells where in a
file or a command the problem is (e.g. "第 4 行" — already worded by the caller through the catalogue).
Parameter values that came from a person are shown literally: the TUI wraps the text in a rich Text, the CLI
prints it made printable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar


class DomainError(Exception):
    """A user-facing error: nothing was written. `code` picks the catalogue text, `params` fill it in."""

    title_code: ClassVar[str] = "title.error"  # catalogue key of the dialog/notification title
    default_code: ClassVar[str] = "error"

    def __init__(self, code: str | None = None, /, *, field: str | None = None, **params: Any) -> None:
        self.code = code or self.default_code
        self.field = field
        self.params: dict[str, Any] = params
        super().__init__(self.code)

    @property
    def message(self) -> str:
        """The text in the current language (for logs and old call sites; prefer `describe`)."""
        return describe(self)[1]

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, field={self.field!r}, **{self.params!r})"


class ValidationError(DomainError):
    """Input that cannot be accepted (bad date, end before start, unknown status ...)."""

    title_code = "title.invalid"
    default_code = "invalid"


class NotFoundError(DomainError):
    """A referenced unit, cadre, programme or session does not exist."""

    title_code = "title.not_found"
    default_code = "not_found"


class AmbiguousError(DomainError):
    """A reference (e.g. a name) matches more than one record."""

    title_code = "title.ambiguous"
    default_code = "ambiguous"


class PermissionDenied(DomainError):
    """The acting user's role does not allow this change."""

    title_code = "title.permission"
    default_code = "permission.denied"


class ConflictError(DomainError):
    """Someone else changed the record since it was loaded (optimistic locking)."""

    title_code = "title.conflict"
    default_code = "conflict.changed"

    def __init__(self, entity: str, entity_id: int, changed_by: str, changed_at: datetime | None) -> None:
        super().__init__(
            "conflict.changed",
            entity=entity,
            entity_id=entity_id,
            changed_by=changed_by or "?",
            changed_at=changed_at,
        )
        self.entity = entity
        self.entity_id = entity_id
        self.changed_by = changed_by
        self.changed_at = changed_at


class EndBeforeStart(ValidationError):
    """An end that is not after its start (times, dates, date ranges)."""

    default_code = "time.end_before_start"

    def __init__(self, *, start: Any, end: Any, field: str | None = "end", **params: Any) -> None:
        super().__init__("time.end_before_start", field=field, start=start, end=end, **params)


class CorrectionRequired(ValidationError):
    """Changing an attendance record that was already taken needs a reason."""

    default_code = "attendance.correction_required"

    def __init__(self, **params: Any) -> None:
        super().__init__("attendance.correction_required", field="reason", **params)


class TextTooLong(ValidationError):
    """Typed text over its field's limit (the form can say how much to cut)."""

    default_code = "text.too_long"

    def __init__(self, *, field: str, length: int, limit: int) -> None:
        super().__init__("text.too_long", field=field, length=length, limit=limit)


class SchemaOutOfDate(DomainError):
    """The database needs `db upgrade` (or `init`) before it can be used."""

    title_code = "title.schema"
    default_code = "schema.out_of_date"


@dataclass(frozen=True)
class Phrase:
    """A parameter that is itself worded from the catalogue, e.g. the reason a date is not real:
    `DateParseError("date.not_real", value="2026-02-30", reason=Phrase("date.reason.no_such_day"))`."""

    key: str


# ------------------------------------------------------------------ wording
def _format_value(value: Any, lang: str) -> str:
    if isinstance(value, Phrase):
        from zhijin_training.i18n import t

        return t(value.key, lang)
    if isinstance(value, datetime):
        from zhijin_training.timeutil import format_local

        return format_local(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple, set, frozenset)):
        sep = "、" if lang == "zh" else ", "
        return sep.join(_format_value(v, lang) for v in value)
    if value is None:
        return "-"  # not "—": ambiguous width, two cells on CJK terminals
    return str(value)


def _field_label(field: str, lang: str) -> str:
    from zhijin_training.i18n import has_key, t

    key = f"field.{field}"
    return t(key, lang) if has_key(key) else field


def describe(exc: BaseException, lang: str | None = None) -> tuple[str, str]:
    """(title, text) of an error in `lang` (default: the interface's language).

    Domain errors are looked up by code; the parameters are formatted (dates, lists) and `{field}` becomes the
    field's label. An error without a catalogue entry shows its code and parameters, never a traceback.
    Errors from outside the domain (dates typed, the config file, storage) are worded here too.
    """
    from zhijin_training.i18n import get_lang, has_key, t

    lang = lang or get_lang()
    if isinstance(exc, DomainError):
        params = {k: _format_value(v, lang) for k, v in exc.params.items()}
        entity = exc.params.get("entity")
        if isinstance(entity, str) and has_key(f"entity.{entity}"):
            params["entity"] = t(f"entity.{entity}", lang)  # "session" -> 场次
        status = exc.params.get("status")
        if isinstance(status, str) and has_key(f"status.{status}"):
            params["status"] = t(f"status.{status}", lang)  # "on_leave" -> 请假
        if exc.field is not None:
            params.setdefault("field", _field_label(exc.field, lang))
        key = f"error.{exc.code}"
        title = t(exc.title_code, lang)
        if has_key(key):
            try:
                return title, t(key, lang, **params)
            except (KeyError, IndexError, ValueError):
                pass  # a catalogue text naming a parameter the raiser did not give: show code + params
        detail = ", ".join(f"{k}={v}" for k, v in params.items())
        return title, f"{exc.code}" + (f" ({detail})" if detail else "")
    code = getattr(exc, "code", None)
    if isinstance(code, str) and has_key(f"error.{code}"):
        params = {k: _format_value(v, lang) for k, v in (getattr(exc, "params", None) or {}).items()}
        try:
            return t("title.invalid", lang), t(f"error.{code}", lang, **params)
        except (KeyError, IndexError, ValueError):
            pass
    return t("title.error", lang), str(exc)
