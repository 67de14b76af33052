"""Waiting for another thread or process: poll a condition, fail the test naming what never came.

Not a timed assertion: the timeout only turns a hang into a failure with a message; how fast the
condition becomes true is measured by the benches, never asserted here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(condition: Callable[[], T], what: str = "the condition", *,
               timeout: float = 30.0, step: float = 0.05) -> T:
    """Call ``condition`` every ``step`` seconds until it returns something truthy, and return
    that; raise ``AssertionError`` naming ``what`` and the last value after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"not within {timeout} s: {what} (last: {result!r})")
        time.sleep(step)
