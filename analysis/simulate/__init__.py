"""The simulator: one batch-capable core that draws and realises R trials; ``simulate_trial`` is R = 1.
Imports only :mod:`analysis.model`, :mod:`analysis.trial` and :mod:`analysis.errors`.
"""
