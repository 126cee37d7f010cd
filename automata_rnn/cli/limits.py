"""Limits that always hold: a command runs in a child process under a memory limit and a wall-clock
watchdog, so that no question can hang the terminal or eat the machine.

The child runs the command exactly as the parent would and sends back its answer (text and JSON); the
parent prints it.  When the watchdog fires (the time limit plus one second of grace, so that the question's
own budget answers first) or the child runs out of memory, the parent ends it and the answer is "unknown"
with the reason, exit code 3.  Files are written atomically by the child, so an ended command leaves
none half-written.  POSIX only (fork and setrlimit); elsewhere commands run unsupervised.
"""

from __future__ import annotations

import json
import os
import re
import resource
import select
import signal
import time
from dataclasses import dataclass

from automata_rnn.verdicts import BadInput

GRACE_SECONDS = 0.5
_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def memory_amount(text: str) -> int:
    """Bytes from ``500M``, ``2G``, ``1.5G`` or a plain number of bytes; BadInput otherwise."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)B?\s*", str(text), re.IGNORECASE)
    if m is None or float(m.group(1)) <= 0:
        raise BadInput(f"not an amount of memory: {text!r} (write e.g. 500M or 2G)")
    return int(float(m.group(1)) * _UNITS[m.group(2).upper()])


MIN_DEFAULT_MEMORY = 4 * 2**30


def default_memory() -> int | None:
    """The default limit: half of this machine's memory, but at least 4 GiB (the limit is on address space,
    which native libraries reserve generously: PyTorch alone maps more than a small machine's half); None
    where the machine does not say."""
    try:
        return max(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2, MIN_DEFAULT_MEMORY)
    except (ValueError, OSError, AttributeError):
        return None


def supported() -> bool:
    return hasattr(os, "fork") and os.name == "posix"


@dataclass
class Outcome:
    """What the supervised command gave: its exit code and answer, or why it was ended."""

    code: int
    answer: dict | None = None      # {"text": ..., "json": ...} when the command answered
    limit: str = ""                 # the limit that ended it, when one did


def supervise(run, seconds: float | None, memory: int | None) -> Outcome:
    """Run ``run() -> (exit code, answer or None)`` in a child with ``memory`` bytes of address space at most
    and end it ``seconds`` plus the grace after it starts; the parent keeps its own memory and time."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run, send the answer, leave without running the parent's cleanup
        os.close(read_end)
        status = 70
        try:
            if memory is not None:
                resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
            status, answer = run()
            payload = json.dumps({"code": status, "answer": answer}).encode("utf-8")
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(payload)
        except MemoryError:
            status = 137
        except BaseException:  # noqa: BLE001 -- the parent reports any other death
            status = 70
        finally:
            os._exit(status if isinstance(status, int) else 70)
    os.close(write_end)
    deadline = None if seconds is None else time.monotonic() + seconds + GRACE_SECONDS
    chunks: list = []
    terminate = signal.signal(signal.SIGTERM, _interrupted)
    try:
        _read(read_end, deadline, chunks)
    except BaseException:  # interrupted or terminated: the child must not outlive the command
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise
    finally:
        signal.signal(signal.SIGTERM, terminate)
    if chunks and chunks[-1] is _TIMED_OUT:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        return Outcome(3, limit=f"the time limit of {seconds:g} s was reached")
    _, status = os.waitpid(pid, 0)
    if chunks:
        result = json.loads(b"".join(chunks).decode("utf-8"))
        return Outcome(result["code"], result["answer"])
    # no answer at all: the child died; a native library that cannot allocate ends the process itself
    how = f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"exit status {os.WEXITSTATUS(status)}"
    if memory is not None:
        return Outcome(3, limit=f"the memory limit of {_amount_text(memory)} was reached (the command ended "
                                f"with {how})")
    return Outcome(70, limit=f"the command ended with {how} before answering")


_TIMED_OUT = object()


def _interrupted(signum, frame):
    raise KeyboardInterrupt


def _read(fd: int, deadline: float | None, chunks: list) -> None:
    """Read the child's answer until it closes the pipe, or until ``deadline`` (then append _TIMED_OUT)."""
    with os.fdopen(fd, "rb") as pipe:
        while True:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                chunks.append(_TIMED_OUT)
                return
            ready, _, _ = select.select([pipe], [], [], left)
            if not ready:
                continue
            chunk = os.read(pipe.fileno(), 1 << 16)
            if not chunk:
                return
            chunks.append(chunk)


def _amount_text(n: int) -> str:
    for unit in "TGMK":
        if n >= _UNITS[unit] and n % _UNITS[unit] == 0:
            return f"{n // _UNITS[unit]}{unit}"
    return f"{n} bytes"
