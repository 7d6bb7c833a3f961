"""The installed wheel works on its own: seed data, migrations and catalogues ship inside it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_carries_its_data_and_initialises_a_database(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    uv = Path(sys.executable).with_name("uv")
    subprocess.run([str(uv), "build", "--wheel", "-q", "-o", str(out), str(ROOT)], check=True, capture_output=True,
                   timeout=300)
    [wheel] = out.glob("zhijin_training-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("zhijin_training/seeds/units_2012.csv", "zhijin_training/seeds/units_current.csv",
                   "zhijin_training/seeds/departments.csv", "zhijin_training/locale/zh.json",
                   "zhijin_training/db/migrations/versions/0001_initial_schema.py",
                   "zhijin_training/db/migrations/env.py"):
        assert needed in names
    # every module and data file of the source tree (a subpackage left out of pyproject's list -- tui.kit once
    # was -- makes an installed copy fail on the first screen)
    package = ROOT / "zhijin_training"
    shipped = [p for p in package.rglob("*") if p.suffix in {".py", ".tcss", ".json", ".mako"} and
               "__pycache__" not in p.parts]
    missing = sorted(str(p.relative_to(ROOT)) for p in shipped if str(p.relative_to(ROOT)) not in names)
    assert missing == []
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    # run from elsewhere with only the unpacked wheel on the path (dependencies from this environment)
    env = {**os.environ, "PYTHONPATH": str(site), "ZHIJIN_TRAINING_CONFIG": "/nonexistent.toml"}
    code = (
        "import sys, zhijin_training; assert 'site' in zhijin_training.__file__, zhijin_training.__file__;"
        "from zhijin_training.__main__ import main; main()"
    )
    db = tmp_path / "w.db"
    for args in (["init"], ["units", "list", "--json"]):
        proc = subprocess.run([sys.executable, "-c", code, "--db", str(db), *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)) == 32
