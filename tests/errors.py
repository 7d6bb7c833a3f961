"""Asserting the error contract in tests: the code and parameters of a domain error, never its wording."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from zhijin_training.services.errors import DomainError


@contextmanager
def raises_code(
    kind: type[DomainError], code: str, *, field: str | None = None, **params: Any
) -> Iterator[pytest.ExceptionInfo[DomainError]]:
    """Like pytest.raises, and the error has this code (and field, and these parameter values)."""
    with pytest.raises(kind) as info:
        yield info
    error = info.value
    assert error.code == code, repr(error)
    if field is not None:
        assert error.field == field, repr(error)
    for name, value in params.items():
        assert error.params.get(name) == value, (name, repr(error))
