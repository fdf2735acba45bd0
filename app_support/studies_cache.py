"""Bounded, shared caches for the study pages (Design, Estimands, Outcomes, Cost-effectiveness), importable by the warm-up.

Page scripts are re-executed on every run, so caches defined inside them cannot be filled before the
server starts; defined here, :func:`app_support.serve.warm_up` fills them with the pages' defaults.
"""

from __future__ import annotations

from analysis.model.costs import Economics
from analysis.simulate.engine import scenario_for_size, simulate_trial
from analysis.stats.survival import cox, kaplan_meier
from analysis.studies.economics import CEASettings, cea_expectation, cea_study, with_expectation
from analysis.studies.outcomes import trial_outcomes
from analysis.studies.estimands import EstimandSettings, estimand_replicates, estimate_estimands
from analysis.studies.power import dilution_table, power_curve, sample_size, scenario_with_hr
from analysis.trial.scenario import Scenario, with_changes
from app_support.caches import cached_cohort, cached_expected, memo, seedless

#: Values the Design page's power curve steps through, per varied parameter.
POWER_GRIDS = {
    "n": (200, 300, 400, 500, 600, 701, 800, 1000),
    "never_start": (0.0, 0.1, 0.2, 0.3, 0.4, 0.5),
    "mean_adherence": (0.3, 0.45, 0.6, 0.75, 0.87, 1.0),
    "hr": (0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9),
}
#: Shares of never-starters in the Design page's dilution table.
DILUTION_SHARES = tuple(round(0.05 * k, 2) for k in range(11))
#: The Design page's defaults (also warmed at server start).
DESIGN_DEFAULTS = {"power": 0.9, "alpha": 0.05, "parameter": "n", "n_sims": 100}
#: The Estimands page's defaults for its own settings.
ESTIMAND_DEFAULTS = {"adherence_threshold": 0.6, "dose_threshold_minutes": 120.0, "landmark_months": 12,
                     "complier": "started"}


@memo(32)
def cached_sample_size(scenario: Scenario, power: float, alpha: float):
    return sample_size(scenario, power=power, alpha=alpha)


@memo(16, show_spinner="Computing the power curve...")
def cached_curve(scenario: Scenario, parameter: str, values: tuple, n_sims: int, seed: int, alpha: float):
    return power_curve(scenario, parameter, list(values), n_sims, seed, alpha=alpha)


@memo(128, show_spinner=False)
def cached_curve_point(scenario: Scenario, parameter: str, value: float, n_sims: int, seed: int, alpha: float):
    """One grid point of :func:`cached_curve` (each point uses the same seed, so a point alone is the same row)."""
    return power_curve(scenario, parameter, [value], n_sims, seed, alpha=alpha)


@memo(16)
def cached_dilution(scenario: Scenario, values: tuple, alpha: float, power: float):
    return dilution_table(scenario, list(values), alpha=alpha, power=power)


@memo(16, show_spinner="Simulating the trial and computing the true effects...")
def one_estimand_trial(scenario: Scenario, seed: int, settings: EstimandSettings):
    cohort = simulate_trial(scenario, seed=seed, potential_outcomes=True)
    return estimate_estimands(cohort, scenario, settings)


@memo(8, show_spinner="Running the replicate trials...")
def many_estimand_trials(scenario: Scenario, n_replicates: int, seed: int, settings: EstimandSettings):
    return estimand_replicates(scenario, n_replicates, seed, settings)


def estimand_settings(scenario: Scenario, *, adherence_threshold: float, dose_threshold_minutes: float,
                      landmark_months: float, complier: str) -> EstimandSettings:
    """The Estimands page's settings object (landmark and RMST horizon in days, capped at the follow-up)."""
    days = min(landmark_months * 365.25 / 12, scenario.design.max_followup_days)
    return EstimandSettings(adherence_threshold=float(adherence_threshold),
                            dose_threshold_minutes=float(dose_threshold_minutes), landmark_days=days, tau_days=days,
                            complier=complier)


@memo(16, show_spinner=False)
def _outcome_expectation(scenario: Scenario):
    from analysis.model.episodes import expected_episodes

    return cached_expected(scenario), expected_episodes(scenario)


@memo(16, show_spinner="Simulating the trial and its episodes...")
def cached_outcomes(scenario: Scenario, seed: int):
    """The Outcomes page: one trial with its episodes, every published outcome and the expectation (kept across
    seeds)."""
    return trial_outcomes(scenario, seed, expected=_outcome_expectation(seedless(scenario)))


#: The Cost-effectiveness page's defaults (also warmed at server start).
CEA_DEFAULTS = {"bootstrap": 5000, "threshold": 28000.0}
#: The willingness-to-pay values the page offers: the study holds every one, so the slider never re-simulates.
CEA_THRESHOLDS = (10_000.0, 20_000.0, 28_000.0, 50_000.0, 75_000.0, 100_000.0)
#: Trials pooled for the Cost-effectiveness page's expected column.
CEA_EXPECTED_TRIALS = 200


@memo(16, show_spinner="Costing many simulated trials for the expected column...")
def _cea_expectation(scenario: Scenario, economics: Economics):
    return cea_expectation(scenario, economics, CEA_THRESHOLDS, CEA_EXPECTED_TRIALS)


def cached_cea_expectation(scenario: Scenario, economics: Economics):
    """The pooled trials' expectation: it does not depend on the seed, so a new seed finds it in the cache."""
    return _cea_expectation(seedless(scenario), economics)


@memo(16, show_spinner="Simulating, costing and bootstrapping the trial...")
def cached_cea_study(scenario: Scenario, economics: Economics, seed: int, bootstrap: int):
    """The Cost-effectiveness page: one costed trial, its bootstrap, the expected column and the tornado, at every
    threshold of :data:`CEA_THRESHOLDS` (the willingness-to-pay slider reads, never recomputes; a new seed
    recomputes only the one trial)."""
    settings = CEASettings(bootstrap=bootstrap, thresholds=CEA_THRESHOLDS)
    return with_expectation(cea_study(scenario, economics, seed, settings),
                            cached_cea_expectation(scenario, economics))


# --------------------------------------------------------------------------- the guided lesson
#: The lesson's defaults (warmed at server start): step 2's small trial, step 4's correlation, step 5's HR.
LESSON_DEFAULTS = {"small_n": 40, "small_seed": 1, "correlation": 0.6, "hazard_ratio": 0.72}


@memo(16, show_spinner="Simulating one trial...")
def one_trial(scenario: Scenario, seed: int):
    cohort = cached_cohort(scenario, seed)
    return kaplan_meier(cohort, landmarks=()), cox(cohort)


@memo(16, show_spinner="Simulating a small trial...")
def small_trial(scenario: Scenario, n: int, seed: int):
    cohort = simulate_trial(scenario_for_size(scenario, n), seed=seed)
    return cohort, kaplan_meier(cohort, landmarks=())


BIG_TRIAL = 20_000  # so large that chance is small and what remains is bias


@memo(8, show_spinner="Simulating a large trial and the true effects (a few seconds)...")
def adherence_bias(scenario: Scenario, correlation: float, seed: int):
    confounded = with_changes(scenario_for_size(scenario, BIG_TRIAL), {
        "outcome.baseline_risk_sd": 0.8, "adherence.healthy_adherer_correlation": float(correlation)})
    cohort = simulate_trial(confounded, seed=seed, potential_outcomes=True)
    horizon = min(365.25, confounded.design.max_followup_days)
    return estimate_estimands(cohort, confounded, EstimandSettings(landmark_days=horizon, tau_days=horizon))


@memo(8, show_spinner="Computing power...")
def analytic_power_curve(scenario: Scenario, hazard_ratio: float):
    target = scenario_with_hr(scenario, hazard_ratio)
    return power_curve(target, "n", [100, 200, 300, 400, 500, 600, 701, 800, 1000, 1200, 1500, 2000, 2500, 3000], 0, 1)
