"""The notice as a text file: private (0600) whatever the umask, whole or not at all."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from zhijin_training.sheets.textfile import write_private_text


def test_text_file_is_private_and_replaces_whole(tmp_path: Path) -> None:
    old = os.umask(0o000)  # the most permissive umask a shared server could have
    try:
        path = write_private_text(
            tmp_path / "exports" / "通报.txt", "关于干部教育培训无故缺席情况的通报\n一、猫场镇\n"
        )
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text("utf-8") == "关于干部教育培训无故缺席情况的通报\n一、猫场镇\n"
    write_private_text(path, "第二版\n")
    assert path.read_text("utf-8") == "第二版\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["通报.txt"]  # no temporary file left behind
