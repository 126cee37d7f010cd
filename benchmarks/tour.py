"""Time the main job, `automata-rnn tour`, against a bare z3 script answering the same questions.

Every figure is the median wall time of a fresh process, as a user runs it. The tour and
benchmarks/bare_z3.py run interleaved, so changes in the machine's load fall on both alike.
The goal of the issue: the tour takes at most 3x the bare script. Each command of the tour is
then timed on its own (JSON form) through the command line only, so that this script does not
depend on where modules live inside automata_rnn. Figures go to benchmarks/README.md.

Like an installed package, the processes read compiled bytecode: PYTHONDONTWRITEBYTECODE is dropped,
the cache goes to a temporary PYTHONPYCACHEPREFIX (not into the source tree), and one warm-up run of
each command is not counted. ``--cold`` keeps the caller's environment instead.
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

GOAL = 3.0
BARE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bare_z3.py")
GRU_LATCH_FIX = ("W_r=0", "U_r=0", "b_r=0", "b_z=0", "b_h=0")
GRU_TOGGLE_FIX = ("W_r=0", "U_r=0", "b_z=0", "b_h=0")
ANSWER_A = ("b_r=1", "U_z=1", "b_z=0", "W_z=0", "U_h=0", "b_h=1", "W_h=-2")
ANSWER_B = ("b_r=1", "U_z=1", "b_z=0", "W_z=0", "U_h=0", "b_h=0", "W_h=-2")
LSTM_LATCH = ("b_i=1", "b_f=1", "U_g=1", "b_o=1")
LSTM_TOGGLE = ("b_i=1", "U_f=-1", "b_f=1", "U_g=1", "W_g=-1", "b_o=1")
LSTM_FORGET_OPEN = ("U_f=0", "W_f=0", "b_f=1", "W_i=0", "W_o=0", "U_o=0", "b_o=1")

# The commands of the tour's claims, copied from CLAIMS (automata_rnn/cli/proofs.py), with the exit code
# each is expected to give: (question, argv, exit code).
COMMANDS = (
    ("(a-i)", ("conditions", "latch", "--cell", "rnn", "--against", "b_h <= 0, u_h + b_h > 0, w_h + b_h > 0"), 0),
    ("(a-ii)", ("conditions", "latch", "--cell", "gru", "--fix", *GRU_LATCH_FIX,
                "--against", "u_z <= 0, u_h > 0, w_z > 0"), 0),
    ("(b-i)", ("solve", "toggle", "--cell", "rnn"), 0),
    ("(b-ii)", ("solve", "toggle", "--cell", "gru", "--fix", *GRU_TOGGLE_FIX), 0),
    ("(b-ii)", ("conditions", "toggle", "--cell", "gru", "--fix", *GRU_TOGGLE_FIX), 0),
    ("answer A", ("check", "toggle", "--cell", "gru", "--set", *ANSWER_A), 1),
    ("answer A", ("solve", "toggle", "--cell", "gru", "--fix", *ANSWER_A), 0),
    ("answer B", ("check", "toggle", "--cell", "gru", "--set", *ANSWER_B), 1),
    ("answer B", ("solve", "toggle", "--cell", "gru", "--fix", *ANSWER_B), 0),
    ("(c) LSTM", ("check", "latch", "--cell", "lstm", "--set", *LSTM_LATCH), 0),
    ("(c) LSTM", ("check", "toggle", "--cell", "lstm", "--set", *LSTM_TOGGLE), 0),
    ("(c) LSTM", ("solve", "toggle", "--cell", "lstm", "--fix", *LSTM_FORGET_OPEN), 0),
)


ENV = dict(os.environ)


def once(argv, code=0):
    """Wall time of one fresh process; raises if it exits with another code than ``code``."""
    t = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=ENV)
    dt = time.perf_counter() - t
    if done.returncode != code:
        raise RuntimeError(f"{' '.join(argv)}: exit {done.returncode}, expected {code}\n{done.stderr}")
    return dt


def median(argv, repeat, code=0):
    """Median wall time of ``repeat`` fresh processes, after one warm-up run."""
    once(argv, code)
    return statistics.median(once(argv, code) for _ in range(repeat))


def label(argv):
    """Short form of a command: its first four words, then '<flag> ...' for weights fixed, set or claimed."""
    return " ".join([*argv[:4], *(f"{flag} ..." for flag in ("--fix", "--set", "--against") if flag in argv)])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="fresh processes per figure (median taken)")
    parser.add_argument("--cold", action="store_true", help="keep the caller's environment (bytecode cache)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tour-pycache-") as cache:
        if not args.cold:
            ENV.pop("PYTHONDONTWRITEBYTECODE", None)
            ENV["PYTHONPYCACHEPREFIX"] = cache
        measure(args.repeat, "as given" if args.cold else "warm")


def measure(n, cache):
    """Print the table: the tour against the bare z3 script, then each command of the tour."""
    py = sys.executable
    cli = [py, "-m", "automata_rnn"]
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f}, bytecode cache {cache}")
    once(cli + ["tour"])  # warm-up
    once([py, BARE])
    tours, bares = [], []
    for _ in range(n):
        tours.append(once(cli + ["tour"]))
        bares.append(once([py, BARE]))
    tour, bare = statistics.median(tours), statistics.median(bares)
    rows = [
        (f"automata-rnn tour (median of {n}; earlier goal < 2 s)", tour),
        (f"python benchmarks/bare_z3.py (median of {n})", bare),
        ("  python -c 'import z3' (start of both)", median([py, "-c", "import z3"], n)),
        ("  automata-rnn --help (start of the command line)", median(cli + ["--help"], n)),
    ]
    rows += [(f"  {q} {label(argv)} --json", median(cli + list(argv) + ["--json"], n, code))
             for q, argv, code in COMMANDS]
    for what, dt in rows:
        print(f"{what:72s} {dt:7.3f} s")
    ratio = tour / bare
    print(f"tour / bare z3 = {ratio:.1f}x   goal <= {GOAL:g}x: {'met' if ratio <= GOAL else 'NOT met'}")


if __name__ == "__main__":
    main()
