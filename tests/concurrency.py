"""Run a function from many threads at once and collect what went wrong (for tests)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable


def run_in_threads(work: Callable[[object], None], args: Iterable[object], timeout: float):
    """Call ``work(a)`` for each ``a`` in its own thread, all started before any is joined.

    Returns the exceptions raised (an empty list when every call returned).
    """
    errors: list[BaseException] = []

    def guarded(arg: object) -> None:
        try:
            work(arg)
        except Exception as err:  # noqa: BLE001 - returned to the test, which reports it
            errors.append(err)

    threads = [threading.Thread(target=guarded, args=(a,)) for a in args]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return errors
