"""Every key description that Textual's own widgets bring has words in both catalogues: the help dialog and
the palette list the focused widget's keys, and an English "Scroll Left" in the Chinese help is a defect."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
import textual
from textual.binding import Binding

from zhijin_training.i18n import has_key


def _textual_descriptions() -> set[str]:
    found: set[str] = set()
    for info in pkgutil.walk_packages(textual.__path__, "textual."):
        if ".demo" in info.name or info.name.endswith("__main__"):
            continue  # the demo app's own keys (Game, Projects) are never in our screens
        try:
            module = importlib.import_module(info.name)
        except Exception:  # optional extras (e.g. tree-sitter languages) may be missing
            continue
        for obj in vars(module).values():
            if inspect.isclass(obj) and obj.__module__ == module.__name__:
                for b in obj.__dict__.get("BINDINGS", None) or []:
                    if isinstance(b, Binding) and b.description:
                        found.add(b.description)
    return found


def test_textual_has_key_descriptions_to_check() -> None:
    assert {"Scroll Left", "Cursor up", "Page Down"} <= _textual_descriptions()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_textual_key_description_has_words(lang: str) -> None:
    assert sorted(d for d in _textual_descriptions() if not has_key("tx." + d, lang)) == []
