"""Group-sequential designs: spending functions, boundaries, events and participants (pure computations).

Place in the pipeline: beside power, before any simulation; imports only :mod:`analysis.errors`, numpy and scipy.
"""
