"""Independent commands shared between this process and forked helpers, for the commands that run many.

:func:`forked_map` computes ``[function(x) for x in items]`` with the items handed out one at a time, from a
queue, to this process and up to ``workers - 1`` forked helpers, so that a long item does not hold up the
others.  It only changes where an item runs, never what it gives: each item must be a question of its own
(its own z3 context, no state shared with the others), and its result plain data that pickles.  A helper
sends back the results it finished; any item it did not finish (it failed, or died) is computed again here,
so an error surfaces exactly as it would in a serial run.  A helper ends as soon as its parent is gone
(polled every 0.2 s), so a watchdog that ends this process ends the helpers too.  Where ``fork`` is missing,
or with one worker, everything runs here.
"""

from __future__ import annotations

import os
import pickle
import signal
import threading
import time
from typing import Callable, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_MAX_ITEMS = 255  # one byte per item in the queue


def default_workers() -> int:
    """The CPUs this process may run on, at most 2 (the helpers share one machine with everything else)."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    return max(1, min(2, n))


def forked_map(function: Callable[[T], R], items: Sequence[T], workers: int | None = None,
               order: Sequence[int] | None = None) -> list[R]:
    """``[function(x) for x in items]``, the items run by this process and ``workers - 1`` forked helpers
    (default :func:`default_workers`); results in the order of ``items``.  ``order`` (a permutation of the
    indices) is the order in which the items are handed out: the longest first gives the shortest run."""
    items = list(items)
    order = list(range(len(items))) if order is None else list(order)
    if sorted(order) != list(range(len(items))):
        raise ValueError("order is not a permutation of the items' indices")
    workers = default_workers() if workers is None else workers
    helpers = min(workers, len(items)) - 1
    if helpers < 1 or len(items) > _MAX_ITEMS or not hasattr(os, "fork"):
        serial = {i: function(items[i]) for i in order}
        return [serial[i] for i in range(len(items))]
    queue_read, queue_write = os.pipe()
    os.write(queue_write, bytes(order))
    os.close(queue_write)
    children = []
    for _ in range(helpers):
        result_read, result_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # a helper: take items until the queue is empty, send what was finished, leave
            os.close(result_read)
            _helper(function, items, queue_read, result_write)
        os.close(result_write)
        children.append((pid, result_read))
    results: dict[int, R] = {}
    try:
        for i in _take(queue_read):
            results[i] = function(items[i])
    except BaseException:
        for pid, result_read in children:
            os.kill(pid, signal.SIGKILL)
            os.close(result_read)
            os.waitpid(pid, 0)
        raise
    finally:
        os.close(queue_read)
    for pid, result_read in children:
        results.update(_collect(pid, result_read))
    return [results[i] if i in results else function(items[i]) for i in range(len(items))]


def _take(queue_read: int):
    """Indices taken from the shared queue, one byte (one read) at a time, until it is empty."""
    while True:
        byte = os.read(queue_read, 1)
        if not byte:
            return
        yield byte[0]


def _helper(function, items, queue_read: int, result_write: int) -> None:
    """Body of a forked helper; never returns."""
    end_with_parent()
    done = {}
    status = 0
    try:
        for i in _take(queue_read):
            try:
                done[i] = function(items[i])
            except BaseException:  # noqa: BLE001 -- the parent computes it again and sees the error itself
                status = 1
                break
        with os.fdopen(result_write, "wb") as out:
            pickle.dump(done, out)
    except BaseException:  # noqa: BLE001 -- the parent computes every missing item itself
        status = 1
    finally:
        os._exit(status)


def end_with_parent() -> None:
    """End this process (exit status 1) as soon as its parent is gone, polled every 0.2 s by a daemon thread:
    a forked worker never outlives the command that made it."""
    threading.Thread(target=_end_with_parent, args=(os.getppid(),), daemon=True).start()


def _end_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(1)


def _collect(pid: int, result_read: int) -> dict:
    """The results a helper sent (none if it sent nothing readable); waits for it to end."""
    try:
        with os.fdopen(result_read, "rb") as pipe:
            data = pipe.read()
        return pickle.loads(data) if data else {}
    except (OSError, EOFError, pickle.UnpicklingError):
        return {}
    finally:
        os.waitpid(pid, 0)
