"""The solvers: the case-split prover over z3, the direct encodings for n units, cvc5 on SMT-LIB."""
