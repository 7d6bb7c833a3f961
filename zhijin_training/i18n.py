"""Message catalogues: Simplified Chinese by default, English on request.

Catalogues live in `locale/<lang>.json` and `locale/<lang>.<area>.json`. A missing key falls back to Chinese, then to the key itself,
so a forgotten translation shows up as readable text rather than a crash.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

LANGS = ("zh", "en")
_current = "zh"


@cache
def _catalogue(lang: str) -> dict[str, str]:
    """`<lang>.json` plus every `<lang>.<area>.json` (each part of the app keeps its own file)."""
    merged: dict[str, str] = {}
    folder = resources.files("zhijin_training.locale")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name == f"{lang}.json" or (
            entry.name.startswith(f"{lang}.") and entry.name.endswith(".json")
        ):
            merged.update(json.loads(entry.read_text("utf-8")))
    return merged


def set_lang(lang: str) -> None:
    global _current
    _current = lang if lang in LANGS else "zh"


def get_lang() -> str:
    return _current


def has_key(key: str, lang: str = "zh") -> bool:
    return key in _catalogue(lang)


def t(key: str, lang: str | None = None, **kwargs: Any) -> str:
    lang = lang or _current
    text = _catalogue(lang).get(key) or _catalogue("zh").get(key) or key
    return text.format(**kwargs) if kwargs else text


def label(kind: str, value: str | None, lang: str | None = None) -> str:
    """The display name of an enumeration value, e.g. label("status", "on_leave") -> 请假."""
    if value is None:
        return t(f"{kind}.none", lang)
    return t(f"{kind}.{value}", lang)
