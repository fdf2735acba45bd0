"""Survival statistics on cohorts: Kaplan-Meier, log-rank, Cox, RMST, the PH check, and the batched
Monte Carlo kernels. Imports only :mod:`analysis.io.cohort_files` (input checks) and :mod:`analysis.errors`
(never the simulator: statistics do not know where data came from).
"""
