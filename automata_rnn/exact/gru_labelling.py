"""The labelling of codes with automaton states for a GRU: clauses that every GRU threshold network satisfies.

The question is about a GRU of ``n`` units with the reset gate applied before the product (``gru``, the
textbook's, and ``gru-chung``, Chung et al.'s) under the indicator semantics: every gate and the candidate
are bits, the codes are {0,1}^n, h(0) = 0, and after symbol a from code c

    r_i = [x(a) U_r + c W_r + b_r > 0]_i            (reset gate; the masked code is m = r * c)
    k_j = [x(a) U_h + m W_h + b_h > 0]_j            (candidate)
    z_j = [x(a) U_z + c W_z + b_z > 0]_j            (update gate)
    h'_j = k_j where unit j takes its candidate, bit j of c where it keeps it,

unit j taking its candidate at z_j = 0 in the textbook's convention (``keeps`` 1) and at z_j = 1 in Chung et
al.'s.  The clauses of :class:`~automata_rnn.exact.labelling.Labelling` (X, T, O, the sorted units; sound
here since permuting a GRU's units permutes all of its gates alike) are kept, and beside them

* ``Z(c, a, j)``: unit j takes its candidate (the selection: the update gate's bit or its complement, a
  threshold function of (x(a), c, 1) either way, as the complement of a threshold function on finitely many
  points is one);
* ``R(c, a, i)``: the reset gate's bit i, a threshold function of (x(a), c, 1);
* ``K(m, a, j)``: the candidate's bit j at the masked code m, for every m: a threshold function of
  (x(a), m, 1), the units' points of the Elman cell;

tied by the step (:meth:`GruLabelling.step`): Z false -> T(c, a, j) = bit j of c; Z true and the reset bits
of c's 1-bits spelling the submask m of c -> T(c, a, j) = K(m, a, j).  A lemma over the units' points is
then a clause for every unit of each of Z, R and K (:meth:`GruLabelling.families`).

Every GRU network of the two cells that implements a minimal automaton gives every variable a value that
satisfies every clause, so an unsatisfiable set proves that no such network exists.  ``gru-after`` (the
reset after the product) has its own candidate points: :class:`GruAfterLabelling`.
"""

from __future__ import annotations

from fractions import Fraction

from automata_rnn.exact.labelling import Clause, Labelling, LemmaPoint
from automata_rnn.model.automata import Automaton


class GruLabelling(Labelling):
    """The labelling problem of a minimal automaton for a GRU of ``units`` units: the Elman labelling's
    variables (X, T, O), then Z, R and K, then the symmetry variables."""

    def __init__(self, automaton: Automaton, units: int, inputs: dict[str, tuple[Fraction, ...]]):
        super().__init__(automaton, units, inputs)
        size = self.codes * len(self.symbols) * units
        self._z = self._block(size)
        self._r = self._block(size)
        self._k = self._block(size)

    def _index(self, c: int, a: str, j: int) -> int:
        return (c * len(self.symbols) + self.symbol_index[a]) * self.units + j

    def Z(self, c: int, a: str, j: int) -> int:
        return self._z + self._index(c, a, j)

    def R(self, c: int, a: str, i: int) -> int:
        return self._r + self._index(c, a, i)

    def K(self, m: int, a: str, j: int) -> int:
        return self._k + self._index(m, a, j)

    def families(self) -> list:
        """The selection Z, the reset gate R and the candidate K: threshold functions of the units' points."""
        return [self.Z, self.R, self.K]

    def base(self) -> list[Clause]:
        """The Elman labelling's clauses and the step's (:meth:`step`)."""
        return super().base() + self.step()

    def step(self) -> list[Clause]:
        """T(c, a, j) = bit j of c where not Z(c, a, j); = K(m, a, j) where Z(c, a, j) and the reset gate's
        bits at c's 1-bits spell the submask m of c."""
        out: list[Clause] = []
        for c in range(self.codes):
            ones = [i for i in range(self.units) if (c >> i) & 1]
            masks = [m for m in range(self.codes) if m & c == m]
            for a in self.symbols:
                for j in range(self.units):
                    t, z = self.T(c, a, j), self.Z(c, a, j)
                    out.append((z, t) if (c >> j) & 1 else (z, -t))
                    for m in masks:
                        other = tuple(-self.R(c, a, i) if (m >> i) & 1 else self.R(c, a, i) for i in ones)
                        k = self.K(m, a, j)
                        out.append((-z,) + other + (-t, k))
                        out.append((-z,) + other + (t, -k))
        return out


class GruAfterLabelling(GruLabelling):
    """The labelling problem for ``gru-after``, the reset after the product:
    k_j = [x(a) U_h + b_h + r_j (c W_h + b_hn) > 0], a threshold function of (x(a), r_j c, r_j, 1).  Its points
    are (x(a), c, 1, 1) where r_j = 1, one per (code, symbol), and (x(a), 0, 0, 1) where r_j = 0, one per
    symbol, written with code None.  K(c, a, j) is the candidate at the first, ``K0(a, j)`` at the second; the
    step reads R(c, a, j), unit j's own reset bit: Z and R -> T = K(c, a, j), Z and not R -> T = K0(a, j).
    A lemma over codes only is one of the units' points (the last two coordinates of (x(a), c, 1, 1) are equal)
    and speaks of Z, R and K; a lemma with a point without a code speaks of the candidate only."""

    def __init__(self, automaton: Automaton, units: int, inputs: dict[str, tuple[Fraction, ...]]):
        super().__init__(automaton, units, inputs)
        self._k0 = self._block(len(self.symbols) * units)

    def K0(self, a: str, j: int) -> int:
        return self._k0 + self.symbol_index[a] * self.units + j

    def step(self) -> list[Clause]:
        """T(c, a, j) = bit j of c where not Z(c, a, j); = K(c, a, j) where Z and R(c, a, j); = K0(a, j) where Z
        and not R(c, a, j)."""
        out: list[Clause] = []
        for c in range(self.codes):
            for a in self.symbols:
                for j in range(self.units):
                    t, z, r = self.T(c, a, j), self.Z(c, a, j), self.R(c, a, j)
                    k, k0 = self.K(c, a, j), self.K0(a, j)
                    out.append((z, t) if (c >> j) & 1 else (z, -t))
                    out += [(-z, -r, -t, k), (-z, -r, t, -k), (-z, r, -t, k0), (-z, r, t, -k0)]
        return out

    def valid_code(self, c, a: str | None) -> bool:
        """A code, or None for the candidate's point where the reset bit is 0 (a unit's point only)."""
        return (c is None and a is not None) or super().valid_code(c, a)

    def vectors(self, points):
        """The units' vectors (x(a), c, 1) when every point has a code; else the candidate's: (x(a), c, 1, 1),
        and (x(a), 0, 0, 1) for a point without a code."""
        if all(c is not None for c, _ in points):
            return super().vectors(points)
        off = (Fraction(0),) * (self.units + 1) + (Fraction(1),)
        return [tuple(self.inputs[a]) + off if c is None else self.point_vector(c, a) + (Fraction(1),)
                for c, a in points]

    def lemma_clauses(self, points: list[LemmaPoint]) -> list[Clause]:
        """A lemma with a point without a code: one clause per unit over K and K0; any other as the GRU's."""
        if all(c is not None for c, _, _, _ in points):
            return super().lemma_clauses(points)
        return [tuple(sorted({(-v if bit else v) for c, a, bit, _ in points if a is not None
                              for v in [self.K0(a, j) if c is None else self.K(c, a, j)]}, key=abs))
                for j in range(self.units)]


LABELLINGS: dict[str, type[Labelling]] = {"rnn": Labelling, "gru": GruLabelling, "gru-chung": GruLabelling,
                                          "gru-after": GruAfterLabelling}
"""The labelling problem of each cell it is defined for, by the cell's name."""
