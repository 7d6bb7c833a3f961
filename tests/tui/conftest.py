"""Shared Pilot fixtures for the terminal interface (used by every tests/tui/ module).

- `tui_ctx`: a service Context on a fresh copy of the demo database, clock fixed at FIXED_NOW
  (Tuesday 2026-11-24 10:00 Asia/Shanghai), user "tester" (admin). Use it to check the database after keys.
- `make_app(**kwargs)`: a ZhijinApp on that database with the cursor blink off and the periodic refresh off
  (pass `refresh_seconds=0.2` to test it). Chinese UI (the `zh_ui` autouse fixture resets the language).
- `run_pilot(app, scenario, size=(120, 40))`: runs `async def scenario(pilot)` inside `app.run_test`
  (no pytest-asyncio needed). Notifications are enabled so tests can read them with `notifications(app)`.
- `settle(pilot)`: wait until every worker is done and the screen has handled their results.
- `screen_text(app)`: the visible text of the current screen (what a person sees), for plain `in` asserts.

Typical test::

    def test_something(make_app, run_pilot, tui_ctx):
        async def scenario(pilot):
            await pilot.press("2")
            await settle(pilot)
            assert "织金大讲堂" in screen_text(pilot.app)
        run_pilot(make_app(), scenario)
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.worker import WorkerCancelled

from tests.conftest import make_ctx
from zhijin_training.i18n import set_lang
from zhijin_training.services.context import Context
from zhijin_training.tui.app import ZhijinApp

Scenario = Callable[[Pilot[Any]], Awaitable[None]]


@pytest.fixture(autouse=True)
def zh_ui() -> Iterator[None]:
    set_lang("zh")
    yield
    set_lang("zh")


@pytest.fixture
def tui_ctx(demo_path: Path) -> Iterator[Context]:
    context = make_ctx(demo_path)
    yield context
    context.db.dispose()


@pytest.fixture
def make_app(tui_ctx: Context) -> Callable[..., ZhijinApp]:
    def factory(**kwargs: Any) -> ZhijinApp:
        kwargs.setdefault("cursor_blink", False)
        kwargs.setdefault("refresh_seconds", 0)
        return ZhijinApp(tui_ctx, **kwargs)

    return factory


async def settle(pilot: Pilot[Any], rounds: int = 2) -> None:
    """Let workers finish and their results reach the widgets (results hop back through the message queue)."""
    for _ in range(rounds):
        await pilot.pause()
        await wait_workers(pilot.app)
        await pilot.pause()


async def wait_workers(app: ZhijinApp) -> None:
    """Wait for every worker. One cancelled because its screen closed (a form whose save dismisses it, while the
    worker still waits for its result to be delivered) has finished as far as a test cares."""
    for worker in list(app.workers):
        with contextlib.suppress(WorkerCancelled):
            await worker.wait()


def screen_text(app: ZhijinApp) -> str:
    """Everything visible on the current screen (modals included), as plain text lines."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips)


def footer_text(app: ZhijinApp) -> str:
    """The footer of the current screen as seen (one line, or two when its keys wrap), lines joined by newlines."""
    from zhijin_training.tui.widgets.footer import FitFooter

    region = app.screen.query_one(FitFooter).region
    lines = [strip.text for strip in app.screen._compositor.render_strips()]
    return "\n".join(lines[region.y : region.bottom])  # the footer spans the screen's width


def notifications(app: ZhijinApp) -> list[str]:
    return [n.message for n in app._notifications]


@pytest.fixture
def run_pilot() -> Callable[..., None]:
    def run(app: ZhijinApp, scenario: Scenario, size: tuple[int, int] = (120, 40)) -> None:
        async def main() -> None:
            async with app.run_test(size=size, notifications=True) as pilot:
                await settle(pilot)
                await scenario(pilot)

        asyncio.run(main())

    return run
