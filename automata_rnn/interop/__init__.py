"""Files and other tools: atomic writes, weights files, automaton files and regular expressions, PyTorch."""
