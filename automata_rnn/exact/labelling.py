"""The labelling of codes with automaton states: clauses that every Elman threshold network satisfies.

The question is about an Elman cell of ``n`` units under the indicator semantics (each unit's next bit is
``[x U + h W + b > 0]``, the codes are {0,1}^n, h(0) = 0) with a threshold read-out (bit
``[h W_y + b_y > 0]``), one layer.  Such a network that implements a minimal automaton gives every Boolean
variable below a value that satisfies every clause below, so an unsatisfiable set of them proves that no
such network exists (the independent checker builds them itself from the problem: standard library only).
A code is written as an integer whose bit j is unit j's value.

Variables, and their value for a given network:

* ``X(c, q)``: code c is reached together with state q (a reached code carries one state: in a minimal
  automaton two states reached with one code would give the same outputs forever after);
* ``T(c, a, j)``: unit j's bit after symbol a from code c, for every code, reached or not;
* ``O(c)``: the read-out's bit at code c, for every code;
* ``H(k, j)``: unit j's bit after the k-th of the symmetry words, ``E(j, k)``: units j and j + 1 agree after
  the first k symmetry words (used only by the symmetry breaking).

Clauses of the network (:meth:`Labelling.base`): X(0, start); at most one state per code;
X(c, q) -> O(c) = output(q); X(c, q) and [T(c, a) = d] -> X(d, delta(q, a)).  When the automaton has as
many states as there are codes (|Q| = 2^n), also at most one code per state (:meth:`Labelling.counting`).
The count makes them true: the states of a minimal automaton are reached with pairwise different codes,
so 2^n states take every code, each state one code.  (That every code has a state is true as well, but
slows CaDiCaL down: 19-26 k conflicts instead of 11-17 k to refute 16 random states at 4 units.)

Lemmas (:meth:`Labelling.lemma_clauses`): a set of points (code, symbol) with bits and non-negative multipliers
such that the multiplied vectors (x(a), c, 1) of the points with bit 1 sum to those of the points with bit
0, the first sum's multipliers not all zero.  No threshold unit gives these bits (the weighted sum of the
pre-activations would be both > 0 and <= 0), so for every unit j some point has another bit: the clause
"some T(c, a, j) differs".  The read-out's lemmas are the same over points (code) and O(c).

Directions (:meth:`Labelling.directions`): for each threshold function over points (unit j of each of
:meth:`Labelling.families`, and the read-out) and each difference v = q - p of two of its points' vectors
(without the constant 1; v taken with its first non-zero coordinate positive), a variable ``D`` and the
clauses "off at p and on at q -> D" and "on at p and off at q -> not D".  They hold for D = [w.v > 0], w the
function's weights (without the bias): off at p and on at q give w.p + b <= 0 < w.q + b, so w.v > 0; on at p
and off at q give w.v < 0.  Resolving on D gives back the lemmas of two-asummability (on at two points, off at
two others with the same sum: the XOR pattern and its relatives); on the cube {0,1}^d for d <= 4 the
functions they admit are exactly the threshold functions (the tests count them).  They are far fewer than those
lemmas (4,208 clauses against 5,960 lemmas at 4 units over {0,1}), and the SAT core reasons with the directions
themselves.

Symmetry (:meth:`Labelling.symmetry`): permuting the units of a network gives a network (start code 0 is
kept), so if any network exists, one has its units sorted: the columns (bit of unit j after each symmetry
word) are in non-increasing lexicographic order.  Symmetry words are any prefix-closed list beginning with
the empty word; their clauses tie H to T and sort the columns.
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import Sequence

from automata_rnn.model.automata import Automaton


class Invalid(Exception):
    """A lemma or a proof step does not hold; the message says which."""


Clause = tuple[int, ...]

LemmaPoint = tuple[int | None, str | None, int, Fraction]
"""A lemma's point: code (None: a point without one, where a labelling has such), symbol (None: the
read-out's), bit, multiplier."""


class Labelling:
    """The variables and clauses of the labelling problem of a minimal automaton at ``units`` units.

    ``inputs`` maps each symbol to its input vector (the digit, or one-hot).  Variables are numbered from 1
    in a fixed order; symmetry variables are numbered after the others, for the words given to
    :meth:`symmetry`, and direction variables after them (:meth:`directions`).
    """

    def __init__(self, automaton: Automaton, units: int, inputs: dict[str, tuple[Fraction, ...]]):
        self.automaton, self.units, self.inputs = automaton, units, inputs
        self.states = automaton.reachable()
        if len(self.states) != len(automaton.states):
            raise Invalid("the automaton has unreachable states")
        self.symbols = list(automaton.alphabet)
        self.codes = 1 << units
        self.count = 0
        nq, ns = len(self.states), len(self.symbols)
        self._x = self._block(self.codes * nq)
        self._t = self._block(self.codes * ns * units)
        self._o = self._block(self.codes)
        self.state_index = {q: i for i, q in enumerate(self.states)}
        self.symbol_index = {s: i for i, s in enumerate(self.symbols)}
        self.words: list[tuple[str, ...]] = []
        self._h = self._e = 0

    def _block(self, size: int) -> int:
        first = self.count + 1
        self.count += size
        return first

    def X(self, c: int, q: str) -> int:
        return self._x + c * len(self.states) + self.state_index[q]

    def T(self, c: int, a: str, j: int) -> int:
        return self._t + (c * len(self.symbols) + self.symbol_index[a]) * self.units + j

    def O(self, c: int) -> int:  # noqa: E743 (the read-out's letter)
        return self._o + c

    def H(self, k: int, j: int) -> int:
        return self._h + k * self.units + j

    def E(self, j: int, k: int) -> int:
        return self._e + j * len(self.words) + k

    def successor_differs(self, c: int, a: str, d: int) -> list[int]:
        """Literals saying that the successor of (c, a) is not code d."""
        return [-self.T(c, a, j) if (d >> j) & 1 else self.T(c, a, j) for j in range(self.units)]

    def base(self) -> list[Clause]:
        """The clauses every implementing network satisfies (see the module docstring), in a fixed order."""
        a = self.automaton
        out: list[Clause] = []
        out.append((self.X(0, a.start),))
        for c in range(self.codes):
            for q, r in itertools.combinations(self.states, 2):
                out.append((-self.X(c, q), -self.X(c, r)))
            for q in self.states:
                out.append((-self.X(c, q), self.O(c) if a.output[q] == 1 else -self.O(c)))
        for c in range(self.codes):
            for s in self.symbols:
                for d in range(self.codes):
                    differs = tuple(self.successor_differs(c, s, d))
                    for q in self.states:
                        out.append((-self.X(c, q),) + differs + (self.X(d, a.step(q, s)),))
        return out + self.counting()

    def counting(self) -> list[Clause]:
        """The counting argument's clauses when the automaton has as many states as there are codes (else
        none): at most one code per state."""
        if len(self.states) != self.codes:
            return []
        return [(-self.X(c, q), -self.X(d, q)) for q in self.states
                for c, d in itertools.combinations(range(self.codes), 2)]

    def families(self) -> list:
        """The threshold functions of the units' points (x(a), c, 1), one variable per (c, a, j) each: for
        the Elman cell, the next bits T."""
        return [self.T]

    def lemma_clauses(self, points: list[LemmaPoint]) -> list[Clause]:
        """The clauses of a (checked) lemma: for a lemma over the units' points, one per unit of each of
        :meth:`families` (some point has another bit); for the read-out's, one over O.  The points of a lemma
        are distinct (code, symbol) pairs, so no clause is a tautology."""
        if points[0][1] is None:
            return [tuple(sorted({(-self.O(c) if bit else self.O(c)) for c, _, bit, _ in points if c is not None},
                                 key=abs))]
        return [tuple(sorted({(-var(c, a, j) if bit else var(c, a, j)) for c, a, bit, _ in points
                              if a is not None and c is not None}, key=abs))
                for var in self.families() for j in range(self.units)]

    def symmetry(self, words: Sequence[Sequence[str]]) -> list[Clause]:
        """Clauses sorting the units by their bits after ``words`` (a prefix-closed list, the empty word
        first; Invalid otherwise); numbers the symmetry variables."""
        listed = [tuple(w) for w in words]
        if not listed or listed[0] != ():
            raise Invalid("the symmetry words begin with the empty word")
        index: dict[tuple[str, ...], int] = {}
        for k, w in enumerate(listed):
            if w in index:
                raise Invalid(f"symmetry word {''.join(w)!r} appears twice")
            if k and (w[:-1] not in index or w[-1] not in self.symbol_index):
                raise Invalid(f"symmetry word {''.join(w)!r}: its prefix is not listed before it")
            index[w] = k
        self.words = listed
        self._h = self._block(len(listed) * self.units)
        self._e = self._block(max(0, self.units - 1) * len(listed))
        n = self.units
        out: list[Clause] = []
        for j in range(n):
            out.append((-self.H(0, j),))
        for k, w in enumerate(self.words):
            if not k:
                continue
            prev, s = index[w[:-1]], w[-1]
            for c in range(self.codes):
                other = tuple(-self.H(prev, j) if (c >> j) & 1 else self.H(prev, j) for j in range(n))
                for j in range(n):
                    out.append(other + (-self.T(c, s, j), self.H(k, j)))
                    out.append(other + (self.T(c, s, j), -self.H(k, j)))
        for k, w in enumerate(self.words):
            state = self.automaton.start
            for s in w:
                state = self.automaton.step(state, s)
            for c in range(self.codes):
                other = tuple(-self.H(k, j) if (c >> j) & 1 else self.H(k, j) for j in range(n))
                out.append(other + (self.X(c, state),))
        for j in range(n - 1):
            for k in range(1, len(self.words)):
                v, u = self.H(k, j), self.H(k, j + 1)
                equal = () if k == 1 else (-self.E(j, k),)
                out.append(equal + (v, -u))
                if k + 1 < len(self.words):
                    out.append(equal + (-v, -u, self.E(j, k + 1)))
                    out.append(equal + (v, u, self.E(j, k + 1)))
        return out

    def directions(self) -> list[Clause]:
        """The direction clauses of every threshold function of the labelling (see the module docstring):
        units' points (x(a), c) for each unit of each of :meth:`families`, in that order, then the read-out's
        (c); pairs of points in order.  Numbers each function's direction variables in the order of their
        first use: call it after :meth:`symmetry`, as the certificates' checker does."""
        points = [(c, a) for c in range(self.codes) for a in self.symbols]
        units = oriented_pairs([self.point_vector(c, a)[:-1] for c, a in points])
        functions = [([var(c, a, j) for c, a in points], units) for var in self.families() for j in range(self.units)]
        functions.append(([self.O(c) for c in range(self.codes)],
                          oriented_pairs([self.point_vector(c, None)[:-1] for c in range(self.codes)])))
        out: list[Clause] = []
        for variables, (pairs, differences) in functions:
            first = self._block(differences)
            for p, q, k in pairs:
                out.append((variables[p], -variables[q], first + k))
                out.append((-variables[p], variables[q], -(first + k)))
        return out

    def point_vector(self, c: int, a: str | None) -> tuple[Fraction, ...]:
        """(x(a), bits of c, 1) for a unit's point; (bits of c, 1) for the read-out's (``a`` None)."""
        x = () if a is None else tuple(self.inputs[a])
        return x + tuple(Fraction((c >> j) & 1) for j in range(self.units)) + (Fraction(1),)

    def vectors(self, points: Sequence[tuple[int | None, str | None]]) -> list[tuple[Fraction, ...]]:
        """The vectors of one threshold function's points (code, symbol): :meth:`point_vector` each."""
        if any(c is None for c, _ in points):
            raise Invalid("a point without a code")
        return [self.point_vector(c, a) for c, a in points]  # type: ignore[arg-type]

    def valid_code(self, c, a: str | None) -> bool:
        """Whether ``c`` names a code at this size (for a point of symbol ``a``)."""
        return isinstance(c, int) and not isinstance(c, bool) and 0 <= c < self.codes


def oriented_pairs(vectors: Sequence[tuple[Fraction, ...]]) -> tuple[list[tuple[int, int, int]], int]:
    """Each pair of the vectors, in order, as (p, q, k): q - p is the k-th difference (numbered at its first
    appearance) and has its first non-zero coordinate positive (else the pair is turned around); and how many
    differences there are."""
    index: dict[tuple[Fraction, ...], int] = {}
    pairs = []
    for p, q in itertools.combinations(range(len(vectors)), 2):
        v = tuple(y - x for x, y in zip(vectors[p], vectors[q]))
        if next(x for x in v if x) < 0:
            p, q, v = q, p, tuple(-x for x in v)
        pairs.append((p, q, index.setdefault(v, len(index))))
    return pairs, len(index)


def check_lemma(lab: Labelling, points: list[LemmaPoint]) -> None:
    """Invalid unless the points (code, symbol or None for the read-out, bit, multiplier) are a Farkas
    certificate that no threshold function takes these bits on them."""
    if not points:
        raise Invalid("a lemma has points")
    kinds = {a is None for _, a, _, _ in points}
    if len(kinds) != 1:
        raise Invalid("a lemma speaks either of the units or of the read-out")
    for c, a, bit, m in points:
        if not lab.valid_code(c, a):
            raise Invalid(f"no code {c!r} at {lab.units} units")
        if a is not None and a not in lab.symbol_index:
            raise Invalid(f"symbol {a!r} is not in the alphabet")
        if bit not in (0, 1):
            raise Invalid(f"bit {bit!r} is not 0 or 1")
        if m < 0:
            raise Invalid(f"negative multiplier {m}")
    vectors = lab.vectors([(c, a) for c, a, _, _ in points])
    total = [Fraction(0)] * len(vectors[0])
    on = Fraction(0)
    for (_, _, bit, m), vector in zip(points, vectors):
        sign = 1 if bit else -1
        on += m if bit else 0
        for i, v in enumerate(vector):
            total[i] += sign * m * v
    if on <= 0:
        raise Invalid("the points with bit 1 carry no multiplier")
    if any(total):
        raise Invalid(f"the multiplied points do not balance: {[str(t) for t in total]}")
