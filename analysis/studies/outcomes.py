"""Every published outcome beside one simulated trial and the scenario's expectation (the Outcomes page).

A study over the pipeline: simulate one trial with its episodes, analyse every endpoint
(:mod:`analysis.stats.survival`, :mod:`analysis.stats.cox`, :mod:`analysis.stats.recurrent`) and set
the estimates beside the published figures and the exact expectations
(:mod:`analysis.model.expectation`, :mod:`analysis.model.episodes`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd
from scipy import special

from ..model.expectation import expected_trial
from ..model.episodes import ExpectedEpisodes, expected_episodes
from ..simulate.engine import ENDPOINTS, simulate_episodes
from ..stats.cox import fit_cox
from ..stats.recurrent import RecurrentAnalysis, analyze_recurrent
from ..stats.survival import kaplan_meier
from ..trial.published import published_figures
from ..trial.scenario import Scenario

__all__ = ["TrialOutcomes", "trial_outcomes"]


@dataclass(frozen=True)
class TrialOutcomes:
    """One simulated trial's outcomes beside the published figures and the scenario's expectation.

    Attributes
    ----------
    forest : pandas.DataFrame
        One row per hazard ratio: ``outcome``, ``source`` ("published", "simulated" or "expected"),
        ``hr``, ``lower``, ``upper`` (NaN where not published), ``note``.
    secondary : pandas.DataFrame
        Pain, harms and recovery medians: ``outcome``, ``published``, ``simulated``, ``expected``.
    km : dict of str -> KaplanMeier
        Kaplan-Meier of each endpoint (``primary``, ``any``, ``care``, ``recovery``).
    recurrent : RecurrentAnalysis
        MCF by arm, Andersen-Gill, negative binomial, Fisher, worst pain.
    """

    seed: int
    forest: pd.DataFrame
    secondary: pd.DataFrame
    km: dict = field(repr=False)
    recurrent: RecurrentAnalysis = field(repr=False)
    expected: ExpectedEpisodes = field(repr=False)

    @property
    def summary(self) -> pd.DataFrame:
        return self.forest

    def to_dict(self) -> dict:
        clean = self.forest.astype(object).where(self.forest.notna(), None)
        return {"seed": self.seed, "forest": clean.to_dict(orient="records"),
                "secondary": self.secondary.astype(object).where(self.secondary.notna(), None).to_dict(orient="records"),
                "recurrent": self.recurrent.to_dict()}


_LABELS = {"primary": "Activity-limiting recurrence (primary)", "any": "Any recurrence",
           "care": "Care-seeking recurrence", "recovery": "Recovery from the first recurrence"}
_PUBLISHED_HR = {"primary": "hazard_ratio", "care": "care_seeking_hr", "recovery": "recovery_hr"}


def trial_outcomes(scenario: Scenario, seed: int | None = None, *, expected: tuple | None = None) -> TrialOutcomes:
    """Simulate one trial of ``scenario`` and set every outcome beside the published and expected figures.

    ``expected``: ``(expected_trial(scenario), expected_episodes(scenario))`` when the caller has them (they do not
    depend on the seed, so an app keeps them while the seed changes); computed here otherwise.

    Examples
    --------
    >>> from analysis.model.default import default_scenario
    >>> out = trial_outcomes(default_scenario(), seed=1)
    >>> out.forest.outcome.unique().tolist()[:2]
    ['Activity-limiting recurrence (primary)', 'Any recurrence']
    """
    cohort, episodes = simulate_episodes(scenario, seed=seed)
    figs = published_figures()
    exp_primary, exp_ep = expected if expected is not None else (expected_trial(scenario), expected_episodes(scenario))
    expected_hr = {"primary": exp_primary.cox_hr, "any": exp_ep.any_hr, "care": exp_ep.care_hr,
                   "recovery": exp_ep.recovery_hr}
    z = special.ndtri(0.975)
    rows, km = [], {}
    for endpoint, (time, event, _) in ENDPOINTS.items():
        data = cohort[cohort.recurrence_any == 1] if endpoint == "recovery" else cohort
        km[endpoint] = kaplan_meier(data, time, event, landmarks=[])
        label = _LABELS[endpoint]
        key = _PUBLISHED_HR.get(endpoint)
        if key is not None:
            f = figs[key]
            lo, hi = f.ci if f.ci else (math.nan, math.nan)
            rows.append({"outcome": label, "source": "published", "hr": float(f.value), "lower": lo, "upper": hi,
                         "note": "CI not published" if not f.ci else ""})
        else:
            rows.append({"outcome": label, "source": "published", "hr": math.nan, "lower": math.nan,
                         "upper": math.nan, "note": "not published"})
        x = (data.arm == "intervention").to_numpy().astype(float)
        fit = fit_cox(data[time], data[event], x)
        b, se = float(fit.coef[0]), float(fit.se[0])
        rows.append({"outcome": label, "source": "simulated", "hr": math.exp(b), "lower": math.exp(b - z * se),
                     "upper": math.exp(b + z * se), "note": ""})
        rows.append({"outcome": label, "source": "expected", "hr": expected_hr[endpoint], "lower": math.nan,
                     "upper": math.nan, "note": "large-sample limit"})
    recurrent = analyze_recurrent(episodes, cohort)
    ag = recurrent.andersen_gill
    rows.append({"outcome": "All episodes (Andersen-Gill rate ratio)", "source": "published", "hr": math.nan,
                 "lower": math.nan, "upper": math.nan, "note": "not published"})
    rows.append({"outcome": "All episodes (Andersen-Gill rate ratio)", "source": "simulated", "hr": ag.hazard_ratio,
                 "lower": ag.ci[0], "upper": ag.ci[1], "note": "robust SE"})
    forest = pd.DataFrame(rows)
    by_arm = cohort.groupby("arm", observed=True)
    n0, n1 = scenario.design.n_control, scenario.design.n_intervention
    secondary = pd.DataFrame([
        ("Median days to recovery, control", figs["recovery_median_days_control"].value,
         km["recovery"].curve("control").median, exp_ep.recovery_median_control),
        ("Median days to recovery, intervention", figs["recovery_median_days_intervention"].value,
         km["recovery"].curve("intervention").median, exp_ep.recovery_median_intervention),
        ("Worst pain in the first recurrence, difference", figs["worst_pain_difference"].value,
         recurrent.worst_pain.difference, exp_ep.worst_pain_difference),
        ("Participants with a first recurrence of any kind", figs["any_recurrence_participants"].value
         * (n0 + n1) / figs["n_randomised"].value, float(cohort.recurrence_any.sum()), exp_ep.any_events_total),
        ("At least one adverse event, control", figs["adverse_event_any_control"].value,
         float(by_arm.adverse_event_12m.mean()["control"]), exp_ep.ae_any_control),
        ("At least one adverse event, intervention", figs["adverse_event_any_intervention"].value,
         float(by_arm.adverse_event_12m.mean()["intervention"]), exp_ep.ae_any_intervention),
        ("Lower-extremity adverse events, control", figs["lower_extremity_ae_control"].value * n0 / figs["n_control"].value,
         float(by_arm.lower_extremity_ae_12m.sum()["control"]), exp_ep.ae_lower_extremity_control),
        ("Lower-extremity adverse events, intervention",
         figs["lower_extremity_ae_intervention"].value * n1 / figs["n_intervention"].value,
         float(by_arm.lower_extremity_ae_12m.sum()["intervention"]), exp_ep.ae_lower_extremity_intervention),
    ], columns=["outcome", "published", "simulated", "expected"])
    secondary["published"] = secondary["published"].astype(float)
    return TrialOutcomes(seed=int(scenario.seed if seed is None else seed), forest=forest, secondary=secondary, km=km,
                         recurrent=recurrent, expected=exp_ep)
