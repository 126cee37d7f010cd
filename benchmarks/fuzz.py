"""The long run of the command-line fuzzer: many more command lines than CI's 2000, drawn afresh.

Runs tests/test_fuzz.py::test_fuzz_command_line in a child pytest with FUZZ_CASES (default 50,000) and
FUZZ_RANDOM=1, and prints the number of command lines, the wall time, the rate and whether every property
held (exit code 0-3, one line on stderr for 2, no traceback, no file unless answered, the reason of every
unknown, every certificate of a JSON answer accepted). Hypothesis prints the shrunk failing command line if
one does not. Figures go to tests/README.md.
"""

import argparse
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=50_000, help="command lines to draw (default 50000)")
    args = parser.parse_args()
    env = dict(os.environ, FUZZ_CASES=str(args.cases), FUZZ_RANDOM="1")
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "timeout=0",
            os.path.join(HERE, os.pardir, "tests", "test_fuzz.py"), "-k", "test_fuzz_command_line"]
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    if done.returncode == 0:
        print(f"{args.cases} command lines in {seconds:.0f} s ({args.cases / seconds:.0f} per second): "
              "every property held")
    else:
        print(f"a property failed (pytest exit {done.returncode}) after {seconds:.0f} s; "
              "the shrunk command line is below")
    if done.returncode != 0:
        print(done.stdout[-6000:])
    return done.returncode


if __name__ == "__main__":
    raise SystemExit(main())
