"""What a person reads: text and LaTeX reports, state diagrams, training plots."""
