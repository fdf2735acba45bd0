"""Many trials or many questions: Monte Carlo replicates, power and sample size, estimands.
Imports the layers before it (trial, model, simulate, stats).
"""
