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
satisfies every clause, so an unsatisfiable set proves that no such network exists.  With the reset gate
held open (R true everywhere: :meth:`GruLabelling.reset_open`, a restriction) the step is also that of
``gru-after`` with b_hn = 0.
"""

from __future__ import annotations

from fractions import Fraction

from automata_rnn.exact.labelling import Clause, Labelling
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

    def reset_open(self) -> list[Clause]:
        """The restriction r = 1 at every (code, symbol): one unit clause per R."""
        return [(self.R(c, a, i),) for c in range(self.codes) for a in self.symbols for i in range(self.units)]


LABELLINGS: dict[str, type[Labelling]] = {"rnn": Labelling, "gru": GruLabelling, "gru-chung": GruLabelling}
"""The labelling problem of each cell it is defined for, by the cell's name."""
