"""Group-sequential designs: spending functions, boundaries, events and participants (pure computations).

Place in the pipeline: beside power, before any simulation; imports only :mod:`analysis.errors`, numpy and scipy.

- :mod:`.spending`: rpact's alpha/beta-spending functions (``spent``).
- :mod:`.integration`: the exact recursion (Armitage-McPherson-Rowe on Jennison and Turnbull's grid).
- :mod:`.boundaries`: ``GroupSequentialDesign`` -> ``compute_boundaries`` -> ``GroupSequentialBoundaries``
  (``efficacy_z``, ``futility_z``, ``cumulative_alpha_spent``, ``drift``, ``inflation_factor``, ``h0``/``h1``
  stopping probabilities); ``sequential_probabilities(boundaries, drift)`` at any drift.
- :mod:`.events`: ``drift_for(hr, events)`` / ``events_for(drift, hr)`` (Schoenfeld), ``SurvivalAssumptions`` ->
  ``sample_size_survival`` / ``power_survival`` -> ``SurvivalDesign`` (events, participants, look times), and
  ``expected_events`` by calendar time.
"""
