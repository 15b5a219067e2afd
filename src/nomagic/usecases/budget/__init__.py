"""Budget allocation: a Bayesian marketing-mix model and a budget optimiser (issue #8)."""
