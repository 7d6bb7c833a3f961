"""Keys as a terminal delivers a burst (fast typing, a paste without bracketed paste, `tmux send-keys`).

`pilot.press` waits for the app to go idle after every key, so it never shows what happens when many keys
arrive at once. `burst` posts them all to the app in one go, as the terminal driver does when it reads a
whole burst in one read, and only then waits.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.keys import _character_to_key
from textual.pilot import Pilot

NAMED = {"tab", "shift+tab", "enter", "space", "down", "up", "escape", "ctrl+s", "backspace", "home", "end"}


def key_events(*parts: str) -> list[events.Key]:
    """Each part is a named key ("tab", "ctrl+s") or literal text (one Key per character)."""
    out: list[events.Key] = []
    for part in parts:
        if part in NAMED:
            char = {"space": " ", "enter": "\r", "tab": "\t"}.get(part)
            out.append(events.Key(part, char))
        else:
            out.extend(events.Key(_character_to_key(ch), ch) for ch in part)
    return out


async def burst(pilot: Pilot[Any], *parts: str) -> None:
    for event in key_events(*parts):
        pilot.app.post_message(event)
    await pilot.pause()
    await typed_out(pilot)


async def typed_out(pilot: Pilot[Any], limit: float = 10.0) -> None:
    """Wait until every key of a burst has been handled (the app's type-ahead queue is empty)."""
    import asyncio
    import time

    deadline = time.monotonic() + limit
    app: Any = pilot.app
    while (getattr(app, "_key_busy", False) or getattr(app, "_held", None)) and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    await pilot.pause()
