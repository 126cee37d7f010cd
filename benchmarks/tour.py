"""Time the main job: `automata-rnn tour` end to end (a fresh process, as a user runs it),
and each textbook question in-process. Prints a table; figures go to benchmarks/README.md."""

import platform
import statistics
import subprocess
import sys
import time


def wall(argv, repeat=5):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    from automata_rnn.proofs import CLAIMS, run_command

    print(f"python {platform.python_version()} on {platform.machine()}, {platform.processor() or 'cpu'}")
    base = wall([sys.executable, "-c", "import automata_rnn.cli, z3"])
    tour = wall([sys.executable, "-m", "automata_rnn", "tour"])
    print(f"{'automata-rnn tour (fresh process, median of 5)':60s} {tour:7.3f} s   goal < 2 s")
    print(f"{'  of which interpreter start and imports':60s} {base:7.3f} s")
    for claim in CLAIMS:
        for argv in claim.commands:
            t = time.perf_counter()
            run_command(argv, as_json=True)
            dt = time.perf_counter() - t
            label = "  " + " ".join(argv[:3]) + (" --fix ..." if "--fix" in argv else "")
            label += " --set ..." if "--set" in argv else ""
            print(f"{label:60s} {dt:7.3f} s")


if __name__ == "__main__":
    main()
