"""Checking a clause refutation over a set of input clauses: a DRAT proof by unit propagation, or hinted
steps (:func:`check_hinted`) by unit propagation over the clauses each step names.

A proof is a list of steps: take the next ``k`` input clauses into the database, add a clause, or delete
one.  Each added clause must be RUP (asserting the negation of its literals and propagating units over the
database gives a conflict) or, failing that, RAT on its first literal p (for every clause D of the database
that holds -p, the clause together with D minus -p is RUP or a tautology).  The proof refutes the inputs
when it adds the empty clause.  Deletions are read but not applied: checking against more clauses never
accepts a step that the smaller database would not justify as implied or as preserving satisfiability
(every clause kept is a consequence of, or was checked against, what came before).  Standard library only.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from automata_rnn.exact.labelling import Invalid


class Database:
    """Clauses under unit propagation with two watched literals, on top of the units they imply."""

    def __init__(self) -> None:
        self.clauses: list[list[int]] = []
        self.watch: dict[int, list[int]] = {}
        self.occurs: dict[int, list[int]] = {}
        self.value: dict[int, bool] = {}
        self.trail: list[int] = []
        self.head = 0
        self.refuted = False

    def truth(self, lit: int) -> bool | None:
        v = self.value.get(abs(lit))
        return None if v is None else v == (lit > 0)

    def _assign(self, lit: int) -> None:
        self.value[abs(lit)] = lit > 0
        self.trail.append(lit)

    def _propagate(self) -> bool:
        """Propagate the trail from ``head``; True on a conflict."""
        while self.head < len(self.trail):
            false = -self.trail[self.head]
            self.head += 1
            watching = self.watch.get(false, [])
            keep: list[int] = []
            for n, ci in enumerate(watching):
                c = self.clauses[ci]
                if c[0] == false:
                    c[0], c[1] = c[1], c[0]
                if self.truth(c[0]) is True:
                    keep.append(ci)
                    continue
                for k in range(2, len(c)):
                    if self.truth(c[k]) is not False:
                        c[1], c[k] = c[k], c[1]
                        self.watch.setdefault(c[1], []).append(ci)
                        break
                else:
                    keep.append(ci)
                    if self.truth(c[0]) is False:
                        keep.extend(watching[n + 1:])
                        self.watch[false] = keep
                        return True
                    self._assign(c[0])
            self.watch[false] = keep
        return False

    def add(self, clause: Iterable[int]) -> None:
        """Take a clause in (checked or input), propagating what it implies."""
        lits = list(dict.fromkeys(clause))
        if any(-lit in lits for lit in lits):
            return
        if not lits:
            self.refuted = True
            return
        ci = len(self.clauses)
        for lit in lits:
            self.occurs.setdefault(lit, []).append(ci)
        lits.sort(key=lambda lit: {True: 0, None: 1, False: 2}[self.truth(lit)])
        self.clauses.append(lits)
        if len(lits) == 1 or self.truth(lits[1]) is False:
            first = self.truth(lits[0])
            if first is False:
                self.refuted = True
            elif first is None:
                self._assign(lits[0])
                if self._propagate():
                    self.refuted = True
        if len(lits) > 1:
            self.watch.setdefault(lits[0], []).append(ci)
            self.watch.setdefault(lits[1], []).append(ci)

    def implies(self, clause: Sequence[int]) -> bool:
        """Whether unit propagation refutes the negation of ``clause`` (RUP)."""
        if self.refuted:
            return True
        mark = len(self.trail)
        try:
            for lit in clause:
                t = self.truth(lit)
                if t is True:
                    return True
                if t is None:
                    self._assign(-lit)
            return self._propagate()
        finally:
            for lit in self.trail[mark:]:
                del self.value[abs(lit)]
            del self.trail[mark:]
            self.head = mark

    def has_rat(self, clause: Sequence[int]) -> bool:
        """Whether ``clause`` is RAT on its first literal."""
        if not clause:
            return False
        p = clause[0]
        for ci in self.occurs.get(-p, []):
            resolvent = list(clause) + [lit for lit in self.clauses[ci] if lit != -p]
            if any(-lit in resolvent for lit in resolvent):
                continue
            if not self.implies(resolvent):
                return False
        return True


def check_refutation(inputs: Sequence[Sequence[int]], steps: Sequence) -> int:
    """Invalid unless ``steps`` refute ``inputs`` (see the module docstring); returns the clauses added.

    A step is ``{"inputs": k}``, ``{"delete": [lits]}`` or a list of literals (an added clause)."""
    db = Database()
    taken = added = 0
    for step in steps:
        if isinstance(step, dict) and set(step) == {"inputs"}:
            k = step["inputs"]
            if not isinstance(k, int) or k < 0 or taken + k > len(inputs):
                raise Invalid(f"the proof takes input clauses past the {len(inputs)} there are")
            for c in inputs[taken:taken + k]:
                db.add(c)
            taken += k
        elif isinstance(step, dict) and set(step) == {"delete"}:
            continue
        elif isinstance(step, list) and all(isinstance(lit, int) and lit for lit in step):
            if not (db.implies(step) or db.has_rat(step)):
                raise Invalid(f"proof step {added} ({step[:8]}{'...' if len(step) > 8 else ''}) "
                              "is neither RUP nor RAT")
            added += 1
            db.add(step)
            if not step:
                return added
        else:
            raise Invalid("a proof step is {inputs: k}, {delete: [literals]} or a list of nonzero literals")
    raise Invalid("the proof does not derive the empty clause")


def check_hinted(inputs: Sequence[Sequence[int]], steps: Sequence) -> int:
    """Invalid unless the hinted ``steps`` refute ``inputs``; returns the steps checked.

    A step is ``[clause, hints]``: clause ids (1-based; the inputs in order, then each step) of earlier
    clauses which, the clause's literals taken false, each become unit in turn (all literals false but one,
    which is then taken true) until the last has every literal false (LRAT's RUP steps, without
    deletions).  A hint that names no earlier clause, a clause already true or with two open literals, a
    hint after the conflict or no conflict at the end rejects the step.  The last step is the empty
    clause."""
    clauses: list[Sequence[int]] = list(inputs)
    for n, step in enumerate(steps):
        if not (type(step) is list and len(step) == 2 and type(step[0]) is list and type(step[1]) is list
                and all(type(x) is int for x in step[0]) and all(type(x) is int for x in step[1])
                and all(step[0])):  # type(...) is int: JSON's integers, not booleans
            raise Invalid("a hinted step is [clause, hints]: nonzero literals and clause ids")
        clause, hints = step
        if not _propagates_to_conflict(clauses, clause, hints):
            raise Invalid(f"hinted step {n} ({clause[:8]}{'...' if len(clause) > 8 else ''}) does not "
                          "follow from its hints by unit propagation")
        if not clause:
            if n != len(steps) - 1:
                raise Invalid("the empty clause is the last hinted step")
            return len(steps)
        clauses.append(clause)
    raise Invalid("the proof does not derive the empty clause")


def _propagates_to_conflict(clauses: Sequence[Sequence[int]], clause: Sequence[int], hints: Sequence[int]) -> bool:
    """Whether, ``clause`` taken false, each hint in turn is unit and the last is false (see check_hinted)."""
    true = {-lit for lit in clause}
    if any(-lit in true for lit in true):
        return True  # a tautology
    count = len(clauses)
    for k, h in enumerate(hints):
        if not 1 <= h <= count:
            return False
        unit = 0
        for lit in clauses[h - 1]:
            if lit in true:
                return False
            if -lit not in true and lit != unit:
                if unit:
                    return False
                unit = lit
        if not unit:
            return k == len(hints) - 1
        true.add(unit)
    return False
