"""A C/POSIX (non-UTF-8) locale must not corrupt Chinese text: output stays UTF-8, arguments are understood."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from reliability.helpers import CLI, ROOT, make_private
from tests.conftest import hermetic_env

C_LOCALES = {
    "LC_ALL=C": {"LC_ALL": "C", "LANG": "C"},
    "C without Python's UTF-8 rescue": {
        "LC_ALL": "C",
        "LANG": "C",
        "PYTHONCOERCECLOCALE": "0",
        "PYTHONUTF8": "0",
    },
}


def _run(args: list[str | bytes], db: Path, extra: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    env = hermetic_env()  # PATH and HOME only, and the machine's /etc config kept away
    env |= {
        "ZHIJIN_TRAINING_DB": str(db),
        "ZHIJIN_TRAINING_CONFIG": str(ROOT / "no-such.toml"),
        "COLUMNS": "200",
    }
    env |= extra  # PYTHONIOENCODING is not set: the program must cope by itself
    return subprocess.run([CLI, *args], env=env, capture_output=True, timeout=60, check=False)


@pytest.mark.parametrize("locale", list(C_LOCALES))
def test_chinese_in_and_out_under_c_locale(demo_path: Path, locale: str) -> None:
    make_private(demo_path)
    listed = _run(["units", "list", "--search", "茶店", "--json"], demo_path, C_LOCALES[locale])
    assert listed.returncode == 0, listed.stderr.decode(errors="replace")
    units = json.loads(listed.stdout.decode("utf-8"))  # intact UTF-8 bytes
    assert [u["name"] for u in units] == ["茶店布依族苗族彝族乡"]
    if locale == "LC_ALL=C":  # a rich table too (box drawing characters are not ASCII either)
        table = _run(["units", "list", "--search", "茶店"], demo_path, C_LOCALES[locale])
        assert "茶店布依族苗族彝族乡".encode() in table.stdout and b"?" not in table.stdout
    missing = _run(["cadres", "list", "--unit", "不存在的乡"], demo_path, C_LOCALES[locale])
    assert missing.returncode == 1
    assert "「不存在的乡」".encode() in missing.stderr  # the argument came through and is echoed intact


def test_non_utf8_argument_says_what_to_set(demo_path: Path) -> None:
    done = _run(
        ["units", "list", "--search", "茶店".encode("gbk")],
        demo_path,
        C_LOCALES["C without Python's UTF-8 rescue"],
    )
    assert done.returncode == 2
    assert b"LANG=zh_CN.UTF-8" in done.stderr and b"Traceback" not in done.stderr
