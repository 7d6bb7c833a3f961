"""Service tests run on every engine under test (see ENGINES in tests/conftest.py)."""

from __future__ import annotations

import pytest

from zhijin_training.services.context import Context


@pytest.fixture
def ctx(engine_ctx: Context) -> Context:
    return engine_ctx
