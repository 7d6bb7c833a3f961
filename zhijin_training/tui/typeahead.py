"""Type-ahead: keys typed in a burst are handled one after another, as if typed slowly.

Textual hands each key to the widget focused *when the key is read*, but focus moves later, when the widget
has processed an earlier Tab or Enter (it bubbles up to a binding) or when a newly opened dialog has mounted
and focused its first field. A burst (fast typing, `tmux send-keys`, a paste without bracketed paste, a slow
SSH link delivering many keys at once) therefore sent every key to the first field, and keys typed right
after opening a dialog went to the screen underneath.

`TypeAhead` (an App mixin) holds each key until the previous one has been handled completely: the message
queues of the widgets it touched are drained (markers posted behind whatever is queued), a new screen has
mounted and focus has stopped moving. A screen may also ask to hold keys while it is reloading what the
keys act on (`typeahead_hold()` returning True, e.g. a picker list being refilled). Every wait is bounded,
so a stuck widget delays a key by at most a second; nothing is ever dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from typing import Any

from textual import events
from textual.app import App
from textual.message_pump import MessagePump

from zhijin_training.tui.kit.compat import is_closing, mounted_event, parent_of

STEP_TIMEOUT = 0.5  # one queue that never answers (a closing widget) delays a key at most this long
SETTLE_LIMIT = 1.0  # ... and all of the settling for one key at most this long
HOLD_LIMIT = 3.0  # a screen may hold keys for this long while it reloads what they act on
MAX_PASSES = 12


def _chain(node: MessagePump | None) -> list[MessagePump]:
    out: list[MessagePump] = []
    while node is not None:
        out.append(node)
        node = parent_of(node)  # the App is the root: its parent is None
    return out


async def _drain(node: MessagePump, timeout: float) -> bool:
    """Wait until everything queued for `node` right now has been handled. False when it cannot say."""
    if timeout <= 0 or is_closing(node):
        return False
    done = asyncio.get_running_loop().create_future()

    def mark() -> None:
        if not done.done():
            done.set_result(None)

    if not node.call_later(mark):
        return False
    try:
        await asyncio.wait_for(done, timeout)
    except TimeoutError:
        return False
    return True


class TypeAhead(App[Any]):
    """Mixin for the app: serialise key and paste events (see the module docstring)."""

    typeahead = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held: deque[events.Event] = deque()
        self._key_busy = False
        self._settler: asyncio.Task[None] | None = None

    async def on_event(self, event: events.Event) -> None:
        if (
            self.typeahead
            and isinstance(event, events.Key | events.Paste)
            and not event.is_forwarded
            and not getattr(event, "_typeahead_released", False)
        ):
            if self._key_busy:
                self._held.append(event)
                return
            await self._handle_now(event)
            return
        await super().on_event(event)

    async def _handle_now(self, event: events.Event) -> None:
        self._key_busy = True
        event._typeahead_released = True  # type: ignore[attr-defined]
        origin = self.focused or self.screen
        try:
            await super().on_event(
                event
            )  # Textual's own handling: priority bindings, then the focused widget
        finally:
            self._settler = asyncio.create_task(self._settle(origin))

    async def _settle(self, origin: MessagePump) -> None:
        try:
            await self._wait_until_handled(origin)
            await self._wait_for_hold()
        except asyncio.CancelledError:
            raise
        except Exception:  # never let a settling problem swallow keys: release them anyway
            pass
        if not self.call_later(self._release_next):
            self._key_busy = False

    async def _wait_until_handled(self, origin: MessagePump) -> None:
        deadline = time.monotonic() + SETTLE_LIMIT
        first = True
        for _ in range(MAX_PASSES):
            screen = self.screen
            focused = screen.focused
            nodes: list[MessagePump] = []
            for node in (*_chain(origin), *_chain(focused or screen)):
                if node not in nodes:
                    nodes.append(node)
            did_wait = False
            for node in nodes:
                if first or node.message_queue_size:
                    did_wait = True
                    await _drain(node, min(STEP_TIMEOUT, deadline - time.monotonic()))
            if not screen.is_mounted:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        mounted_event(screen).wait(), max(deadline - time.monotonic(), 0.001)
                    )
                did_wait = True
            first = False
            if not did_wait and self.screen is screen and screen.focused is focused:
                return
            if time.monotonic() > deadline:
                return

    async def _wait_for_hold(self) -> None:
        deadline = time.monotonic() + HOLD_LIMIT
        while time.monotonic() < deadline:
            hold = getattr(self.screen, "typeahead_hold", None)
            if not callable(hold) or not hold():
                return
            await asyncio.sleep(0.02)

    async def _release_next(self) -> None:
        if not self._held:
            self._key_busy = False
            return
        await self._handle_now(self._held.popleft())

    async def _on_exit_app(self) -> None:
        if self._settler is not None:
            self._settler.cancel()
        await super()._on_exit_app()
