"""Limits that always hold, measured from outside the process: a command under --timeout answers unknown
(exit 3) within the limit plus a second, one under --memory stays under it, and ending the command ends
its worker."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from automata_rnn.cli import limits

CLI = [sys.executable, "-m", "automata_rnn"]
HARD = ["solve", "re:(0|1)*1(0|1){12}", "--units", "2"]   # not decided in minutes
pytestmark = pytest.mark.skipif(not limits.supported(), reason="limits need fork and setrlimit")


def run(args, **kwargs):
    return subprocess.run(CLI + args, capture_output=True, text=True, **kwargs)


def test_a_hard_question_under_a_time_limit_is_unknown_within_a_second_of_it():
    start = time.monotonic()
    result = run(HARD + ["--timeout", "2"])
    elapsed = time.monotonic() - start
    assert result.returncode == 3, result.stderr
    assert "UNKNOWN" in result.stdout and "time limit" in result.stdout
    assert elapsed < 3.0, f"took {elapsed:.2f} s"
    assert result.stderr == ""


def test_a_memory_hungry_command_stays_under_its_limit_and_says_so(tmp_path):
    """Measured by a fresh process whose only descendants are the command and its worker: the largest
    resident set among them stays under the limit."""
    argv = CLI + ["train", "latch", "--sequences", "2000000", "--length", "200", "--no-plot",
                  "--out", str(tmp_path), "--memory", "400M", "--json"]
    probe = ("import json, resource, subprocess, sys\n"
             f"r = subprocess.run({argv!r}, capture_output=True, text=True)\n"
             "print(json.dumps([r.returncode, r.stdout, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))")
    code, out, peak_kib = json.loads(
        subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout)
    assert code == 3
    assert '"verdict": "unknown"' in out and "memory limit" in out
    assert peak_kib * 1024 < 400 * 2**20, f"peak {peak_kib} KiB"
    assert not any(tmp_path.iterdir())                                  # no file half-written


def test_ending_the_command_ends_its_worker():
    process = subprocess.Popen(CLI + HARD, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.0)
    children = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout.split()
    assert children, "the command runs in a worker process"
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=10)
    assert process.returncode == 130
    time.sleep(0.2)
    for pid in children:
        with pytest.raises(ProcessLookupError):
            os.kill(int(pid), 0)


@pytest.mark.parametrize("amount", ["lots", "-1G", "0"])
def test_a_bad_memory_amount_is_bad_input(amount):
    result = run(["solve", "latch", "--memory", amount])
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "memory" in result.stderr


def test_memory_amounts():
    assert limits.memory_amount("500M") == 500 * 2**20
    assert limits.memory_amount("1.5G") == 3 * 2**29
    assert limits.memory_amount("4096") == 4096
