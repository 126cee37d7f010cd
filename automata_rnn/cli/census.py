"""``automata-rnn census``: minimal units for a family of automata, on local worker processes or on Ray.

Each (automaton, cell) runs in a process of its own under the command's limits: ``--timeout`` seconds (per
entry, not for the whole census) and ``--memory`` (for each process); an entry ended by a limit is recorded
as unknown with the reason.  The engine is local worker processes, or Ray (the ``[ray]`` extra: a local Ray,
or the cluster at ``--address``) when asked for, or by default when Ray is installed.
"""

from __future__ import annotations

import itertools
import os
import sys
from typing import Callable, Iterator

from automata_rnn.cli import limits
from automata_rnn.cli.answer import emit, progress
from automata_rnn.cli.arguments import positive_int, positive_seconds
from automata_rnn.cli.forked import end_with_parent
from automata_rnn.model.cells import get_cell
from automata_rnn.verdicts import BadInput

FAMILIES = ("all", "tomita", "random")
MAX_ALL_STATES = 4
"""``census all`` enumerates at most this many states (56,014 machines with 4; 5 would be millions)."""
ENGINES = ("auto", "local", "ray")


def add_parser(sub) -> None:
    """Add the subcommand ``census`` to an argparse subparsers object (its own parser class is used)."""
    c = sub.add_parser("census",
                       help="minimal units for a family of automata (every minimal DFA up to k states, the Tomita "
                            "set, a random sample), as a dataset with certificates, a CSV and a figure")
    c.add_argument("family", choices=FAMILIES,
                   help="all: every minimal DFA over {0,1} with 1..--states states, up to renaming; tomita: "
                        "Tomita 1-7; random: --count minimal DFAs with exactly --states states")
    c.add_argument("--states", type=positive_int, default=None, help="states (all: at most; random: exactly)")
    c.add_argument("--count", type=positive_int, default=100, help="random: how many automata (default 100)")
    c.add_argument("--seed", type=int, default=0, help="random: the seed of the sample (default 0)")
    c.add_argument("--cells", nargs="+", default=["rnn", "gru", "gru-after"])
    c.add_argument("--max-hidden", type=positive_int, default=4, help="largest size searched (default 4)")
    c.add_argument("--timeout", type=positive_seconds, default=None,
                   help="per (automaton, cell), in seconds (the census itself runs until done)")
    c.add_argument("--certificate-nodes", type=int, default=None,
                   help="largest case split tried as a certificate before two solvers (default 10000)")
    c.add_argument("--workers", type=positive_int, default=2, help="processes working at once (default 2)")
    c.add_argument("--engine", choices=ENGINES, default="auto",
                   help="local worker processes, or Ray; auto (default): Ray when installed, else local")
    c.add_argument("--address", default=None,
                   help="a Ray cluster to run on (e.g. ray://head:10001 or auto); default: a local Ray")
    c.add_argument("--out", required=True, metavar="FOLDER",
                   help="the dataset's folder (made if missing); a census already there is resumed")
    c.add_argument("--no-plot", dest="plot", action="store_false", help="no figure")
    c.add_argument("--archive", action="store_true",
                   help="also pack the finished census into census.jsonl.xz, census.csv.xz and certificates.tar.xz "
                        "(a folder holding only these is unpacked and resumed)")
    c.add_argument("--json", action="store_true", help="print JSON")


def family(args) -> tuple[str, list]:
    """The automata the arguments name, and a label for them."""
    from automata_rnn.model import families

    if args.family == "tomita":
        if args.states is not None:
            raise BadInput("census tomita takes no --states")
        return "Tomita 1-7", families.tomita()
    if args.states is None:
        raise BadInput(f"census {args.family} needs --states")
    if args.family == "all":
        if args.states > MAX_ALL_STATES:
            raise BadInput(f"census all enumerates at most {MAX_ALL_STATES} states; for more, take a random sample")
        return f"every minimal DFA over {{0,1}} with 1 to {args.states} states", families.all_minimal(args.states)
    if args.seed < 0:
        raise BadInput(f"the seed must be a whole number >= 0, not {args.seed}")
    return (f"a random sample of {args.count} minimal DFAs over {{0,1}} with {args.states} states (seed "
            f"{args.seed})", families.random_minimal(args.states, args.count, args.seed))


def run(args) -> int:
    """Carry out ``census`` as parsed by :func:`add_parser`: 0 when every entry is exact, 3 otherwise."""
    from automata_rnn.cli.train import made_folder, writable_folder
    from automata_rnn.interop.census_archive import pack
    from automata_rnn.interop.files import write_atomic
    from automata_rnn.present.census import census_csv, census_text
    from automata_rnn.questions import census as cs

    cells = [get_cell(c).name for c in args.cells]
    label, automata = family(args)
    settings = cs.Settings(args.max_hidden, args.timeout, cs.CERTIFICATE_NODES if args.certificate_nodes is None
                           else args.certificate_nodes)
    if settings.certificate_nodes < 0:
        raise BadInput(f"--certificate-nodes must be 0 or more, not {settings.certificate_nodes}")
    out = writable_folder(args.out)
    engine, name = choose_engine(args)
    made_folder(out)
    result = cs.census(automata, cells, out, settings, engine, guarded(args.timeout, args.memory),
                       progress=progress("minimal_units"), note=_note)
    files: dict[str, str | list[str]] = {"dataset": result.dataset,
             "csv": write_atomic(os.path.join(out, "census.csv"), census_csv(result.records))}
    if args.plot:
        from automata_rnn.present.plots import census_plot

        files["figure"] = census_plot(result.records, label, os.path.join(out, "census.png"))
    if args.archive:
        files["archive"] = pack(out, [r["lower_bound"]["certificate"] for r in result.records
                                      if r["lower_bound"]["certificate"]])
    stats = cs.statistics(result.records)
    unknown = [{"automaton": r["automaton"], "cell": r["cell"], "reason": r["reason"]}
               for r in result.records if r["minimal_units"] is None]
    obj = {"family": label, "automata": len(automata), "cells": cells, "settings": settings.to_json(),
           "engine": name, "entries": len(result.records), "computed": result.computed, "resumed": result.resumed,
           "exact": len(result.records) - len(unknown), "unknown": unknown,
           "certificates": len({r["lower_bound"]["certificate"] for r in result.records} - {None}),
           "statistics": stats, "files": files}
    emit(args, census_text(obj, result.records), obj)
    return 0 if not unknown else 3


def _note(message: str) -> None:
    print(f"automata-rnn: note: {message}", file=sys.stderr)


def choose_engine(args) -> tuple[Callable, str]:
    """The engine the arguments ask for, and its name; BadInput when Ray is asked for and missing."""
    from automata_rnn.questions.census import in_process

    wants_ray = args.engine == "ray" or args.address is not None
    if args.engine == "local" and args.address is not None:
        raise BadInput("--address is a Ray cluster's: it needs --engine ray (or auto)")
    if wants_ray or args.engine == "auto":
        try:
            import ray  # noqa: F401
        except ImportError:
            if wants_ray:
                raise BadInput("the Ray engine needs Ray: pip install 'automata-rnn[ray]'") from None
        else:
            return ray_engine(args.address, args.workers), "ray" + (f" ({args.address})" if args.address else "")
    if args.workers == 1:
        return in_process, "local (1 process)"
    return local_engine(args.workers), f"local ({args.workers} processes)"


def guarded(seconds: float | None, memory: int | None) -> Callable[[dict], dict]:
    """:func:`automata_rnn.questions.census.task` in a child process under ``seconds`` (plus the grace) and
    ``memory`` (default: the command's): an entry a limit ends is a record saying so, not a lost census."""
    return _Guarded(seconds, memory if memory is not None else limits.default_memory())


class _Guarded:
    """A picklable task (Ray and process pools send it to their workers)."""

    def __init__(self, seconds: float | None, memory: int | None):
        self.seconds, self.memory = seconds, memory

    def __call__(self, spec: dict) -> dict:
        from automata_rnn.model.automata import Automaton
        from automata_rnn.questions.census import Settings, task, unknown_record

        if not limits.supported():
            return task(spec)
        def run():
            end_with_parent()
            return 0, task(spec)

        outcome = limits.supervise(run, self.seconds, self.memory)
        if outcome.answer is not None:
            return outcome.answer
        automaton = Automaton.from_json(spec["machine"], spec["machine"]["name"])
        reason = outcome.limit or f"the search ended with exit status {outcome.code}"
        seconds = (self.seconds or 0) + limits.GRACE_SECONDS if "time limit" in reason else 0.0
        return {"record": unknown_record(automaton, spec["cell"], Settings.from_json(spec["settings"]), reason,
                                         seconds), "certificates": {}}


IN_FLIGHT = 4
"""Tasks handed to an engine per worker at a time: enough to keep every worker busy, few enough that waiting
for the next to finish looks at a handful of tasks, not at the whole census (waiting on 70,000 futures
takes a tenth of a second, which made the waiting process the census's bottleneck)."""


def local_engine(workers: int):
    """Tasks on ``workers`` local processes, at most :data:`IN_FLIGHT` per worker handed out at a time,
    yielded as each finishes."""
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    def engine(function, specs) -> Iterator[tuple[dict, dict]]:
        with ProcessPoolExecutor(max_workers=workers, initializer=end_with_parent) as pool:
            queue = iter(specs)
            pending = {pool.submit(function, spec): spec for spec in itertools.islice(queue, IN_FLIGHT * workers)}
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    yield pending.pop(future), future.result()
                for spec in itertools.islice(queue, len(finished)):
                    pending[pool.submit(function, spec)] = spec
    return engine


OBJECT_STORE = 1 << 30
"""The local Ray's object store, in bytes (a task and its answer take at most a few MB).  Ray's default, 30 %
of the memory, is mapped by the raylet twice and outgrows the command's memory limit (the address space) as
soon as a task is large enough to go through the store."""


def ray_engine(address: str | None, workers: int):
    """Tasks on Ray: a local Ray with ``workers`` CPUs, or the cluster at ``address``, at most
    :data:`IN_FLIGHT` per CPU of the cluster handed out at a time; yielded as each finishes."""
    import ray

    def engine(function, specs) -> Iterator[tuple[dict, dict]]:
        if address is None:
            ray.init(num_cpus=workers, object_store_memory=OBJECT_STORE, include_dashboard=False,
                     log_to_driver=False, configure_logging=False)
        else:
            ray.init(address=address, log_to_driver=False, configure_logging=False)
        try:
            remote = ray.remote(max_retries=0)(_call)
            cpus = int(ray.cluster_resources().get("CPU", workers)) or workers
            queue = iter(specs)
            pending = {remote.remote(function, spec): spec for spec in itertools.islice(queue, IN_FLIGHT * cpus)}
            while pending:
                finished, _ = ray.wait(list(pending), num_returns=1)
                for ref in finished:
                    yield pending.pop(ref), ray.get(ref)
                for spec in itertools.islice(queue, len(finished)):
                    pending[remote.remote(function, spec)] = spec
        finally:
            ray.shutdown()
    return engine


def _call(function, spec: dict) -> dict:
    """``function(spec)``: what a Ray worker runs (Ray takes functions, not callable objects)."""
    return function(spec)
