"""automata_rnn: exact, certified answers about recurrent cells that behave like automata."""

__version__ = "0.1.0"
