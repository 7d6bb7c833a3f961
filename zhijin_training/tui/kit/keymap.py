"""One key map: every binding has a stable id, its words come from the catalogue in the language chosen at
start-up, and a person may move keys in the config file (as Posting does with `Binding(id=…)` +
`App.set_keymap`)::

    [keys]
    "attendance.absent" = "x"
    "common.help" = "f1"

A class declares `KEYS` (a list of `Key`) instead of `BINDINGS`; mix `Keyed` in first. Its bindings are built
in the current language when an instance is made (a class built under another language is rebuilt).
Ids are `<topic>.<what>` (attendance, roster, schedule, reports, audit, overview, common, form, dialog, holidays).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from textual.binding import Binding

from zhijin_training.i18n import get_lang, t
from zhijin_training.tui.kit.compat import remerge_bindings

# every id declared so far (screens are imported lazily, so a keymap is checked by topic, not by this)
REGISTRY: dict[str, Key] = {}
TOPICS = (
    "common",
    "overview",
    "schedule",
    "roster",
    "attendance",
    "reports",
    "hours",
    "audit",
    "form",
    "dialog",
    "holidays",
)


@dataclass(frozen=True)
class Key:
    id: str  # stable: the name a user keymap uses
    keys: str  # Textual key string, e.g. "p" or "f5,ctrl+r"
    action: str
    label: str  # catalogue key of the footer/help words
    show: bool = True
    key_display: str | None = None
    tooltip: str | None = None  # catalogue key of the longer words for the palette and help
    priority: bool = False
    # changes data: True is an editor's work (not offered to a viewer); "admin" an admin's (roster, rules,
    # recognition: not offered to a viewer or an editor)
    edits: bool | str = False

    def binding(self) -> Binding:
        return Binding(
            self.keys,
            self.action,
            t(self.label),
            show=self.show,
            key_display=self.key_display,
            tooltip=t(self.tooltip) if self.tooltip else "",
            priority=self.priority,
            id=self.id,
        )


def keys(*items: Key) -> list[Key]:
    """Register `items` (ids must be unique across the app) and return them as a list for `KEYS`."""
    for item in items:
        known = REGISTRY.get(item.id)
        if known is not None and known != item:
            raise ValueError(f"binding id {item.id!r} declared twice")
        REGISTRY[item.id] = item
    return list(items)


class Keyed:
    """Mixin (put it first): `KEYS` become `BINDINGS` in the current language."""

    KEYS: ClassVar[Sequence[Key]] = ()
    _keys_lang: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        if "KEYS" in cls.__dict__:
            cls.BINDINGS = [k.binding() for k in cls.KEYS]  # type: ignore[attr-defined]
            cls._keys_lang = get_lang()
        super().__init_subclass__(**kwargs)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        localize(type(self))
        super().__init__(*args, **kwargs)


def localize(cls: type) -> None:
    """Rebuild the bindings of `cls` and its bases when they were built in another language."""
    lang = get_lang()
    stale = False
    for klass in cls.__mro__:
        if "KEYS" in klass.__dict__ and klass.__dict__.get("_keys_lang") != lang:
            klass.BINDINGS = [k.binding() for k in klass.__dict__["KEYS"]]  # type: ignore[attr-defined]
            klass._keys_lang = lang  # type: ignore[attr-defined]
            stale = True
    if stale or cls.__dict__.get("_merged_lang") != lang:
        remerge_bindings(cls)  # merges every base's BINDINGS afresh
        cls._merged_lang = lang  # type: ignore[attr-defined]


def forbidden_actions(cls: type, role: str) -> set[str]:
    """The action names of `cls`'s keys that `role` may not use (so they are not offered at all)."""
    from zhijin_training.settings import AccessRole

    out: set[str] = set()
    for klass in cls.__mro__:
        for k in klass.__dict__.get("KEYS", ()):
            need = AccessRole.ADMIN if k.edits == "admin" else AccessRole.EDITOR if k.edits else None
            if need and not AccessRole.at_least(role, need):
                out.add(k.action.split("(")[0])
    return out


def edit_actions(cls: type) -> set[str]:
    """The action names (without arguments) of the keys that change data, of `cls` and its bases."""
    out: set[str] = set()
    for klass in cls.__mro__:
        for k in klass.__dict__.get("KEYS", ()):
            if k.edits:
                out.add(k.action.split("(")[0])
    return out


@dataclass(frozen=True)
class UserKeymap:
    keymap: dict[str, str]
    problems: list[str]  # entries left out, already worded for a notification


def user_keymap(config: Mapping[str, Any] | None) -> UserKeymap:
    """The `[keys]` table of the config file: known ids with a key string; anything else is reported."""
    table = (config or {}).get("keys") or {}
    keymap: dict[str, str] = {}
    problems: list[str] = []
    if not isinstance(table, Mapping):
        return UserKeymap({}, [t("keys.bad_table")])
    for binding_id, value in table.items():
        if not isinstance(value, str) or not value.strip():
            problems.append(t("keys.bad_value", id=str(binding_id)))
        elif str(binding_id).partition(".")[0] not in TOPICS or "." not in str(binding_id):
            problems.append(t("keys.unknown_id", id=str(binding_id)))
        else:
            keymap[str(binding_id)] = value.strip()
    return UserKeymap(keymap, problems)
