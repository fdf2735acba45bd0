"""Clinics: what randomising whole clinics costs a follow-up trial (design effect and power).

Place in the pipeline: scenario with clinics (:class:`analysis.trial.scenario.Clinics`) -> many
simulated trials (:func:`analysis.simulate.engine.simulate_trials`, the batch core) -> per trial a
log-rank test and Cox model (individual randomisation) or a Cox model with cluster-robust standard
errors (clinic randomisation, :func:`analysis.stats.cox.fit_cox` with ``cluster``) -> **power and
design effect**.

Both designs share the clinics, the clinic frailty (the stated ICC on the log-hazard scale) and the
participants; only the unit of randomisation differs. Replicate ``i`` of both designs is child ``i``
of ``SeedSequence(seed)`` (common random numbers: the two designs' trials share every draw except
the allocation).

- Simulated design effect: ``Var(log HR estimate | clinic randomised) / Var(log HR estimate |
  participant randomised)`` over the simulated trials, with a delta-method Monte Carlo SE that allows
  for the pairing of the two designs' trials.
- Analytic design effect (Eldridge, Ashby & Kerry 2006, for clinics of unequal size):
  ``DE = 1 + ((1 + CV^2) m - 1) ICC`` with ``m = n / K`` the mean clinic size and ``CV`` the
  coefficient of variation of the clinic sizes (0 for equal sizes: ``1 + (m - 1) ICC``). It was
  derived for continuous outcomes; here it is applied to the log-hazard-scale ICC as an
  approximation, and its power is Schoenfeld's with the expected events divided by ``DE``.
- Power: individually randomised, the two-sided log-rank test; clinic randomised, the Wald test of
  the Cox model with cluster-robust standard errors (as a trialist would analyse it). With few
  clinics the sandwich variance is too small, so that test's type I error exceeds alpha; the table
  shows the power it claims.
"""

from __future__ import annotations

import math
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import WalkBackInputError
from ..simulate.engine import scenario_for_size, simulate_trials
from ..stats import tails as stats
from ..trial.scenario import Scenario, with_changes

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ClinicDesign", "clinic_design_effect", "analytic_design_effect"]


def analytic_design_effect(n_total: int, n_clinics: int, icc: float, size_cv: float = 0.0) -> float:
    """``1 + ((1 + CV^2) m - 1) ICC``, ``m = n_total / n_clinics`` (Eldridge, Ashby & Kerry 2006).

    Examples
    --------
    >>> round(analytic_design_effect(701, 25, 0.05), 3)
    2.352
    """
    m = n_total / n_clinics
    return 1.0 + ((1.0 + size_cv ** 2) * m - 1.0) * icc


def _cluster_chunk(scenario: Scenario, seed: int, alpha: float, start: int, count: int) -> dict:
    """Replicates ``start .. start + count - 1`` of the clinic-randomised design: robust Cox per trial."""
    from ..stats.cox import fit_cox
    from .replicates import replicate_seeds

    batch = simulate_trials(scenario, replicate_seeds(seed, count, start), with_clinic=True)
    log_hr = np.full(count, np.nan)
    robust_p = np.full(count, np.nan)
    for r in range(count):
        try:
            fit = fit_cox(batch.time_days[r], batch.recurrence[r], batch.intervention[r].astype(float),
                          cluster=batch.clinic[r])
        except ValueError:  # no events, or one arm empty: no estimate (counted as not significant)
            continue
        log_hr[r] = fit.coef[0]
        robust_p[r] = 2 * stats.norm.sf(abs(fit.coef[0]) / fit.robust_se[0])
    return {"log_hr": log_hr, "p": robust_p}


def _individual_chunk(scenario: Scenario, seed: int, alpha: float, start: int, count: int) -> dict:
    from .replicates import analyse_chunk

    got = analyse_chunk(scenario, seed, start, count)
    log_hr = np.where(got["converged"], got["log_hr"], np.nan)
    return {"log_hr": log_hr, "p": got["logrank_p"]}


def _variance_ratio(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """``var(a) / var(b)`` of paired samples and its delta-method SE."""
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    n = a.size
    da, db = (a - a.mean()) ** 2, (b - b.mean()) ** 2
    va, vb = da.mean(), db.mean()
    ratio = va / vb
    cov = np.cov(np.vstack([da, db]))
    rel_var = (cov[0, 0] / va ** 2 + cov[1, 1] / vb ** 2 - 2 * cov[0, 1] / (va * vb)) / n
    return float(ratio), float(ratio * math.sqrt(max(rel_var, 0.0)))


@dataclass(frozen=True)
class ClinicDesign:
    """Simulated and analytic cost of randomising clinics (:func:`clinic_design_effect`).

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per design (``"participant"``, ``"clinic"``): ``design``, ``n_total``, ``n_clinics``,
        ``icc``, ``power_simulated``, ``mc_se``, ``var_log_hr``, ``power_analytic``, ``test``.
    design_effect_simulated, design_effect_mc_se, design_effect_analytic : float
    """

    summary: pd.DataFrame
    design_effect_simulated: float
    design_effect_mc_se: float
    design_effect_analytic: float
    n_total: int
    n_clinics: int
    icc: float
    n_sims: int
    seed: int
    alpha: float

    def to_dict(self) -> dict:
        return {"n_total": self.n_total, "n_clinics": self.n_clinics, "icc": self.icc, "n_sims": self.n_sims,
                "seed": self.seed, "alpha": self.alpha, "design_effect_simulated": self.design_effect_simulated,
                "design_effect_mc_se": self.design_effect_mc_se, "design_effect_analytic": self.design_effect_analytic,
                "analytic_formula": "1 + ((1 + CV^2) m - 1) ICC (Eldridge, Ashby & Kerry 2006), ICC on the log-hazard "
                                    "scale",
                "rows": self.summary.astype(object).where(self.summary.notna(), None).to_dict(orient="records")}


def clinic_design_effect(scenario: Scenario, n_clinics: int, icc: float, n_sims: int, seed: int, *,
                         n_total: int | None = None, alpha: float = 0.05,
                         executor: Executor | None = None) -> ClinicDesign:
    """Power and design effect of randomising ``n_clinics`` clinics instead of participants.

    Examples
    --------
    >>> from analysis.trial.scenario import Scenario
    >>> d = clinic_design_effect(Scenario(), 25, 0.05, n_sims=40, seed=1)
    >>> list(d.summary.design), round(d.design_effect_analytic, 2)
    (['participant', 'clinic'], 2.35)
    """
    import pandas as pd

    from .power import endpoint_expectation, schoenfeld_power
    from .replicates import DEFAULT_CHUNK, check_replicates, check_seed, map_replicate_chunks

    n_sims = check_replicates(n_sims, "n_sims")
    seed = check_seed(seed)
    if not 0 < alpha < 1:
        raise WalkBackInputError(f"alpha = {alpha!r} must be between 0 and 1")
    if n_total is not None:
        scenario = scenario_for_size(scenario, n_total)
    individual = with_changes(scenario, {"clinics.n_clinics": n_clinics, "clinics.icc": icc,
                                         "clinics.randomise": "participant"})
    clustered = with_changes(individual, {"clinics.randomise": "cluster"})
    results = {}
    for name, s, task in (("participant", individual, _individual_chunk), ("clinic", clustered, _cluster_chunk)):
        parts = map_replicate_chunks(task, n_sims, DEFAULT_CHUNK, executor, None, args=(s, seed, alpha))
        results[name] = {k: np.concatenate([p[k] for p in parts]) for k in ("log_hr", "p")}
    ratio, ratio_se = _variance_ratio(results["clinic"]["log_hr"], results["participant"]["log_hr"])
    c = individual.clinics
    de = analytic_design_effect(individual.design.n_total, c.n_clinics, c.icc,
                                c.size_cv if c.size_distribution == "gamma" else 0.0)
    hr, events = endpoint_expectation(individual)
    p1 = individual.design.n_intervention / individual.design.n_total
    rows = []
    for name, events_eff, test in (("participant", events, "log-rank"),
                                   ("clinic", events / de, "Cox Wald, cluster-robust SE")):
        power = float(np.mean(results[name]["p"] < alpha))
        rows.append({"design": name, "n_total": individual.design.n_total, "n_clinics": c.n_clinics, "icc": c.icc,
                     "power_simulated": power, "mc_se": math.sqrt(power * (1 - power) / n_sims),
                     "var_log_hr": float(np.nanvar(results[name]["log_hr"])),
                     "power_analytic": float(schoenfeld_power(events_eff, hr, alpha, p1)), "test": test})
    return ClinicDesign(pd.DataFrame(rows), ratio, ratio_se, de, individual.design.n_total, c.n_clinics, c.icc,
                        n_sims, seed, alpha)
