"""The collector pause of bulk reads: the collector is off inside, and back as it was after, however pauses
overlap across threads."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from zhijin_training.services.bulk import bulk_read, collector_paused


@pytest.fixture(autouse=True)
def _collector_restored() -> Iterator[None]:
    was = gc.isenabled()
    yield
    (gc.enable if was else gc.disable)()


def test_the_collector_is_off_inside_and_on_after() -> None:
    gc.enable()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause is still running
    assert gc.isenabled()


def test_a_collector_already_off_stays_off() -> None:
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_an_error_inside_still_brings_the_collector_back() -> None:
    gc.enable()

    @bulk_read
    def fails() -> None:
        assert not gc.isenabled()
        raise KeyError("x")

    with pytest.raises(KeyError):
        fails()
    assert gc.isenabled()


def test_overlapping_pauses_in_threads_end_with_the_last() -> None:
    gc.enable()
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with collector_paused():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with collector_paused():
            second_in.set()
            first_out.wait(5)
            seen.append(gc.isenabled())  # the first pause ended while this one runs: still off

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen == [False]
    assert gc.isenabled()


def test_bulk_read_returns_what_the_function_returns() -> None:
    @bulk_read
    def rows(n: int, *, extra: int = 0) -> list[int]:
        return list(range(n + extra))

    assert rows(2, extra=1) == [0, 1, 2]
