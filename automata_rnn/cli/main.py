"""The command line: parse, call the library, print. Exit codes: 0 answered, 1 check failed,
2 bad input, 3 unknown, 70 an internal check failed or a bug (never the user's error)."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import io
import os
import sys
from fractions import Fraction
from typing import Sequence

from automata_rnn import __version__
from automata_rnn.cli import limits
from automata_rnn.cli.answer import emit, progress
from automata_rnn.cli.arguments import memory, positive_int, positive_seconds, rational, unit_counts
from automata_rnn.interop.automata_files import load_automaton
from automata_rnn.interop.files import dumps, read_json, writable_path
from automata_rnn.interop.weights import load_weights, parse_assignments, recorded_network
from automata_rnn.model.cells import CELLS, get_cell
from automata_rnn.model.network import OUTPUT_RULES, READOUTS
from automata_rnn.model.problem import Problem
from automata_rnn.model.semantics import Semantics
from automata_rnn.verdicts import BadInput, InternalCheckFailed, NoAnswer, Verdict

EXIT_OK, EXIT_FAILS, EXIT_BAD_INPUT, EXIT_UNKNOWN, EXIT_INTERNAL = 0, 1, 2, 3, 70
EXIT_CODES = {Verdict.SAT: EXIT_OK, Verdict.UNSAT: EXIT_FAILS, Verdict.UNKNOWN: EXIT_UNKNOWN}


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise BadInput(message)


def one_line(message: object) -> str:
    """A message as one line: control characters a user typed (a newline in an argument) shown escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(message))


SEARCH_CHOICES = ("direct", "decompose", "decompose-z3")  # questions.sizes.SEARCHES, without importing z3
SEARCH_HELP = ("how each size is searched: 'decompose' (default; for an Elman cell or a GRU with a threshold read-out "
               "under the indicator semantics, up to 5 units: code labellings by SAT (CaDiCaL), each threshold "
               "function by an exact LP, sizes it refutes certified; other problems use the direct encoding), "
               "'decompose-z3' (the same with z3's SAT core) or 'direct' (the direct encoding)")


def _problem_args(p: argparse.ArgumentParser, fix: bool = True) -> None:
    p.add_argument("automaton",
                   help="a built-in (latch, toggle, parity, tomita1..7, ...), a .json/.yaml file, or re:PATTERN")
    p.add_argument("--cell", default=None, help=f"cell: {', '.join(CELLS)} (default rnn)")
    p.add_argument("--units", "--hidden", dest="units", type=unit_counts, default=None,
                   help="hidden units (default 1, or as a weights file records); N1,N2,... for a stack of layers, "
                        "bottom first, each reading the new state of the one below")
    p.add_argument("--semantics", default=None,
                   help="indicator (the textbook's; the default) or saturated (the large-gain limit of a real "
                        "network; the default of certify and verify)")
    p.add_argument("--output", choices=READOUTS, default=None,
                   help="the output is unit 0 of the state (default for one unit) or a threshold read-out")
    p.add_argument("--output-rule", choices=tuple(OUTPUT_RULES), default=None,
                   help="how unit 0 becomes the output: half, [h > 1/2] (default), or prediction, the textbook's "
                        "sigmoid(h) > 1/2, i.e. [h > 0] (default: as a weights file records)")
    if fix:
        p.add_argument("--fix", nargs="+", default=[], metavar="NAME=VALUE", help="pin parameters to exact values")
    p.add_argument("--json", action="store_true", help="print JSON")


def _with_timeout(p):
    p.add_argument("--timeout", type=positive_seconds, default=None, help="give up after this many seconds (exit 3)")


def build_parser() -> Parser:
    parser = Parser(prog="automata-rnn", description="Exact, certified answers about threshold recurrent cells.")
    parser.add_argument("--version", action="version", version=f"automata-rnn {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=Parser)

    c = sub.add_parser("conditions", help="the exact condition on the weights, with its derivation")
    _problem_args(c)
    _with_timeout(c)
    c.add_argument("--latex", action="store_true", help="print the condition as LaTeX")
    c.add_argument("--against", metavar="EXPR", help='judge a claimed condition, e.g. "U_z + W_z > 0"')

    s = sub.add_parser("solve", help="weights that implement the automaton, or a certificate that none exist")
    _problem_args(s)
    _with_timeout(s)
    s.add_argument("--margin", type=rational, default=Fraction(0),
                   help="every reachable pre-activation at least this far from 0 (needs a weight bound)")
    s.add_argument("--bound", type=rational, default=None,
                   help="every free weight in [-B, B] (default 10 with --margin)")
    s.add_argument("--certify", action="store_true",
                   help="then certify a gain for real sigmoid/tanh on inputs of any length (implies a margin)")
    s.add_argument("--activation", default="sigmoid",
                   help="the real network's gates, for --certify: sigmoid (default), hard_sigmoid or "
                        "hard_sigmoid_pytorch; a hard sigmoid implies --certify with every reachable gate "
                        "past its saturation point, so that gain 1 works")
    s.add_argument("--smt2", metavar="FILE",
                   help="also write the exact encoding as SMT-LIB 2 (when the question is answered)")
    s.add_argument("--save", metavar="FILE", help="write the weights found (.json exact, or .npz float64)")
    s.add_argument("--second-opinion", choices=("cvc5",), default=None,
                   help="re-solve the exact encoding with cvc5 and report whether both solvers agree")
    s.add_argument("--all-sizes", action="store_true",
                   help="a statement for every number of units (Elman cells whose output is a unit)")

    k = sub.add_parser("check", help="do these weights implement the automaton? (exit 1 if not)")
    _problem_args(k, fix=False)
    _weights_args(k)

    pr = sub.add_parser("proofs", help="write (or --check) the proof pages and certificates of published claims")
    pr.add_argument("--out", default="proofs", help="folder (default ./proofs)")
    pr.add_argument("--check", action="store_true", help="re-check every certificate and fail on a stale page")
    pr.add_argument("--json", action="store_true", help="print JSON")

    a = sub.add_parser("audit", help="check certificate files with the independent checker")
    a.add_argument("files", nargs="+")
    a.add_argument("--json", action="store_true", help="print JSON")

    cf = sub.add_parser("certify", help="a gain k such that the real network with weights k*W provably "
                                         "implements the automaton on inputs of every length")
    _problem_args(cf, fix=False)
    _weights_args(cf)
    cf.add_argument("--activation", default=None, help="sigmoid (default), hard_sigmoid, hard_sigmoid_pytorch")

    sm = sub.add_parser("simulate", help="run the real (or thresholded) network on one input: the step table")
    _problem_args(sm, fix=False)
    _weights_args(sm)
    sm.add_argument("--input", required=True, help="the input word, e.g. 00100100")
    sm.add_argument("--gain", type=rational, default=Fraction(1), help="multiply every weight by K (default 1)")
    sm.add_argument("--activation", default=None,
                    help="sigmoid (default), hard_sigmoid, hard_sigmoid_pytorch, indicator, saturated")

    vf = sub.add_parser("verify", help="the truth about trained weights: thresholded checks, a proof for the real "
                                       "network on all inputs (or a failing input), the automaton it computes")
    _problem_args(vf, fix=False)
    _weights_args(vf)
    vf.add_argument("--activation", default=None, help="sigmoid (default), hard_sigmoid, hard_sigmoid_pytorch")
    vf.add_argument("--search-length", type=positive_int, default=12, help="exhaustive failure search depth")
    vf.add_argument("--empty-word", choices=("count", "ignore"), default="count",
                    help="whether the output at time 0, on the empty word, is part of the question (default count; "
                         "ignore for networks trained on outputs after each symbol only, as PyTorch training is)")

    dg = sub.add_parser("diagram", help="state diagram of an automaton, or of a network's reachable codes")
    dg.add_argument("what", choices=("automaton", "codes"))
    _problem_args(dg, fix=False)
    _weights_args(dg)
    dg.add_argument("--out", metavar="FILE", help=".dot / .gv (Graphviz text) or .png; default: DOT on stdout")

    m = sub.add_parser("minimize", help="the smallest number of units, with a proof that fewer cannot")
    _problem_args(m, fix=False)
    _with_timeout(m)
    m.add_argument("--max-hidden", type=positive_int, default=4, help="largest size tried (default 4)")
    m.add_argument("--timings", action=argparse.BooleanOptionalAction, default=False,
                   help="--json: add the solving times under timings (they differ from run to run, so "
                        "without them two runs print the same bytes)")
    m.add_argument("--smt2", metavar="FILE", help="also write the encoding for the largest excluded size as SMT-LIB 2 "
                        "(when the minimal size is found)")
    m.add_argument("--search", choices=SEARCH_CHOICES, default="decompose", help=SEARCH_HELP)

    tb = sub.add_parser("table",
                        help="minimal units for several automata and cells (default: Tomita 1-7, parity, latch)")
    tb.add_argument("--automata", nargs="+", default=["tomita1", "tomita2", "tomita3", "tomita4", "tomita5",
                                                       "tomita6", "tomita7", "parity", "latch"])
    tb.add_argument("--cells", nargs="+", default=["rnn", "gru", "gru-after"])
    tb.add_argument("--max-hidden", type=positive_int, default=4)
    tb.add_argument("--timings", action=argparse.BooleanOptionalAction, default=False,
                    help="--json: add the solving times under timings (they differ from run to run, so "
                         "without them two runs print the same bytes)")
    tb.add_argument("--timeout", type=positive_seconds, default=None, help="per entry")
    tb.add_argument("--workers", type=positive_int, default=2, help="worker processes (default 2)")
    tb.add_argument("--certificate-nodes", type=int, default=None,
                    help="largest case split tried as a certificate before two solvers "
                         "(default 10000, questions.sizes.CERTIFICATE_NODES; 0: two solvers only)")
    tb.add_argument("--out", metavar="FILE", help="also write the table as Markdown")
    tb.add_argument("--search", choices=SEARCH_CHOICES, default="decompose", help=SEARCH_HELP)
    tb.add_argument("--json", action="store_true", help="print JSON")

    from automata_rnn.cli.train import add_parsers as add_train_parsers

    add_train_parsers(sub, Parser)

    from automata_rnn.cli.census import add_parser as add_census_parser

    add_census_parser(sub)

    t = sub.add_parser("tour", help="every textbook question, answered and checked")
    t.add_argument("--json", action="store_true", help="print JSON")

    from automata_rnn.interop.schemas import schema_names

    sc = sub.add_parser("schema", help="print the JSON Schema of a command's --json answer, of certificates, "
                                       "weights files or training logs (docs/json.md)")
    sc.add_argument("name", choices=schema_names())
    for command in sub.choices.values():
        if not any("--timeout" in a.option_strings for a in command._actions):
            command.add_argument("--timeout", type=positive_seconds, default=None,
                                 help="end the command after this many seconds (answer unknown, exit 3)")
        command.add_argument("--memory", type=memory, default=None, metavar="AMOUNT",
                             help="memory limit, e.g. 500M or 2G (default: half the machine, at least 4G); past it the "
                                  "answer is unknown, exit 3")
    return parser


def _adopt_recorded(args) -> None:
    """Cell, size, read-out, output rule and activation as the weights file records them, unless given; an
    explicit --activation other than the recorded one is used, with a note on stderr."""
    recorded = recorded_network(args.weights) if getattr(args, "weights", None) else {}
    given = getattr(args, "activation", None)
    if given is not None and recorded.get("activation", given) != given:
        print(f"automata-rnn: note: {args.weights} records activation {recorded['activation']}; "
              f"using --activation {given} as given", file=sys.stderr)
    if "layers" in recorded:
        recorded["units"] = recorded["layers"]
    for key, attr in (("cell", "cell"), ("units", "units"), ("output", "output"), ("output_rule", "output_rule"),
                      ("activation", "activation")):
        if hasattr(args, attr) and getattr(args, attr) is None and key in recorded:
            setattr(args, attr, recorded[key])
    if hasattr(args, "activation") and args.activation is None:
        args.activation = "sigmoid"


# certify and verify ask what a real network does: the saturated semantics is its limit as the gain grows (under
# the indicator semantics a tanh gives 0, which a real tanh never keeps)
_DEFAULT_SEMANTICS = {"certify": "saturated", "verify": "saturated"}


def make_problem(args, fixed_items=()) -> Problem:
    automaton = load_automaton(args.automaton)
    if getattr(args, "torch", None):
        _adopt_torch(args)
    _adopt_recorded(args)
    def build(fixed):
        semantics = _DEFAULT_SEMANTICS.get(args.command, "indicator") if args.semantics is None else args.semantics
        return Problem.with_defaults(automaton, "rnn" if args.cell is None else args.cell, _layers_of(args.units),
                                     semantics=Semantics(semantics,
                                                         getattr(args, "margin", 0) or 0),
                                     output=args.output, rule=args.output_rule, fixed=fixed,
                                     bound=getattr(args, "bound", None))

    return build(parse_assignments(list(fixed_items), build({}).parameter_names(), "--fix"))


def _layers_of(units) -> tuple[int, ...]:
    """The units of each layer: ``--units N`` (one layer), ``--units N1,N2,...`` (a stack, bottom first), or
    as a weights file or PyTorch model records them (default one layer of one unit)."""
    if units is None:
        return (1,)
    if isinstance(units, int) and not isinstance(units, bool) and units >= 1:
        return (units,)
    if isinstance(units, (list, tuple)) and units and all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in units):
        return tuple(units)
    raise BadInput(f"the weights file records {units!r} units")


def cmd_solve(args) -> int:
    from automata_rnn.present.report import answer_json, answer_text
    from automata_rnn.questions.solve import second_opinion, solve

    if args.certify or args.activation != "sigmoid":
        return _solve_and_certify(args)
    problem = make_problem(args, args.fix)
    if args.all_sizes:
        return _solve_all_sizes(args, problem)
    if (args.second_opinion or args.smt2) and problem.cell.code_values(problem.semantics.name) is None:
        raise BadInput(f"--second-opinion and --smt2 read the direct encoding, which the {problem.cell.name} cell "
                       "has not (its cell state can count); its answers rest on the case-split prover's checks")
    answer = solve(problem, timeout=args.timeout)
    text, obj = answer_text(answer), answer_json(answer)
    if args.second_opinion:
        opinion = second_opinion(problem, answer, args.timeout)
        if opinion is None:
            raise BadInput("--second-opinion cvc5 needs cvc5: pip install 'automata-rnn[cvc5]'")
        obj["second_opinion"] = opinion
        text += f"\nsecond opinion: cvc5 says {opinion['verdict']} on the exact encoding: " + \
            ("both solvers agree" if opinion["agrees"] else "THE SOLVERS DISAGREE")
    if args.smt2 and answer.verdict != Verdict.UNKNOWN:  # files only with an answer
        from automata_rnn.interop.files import write_atomic
        from automata_rnn.solver.encode import Encoding

        write_atomic(args.smt2, Encoding(problem).smt2())
    if args.save and answer.weights is not None:
        from automata_rnn.interop.weights import save_weights

        save_weights(args.save, answer.weights, problem.parameter_names(), problem.blocks(),
                     problem.network_record())
    emit(args, text, obj)
    return EXIT_UNKNOWN if answer.verdict == Verdict.UNKNOWN else EXIT_OK


def _adopt_torch(args) -> None:
    """Read the PyTorch file once; its cell and its stack of layers become the problem's (``--cell`` is a
    hint)."""
    from automata_rnn.interop.pytorch import load_readout, load_torch

    args.torch_levels = load_torch(args.torch, cell_hint=args.cell)
    args.cell = args.torch_levels[0].cell
    args.units = tuple(level.units for level in args.torch_levels)
    args.torch_readout = load_readout(args.torch, args.torch_levels[-1].units, name=args.readout)
    if args.torch_readout is not None and args.output is None:
        args.output = "readout"


def _weights_args(p) -> None:
    """Where the weights of a question come from: --set, a weights file, or a PyTorch model."""
    p.add_argument("--set", nargs="+", default=[], metavar="NAME=VALUE", help="weights (unnamed ones are 0)")
    p.add_argument("--weights", metavar="FILE",
                   help="a JSON weights file (solve --json or train output, or name -> value) or a .npz")
    _torch_args(p)


def _torch_args(p) -> None:
    p.add_argument("--torch", metavar="FILE", help="weights from a PyTorch nn.GRU / nn.LSTM (module or state_dict); "
                   "with num_layers >= 2, the whole stack; an nn.Linear(hidden, 1) beside it is the read-out "
                   "(logit > 0 accepts)")
    p.add_argument("--readout", metavar="NAME", default=None,
                   help="with --torch: the nn.Linear read-out's name when several fit (e.g. head)")


def _read_weights(args, problem) -> dict:
    names = problem.parameter_names()
    weights = {n: Fraction(0) for n in names}
    if getattr(args, "torch", None):
        from automata_rnn.interop.pytorch import weights_for_problem

        weights.update(weights_for_problem(problem, args.torch_levels))
        if args.torch_readout is not None and problem.output == "readout":
            weights.update(args.torch_readout.weights())
        weights.update(parse_assignments(args.set, names, "--set"))
        return weights
    if args.weights:
        weights.update(load_weights(args.weights, names))
    weights.update(parse_assignments(args.set, names, "--set"))
    if not args.weights and not args.set:
        raise BadInput(f"{args.command} needs weights: --set NAME=VALUE ... or --weights FILE")
    return weights


def cmd_certify(args) -> int:
    from automata_rnn.present.report import gain_json, gain_text
    from automata_rnn.questions.certify import certify

    problem = make_problem(args)
    result = certify(problem, _read_weights(args, problem), args.activation)
    emit(args, gain_text(problem, result), gain_json(problem, result))
    return EXIT_OK if result.certified else EXIT_FAILS


def cmd_simulate(args) -> int:
    from automata_rnn.present.report import simulation_json, simulation_text
    from automata_rnn.questions.simulate import simulate_word

    problem = make_problem(args)
    run = simulate_word(problem, _read_weights(args, problem), args.input, args.gain, args.activation)
    emit(args, simulation_text(problem, run), simulation_json(problem, run))
    return EXIT_OK if run.agrees else EXIT_FAILS


def cmd_verify(args) -> int:
    from automata_rnn.present.report import verify_json, verify_text
    from automata_rnn.questions.verify import verify

    problem = make_problem(args)
    found = verify(problem, _read_weights(args, problem), args.activation, args.search_length,
                   count_empty=args.empty_word == "count")
    emit(args, verify_text(found), verify_json(found))
    return EXIT_CODES[found.verdict]


def cmd_diagram(args) -> int:
    from automata_rnn.present.diagrams import DoesNotImplement, automaton_graph, codes_graph, save_diagram

    problem = make_problem(args)
    if args.what == "automaton":
        graph = automaton_graph(problem.automaton)
    else:
        try:
            graph = codes_graph(problem, _read_weights(args, problem))
        except DoesNotImplement as e:
            print(f"automata-rnn: the network does not implement {problem.automaton.name}: fails on "
                  f"{''.join(e.word)!r} ({e.reason}); use check for the trace", file=sys.stderr)
            return EXIT_FAILS
    if args.out:
        save_diagram(graph, args.out)
        emit(args, f"wrote {args.out}", {"written": args.out})
    else:
        emit(args, graph.to_dot().rstrip(), {"dot": graph.to_dot()})
    return EXIT_OK


def _solve_and_certify(args) -> int:
    """Threshold weights with a margin, then a certified gain (see :func:`questions.certify.solve_and_certify`)."""
    from automata_rnn.interop.weights import weights_json
    from automata_rnn.present.report import gain_json, gain_text, problem_line
    from automata_rnn.present.text import weights_text
    from automata_rnn.questions.certify import solve_and_certify

    found = solve_and_certify(make_problem(args, args.fix), args.timeout, args.activation)
    problem = found.problem
    if found.gain is None or found.weights is None:
        emit(args, problem_line(problem) + f"\nNOT CERTIFIED: {found.reason}",
              {"problem": problem.to_json(), "verdict": found.verdict, "certified": False, "gain": None,
               "epsilon": None, "weights": None, "reason": found.reason})
        return EXIT_UNKNOWN
    plain = dataclasses.replace(problem, semantics=Semantics(problem.semantics.name))
    text = (problem_line(problem) + "\nthreshold weights (re-verified by exhaustive exact simulation):\n  "
            + weights_text(found.weights, problem.parameter_names()) + "\n"
            + gain_text(plain, found.gain, header=False))
    obj = {"verdict": found.verdict, **gain_json(plain, found.gain),
           "weights": weights_json(found.weights, problem.parameter_names())}
    emit(args, text, obj)
    return EXIT_OK if found.gain.certified else EXIT_FAILS


def _solve_all_sizes(args, problem) -> int:
    from automata_rnn.present.report import all_sizes_json, all_sizes_text
    from automata_rnn.questions.sizes import refute_all_sizes

    if (not problem.cell.state_is_gate or problem.output != "state" or problem.fixed or problem.semantics.margin
            or problem.bound is not None):
        raise BadInput("--all-sizes is for --cell rnn with --output state, no --fix, no --margin and no --bound")
    cert = refute_all_sizes(problem)
    emit(args, all_sizes_text(problem, cert), all_sizes_json(problem, cert))
    return EXIT_OK if cert is not None else EXIT_UNKNOWN


def cmd_conditions(args) -> int:
    from automata_rnn.model.claims import parse_claim
    from automata_rnn.present.report import (
        conditions_json,
        conditions_latex,
        conditions_text,
        judgement_json,
        judgement_text,
    )
    from automata_rnn.questions.conditions import derive, judge
    from automata_rnn.solver.context import question_scope
    from automata_rnn.solver.prove import Budget

    problem = make_problem(args, args.fix)
    claim = None if args.against is None else parse_claim(args.against, problem.parameter_names(), problem.fixed)
    if problem.semantics.margin:
        raise BadInput("conditions take no margin")
    budget = Budget(args.timeout)
    with question_scope():  # the judgement is part of the question: it shares the derivation's z3 context
        cond = derive(problem, budget)
        judgement = judge(problem, args.against, claim, budget, cond) if claim is not None else None
    text = conditions_text(cond)
    obj = conditions_json(cond)
    if args.latex:
        obj["latex"] = conditions_latex(cond)
        text += "\nLaTeX:\n  " + obj["latex"]
    if judgement is not None:
        text += "\n\n" + judgement_text(problem, judgement)
        obj.update(judgement_json(problem, judgement))
    emit(args, text, obj)
    return EXIT_OK


def cmd_check(args) -> int:
    from automata_rnn.present.report import check_json, check_text
    from automata_rnn.questions.solve import check_weights

    problem = make_problem(args)
    weights = _read_weights(args, problem)
    result = check_weights(problem, weights)
    emit(args, check_text(problem, weights, result), check_json(problem, weights, result))
    return EXIT_OK if result.implements else EXIT_FAILS


def cmd_audit(args) -> int:
    from automata_rnn.exact.checker import check

    results = []
    for path in args.files:
        try:
            obj = read_json(path)
        except (OSError, ValueError) as e:
            raise BadInput(f"certificate file {path!r}: cannot read ({e})") from None
        certs = obj if isinstance(obj, list) else [obj]
        for i, cert in enumerate(certs):
            ok, why = check(cert)
            results.append({"file": path, "index": i, "accepted": ok, "reason": why})
    text = "\n".join(f"{r['file']}[{r['index']}]: {'ACCEPTED' if r['accepted'] else 'REJECTED'}: {r['reason']}"
                     for r in results)
    emit(args, text, results)
    return EXIT_OK if all(r["accepted"] for r in results) else EXIT_FAILS


def cmd_proofs(args) -> int:
    from automata_rnn.cli.proofs import check_pages, write_pages

    if args.check:
        problems = check_pages(args.out, run_command)
        text = "\n".join(problems) if problems else \
            f"all proof pages in {args.out} are current and their certificates accepted"
        emit(args, text, {"ok": not problems, "problems": problems})
        return EXIT_FAILS if problems else EXIT_OK
    written = write_pages(args.out, run_command)
    emit(args, "\n".join(f"wrote {w}" for w in written), {"written": written})
    return EXIT_OK


def cmd_minimize(args) -> int:
    from automata_rnn.interop.files import write_atomic
    from automata_rnn.present.report import minimal_text
    from automata_rnn.questions.sizes import minimal_json, minimize, resized, without_timings
    from automata_rnn.solver.encode import Encoding

    args.output = args.output or "readout"
    problem = make_problem(args)
    result = minimize(problem, args.max_hidden, args.timeout, search=args.search)
    if args.smt2 and result.minimal is not None:  # files only with an answer
        excluded = result.minimal - 1 if result.minimal and result.minimal > 1 else 1
        write_atomic(args.smt2, Encoding(resized(problem, excluded)).smt2())
    obj = minimal_json(result)
    emit(args, minimal_text(result), obj if args.timings else without_timings(obj))
    return EXIT_OK if result.minimal is not None else EXIT_UNKNOWN


def cmd_table(args) -> int:
    from concurrent.futures import ProcessPoolExecutor

    from automata_rnn.interop.files import write_atomic
    from automata_rnn.present.report import table_markdown
    from automata_rnn.questions.sizes import CERTIFICATE_NODES, table, without_timings

    automata = [load_automaton(a) for a in args.automata]
    cells = [get_cell(c).name for c in args.cells]
    if args.certificate_nodes is None:
        args.certificate_nodes = CERTIFICATE_NODES
    with ProcessPoolExecutor(max_workers=args.workers) if args.workers > 1 else contextlib.nullcontext() as pool:
        rows = table(automata, cells, args.max_hidden, args.timeout, executor=pool,
                     certificate_nodes=args.certificate_nodes, progress=progress("minimal_hidden"),
                     search=args.search)
    md = table_markdown(rows, cells)
    answered = all(r["minimal_hidden"] is not None for r in rows)
    if args.out and answered:  # a page with unknown entries never replaces one
        write_atomic(args.out, _table_page(md, rows))
    elif args.out:
        md += f"\n\n{args.out} not written: the table has unknown entries"
    emit(args, md, rows if args.timings else without_timings(rows))
    return EXIT_OK if answered else EXIT_UNKNOWN


def _table_page(md: str, rows: list[dict]) -> str:
    total = sum(r["timings"]["seconds"] for r in rows)
    return ("# Minimal threshold networks\n\n"
            "Smallest number of hidden units for which a threshold cell (indicator semantics, h(0) = 0, "
            "a threshold read-out unit) implements each automaton. Every entry's weights were re-verified "
            "by exhaustive exact simulation; the size below it is excluded by a certificate accepted by the "
            "independent checker (cert.) or by z3 and cvc5 agreeing that the exact encoding is unsatisfiable "
            "(2 solvers). Generated by `automata-rnn table --out docs/minimal-units.md`.\n\n"
            + md + f"\n\nSum of the entries' solving times: {total:.2f} s.\n\n## Weights\n\n"
            + "\n".join(f"* {r['automaton']}, {r['cell']}, {r['minimal_hidden']} units: "
                        + ", ".join(f"{k} = {v}" for k, v in (r['weights'] or {}).items()) for r in rows) + "\n")


def cmd_tour(args) -> int:
    from automata_rnn.cli.tour import tour

    text, obj = tour(run_command)
    emit(args, text, obj)
    return EXIT_OK


def cmd_schema(args) -> int:
    from automata_rnn.interop.schemas import schema

    obj = schema(args.name)
    emit(args, dumps(obj).rstrip("\n"), obj)
    return EXIT_OK


def cmd_census(args) -> int:
    from automata_rnn.cli.census import run

    return run(args)


def cmd_train(args) -> int:
    from automata_rnn.cli.train import run

    return run(args)


COMMANDS = {"solve": cmd_solve, "conditions": cmd_conditions, "check": cmd_check, "audit": cmd_audit,
            "proofs": cmd_proofs, "tour": cmd_tour, "minimize": cmd_minimize, "table": cmd_table,
            "certify": cmd_certify, "simulate": cmd_simulate, "diagram": cmd_diagram,
            "verify": cmd_verify, "train": cmd_train, "plot": cmd_train, "schema": cmd_schema,
            "census": cmd_census}


@functools.cache
def _parser() -> Parser:
    """The parser, built once per process (the tour runs many commands in-process)."""
    return build_parser()


def cli() -> int:
    """The ``automata-rnn`` program: :func:`main` with every command under its time and memory limits."""
    return main(sys.argv[1:], supervised=True)


# the options naming a file that a command writes (train's and plot's --out, and proofs', are folders)
OUTPUT_FILES = {"solve": ("smt2", "save"), "minimize": ("smt2",), "diagram": ("out",), "table": ("out",)}
# commands whose --timeout bounds each entry they compute, not the whole command (they run until done)
TIMEOUT_PER_ENTRY = ("census", "table")


def main(argv=None, capture: dict | None = None, supervised: bool = False) -> int:
    """The command line: parse ``argv`` (default: the process's), run the command, print its answer; the exit
    code.  With ``capture``, the answer's text and JSON go into it instead of being printed.  ``supervised``
    runs the command in a child process under its ``--timeout`` and ``--memory`` (see :mod:`cli.limits`)."""
    from automata_rnn.present import text

    text.RICH_TABLES = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    parser = _parser()
    args = None
    try:
        args = parser.parse_args(argv)
        args.capture = capture
        if args.command is None:
            parser.print_help()
            return EXIT_BAD_INPUT
        if supervised and capture is None and limits.supported():
            return _supervised(list(sys.argv[1:] if argv is None else argv), args)
        for name in OUTPUT_FILES.get(args.command, ()):  # every output file checked before any work
            if getattr(args, name, None):
                writable_path(getattr(args, name))
        return COMMANDS[args.command](args)
    except BadInput as e:
        print(f"automata-rnn: error: {one_line(e)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except NoAnswer as e:
        emit(args, f"UNKNOWN: {one_line(e)}", {"verdict": Verdict.UNKNOWN, "reason": str(e)})
        return EXIT_UNKNOWN
    except InternalCheckFailed as e:
        print(f"automata-rnn: internal check failed, no answer given: {one_line(e)}", file=sys.stderr)
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        print("automata-rnn: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader (e.g. `head`) closed the pipe: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except MemoryError:
        emit(args, "UNKNOWN: the memory limit was reached", {"verdict": Verdict.UNKNOWN,
                                                             "reason": "the memory limit was reached"})
        return EXIT_UNKNOWN
    except OSError as e:
        # a file the user named cannot be read or written
        where = f" {e.filename!r}" if getattr(e, "filename", None) else ""
        print(f"automata-rnn: error: cannot use{where}: {one_line(e.strerror or e)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as e:  # noqa: BLE001 -- anything else is a bug, reported as one, never as the user's error
        print(f"automata-rnn: internal error, no answer given (a bug: please report it): "
              f"{type(e).__name__}: {one_line(e)}", file=sys.stderr)
        return EXIT_INTERNAL


def _supervised(argv: list[str], args) -> int:
    """Run the command in a child under its limits; print what it answered, or why it was ended."""
    def child():
        capture: dict = {}
        code = main(argv, capture=capture)
        return code, (capture or None)

    memory = args.memory if args.memory is not None else limits.default_memory()
    seconds = None if args.command in TIMEOUT_PER_ENTRY else getattr(args, "timeout", None)
    outcome = limits.supervise(child, seconds, memory)
    if outcome.answer is not None:
        emit(args, outcome.answer["text"], outcome.answer["json"])
    elif outcome.limit and outcome.code == EXIT_UNKNOWN:
        emit(args, f"UNKNOWN: {outcome.limit}", {"verdict": Verdict.UNKNOWN, "reason": outcome.limit})
    elif outcome.limit:
        print(f"automata-rnn: internal error, no answer given: {outcome.limit}", file=sys.stderr)
    return outcome.code


def run_command(argv: Sequence[str]) -> tuple[int, str, object]:
    """Run one command line in-process, once: (exit code, its answer as text, its answer as JSON)."""
    capture: dict = {}
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(list(argv), capture=capture)
    if "text" not in capture:
        raise RuntimeError(f"automata-rnn {' '.join(argv)} gave no answer (exit code {code})")
    return code, capture["text"], capture["json"]
