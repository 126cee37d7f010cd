"""Rendering answers for a person: text, LaTeX, and JSON-ready objects."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from automata_rnn.arithmetic.exact import Affine, format_rational, format_value
from automata_rnn.interop.files import json_number
from automata_rnn.interop.weights import weights_json
from automata_rnn.model.activation import get_activation
from automata_rnn.model.problem import Problem
from automata_rnn.model.semantics import parse_signs
from automata_rnn.present.text import clause_text, code_text, literal_parts, literal_text, table, weights_text
from automata_rnn.questions.cases import Answer
from automata_rnn.questions.conditions import Alternative, Conditions, Judgement
from automata_rnn.questions.solve import CheckResult
from automata_rnn.verdicts import Verdict

if TYPE_CHECKING:  # verify needs NumPy and mpmath, which reports need only for that command
    from automata_rnn.questions.verify import Verification


def network_line(p: Problem) -> str:
    """The automaton, cell, size and read-out (with its output rule) of a problem."""
    units = f"{p.units} unit" + ("s" if p.units > 1 else "")
    top = "top layer's " if len(p.layers) > 1 else ""
    out = (f"{top}[h_0 > {format_rational(p.rule.threshold)}], rule {p.rule.name}" if p.output == "state"
           else "threshold read-out" + (" of the top layer" if top else ""))
    if len(p.layers) > 1:
        return (f"{p.automaton.name} on {len(p.layers)} stacked {p.cell.name} layers "
                f"({', '.join(map(str, p.layers))} units, output = {out})")
    return f"{p.automaton.name} on a {p.cell.name} cell ({units}, output = {out})"


def problem_line(p: Problem) -> str:
    s = f"{network_line(p)}, {p.semantics.describe()}"
    if p.fixed:
        s += "\n  fixed: " + weights_text(p.fixed, p.parameter_names())
    if p.bound is not None:
        s += f"\n  every free weight in [-{format_rational(p.bound)}, {format_rational(p.bound)}]"
    return s


def word_text(word) -> str:
    return '"' + "".join(word) + '"' if word else "the empty input"


def _fact_text(item: dict, order) -> str:
    e = Affine.from_json(item["expr"])
    lam = Fraction(item["multiplier"])
    factor = "" if lam == 1 else f"{format_rational(lam)}*"
    const = "" if not e.const else (" + " if e.const > 0 else " - ") + format_rational(abs(e.const))
    return f"{factor}({e.terms_text(order)}{const})"


def tree_lines(node: dict, order: list[str], indent: str = "  ") -> list[str]:
    """A case-split certificate as indented text: one line per case."""
    if "split" in node:
        e = Affine.from_json(node["split"])
        lines = []
        for b in node["branches"]:
            head = f"{indent}case {literal_text(e, parse_signs(b['signs']), order)}:"
            sub = tree_lines(b["node"], order, indent + "  ")
            if len(sub) == 1 and not sub[0].strip().startswith("case"):
                lines.append(f"{head} {sub[0].strip()}")
            else:
                lines += [head] + sub
        return lines
    if "word" in node:
        word = node["word"]
        return [f"{indent}fails on " + (f"input {word_text(word)}" if word else "the empty input")]
    if "farkas" in node:
        items = node["farkas"]
        total = sum((Affine.from_json(i["expr"]) * Fraction(i["multiplier"]) for i in items), Affine())
        strict = any(i["rel"] == ">" and Fraction(i["multiplier"]) > 0 for i in items)
        rel = ">" if strict else ">="
        return [f"{indent}impossible: the facts make each term below {'>= 0, one > 0' if strict else '>= 0'}, "
                f"yet " + " + ".join(_fact_text(i, order) for i in items)
                + f" = {format_rational(total.const)}, so {format_rational(total.const)} {rel} 0"]
    if "counting" in node:
        words = node["counting"]["words"]
        shown = ", ".join('"' + "".join(w) + '"' for w in words[:8]) + (", ..." if len(words) > 8 else "")
        return [f"{indent}counting: the inputs {shown} reach {len(words)} states of the automaton that a suffix "
                f"tells apart pairwise, so a network needs {len(words)} different codes after them: more than "
                f"its units can hold under this semantics"]
    if "clause" in node:
        return [f"{indent}excluded by clause {node['clause'] + 1}"]
    if node.get("verified"):
        return [f"{indent}implements (exhaustive exact run)"]
    return [f"{indent}?"]


def answer_text(a: Answer) -> str:
    p = a.problem
    order = p.parameter_names()
    lines = [problem_line(p)]
    if a.verdict == "sat" and a.weights is not None:
        lines.append("YES: these exact weights implement it")
        lines.append("  " + weights_text(a.weights, order))
        lines.append(f"  checked: {a.checked}")
        if a.margin_achieved is not None:
            lines.append(f"  smallest |pre-activation| on reachable cases: {format_rational(a.margin_achieved)}")
    elif a.verdict == "unsat":
        if a.certificate is not None:
            lines.append("NO: no weights implement it. Certificate (case split over the weights):")
            lines += tree_lines(a.certificate["tree"], order)
            if a.certificate["tree"] == {"word": []} and p.output == "state":
                lines.append(f"  (the output on the empty input is read from h(0) = 0, and [0 > "
                             f"{format_rational(p.rule.threshold)}] = 0 whatever the weights, while "
                             f"{p.automaton.name} outputs 1 on the empty word)")
            lines.append(f"  independent checker: {a.checked}")
        else:
            lines.append(f"NO: no weights implement it ({a.checked})")
    else:
        lines.append(f"UNKNOWN: {a.reason}")
    return "\n".join(lines)


def answer_json(a: Answer) -> dict:
    order = a.problem.parameter_names()
    return {
        "problem": a.problem.to_json(),
        "verdict": a.verdict,
        "weights": None if a.weights is None else weights_json(a.weights, order),
        "certificate": a.certificate,
        "verified": a.verified,
        "checked": a.checked,
        "reason": a.reason or None,
        "margin_achieved": None if a.margin_achieved is None else json_number(a.margin_achieved),
    }


def trace_table(result: CheckResult) -> str:
    gates: list[str] = []
    for r in result.rows:
        for g, _ in r.gates:
            if g not in gates:
                gates.append(g)
    rows = []
    for r in result.rows:
        vals = dict(r.gates)
        rows.append([str(r.t), r.symbol or "-", str(r.expected), "ill" if r.got is None else str(r.got)]
                    + [str(vals[g]) if g in vals else "" for g in gates]
                    + ["" if r.code is None else code_text(r.code), "<-- wrong" if r.got != r.expected else r.note])
    return table(["t", "x", "expected", "got"] + gates + ["state", "note"], rows)


def check_text(p: Problem, weights: dict, result: CheckResult) -> str:
    lines = [problem_line(p), "  weights: " + weights_text(weights, p.parameter_names())]
    lines += ["  " + pump.describe() for pump in result.pumps]
    if result.implements:
        lines.append(f"IMPLEMENTS: every input agrees ({result.proof})")
    else:
        lines.append(f"DOES NOT IMPLEMENT: shortest failing input {word_text(result.word)} ({result.reason})")
        lines.append(trace_table(result))
    return "\n".join(lines)


def check_json(p: Problem, weights: dict, result: CheckResult) -> dict:
    ce = None
    if not result.implements and result.word is not None:
        ce = {"inputs": "".join(result.word), "reason": result.reason,
              "expected": [r.expected for r in result.rows],
              "got": [r.got for r in result.rows],
              "trace": [{"t": r.t, "x": r.symbol, "expected": r.expected, "got": r.got,
                         "gates": {g: v for g, v in r.gates}} for r in result.rows]}
    pumps = [{"prefix": "".join(pump.prefix), "loop": "".join(pump.loop), "change": list(pump.change),
              "parameter": pump.parameter, "cell_state": [str(v) for v in pump.cell_state],
              "gates": [{g: v for g, v in step} for step in pump.gates]} for pump in result.pumps]
    return {"verdict": result.verdict, "problem": p.to_json(), "weights": weights_json(weights, p.parameter_names()),
            "implements": result.implements, "proof": result.proof or None, "pumps": pumps, "counterexample": ce}


def table_text(c: Conditions) -> str:
    order = c.problem.parameter_names()
    rows = []
    for r in c.rows or []:
        alts: list[Alternative | None] = list(r.alternatives) or [None]
        for i, a in enumerate(alts):
            head = [format_rational(r.h), r.symbol, format_rational(r.required)] if i == 0 else ["", "", ""]
            if a is None:
                rows.append(head + ["(none)", "impossible"])
                continue
            gates = " ".join(f"{g}={v}" for g, v in a.gates)
            atoms = " and ".join(literal_text(e, s, order) for e, s in a.facts.items()) or "always"
            rows.append(head + [("or " if i else "") + gates, atoms])
    return table(["h(t-1)", "x(t)", "h(t) required", "gates", "imposes"], rows)


def conditions_text(c: Conditions) -> str:
    order = c.problem.parameter_names()
    lines = [problem_line(c.problem), "  free: " + (", ".join(c.problem.free_names()) or "none")]
    if c.rows is not None:
        lines += ["", "Derivation, one row per reachable (h(t-1), x(t)) case:", table_text(c)]
    lines.append("")
    if c.cnf == [[]]:
        lines.append("Exact condition: none exists (no weights implement it)")
    elif not c.cnf:
        lines.append("Exact condition: always (every choice of the free weights implements it)")
    else:
        lines.append(f"Exact condition (irredundant CNF, {len(c.cnf)} clause{'s' * (len(c.cnf) != 1)}, all must hold):")
        lines += [f"  {i + 1}. {clause_text(cl, order)}" for i, cl in enumerate(c.cnf)]
    if c.equivalent:
        lines.append(f"Equivalent to the specification: proved ({len(c.certificates)} certificates "
                     "accepted by the independent checker)")
    else:
        lines.append("Equivalent to the specification: NOT proved")
    return "\n".join(lines)


def cnf_strings(c: Conditions) -> list[list[str]]:
    order = c.problem.parameter_names()
    return [[literal_text(e, s, order) for e, s in cl] for cl in c.cnf]


def conditions_latex(c: Conditions) -> str:
    """The CNF as LaTeX, rendered with sympy."""
    import sympy

    order = c.problem.parameter_names()
    syms = {n: sympy.Symbol(n) for n in order}
    rels = {">": sympy.StrictGreaterThan, ">=": sympy.GreaterThan, "<": sympy.StrictLessThan,
            "<=": sympy.LessThan, "=": sympy.Eq, "!=": sympy.Ne}

    def lit(e, s):
        terms, rel, rhs = literal_parts(e, s, order)
        lhs = sum((sympy.Rational(v.numerator, v.denominator) * syms[n] for n, v in terms.coeffs.items()),
                  sympy.Integer(0))
        return sympy.latex(rels[rel](lhs, sympy.Rational(rhs.numerator, rhs.denominator), evaluate=False))

    if c.cnf == [[]]:
        return r"\text{no weights exist}"
    if not c.cnf:
        return r"\text{true}"
    clauses = []
    for cl in c.cnf:
        parts = [lit(e, s) for e, s in cl]
        clauses.append(parts[0] if len(parts) == 1 else r"\left(" + r" \lor ".join(parts) + r"\right)")
    return r" \land ".join(clauses)


def conditions_json(c: Conditions) -> dict:
    order = c.problem.parameter_names()
    out = {"problem": c.problem.to_json(), "cnf": cnf_strings(c), "equivalent": c.equivalent,
           "certificates": c.certificates}
    if c.rows is not None:
        out["table"] = [{"h_prev": json_number(r.h), "x": r.symbol, "h_required": json_number(r.required),
                         "alternatives": [{"gates": {g: v for g, v in a.gates},
                                           "atoms": [literal_text(e, s, order) for e, s in a.facts.items()]}
                                          for a in r.alternatives]} for r in c.rows]
    return out


def judgement_text(p: Problem, j: Judgement) -> str:
    order = p.parameter_names()
    lines = [f'Claimed condition: {j.claim}']
    if j.necessary or j.necessary_witness is None:
        lines.append("  necessary: YES (every implementing choice satisfies it; certificates accepted)")
    else:
        lines.append("  necessary: NO. These weights implement the automaton yet violate the claim:")
        lines.append("    " + weights_text(j.necessary_witness, order))
    if j.sufficient or j.sufficient_witness is None:
        lines.append("  sufficient: YES (every choice satisfying it implements; certificate accepted)")
    else:
        lines.append(f"  sufficient: NO. These weights satisfy the claim yet fail on {word_text(j.failing_word)}:")
        lines.append("    " + weights_text(j.sufficient_witness, order))
    return "\n".join(lines)


def judgement_json(p: Problem, j: Judgement) -> dict:
    order = p.parameter_names()
    return {"claim": j.claim, "necessary": j.necessary, "sufficient": j.sufficient,
            "necessary_witness": None if j.necessary_witness is None else weights_json(j.necessary_witness, order),
            "sufficient_witness": None if j.sufficient_witness is None else weights_json(j.sufficient_witness, order),
            "sufficient_witness_fails_on": None if j.failing_word is None else "".join(j.failing_word),
            "claim_certificates": j.certificates}


def minimal_text(m) -> str:
    p = m.problem
    depth = len(p.layers)
    layers = f", {depth} stacked layers" if depth > 1 else ""

    def size(n: int) -> str:
        return f"{n} unit{'s' * (n > 1)}" + (" per layer" if depth > 1 else "")

    lines = [f"{p.automaton.name} ({len(p.automaton.states)} states) on {p.cell.name} cells{layers}, "
             f"output = {'state' if p.output == 'state' else 'threshold read-out'}, {p.semantics.describe()}"]
    for s in m.sizes:
        lines.append(f"  {size(s.units)}: {s.verdict}" + (f" ({s.reason})" if s.reason else ""))
    if m.minimal is not None and m.weights is not None:
        lines.append(f"MINIMAL: {size(m.minimal)}; weights re-verified by exhaustive exact simulation:")
        lines.append("  " + weights_text(m.weights, p.parameter_names()))
        if m.minimal == 1:
            lines.append("  fewer: none possible (one unit is the least)")
        elif m.lower_bound is not None:
            e = m.lower_bound
            lines.append(f"  {size(m.minimal - 1)} excluded by {e.method}" + (f": {e.checked}" if e.checked else ""))
            lines.append("  (a unit can always be added and ignored, so every smaller size is excluded too)")
    else:
        lines.append(f"UNKNOWN: {m.reason}")
        if m.weights is not None:
            lines.append("  verified weights: " + weights_text(m.weights, p.parameter_names()))
    return "\n".join(lines)


def table_markdown(rows: list[dict], cells: list[str]) -> str:
    """The minimal-units table: one row per automaton, one column per cell; each unknown entry numbered, with
    its reason below the table."""
    by = {(r["automaton"], r["cell"]): r for r in rows}
    notes: list[str] = []
    names = list(dict.fromkeys(r["automaton"] for r in rows))
    head = "| automaton | states | " + " | ".join(cells) + " |"
    lines = [head, "|" + "---|" * (2 + len(cells))]
    for n in names:
        states = len(next(r for r in rows if r["automaton"] == n)["problem"]["automaton"]["states"])
        cellstr = []
        for c in cells:
            r = by[(n, c)]
            if r["minimal_hidden"] is None:
                notes.append(f"[{len(notes) + 1}] {n} on {c} cells: {r.get('reason') or 'no reason recorded'}")
                cellstr.append(f"unknown [{len(notes)}]")
            else:
                lb = r["lower_bound"]["method"]
                tag = "" if r["minimal_hidden"] == 1 else (" (cert.)" if lb == "certificate" else " (2 solvers)")
                cellstr.append(f"{r['minimal_hidden']}{tag}")
        lines.append(f"| {n} | {states} | " + " | ".join(cellstr) + " |")
    if notes:
        lines += ["", "Unknown entries:", ""] + [f"* {note}" for note in notes]
    return "\n".join(lines)


def all_sizes_text(p: Problem, cert: dict | None) -> str:
    a = p.automaton.name
    if cert is None:
        return (f"{a}, Elman threshold RNNs of any size whose output is their unit 0, {p.semantics.describe()}\n"
                f"UNKNOWN for all sizes at once: {ALL_SIZES_UNKNOWN}.")
    lines = [f"{a}, Elman threshold RNNs of any size whose output is their unit 0, {p.semantics.describe()}",
             f"NO network of ANY size implements {a}."]
    if "farkas" in cert["tree"]:
        lines.append("  Relaxation: unit 0's pre-activation after input x from automaton state q is x U_h + c[q], "
                     "where c[q] absorbs its bias, its self-weight times its (known) output and the other units' "
                     "contribution. Even with c[q] free the required signs are contradictory:")
        lines += tree_lines(cert["tree"], ["U_h"])
    lines.append("  independent checker: accepted")
    return "\n".join(lines)


ALL_SIZES_UNKNOWN = ("the relaxation (other units' contribution free per automaton state) is satisfiable, so it "
                     "excludes nothing; ask `solve --units N` or `minimize` per size")


def all_sizes_json(p: Problem, cert: dict | None) -> dict:
    out = {"problem": p.to_json(), "all_sizes": cert is not None,
           "verdict": Verdict.UNSAT if cert is not None else Verdict.UNKNOWN, "certificate": cert}
    if cert is None:
        out["reason"] = ALL_SIZES_UNKNOWN
    return out


def gain_text(p: Problem, r, header: bool = True) -> str:
    lines = [problem_line(p)] if header else []
    lines.append(f"  real network: activation {get_activation(r.activation).summary}")
    if r.certified and r.saturated_gates is not None:
        stays = ("its state is exactly the threshold network's code at every step" if r.epsilon == 0 else
                 f"the real network stays within eps = {format_rational(r.epsilon)} of its codes")
        lines.append(f"CERTIFIED at gain 1, the network as it is: every reachable pre-activation is at least "
                     f"{format_rational(r.saturated_gates)} from 0, where the hard sigmoid is exactly 0 or 1, so "
                     f"every gate equals the threshold network's; {stays}, on every input of every length, "
                     "and so it gives the automaton's output")
        lines.append(f"  {len(r.codes)} codes, {r.transitions} transitions; "
                     + ("every reachable pre-activation checked by the exhaustive exact run" if r.epsilon == 0 else
                        "checked with outward-rounded interval arithmetic"))
    elif r.certified:
        lines.append(f"CERTIFIED: with every weight multiplied by gain k = {format_rational(r.gain)} "
                     f"(about {float(r.gain):.4g}), the real network stays within eps = {format_rational(r.epsilon)} "
                     "of the threshold network's code in every unit, on every input of every length, and so "
                     "gives the automaton's output")
        lines.append(f"  {len(r.codes)} codes, {r.transitions} transitions checked with outward-rounded interval "
                     f"arithmetic; smallest |pre-activation| of the threshold weights: {format_rational(r.margin)}")
        lines += bracket_lines(r.gain, r.below)
    else:
        lines.append(f"NOT CERTIFIED: {r.reason}")
        if r.below is not None and r.below.fails_at == 1:
            lines.append(f"  the real network with these weights (gain 1) fails on {word_text(r.below.word)}: every "
                         "output along it decided by outward-rounded intervals")
        elif r.threshold_fails_on is not None:
            lines.append("  no failing input of the real network itself was found (every input up to length 10 "
                         "and 16 random inputs of length 200, in float64)")
    return "\n".join(lines)


def bracket_lines(certified, b) -> list[str]:
    """What is known of the least safe gain below the certified one (a :class:`GainBracket`, or None)."""
    if b is None:
        return []
    if b.every_gain:
        return ["  every gain: the real network is right at every k > 0, proved: on the half-box of each code (every "
                "unit on its code's side of 1/2) every pre-activation keeps the sign it has at the code, so at any "
                "gain the real state stays on the threshold network's side of 1/2"]
    high = b.proved_at if b.proved_at is not None else certified
    lines = []
    if b.proved_at is not None:
        lines.append(f"  from above: proved right at gain {format_rational(b.proved_at)} "
                     f"(about {float(b.proved_at):.4g}) by {b.proved_by or 'inductive intervals per automaton state'}, "
                     "on every input of every length")
    if b.fails_at is not None:
        lines.append(f"  from below: at gain {format_rational(b.fails_at)} (about {float(b.fails_at):.4g}) the "
                     f"real network fails on {word_text(b.word)} (its wrong output decided by outward-rounded "
                     f"intervals), so the least safe gain lies in ({float(b.fails_at):.4g}, {float(high):.4g}]")
    else:
        lines.append(f"  from below: no failing input found at gains down to {float(b.searched_down_to):.4g} "
                     "(every input up to length 10, 16 random inputs of length 200 and the pumped inputs u v^k w of "
                     "about 400 symbols at each gain)")
    if b.open_at is not None:
        lines.append(f"  at gain {float(b.open_at):.4g} (inside the bracket) neither a proof nor a failing input was "
                     "found: the gaps on each side of it were narrowed")
    if b.checked:
        lines.append(f"  {b.checked} gain(s) tried to narrow the bracket; correctness need not be monotone in the "
                     "gain, so each proof and each failure holds at the gain it names")
    return lines


def gain_json(p: Problem, r) -> dict:
    return {"problem": p.to_json(), "verdict": r.verdict, "certified": r.certified, "activation": r.activation,
            "gain": None if r.gain is None else format_rational(r.gain),
            "epsilon": None if r.epsilon is None else format_rational(r.epsilon),
            "margin": None if r.margin is None else format_rational(r.margin),
            "codes": [[[format_value(v) for v in part] for part in c] for c in r.codes],
            "fails_at_gain": None if r.below is None or r.below.fails_at is None else format_rational(r.below.fails_at),
            "fails_on": None if r.below is None or r.below.word is None else "".join(r.below.word),
            "searched_down_to": None if r.below is None else format_rational(r.below.searched_down_to),
            "proved_at_gain": (None if r.below is None or r.below.proved_at is None
                               else format_rational(r.below.proved_at)),
            "every_gain": None if r.below is None else r.below.every_gain,
            "gains_checked": None if r.below is None else r.below.checked,
            "open_at_gain": None if r.below is None or r.below.open_at is None else format_rational(r.below.open_at),
            "proved_by": None if r.below is None or not r.below.proved_by else r.below.proved_by,
            "reason": r.reason or None}


def simulation_text(p: Problem, run) -> str:
    lines = [network_line(p), f"  activation {get_activation(run.activation).summary}, gain "
             f"{format_rational(run.gain)}, input {word_text(run.word)}"]
    names = list(run.gates)
    rows = []
    for t in range(len(run.outputs)):
        gates = [("" if t == 0 else " ".join(f"{x:.4g}" for x in run.gates[g][t - 1])) for g in names]
        h = " ".join(f"{x:.6g}" for x in run.hidden[t])
        got = "ill" if run.outputs[t] is None else str(run.outputs[t])
        rows.append([str(t), "-" if t == 0 else run.symbols[t - 1]] + gates
                    + [h, got, str(run.expected[t]), "" if run.outputs[t] == run.expected[t] else "<-- wrong"])
    lines.append(table(["t", "x"] + names + ["h", "output", "expected", "note"], rows))
    lines.append("AGREES with the automaton at every step" if run.agrees else "DISAGREES with the automaton")
    return "\n".join(lines)


def simulation_json(p: Problem, run) -> dict:
    return {"problem": p.to_json(), "input": run.word, "gain": format_rational(run.gain),
            "activation": run.activation, "outputs": run.outputs, "expected": run.expected, "agrees": run.agrees,
            "hidden": run.hidden.tolist(), "gates": {k: v.tolist() for k, v in run.gates.items()}}


def _real_network_conclusion(v: Verification) -> str:
    """The line that answers verify's question: proved, fails on an input, or UNKNOWN with the reason."""
    proof, failure = v.proof, v.failure
    if proof.proved:
        how = (f"{len(proof.boxes)} inductive boxes, outward-rounded intervals, {proof.rounds} rounds"
               if proof.sets == "boxes" else
               f"{len(proof.boxes) - 1} parallelotopes along the reachable states' principal axes and their "
               f"outward-rounded zonotope images over {proof.rounds} steps")
        return f"REAL NETWORK PROVED: on every input of every length it gives the automaton's output ({how})"
    if failure is None:
        return (f"UNKNOWN: the real network is not proved ({proof.reason}); no failing input found by the "
                "search")
    low, high = failure.enclosure
    where = f"its output's value lies in [{low:.6g}, {high:.6g}] (outward-rounded)"
    if not failure.certain:
        return (f"UNKNOWN: the real network is not proved ({proof.reason}); float64 fails on "
                f"{word_text(failure.word)} but {where}, which straddles 0: not certain")
    shorter = "" if failure.undecided is None else (
        f"; the output on the shorter {word_text(failure.undecided)} is within the rounding margin, "
        "so a shorter failing input is not excluded")
    return f"REAL NETWORK FAILS on {word_text(failure.word)}: {where}{shorter} (not proved: {proof.reason})"


def verify_text(v: Verification) -> str:
    p, weights, thresholded = v.problem, v.weights, v.thresholded
    extracted, differs, unfaithful = v.extracted, v.differs, v.unfaithful
    lines = [problem_line(p), "  weights: " + ", ".join(f"{n} = {float(weights[n]):.6g}" for n in p.parameter_names()),
             f"  real network: activation {get_activation(v.activation).summary}"]
    for sem, r in thresholded.items():
        lines.append(f"thresholded ({sem}): " + ("implements (exhaustive exact run)" if r.implements else
                     r.reason if r.word is None else f"fails on {word_text(r.word)} ({r.reason})"))
    if not v.count_empty:
        lines.append("  the output at time 0 (the empty word) is not part of the question")
    lines.append(_real_network_conclusion(v))
    if not v.proof.proved and v.proved_length is not None and v.proved_length > 0:
        lines.append(f"  proved for the inputs of length up to {v.proved_length}: each output decided right by "
                     "outward-rounded boxes")
    head = f"extracted automaton ({len(extracted.states)} states after minimisation)"
    if unfaithful is not None:
        head += (f", an approximation only: the real network's outputs differ from it on {word_text(unfaithful)}"
                 "; against the target it")
    lines.append(head + ": " + ("computes the same outputs as the target" if differs is None else
                                f"differs from the target, first on {word_text(differs)}"))
    return "\n".join(lines)


def verify_json(v: Verification) -> dict:
    p, thresholded, proof, failure = v.problem, v.thresholded, v.proof, v.failure
    extracted, differs, unfaithful = v.extracted, v.differs, v.unfaithful
    conclusion = _real_network_conclusion(v)
    return {"problem": p.to_json(), "verdict": v.verdict, "activation": v.activation,
            "reason": conclusion.removeprefix("UNKNOWN: ") if conclusion.startswith("UNKNOWN: ") else None,
            "thresholded": {sem: {"verdict": r.verdict, "implements": r.implements,
                                  "counterexample": None if r.word is None else "".join(r.word),
                                  "reason": r.reason or None} for sem, r in thresholded.items()},
            "count_empty": v.count_empty,
            "real": {"proved": proof.proved, "reason": proof.reason or None, "boxes": len(proof.boxes),
                     "sets": proof.sets, "proved_length": v.proved_length,
                     "failing_input": None if failure is None else "".join(failure.word),
                     "failure_certain": None if failure is None else failure.certain,
                     "failure_enclosure": None if failure is None else [repr(x) for x in failure.enclosure],
                     "shorter_undecided": None if failure is None or failure.undecided is None
                     else "".join(failure.undecided)},
            "extracted": {"automaton": extracted.to_json(), "equivalent": differs is None,
                          "distinguishing_input": None if differs is None else "".join(differs),
                          "faithful": unfaithful is None,
                          "network_differs_on": None if unfaithful is None else "".join(unfaithful)}}
