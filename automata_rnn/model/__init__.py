"""The model: cells, the network around them, activations, semantics, automata, claims and the question.

Standard library only.
"""
