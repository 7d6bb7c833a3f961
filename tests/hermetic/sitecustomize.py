"""Loaded by every Python the tests start (tests/conftest.py puts this folder on PYTHONPATH): the program under
test must not read the machine's /etc/zhijin-training/config.toml.

The system config's [roles] win over any config a user points ZHIJIN_TRAINING_CONFIG at (that is the security
rule: nobody grants themselves a role), so an environment variable cannot hide it — by design there is no such
switch in the product. Only processes started by the test suite, which set ZT_TEST_SYSTEM_CONFIG, are redirected.
"""

from __future__ import annotations

import os

_replacement = os.environ.get("ZT_TEST_SYSTEM_CONFIG")
if _replacement:
    from pathlib import Path

    import zhijin_training.settings as _settings

    _settings.SYSTEM_CONFIG = Path(_replacement)
