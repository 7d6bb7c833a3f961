from __future__ import annotations

from pathlib import Path

import pytest

from zhijin_training.settings import AccessRole, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in (
        "ZHIJIN_TRAINING_DB",
        "ZHIJIN_TRAINING_CONFIG",
        "ZHIJIN_TRAINING_LANG",
        "ZHIJIN_TRAINING_USER",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ZHIJIN_TRAINING_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


def test_db_location_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\npath = "{tmp_path / "system.db"}"\n', encoding="utf-8")
    assert load_settings().db_url.endswith("xdg/zhijin-training/zhijin-training.db")
    monkeypatch.setenv("ZHIJIN_TRAINING_CONFIG", str(config))
    assert load_settings().db_url.endswith("system.db")
    monkeypatch.setenv("ZHIJIN_TRAINING_DB", str(tmp_path / "env.db"))
    assert load_settings().db_url.endswith("env.db")
    assert load_settings(str(tmp_path / "flag.db")).db_url.endswith("flag.db")
    assert load_settings("postgresql://u@127.0.0.1/zt").db_url == "postgresql://u@127.0.0.1/zt"


def test_roles_from_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[roles]\nadmins = ["wang"]\neditors = ["li"]\ndefault = "viewer"\n', encoding="utf-8")
    monkeypatch.setenv("ZHIJIN_TRAINING_CONFIG", str(config))
    for user, role in (("wang", AccessRole.ADMIN), ("li", AccessRole.EDITOR), ("zhao", AccessRole.VIEWER)):
        monkeypatch.setenv("ZHIJIN_TRAINING_USER", user)
        assert load_settings().role == role


def test_language(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert load_settings().lang == "zh"
    assert load_settings(lang="en").lang == "en"
