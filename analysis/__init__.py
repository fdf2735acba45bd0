"""WalkBack Explorer: simulate, analyse and explore the WalkBack trial (Lancet 2024).

The curated public API. The pipeline runs one way, and so do the subpackages:

    trial (published figures, scenario) -> model (hazard, calibration) -> simulate -> stats
    -> studies (replicates, power, estimands) -> io (files) / plots (figures) -> cli

Everything a notebook or a script needs is importable from here; names load on first use, so
``import analysis`` stays cheap for the command line.

Examples
--------
>>> import analysis
>>> cohort = analysis.simulate_trial(analysis.default_scenario(), seed=1)
>>> result = analysis.analyze_two_arm(cohort)
>>> round(result.cox.hr, 2) < 1
True
"""
from __future__ import annotations

from importlib import import_module

from .errors import CohortFileError, ScenarioError, WalkBackInputError  # noqa: F401 - public

# public name -> module that defines it
_EXPORTS = {
    # trial
    "Scenario": "trial.scenario", "Design": "trial.scenario", "Outcome": "trial.scenario",
    "Adherence": "trial.scenario", "Walking": "trial.scenario", "DoseResponse": "trial.scenario",
    "Episodes": "trial.scenario", "Clinics": "trial.scenario",
    "scenario_from_dict": "trial.scenario", "scenario_from_json": "trial.scenario", "with_changes": "trial.scenario",
    "load_scenario_file": "trial.scenario", "ASSUMPTIONS": "trial.scenario",
    "published_figures": "trial.published", "published_value": "trial.published",
    "encode_scenario": "trial.sharing", "decode_scenario": "trial.sharing",
    # model
    "default_scenario": "model.default", "expected_trial": "model.expectation", "calibrate": "model.calibration",
    "compare_with_published": "model.calibration",
    "expected_episodes": "model.episodes",
    "cox_limit_hr": "model.expectation",
    # simulate
    "simulate_trial": "simulate.engine", "scenario_for_size": "simulate.engine", "COHORT_COLUMNS": "simulate.engine",
    "simulate_episodes": "simulate.engine", "EPISODE_COLUMNS": "simulate.engine",
    # stats
    "analyze_two_arm": "stats.survival", "kaplan_meier": "stats.survival", "logrank": "stats.survival",
    "cox": "stats.survival", "rmst": "stats.survival", "ph_check": "stats.survival", "risk_table": "stats.survival",
    "logrank_cox_batch": "stats.kernels", "km_median_batch": "stats.kernels",
    "analyze_recurrent": "stats.recurrent", "mean_cumulative_function": "stats.recurrent",
    "andersen_gill": "stats.recurrent", "negative_binomial_rate": "stats.recurrent",
    "km_on_grid_batch": "stats.kernels", "two_arm_batch": "stats.kernels",
    "build_risk_sets": "stats.counting", "km_from_counts": "stats.counting", "median_survival": "stats.counting",
    "two_arm_test": "stats.two_arm_tests", "choose_test": "stats.two_arm_tests",
    "two_arm_tests_batch": "stats.two_arm_tests",
    # studies
    "run_replicates": "studies.replicates", "simulate_replicates": "studies.replicates",
    "simulate_batch": "studies.replicates",
    "analytic_power": "studies.power", "simulated_power": "studies.power", "power_curve": "studies.power",
    "sample_size": "studies.power", "dilution_table": "studies.power",
    "simulated_power_by_test": "studies.power_by_test", "power_by_test_table": "studies.power_by_test",
    "EstimandSettings": "studies.estimands", "estimate_estimands": "studies.estimands",
    "true_estimands": "studies.estimands", "estimand_replicates": "studies.estimands",
    "trial_outcomes": "studies.outcomes",
    "Prior": "studies.assurance", "bayes_reading": "studies.assurance", "assurance": "studies.assurance",
    "posterior_average": "studies.assurance", "clinic_design_effect": "studies.clinics",
    # design (group-sequential: boundaries, spending, events)
    "GroupSequentialDesign": "design.boundaries", "compute_boundaries": "design.boundaries",
    "sequential_probabilities": "design.boundaries", "SurvivalAssumptions": "design.events",
    "sample_size_survival": "design.events", "power_survival": "design.events", "drift_for": "design.events",
    # io
    "read_cohort_file": "io.cohort_files", "export_files": "io.export", "export_bundle": "io.export",
    "cohort_to_adtte": "io.export", "write_export": "io.export", "export_episodes": "io.export",
}

__all__ = sorted([*_EXPORTS, "WalkBackInputError", "ScenarioError", "CohortFileError"])


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'analysis' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
