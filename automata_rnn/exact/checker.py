"""The independent checker: certificates re-checked with fractions alone.

Standard library only; it shares with the rest of the package just the exact
pieces it needs to re-derive every atom from the problem (the cell equations,
affine forms, the semantics and the exact run), and never a solver.

A certificate is a JSON object ``{"format", "claim", "problem", ..., "tree"}``.
The tree is a case split over the weights: an inner node
``{"split": E, "branches": [{"signs": S, "node": ...}, ...]}`` divides what is
known of the affine form ``E`` into sign sets that must partition it exactly.
Leaves:

* ``{"word": [...]}``: under the facts on the path, the exact run on this
  input fails (a wrong output or an ill-defined gate); every gate it meets must
  be decided by those facts;
* ``{"farkas": [{"expr", "rel", "multiplier"}, ...]}``: non-negative
  multipliers of facts (``E > 0`` or ``E >= 0``, each available on the path,
  among the hypotheses, or from the weight bound) whose sum has no parameter
  left and is a constant ``c < 0``, or ``c = 0`` with a strict fact used;
* ``{"clause": i}`` (claim ``implements-region``): the facts falsify every
  literal of hypothesis clause ``i``;
* ``{"verified": true}`` (claim ``implements-region``): the exhaustive exact
  run under the facts meets only decided gates and agrees everywhere (for an
  LSTM under the indicator semantics it visits one code per class of h and the
  sign of c, an exact abstraction argued in :func:`exact.run.code_class`);
* ``{"counting": {"words": [w_1, ...], "separators": [[i, j, s], ...]}}`` (claim
  ``refutes``, any weights): for every pair i < j the automaton's output after
  ``w_i s`` differs from its output after ``w_j s``, so a network that
  implements it must reach k different codes after the k words (the output and
  every later code are functions of the code); but each unit's code takes only
  the values the cell's semantics allows (:meth:`Cell.code_values`), so n units
  have at most ``values ** n`` codes, fewer than k;
* ``{"labelling": {"symmetry_words", "directions", "lemmas", "proof" or "hinted"}}`` (claim ``refutes``,
  no hypotheses; an Elman cell or a GRU (any of its three conventions), with a
  threshold read-out under the indicator semantics, one layer, no margin, fixed
  weights or bound): the clauses that every such network satisfies
  (:mod:`automata_rnn.exact.labelling`, :mod:`automata_rnn.exact.gru_labelling`,
  built here from the problem's minimal automaton), with the symmetry clauses of
  the words, the direction clauses when ``directions`` is true (optional, false
  by default) and one clause per unit and threshold family (or for the read-out)
  of each lemma, in that order, are refuted by
  the DRAT proof or the hinted steps (:mod:`automata_rnn.exact.clauses`:
  ``check_refutation``, ``check_hinted``); each lemma's multipliers are
  checked to balance its points, so that no threshold unit gives its bits.

Claims: ``refutes`` (no weights satisfying ``hypotheses`` implement the
automaton) and ``implements-region`` (all weights satisfying every clause of
``clauses`` do).
"""

from __future__ import annotations

from automata_rnn.arithmetic.exact import Affine, parse_rational
from automata_rnn.exact.clauses import check_hinted, check_refutation
from automata_rnn.exact.gru_labelling import LABELLINGS
from automata_rnn.exact.labelling import Invalid, check_lemma
from automata_rnn.exact.run import (
    Failure,
    IllDefined,
    Implements,
    TooLarge,
    Undecided,
    explore,
    initial_code,
    path_signs,
    read_output,
    step,
)
from automata_rnn.model.automata import minimize
from automata_rnn.model.problem import Problem, encode_symbol
from automata_rnn.model.semantics import ALL, constraints_of, parse_signs

FORMAT = "automata-rnn-certificate/1"
CLAIMS = ("refutes", "implements-region", "refutes-all-sizes")


def relaxation_facts(problem: Problem) -> dict:
    """The all-sizes relaxation of an Elman RNN whose output is its own unit 0.

    Unit 0's pre-activation after input ``a`` from automaton state ``q`` is
    ``x(a) U_0 + h_0 W_00 + b_0 + (the other units' contribution)``; with
    ``h_0`` fixed by ``q`` (it is the output) everything but ``x(a) U_0`` is
    some real ``c[q]`` (take the contribution along any one history reaching
    ``q``).  Any network of any size that implements the automaton therefore
    gives a point where, for every reachable ``q`` and symbol ``a``,
    ``x(a) U_0 + c[q]`` has the sign that the output of ``delta(q, a)`` needs.
    These are those facts, over the variables ``U_h`` (or ``U_h[i,0]``) and ``c[q]``.
    """
    from automata_rnn.model.problem import encode_symbol
    from automata_rnn.model.semantics import NEG, POS, ZERO

    all_sizes_scope(problem)
    a = problem.automaton
    inputs = problem.inputs
    u_names = ["U_h"] if inputs == 1 else [f"U_h[{i},0]" for i in range(inputs)]
    off = NEG | ZERO if problem.semantics.name == "indicator" else NEG
    facts: dict = {}
    for q in a.reachable():
        for sym in a.alphabet:
            x = encode_symbol(a, sym)
            e = Affine({f"c[{q}]": 1}) + Affine({n: xi for n, xi in zip(u_names, x)})
            want = POS if a.output[a.step(q, sym)] == 1 else off
            facts[e] = facts.get(e, ALL) & want
    return facts


class Rejected(Exception):
    """The certificate does not prove its claim; the message says where it fails."""


def all_sizes_scope(problem: Problem) -> None:
    """Rejected unless the all-sizes argument covers the problem: an Elman cell whose output is its unit 0,
    no margin, no fixed weights and no weight bound (the claim speaks of every network, of every size)."""
    if not problem.cell.state_is_gate or problem.output != "state" or problem.semantics.margin:
        raise Rejected("the all-sizes relaxation is for Elman cells whose output is a unit, without margin")
    if len(problem.layers) != 1:
        raise Rejected("the all-sizes relaxation is for one layer, not a stack")
    if problem.fixed or problem.bound is not None:
        raise Rejected("an all-sizes claim speaks of every network: no fixed weights and no weight bound")


def _literal(obj) -> tuple[Affine, frozenset]:
    if not isinstance(obj, dict) or "expr" not in obj or "signs" not in obj:
        raise Rejected("a literal is {expr, signs}")
    return Affine.from_json(obj["expr"]), parse_signs(obj["signs"])


def _bound_facts(problem: Problem) -> list[tuple[Affine, str]]:
    if problem.bound is None:
        return []
    out = []
    for n in problem.free_names():
        out += [(Affine(None, problem.bound) - Affine.var(n), ">="), (Affine.var(n) + problem.bound, ">=")]
    return out


def _available(facts: dict, problem: Problem) -> list[tuple[Affine, str]]:
    out = _bound_facts(problem)
    for e, s in facts.items():
        out += constraints_of(e, s)
    return out


def _check_farkas(items, facts: dict, problem: Problem) -> None:
    if not isinstance(items, list) or not items:
        raise Rejected("a Farkas leaf lists its multiplied facts")
    available = _available(facts, problem)
    total = Affine()
    strict = False
    for it in items:
        if not isinstance(it, dict):
            raise Rejected("a Farkas item is {expr, rel, multiplier}")
        e, rel, lam = Affine.from_json(it.get("expr")), it.get("rel"), parse_rational(it.get("multiplier"))
        if lam < 0:
            raise Rejected(f"negative multiplier {lam} on {e} {rel} 0")
        if (e, rel) not in available:
            raise Rejected(f"fact {e} {rel} 0 is not available on this path")
        total = total + e * lam
        strict = strict or (rel == ">" and lam > 0)
    if not total.is_constant:
        raise Rejected(f"Farkas combination leaves parameters: {total}")
    if not (total.const < 0 or (total.const == 0 and strict)):
        raise Rejected(f"Farkas combination gives {total.const} {'>' if strict else '>='} 0, no contradiction")


def run_word(problem: Problem, signs, word) -> bool:
    """True if the exact run on ``word`` fails under the facts; Rejected if a gate is left open."""
    a = problem.automaton
    params = problem.parameters()
    code, q = initial_code(problem), a.start
    try:
        bit, _ = read_output(problem, params, code, signs)
        if bit != a.output[q]:
            return True
        for sym in word:
            if sym not in a.alphabet:
                raise Rejected(f"symbol {sym!r} is not in the alphabet")
            code, _ = step(problem, params, code, sym, signs)
            q = a.step(q, sym)
            bit, _ = read_output(problem, params, code, signs)
            if bit != a.output[q]:
                return True
    except IllDefined:
        return True
    except Undecided as u:
        raise Rejected(f"word {''.join(word)!r}: gate {u.gate} is not decided on this path") from None
    return False


def _check_counting(node, problem: Problem) -> None:
    """Rejected unless the words are more than the codes the network has and pairwise separated."""
    classes = problem.cell.classes_per_unit(problem.semantics.name)
    if classes is None:
        raise Rejected(f"the {problem.cell.name} cell's codes are not finitely many: nothing to count")
    if not isinstance(node, dict) or not isinstance(node.get("words"), list) \
            or not isinstance(node.get("separators"), list):
        raise Rejected("a counting leaf is {words, separators}")
    a = problem.automaton
    words = []
    for w in node["words"]:
        if not isinstance(w, list) or any(s not in a.alphabet for s in w):
            raise Rejected("a counting word is a list of symbols of the alphabet")
        words.append(tuple(w))
    codes = classes ** problem.units
    if len(words) <= codes:
        raise Rejected(f"{len(words)} words are not more than the {codes} codes of {problem.units} unit(s)")
    separated = set()
    for item in node["separators"]:
        if not isinstance(item, list) or len(item) != 3 or not isinstance(item[2], list):
            raise Rejected("a separator is [i, j, suffix]")
        i, j, suffix = item
        if not (isinstance(i, int) and isinstance(j, int) and 0 <= i < j < len(words)):
            raise Rejected(f"separator indices {i!r}, {j!r} do not name two words in order")
        if any(s not in a.alphabet for s in suffix):
            raise Rejected("a separator's suffix is a list of symbols of the alphabet")
        if a.outputs(words[i] + tuple(suffix))[-1] == a.outputs(words[j] + tuple(suffix))[-1]:
            raise Rejected(f"words {i} and {j} give the same output after suffix {''.join(suffix)!r}")
        separated.add((i, j))
    if len(separated) != len(words) * (len(words) - 1) // 2:
        raise Rejected("not every pair of words is separated")


def _check_labelling(node, problem: Problem, facts: dict) -> str:
    """Rejected unless the lemmas are Farkas certificates and the proof refutes the labelling clauses of
    :mod:`automata_rnn.exact.labelling` (built here from the problem) with the lemmas' clauses."""
    if facts:
        raise Rejected("a labelling refutation speaks of every weight: no facts or hypotheses")
    kind = LABELLINGS.get(problem.cell.name)
    if (kind is None or len(problem.layers) != 1 or problem.output != "readout"
            or problem.semantics.name != "indicator" or problem.semantics.margin
            or problem.fixed or problem.bound is not None):
        raise Rejected("a labelling refutation is for one layer of Elman or GRU units under the indicator "
                       "semantics with a threshold read-out, no margin, no fixed weights and no weight bound")
    if not (isinstance(node, dict) and all(isinstance(node.get(k), list) for k in ("symmetry_words", "lemmas"))
            and len([k for k in ("proof", "hinted") if isinstance(node.get(k), list)]) == 1
            and isinstance(node.get("directions", False), bool)):
        raise Rejected("a labelling leaf is {symmetry_words, lemmas, proof} or {symmetry_words, lemmas, hinted}, "
                       "and directions true or false if given")
    a = minimize(problem.automaton)
    try:
        lab = kind(a, problem.units, {s: encode_symbol(a, s) for s in a.alphabet})
        words = node["symmetry_words"]
        if not all(isinstance(w, list) and all(isinstance(s, str) for s in w) for w in words):
            raise Invalid("a symmetry word is a list of symbols")
        directions = node.get("directions", False)
        inputs = lab.base() + lab.symmetry(words) + (lab.directions() if directions else [])
        for k, lemma in enumerate(node["lemmas"]):
            try:
                points = _lemma_points(lemma)
                check_lemma(lab, points)
            except Invalid as err:
                raise Invalid(f"lemma {k}: {err}") from None
            inputs += lab.lemma_clauses(points)
        if "hinted" in node:
            added = check_hinted(inputs, node["hinted"])
        else:
            added = check_refutation(inputs, node["proof"])
    except Invalid as err:
        raise Rejected(str(err)) from None
    return f"{'direction clauses, ' if directions else ''}{len(node['lemmas'])} Farkas lemmas, {added} proof clauses"


def _lemma_points(lemma) -> list:
    if not isinstance(lemma, dict) or not isinstance(lemma.get("points"), list):
        raise Invalid("a lemma is {points}")
    points = []
    for p in lemma["points"]:
        if not (isinstance(p, list) and len(p) == 4 and (p[0] is None or isinstance(p[0], int))
                and not isinstance(p[0], bool)
                and (p[1] is None or isinstance(p[1], str)) and isinstance(p[2], int)):
            raise Invalid("a lemma point is [code, symbol or null, bit, multiplier]")
        points.append((p[0], p[1], p[2], parse_rational(p[3])))
    return points


def _walk(node, facts: dict, problem: Problem, claim: str, clauses, counts: dict) -> None:
    if not isinstance(node, dict):
        raise Rejected("a tree node is an object")
    counts["nodes"] = counts.get("nodes", 0) + 1
    signs = path_signs(facts)
    if "split" in node:
        e = Affine.from_json(node["split"])
        if e.is_constant:
            raise Rejected("a split on a constant")
        branches = node.get("branches")
        if not isinstance(branches, list) or len(branches) < 2:
            raise Rejected(f"split on {e}: needs at least two branches")
        known = signs(e)
        if not all(isinstance(b, dict) for b in branches):
            raise Rejected("a branch is {signs, node}")
        parts = [parse_signs(b.get("signs", "")) for b in branches]
        union: frozenset = frozenset()
        for p in parts:
            if p & union:
                raise Rejected(f"split on {e}: branches overlap")
            union |= p
        if union != known:
            raise Rejected(f"split on {e}: branches cover {''.join(sorted(union))}, not {''.join(sorted(known))}")
        for p, b in zip(parts, branches):
            _walk(b.get("node"), {**facts, e: p}, problem, claim, clauses, counts)
        return
    if "farkas" in node:
        _check_farkas(node["farkas"], facts, problem)
        return
    if "counting" in node:
        if claim != "refutes":
            raise Rejected(f"a counting argument proves nothing for claim {claim!r}")
        _check_counting(node["counting"], problem)
        return
    if "labelling" in node:
        if claim != "refutes":
            raise Rejected(f"a labelling refutation proves nothing for claim {claim!r}")
        counts["labelling"] = _check_labelling(node["labelling"], problem, facts)
        return
    if "word" in node:
        word = node["word"]
        if not isinstance(word, list):
            raise Rejected("a word leaf holds a list of symbols")
        if not run_word(problem, signs, [str(s) for s in word]):
            raise Rejected(f"word {''.join(map(str, word))!r} does not fail on this path")
        if claim != "refutes":
            raise Rejected(f"a failing word proves nothing for claim {claim!r}")
        return
    if "clause" in node and claim == "implements-region":
        i = node["clause"]
        if not isinstance(i, int) or not 0 <= i < len(clauses):
            raise Rejected(f"no hypothesis clause {i!r}")
        for e, s in clauses[i]:
            if signs(e) & s:
                raise Rejected(f"clause {i}: literal on {e} is not falsified on this path")
        return
    if node.get("verified") is True and claim == "implements-region":
        try:
            result = explore(problem, signs)
        except TooLarge as err:
            raise Rejected(str(err)) from None
        if not isinstance(result, Implements):
            what = "fails" if isinstance(result, Failure) else "meets an undecided gate"
            raise Rejected(f"exhaustive run {what} on word {''.join(result.word)!r}")
        return
    raise Rejected(f"unknown or misplaced tree node with keys {sorted(node)}")


def check(cert) -> tuple[bool, str]:
    """Check a certificate; returns (accepted, reason). Never raises on malformed input."""
    try:
        if not isinstance(cert, dict) or cert.get("format") != FORMAT:
            raise Rejected(f"not a certificate of format {FORMAT}")
        claim = cert.get("claim")
        if claim not in CLAIMS:
            raise Rejected(f"unknown claim {claim!r}")
        problem = Problem.from_json(cert.get("problem"))
        if problem.irrational_state and problem.free_names():
            raise Rejected("no certificate speaks of free weights of a saturated LSTM: its hidden state "
                           "o tanh(c) is irrational, so its atoms are not linear in the weights")
        facts: dict = {}
        clauses: list = []
        tree = cert.get("tree")
        if tree is None or tree == {} or tree == []:
            raise Rejected("the certificate has no tree: every claim needs one")
        if not isinstance(tree, dict):
            raise Rejected("a tree node is an object")
        if claim == "refutes-all-sizes":
            all_sizes_scope(problem)
            if tree == {"word": []}:
                if problem.automaton.output[problem.automaton.start] != 1:
                    raise Rejected("the empty input must give 0, and h(0) = 0 does read as 0")
                return True, "accepted: the empty input must give 1, but h(0) = 0 reads as 0 at every size"
            if "farkas" not in tree or len(tree) != 1:
                raise Rejected("an all-sizes tree is the empty word or one Farkas leaf over the relaxation")
            facts = relaxation_facts(problem)
        elif claim == "refutes":
            for lit in cert.get("hypotheses", []):
                e, s = _literal(lit)
                facts[e] = facts.get(e, ALL) & s
        else:
            raw = cert.get("clauses")
            if not isinstance(raw, list):
                raise Rejected("an implements-region claim lists its clauses")
            clauses = [[_literal(lit) for lit in c] for c in raw]
        counts: dict = {}
        _walk(tree, facts, problem, claim, clauses, counts)
        extra = f"; {counts['labelling']}" if "labelling" in counts else ""
        return True, f"accepted ({counts['nodes']} nodes checked{extra})"
    except Rejected as r:
        return False, str(r)
    except (ValueError, TypeError, KeyError, ZeroDivisionError, RecursionError) as err:
        return False, f"malformed certificate: {err}"


def _main(argv=None) -> int:
    """``python -m automata_rnn.exact.checker FILE...``: check certificate files (one certificate or a list, as
    ``automata-rnn audit`` reads them); exit 1 if any is rejected or unreadable."""
    import json
    import sys

    args = sys.argv[1:] if argv is None else argv
    bad = 0
    for path in args:
        try:
            with open(path, encoding="utf-8") as f:
                cert = json.load(f)
        except (OSError, ValueError) as err:
            print(f"{path}: cannot read: {err}")
            bad += 1
            continue
        named = [(f"{path}[{i}]", one) for i, one in enumerate(cert)] if isinstance(cert, list) else [(path, cert)]
        for name, one in named:
            ok, why = check(one)
            print(f"{name}: {'ACCEPTED' if ok else 'REJECTED'}: {why}")
            bad += not ok
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(_main())

