"""kit.table.Table with `first_rows`: a long list shows its first rows at once and the rest right after,
in order, with the cursor kept; a newer set of rows makes the chunks of an older one stale."""

from __future__ import annotations

import asyncio
from typing import Any

from textual.app import App, ComposeResult

from zhijin_training.tui.kit.table import Col, Table

COLUMNS = [Col("no", "序号", 4, right=True), Col("name", "姓名", 8, grow=1)]


def _rows(n: int, tag: str = "") -> list[tuple[int, tuple[str, str]]]:
    return [(i, (str(i), f"张三{tag}{i}")) for i in range(1, n + 1)]


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield Table(COLUMNS, id="list", first_rows=10)


def _run(scenario: Any) -> None:
    app = Host()

    async def main() -> None:
        async with app.run_test(size=(60, 20)) as pilot:
            await pilot.pause()
            table = app.query_one(Table)
            table.FILL_CHUNK = 25  # several chunks for a few hundred rows
            await scenario(pilot, table)

    asyncio.run(main())


async def _filled(pilot: Any, table: Table) -> None:
    for _ in range(200):
        if not table.filling:
            return
        await pilot.pause(0.02)
    raise AssertionError("the table never finished adding its rows")


def _shown(table: Table) -> list[str]:
    return [table.get_row_at(i)[1].plain for i in range(table.row_count)]


def test_a_long_list_shows_its_first_rows_then_all_in_order() -> None:
    async def scenario(pilot: Any, table: Table) -> None:
        table.set_rows(_rows(200))
        assert table.row_count == 10  # the first screenful, before anything else
        assert table.filling
        await _filled(pilot, table)
        assert _shown(table) == [f"张三{i}" for i in range(1, 201)]
        assert table.keys == list(range(1, 201))

    _run(scenario)


def test_a_short_list_is_shown_whole_at_once() -> None:
    async def scenario(pilot: Any, table: Table) -> None:
        table.set_rows(_rows(20))  # up to twice first_rows: no chunks
        assert table.row_count == 20 and not table.filling

    _run(scenario)


def test_the_cursor_returns_to_its_row_once_that_row_is_added() -> None:
    async def scenario(pilot: Any, table: Table) -> None:
        table.set_rows(_rows(200))
        await _filled(pilot, table)
        assert table.select_key(150)
        table.set_rows(_rows(200, "李"))  # reloaded: row 150 is not among the first ten
        await _filled(pilot, table)
        assert table.selected_key == 150

    _run(scenario)


def test_new_rows_while_filling_replace_the_old_ones_without_a_mix() -> None:
    async def scenario(pilot: Any, table: Table) -> None:
        table.set_rows(_rows(200, "旧"))
        await pilot.pause(0.02)  # some chunks of the old rows went in
        table.set_rows(_rows(120, "新"))
        await _filled(pilot, table)
        await pilot.pause(0.1)  # a stale chunk of the old rows would land now
        assert _shown(table) == [f"张三新{i}" for i in range(1, 121)]

    _run(scenario)


def test_a_hidden_table_waits_until_it_is_shown_again() -> None:
    from textual.screen import Screen

    async def scenario(pilot: Any, table: Table) -> None:
        table.set_rows(_rows(200))
        pilot.app.push_screen(Screen())  # another section in front: its opening gets the whole loop
        await pilot.pause(0.3)
        assert table.row_count == 10
        pilot.app.pop_screen()
        await _filled(pilot, table)
        assert _shown(table) == [f"张三{i}" for i in range(1, 201)]

    _run(scenario)
