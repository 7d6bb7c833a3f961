"""Run in a fresh interpreter by the start-up and memory benchmarks; prints one JSON line and exits.

    python -m benchmarks.child app DB            # zhijin-training on DB, through the real CLI, until Ready
    python -m benchmarks.child minimal           # Header + DataTable + Footer, until Ready
    python -m benchmarks.child memory DB SID     # the app, then the attendance screen for session SID
    python -m benchmarks.child sections DB       # the app, then the first open of every section in turn

`BENCH_T0` (the parent's `time.time()` just before it started us) makes the figure "since process start",
interpreter start-up and imports included. The apps run headless at 120×40: no terminal is needed and
both apps pay the same (small) rendering cost.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from typing import Any

SIZE = (120, 40)


def _since_start() -> float:
    return time.time() - float(os.environ.get("BENCH_T0", time.time()))


def _rss_mb() -> float:
    """Peak resident set size of this process so far, in MB.

    VmHWM belongs to this process image alone; ru_maxrss can carry over the parent's peak across
    fork + exec (a harness that has just built a 20,000-event calendar would be blamed on the TUI).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _emit(**values: Any) -> None:
    values["rss_mb"] = _rss_mb()
    sys.stdout.write(json.dumps(values) + "\n")
    sys.stdout.flush()


def minimal() -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable, Footer, Header

    class Minimal(App[None]):
        def compose(self) -> ComposeResult:
            yield Header()
            yield DataTable()
            yield Footer()

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            table.add_columns("序号", "姓名", "单位")
            table.add_rows([(str(i), "张三", "织金县") for i in range(30)])

        def on_ready(self) -> None:
            _emit(ready=_since_start())
            self.exit()

    Minimal().run(headless=True, size=SIZE)


def _css_path(module: Any) -> Any:
    from pathlib import Path

    css = module.ZhijinApp.CSS_PATH
    if isinstance(css, str | Path):
        return str(Path(module.__file__).parent / css)
    return [str(Path(module.__file__).parent / c) for c in css] if css else css


def _first_data_shown(screen: Any) -> bool:
    """The overview shows its first panels (sessions ahead, sessions awaiting attendance)."""
    return bool(getattr(screen, "first_data_shown", False))


def _rows_shown(screen: Any) -> bool:
    """The screen's list (a kit table) holds rows."""
    from zhijin_training.tui.kit.table import RowKeys

    return any(isinstance(w, RowKeys) and w.data_rows for w in screen.query("*"))


def app(db: str, session_id: int | None = None, sections: bool = False) -> None:
    """The real `zhijin-training --db DB` path (entry point, settings, schema check), with `launch.run_tui` swapped
    for a headless run that reports Ready (and, with a session, the attendance screen) and exits."""
    import zhijin_training.launch as launch

    result: dict[str, Any] = {}

    def run(ctx: Any) -> None:
        # the interface is imported here, where launch.run_tui imports it: after the read ahead
        import zhijin_training.tui.app as tui_app

        class Measured(tui_app.ZhijinApp):
            # CSS_PATH is relative to the defining module: keep pointing at the app's own stylesheet
            CSS_PATH = _css_path(tui_app)

            def on_ready(self) -> None:
                result["ready"] = _since_start()
                result["rss_ready_mb"] = _rss_mb()
                self.run_worker(self._then(), group="bench")

            async def _then(self) -> None:
                import asyncio

                # what a person waits for: the overview's first panels painted (a refresh after they are set)
                for _ in range(20000):
                    if _first_data_shown(self.screen):
                        break
                    await asyncio.sleep(0.002)
                await asyncio.sleep(0)
                result["data"] = _since_start()
                # every panel, the secondary ones (quarter figures, 学时 behind target) included
                await self._settle(lambda: True)
                result["complete"] = _since_start()
                result["rss_data_mb"] = _rss_mb()
                if sections:
                    import time

                    from zhijin_training.tui.app import SECTIONS

                    for name in [n for n in SECTIONS if n != "overview"]:
                        t0 = time.perf_counter()
                        self.switch_mode(name)
                        shown = lambda name=name: self.current_mode == name and self.screen.is_mounted  # noqa: E731
                        # what a person waits for: the section's list shows rows (a long report: its first
                        # screenful), or its loading is over with nothing to list
                        await self._settle(
                            lambda shown=shown: shown() and _rows_shown(self.screen), or_idle=True
                        )
                        result[f"open_{name}"] = time.perf_counter() - t0
                        await self._settle(shown)  # and every load of the section done (the whole list)
                        result[f"done_{name}"] = time.perf_counter() - t0
                if session_id is not None:
                    self.open_attendance(session_id)
                    await self._settle(self._sheet_shown)
                    result["attendance"] = _since_start()
                _emit(**result)
                self.exit()

            def _sheet_shown(self) -> bool:
                sheet = getattr(self.screen, "sheet", None)
                return sheet is not None and sheet.session.id == session_id

            async def _settle(self, done: Any, or_idle: bool = False) -> None:
                """Until `done()` with no worker running; with `or_idle`, until `done()` alone (rows shown while
                a longer load goes on), or no worker running for a second look (a section with nothing to list)."""
                import asyncio

                idle_seen = False  # no worker running once already: a second look tells "nothing to list"
                for _ in range(4000):
                    others = [w for w in self.workers if w.group != "bench" and not w.is_finished]
                    if or_idle and done():
                        await asyncio.sleep(0)  # the rows' repaint
                        return
                    if not others and (done() or or_idle):
                        await asyncio.sleep(0.01)  # the results' messages and one repaint
                        if not [w for w in self.workers if w.group != "bench" and not w.is_finished]:
                            if done() or not or_idle or idle_seen:
                                return
                            idle_seen = True
                    await asyncio.sleep(0.005)

        Measured(ctx, refresh_seconds=0).run(headless=True, size=SIZE)

    launch.run_tui = run  # type: ignore[assignment]
    from zhijin_training.__main__ import main  # the entry point the `zhijin-training` script runs

    sys.argv = ["zhijin-training", "--db", db]
    try:
        main()
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "minimal":
        minimal()
    elif mode == "app":
        app(sys.argv[2])
    elif mode == "memory":
        app(sys.argv[2], int(sys.argv[3]))
    elif mode == "sections":
        app(sys.argv[2], sections=True)
    else:
        raise SystemExit(f"unknown mode {mode}")
