"""Survival statistics on cohorts: Kaplan-Meier, log-rank, Cox, RMST, the PH check, and the batched
Monte Carlo kernels, and the one validator of a two-arm table. Imports only :mod:`analysis.errors` and
:mod:`analysis.formats` (never the simulator: statistics do not know where data came from).
"""
