"""The test suite's own isolation from the machine (tests/conftest.py: hermetic_machine)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import zhijin_training.settings as settings_mod
from zhijin_training.i18n import get_lang

EXE = shutil.which("zhijin-training", path=str(Path(sys.executable).parent)) or "zhijin-training"


def test_no_machine_config_language_or_user_in_process() -> None:
    assert (
        not settings_mod.SYSTEM_CONFIG.exists()
        and str(settings_mod.SYSTEM_CONFIG) != "/etc/zhijin-training/config.toml"
    )
    assert not Path(os.environ["ZHIJIN_TRAINING_CONFIG"]).exists()
    assert not any(v in os.environ for v in ("ZHIJIN_TRAINING_LANG", "ZHIJIN_TRAINING_USER", "LC_ALL"))
    assert get_lang() == "zh"
    settings = settings_mod.load_settings(db="sqlite:///x.db")
    assert settings.lang == "zh" and settings.review_threshold == 0.8 and settings.config_path is None


def test_subprocesses_take_the_stand_in_system_config(tmp_path: Path) -> None:
    """The sitecustomize shim really redirects SYSTEM_CONFIG in a started process: a stand-in whose [roles]
    make everyone a viewer is obeyed, and the suite's default (no file) is not."""
    db = tmp_path / "x.db"
    assert subprocess.run([EXE, "--db", str(db), "init"], capture_output=True, timeout=120).returncode == 0
    hostile = tmp_path / "etc-config.toml"
    hostile.write_text('[roles]\ndefault = "viewer"\n', encoding="utf-8")
    env = {**os.environ, "ZT_TEST_SYSTEM_CONFIG": str(hostile)}
    refused = subprocess.run(
        [EXE, "--db", str(db), "units", "add", "新设街道"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert refused.returncode == 1, refused.stderr  # a viewer may not add units
    allowed = subprocess.run(
        [EXE, "--db", str(db), "units", "add", "新设街道"], capture_output=True, text=True, timeout=60
    )
    assert allowed.returncode == 0, allowed.stderr
