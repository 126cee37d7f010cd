"""The questions: solve and check, exact conditions, minimal sizes, certified gains, real networks."""
