"""kit.lines.LineTable on its own: keyboard cursor, click, Enter, CJK-width columns, one row redrawn."""

from __future__ import annotations

import asyncio
from typing import Any

from rich.cells import cell_len
from textual.app import App, ComposeResult

from zhijin_training.tui.kit.lines import LineTable
from zhijin_training.tui.kit.table import Col

COLUMNS = [
    Col("no", "序号", 4, right=True),
    Col("name", "姓名", 8, grow=1),
    Col("unit", "单位", 12, grow=3),
    Col("post", "职务", 10, grow=3, optional=1),
]
ROWS = [
    (i, (str(i), f"张三{i}", "大平苗族彝族乡人民政府" if i % 2 else "城关镇", "镇党委副书记"))
    for i in range(1, 61)
]


class Host(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.selected: list[str] = []

    def compose(self) -> ComposeResult:
        yield LineTable(COLUMNS, id="list")

    def on_mount(self) -> None:
        table = self.query_one(LineTable)
        table.replace_all(COLUMNS, ROWS)
        table.focus()

    def on_line_table_row_selected(self, message: LineTable.RowSelected) -> None:
        self.selected.append(message.key)


def _lines(app: App[Any]) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


def _run(size: tuple[int, int], scenario: Any) -> Host:
    app = Host()

    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await scenario(pilot, app.query_one(LineTable))

    asyncio.run(main())
    return app


def test_keys_move_the_cursor_and_enter_selects() -> None:
    async def scenario(pilot: Any, table: LineTable) -> None:
        await pilot.press("down", "down")
        assert table.current_key() == "3" and table.selected_key == 3
        await pilot.press("end")
        await pilot.pause()
        assert table.current_key() == "60"
        assert any("张三60" in line for line in _lines(pilot.app))  # scrolled to the last row
        assert "序号" in _lines(pilot.app)[0]  # the header stays
        await pilot.press("pageup", "home", "enter")
        await pilot.pause()
        assert table.current_key() == "1"

    app = _run((60, 12), scenario)
    assert app.selected == ["1"]


def test_a_click_moves_the_cursor_without_selecting() -> None:
    async def scenario(pilot: Any, table: LineTable) -> None:
        await pilot.click("#list", offset=(5, 4))  # line 4: the fourth row under the header
        await pilot.pause()
        assert table.current_key() == "4"

    app = _run((60, 12), scenario)
    assert app.selected == []


def test_columns_are_cut_by_cells_and_stay_aligned() -> None:
    async def scenario(pilot: Any, table: LineTable) -> None:
        lines = _lines(pilot.app)
        rows = [line for line in lines if "张三" in line]
        assert rows
        starts = {line.index("张三") for line in rows}
        assert len(starts) == 1  # the name column starts at one place on every line
        # the unit column is cut with ".." by cells: every line is exactly the screen's width in cells
        assert all(cell_len(line) == 40 for line in lines)
        assert any(".." in line for line in rows)
        assert "职务" not in lines[0]  # 40 cells: the optional column is dropped

    _run((40, 10), scenario)


def test_update_row_redraws_that_row_alone() -> None:
    drawn: list[int] = []

    async def scenario(pilot: Any, table: LineTable) -> None:
        real = table._render_row

        def counting(index: int, style: Any) -> Any:
            drawn.append(index)
            return real(index, style)

        table._render_row = counting  # type: ignore[method-assign]
        table.update_row(2, ("2", "李四", "城关镇", "镇长"))
        await pilot.pause()
        assert any("李四" in line for line in _lines(pilot.app))
        await pilot.press("down", "down")
        await pilot.pause()

    _run((60, 12), scenario)
    assert drawn == [1]


def test_a_column_after_chinese_text_starts_at_the_same_cell_on_every_line() -> None:
    async def scenario(pilot: Any, table: LineTable) -> None:
        rows = [line for line in _lines(pilot.app) if "张三" in line]
        # units of 3 and 11 Chinese characters (one cut with ".."), then the post column
        cells = {cell_len(line[: line.index("镇党委副书记")]) for line in rows}
        assert len(rows) > 2 and len(cells) == 1, cells

    _run((64, 12), scenario)


def test_styles_are_read_once_a_frame_and_a_blur_restyles_the_cursor() -> None:
    reads: list[int] = []
    cursor_styles: list[Any] = []

    async def scenario(pilot: Any, table: LineTable) -> None:
        real = table._row_styles

        def counting() -> Any:
            reads.append(1)
            return real()

        table._row_styles = counting  # type: ignore[method-assign]
        table.refresh()
        await pilot.pause()
        assert len(reads) == 1  # one frame of 11 lines: the styles read once, not once a line
        strips = pilot.app.screen._compositor.render_strips()
        cursor_styles.append({seg.style for seg in strips[1] if seg.text.strip()})
        table.blur()
        await pilot.pause()
        strips = pilot.app.screen._compositor.render_strips()
        cursor_styles.append({seg.style for seg in strips[1] if seg.text.strip()})

    _run((60, 12), scenario)
    focused, blurred = cursor_styles
    assert focused != blurred  # the cursor row drawn again in the blurred cursor's colours
