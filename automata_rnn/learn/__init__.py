"""Training real networks from the same cell equations (BPTT through automatic differentiation)."""
