"""Power and sample size for a WalkBack-like trial: analytic formulas and Monte Carlo.

Place in the pipeline: scenario -> expected curves (:mod:`analysis.model.expectation`) -> **power**, and
scenario -> many simulated trials (:mod:`analysis.studies.replicates`) -> **power**. The two routes are
shown side by side so the formulas' assumptions can be seen failing or holding.

Analytic
--------
- Schoenfeld (1983): events ``D = (z_{1-a/2} + z_{power})^2 / (p (1 - p) log(HR)^2)``, ``p`` the
  share allocated to the intervention.
- Freedman (1982): ``D = (z_{1-a/2} + z_{power})^2 (1 + r HR)^2 / (r (1 - HR)^2)``, ``r = n1/n0``.
- Participants: ``n = D / P(event)``. For a scenario, ``P(event)`` comes from its expected
  survival curves and censoring (uniform accrual over the recruitment window, the common
  follow-up end date, the 36-month cap and annual loss to follow-up), i.e.
  :func:`analysis.model.expectation.expected_trial`'s expected events / n. The classic closed form for
  an exponential hazard with uniform accrual and exponential loss is
  :func:`event_probability_exponential`.
- HR: the scenario's large-sample Cox HR under its censoring (``expected_trial(s).cox_hr``).

Dilution by non-adherence
-------------------------
If a share ``p`` never starts and gets no benefit, the ITT hazard ratio is pulled towards 1.
Two textbook approximations of the ITT HR from the starters' HR ``HR_s`` are shown,
``HR_s^(1-p)`` (log-HR diluted in proportion) and ``(1-p) HR_s + p`` (hazards mixed at time 0),
each giving an events inflation of about ``1 / (1-p)^2``; the model-based version recomputes the
scenario's expected Cox HR and events with the changed adherence (no recalibration: the walking
effect per minute is held fixed).

Monte Carlo
-----------
:func:`simulated_power` simulates ``n_sims`` trials (replicate i = child i of
``SeedSequence(seed)``, any executor) and rejects when the two-sided log-rank p < alpha (the
SAP's test; unstratified). Monte Carlo SE ``sqrt(p (1 - p) / n_sims)``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from ..model.expectation import expected_trial
from ..design.events import events_for
from ..errors import WalkBackInputError
from ..trial.scenario import MAX_PARTICIPANTS, Scenario, with_changes
from ..simulate.engine import scenario_for_size
from ..stats import tails as stats  # scipy.stats's normal tails without its 0.6 s import

if TYPE_CHECKING:  # pandas is imported where a table is built: Monte Carlo workers never load it
    import pandas as pd

__all__ = [
    "schoenfeld_events",
    "freedman_events",
    "schoenfeld_power",
    "freedman_power",
    "event_probability_exponential",
    "event_probability",
    "analytic_power",
    "sample_size",
    "SampleSize",
    "dilution_table",
    "scenario_with_hr",
    "SimulatedPower",
    "simulated_power",
    "PowerCurve",
    "power_curve",
    "CURVE_PARAMETERS",
    "CURVE_SHARES",
]

#: What a power curve can vary -> label.
CURVE_PARAMETERS: dict[str, str] = {
    "n": "Participants randomised",
    "never_start": "Share who never start the programme",
    "mean_adherence": "Mean adherence among starters",
    "hr": "Expected ITT hazard ratio",
}
#: The curve parameters that are shares (drawn and printed in percent).
CURVE_SHARES = frozenset({"never_start", "mean_adherence"})


# --------------------------------------------------------------------------- checks
def _check_prob(name: str, value: Any, lo: float = 0.0, hi: float = 1.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(float(value)) or not lo < float(value) < hi:
        raise WalkBackInputError(f"{name} = {value!r} must be a number strictly between {lo:g} and {hi:g}")
    return float(value)


def _check_hr(hr: Any) -> float:
    hr = _check_prob("hazard ratio", hr, 0.0, math.inf)
    if hr == 1.0:
        raise WalkBackInputError("hazard ratio = 1 means no effect: no number of events gives power above alpha")
    return hr


def _check_events(events: Any) -> np.ndarray:
    try:
        arr = np.asarray(events, dtype=float)
    except (TypeError, ValueError):
        raise WalkBackInputError(f"events = {events!r} must be a number of recurrences (0 or more)") from None
    if isinstance(events, bool) or np.isnan(arr).any() or (arr < 0).any():
        raise WalkBackInputError(f"events = {events!r} must be a number of recurrences (0 or more)")
    return arr


def _z(alpha: float, power: float) -> float:
    return float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))


# --------------------------------------------------------------------------- formulas
def schoenfeld_events(hr: float, alpha: float = 0.05, power: float = 0.9, allocation: float = 0.5) -> float:
    """Events needed for a two-sided log-rank test (Schoenfeld).

    Examples
    --------
    >>> round(schoenfeld_events(0.72, 0.05, 0.9))
    389
    """
    hr = _check_hr(hr)
    alpha, power = _check_prob("alpha", alpha), _check_prob("power", power)
    p = _check_prob("allocation", allocation)
    try:  # the group-sequential designs' formula, with the fixed design's drift
        return events_for(_z(alpha, power), hr, p / (1 - p))
    except (OverflowError, ZeroDivisionError):  # a hazard ratio a rounding error away from 1
        return math.inf


def freedman_events(hr: float, alpha: float = 0.05, power: float = 0.9, allocation: float = 0.5) -> float:
    """Events needed for a two-sided log-rank test (Freedman).

    Examples
    --------
    >>> round(freedman_events(0.72, 0.05, 0.9))
    396
    """
    hr = _check_hr(hr)
    alpha, power = _check_prob("alpha", alpha), _check_prob("power", power)
    p = _check_prob("allocation", allocation)
    r = p / (1 - p)
    try:
        return _z(alpha, power) ** 2 * (1 + r * hr) ** 2 / (r * (1 - hr) ** 2)
    except OverflowError:  # an astronomically large hazard ratio
        return math.inf


def schoenfeld_power(events: float | np.ndarray, hr: float, alpha: float = 0.05, allocation: float = 0.5):
    """Power of the two-sided log-rank test with ``events`` recurrences (Schoenfeld).

    Examples
    --------
    >>> round(float(schoenfeld_power(506, 0.72)), 3)
    0.959
    """
    hr = _check_hr(hr)
    alpha, p = _check_prob("alpha", alpha), _check_prob("allocation", allocation)
    events = _check_events(events)
    with np.errstate(invalid="ignore", over="ignore"):  # infinite events: power 1
        drift = np.sqrt(events * p * (1 - p)) * abs(math.log(hr))
    z = stats.norm.ppf(1 - alpha / 2)
    out = stats.norm.cdf(drift - z) + stats.norm.cdf(-drift - z)
    return float(out) if out.ndim == 0 else out


def freedman_power(events: float | np.ndarray, hr: float, alpha: float = 0.05, allocation: float = 0.5):
    """Power of the two-sided log-rank test with ``events`` recurrences (Freedman)."""
    hr = _check_hr(hr)
    alpha, p = _check_prob("alpha", alpha), _check_prob("allocation", allocation)
    r = p / (1 - p)
    events = _check_events(events)
    with np.errstate(invalid="ignore", over="ignore"):
        drift = np.sqrt(events * r) * abs(1 - hr) / (1 + r * hr)
    z = stats.norm.ppf(1 - alpha / 2)
    out = stats.norm.cdf(drift - z) + stats.norm.cdf(-drift - z)
    return float(out) if out.ndim == 0 else out


def event_probability_exponential(hazard_per_day: float, accrual_days: float, followup_days: float,
                                  annual_loss: float = 0.0) -> float:
    """P(event observed) for an exponential hazard, uniform accrual and exponential loss.

    Participants enter uniformly over ``accrual_days`` and are followed until
    ``accrual_days + followup_days`` after the first entry; with total rate ``m = hazard + loss``,
    ``P = hazard/m * (1 - (exp(-m F) - exp(-m (A + F))) / (m A))``.

    Examples
    --------
    >>> round(event_probability_exponential(0.002, 365, 365), 3)
    0.658
    """
    lam = _check_prob("hazard_per_day", hazard_per_day, 0.0, math.inf)
    accrual = float(accrual_days)
    follow = float(followup_days)
    if not (math.isfinite(accrual) and accrual >= 0 and math.isfinite(follow) and follow >= 0):
        raise WalkBackInputError("accrual_days and followup_days must be non-negative numbers")
    if not 0 <= annual_loss < 1:
        raise WalkBackInputError(f"annual_loss = {annual_loss!r} must be from 0 to below 1")
    eta = -math.log1p(-annual_loss) / 365.25
    m = lam + eta
    if accrual == 0:
        return lam / m * (1 - math.exp(-m * follow))
    return lam / m * (1 - (math.exp(-m * follow) - math.exp(-m * (accrual + follow))) / (m * accrual))


def event_probability(scenario: Scenario) -> float:
    """Pooled probability that a randomised participant has an observed recurrence (expected curves, censoring)."""
    e = _expected(scenario)
    return e.events_total / scenario.design.n_total


@lru_cache(maxsize=256)
def _expected(scenario: Scenario):
    return expected_trial(scenario)


ENDPOINTS = ("primary", "any", "care")


def endpoint_expectation(scenario: Scenario, endpoint: str = "primary") -> tuple[float, float]:
    """(expected Cox HR, expected events in both arms) of a time-to-event endpoint.

    Examples
    --------
    >>> from analysis.model.default import default_scenario
    >>> hr, events = endpoint_expectation(default_scenario(), "any")
    >>> round(events), hr > 0.72
    (596, True)
    """
    if endpoint == "primary":
        e = _expected(scenario)
        return e.cox_hr, e.events_total
    if endpoint not in ENDPOINTS:
        raise WalkBackInputError(f"endpoint = {endpoint!r} must be one of {', '.join(ENDPOINTS)}")
    from ..model.episodes import expected_episodes

    ee = expected_episodes(scenario)
    if endpoint == "any":
        return ee.any_hr, ee.any_events_control + ee.any_events_intervention
    return ee.care_hr, ee.care_events_control + ee.care_events_intervention


def _allocation(scenario: Scenario) -> float:
    return scenario.design.n_intervention / scenario.design.n_total


def _check_sizes(n_values: Sequence[int]) -> list[int]:
    sizes = list(n_values)
    if not sizes:
        raise WalkBackInputError("give at least one sample size")
    for n in sizes:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 4 <= int(n) <= MAX_PARTICIPANTS:
            raise WalkBackInputError(f"sample size {n!r} must be a whole number from 4 to {MAX_PARTICIPANTS:,}")
    return [int(n) for n in sizes]


def analytic_power(scenario: Scenario, n_values: Sequence[int], alpha: float = 0.05,
                   endpoint: str = "primary") -> pd.DataFrame:
    """Schoenfeld and Freedman power at each total sample size, from the scenario's expected trial.

    ``endpoint`` "any" or "care" takes the expected HR and events of that endpoint from the episode
    model (:func:`analysis.model.episodes.expected_episodes`).

    Returns
    -------
    DataFrame
        ``n``, ``hr`` (expected Cox HR), ``p_event``, ``events_expected``, ``power_schoenfeld``,
        ``power_freedman``.

    Examples
    --------
    >>> from analysis.model.default import default_scenario
    >>> t = analytic_power(default_scenario(), [701])
    >>> round(float(t.events_expected[0])), round(float(t.power_schoenfeld[0]), 2)
    (506, 0.96)
    """
    import pandas as pd

    alpha = _check_prob("alpha", alpha)
    rows = []
    for n in _check_sizes(n_values):
        s = scenario_for_size(scenario, n)
        hr, events = endpoint_expectation(s, endpoint)
        p = _allocation(s)
        rows.append({"n": n, "hr": hr, "p_event": events / n, "events_expected": events,
                     "power_schoenfeld": schoenfeld_power(events, hr, alpha, p) if hr != 1 else alpha,
                     "power_freedman": freedman_power(events, hr, alpha, p) if hr != 1 else alpha})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class SampleSize:
    """Events and participants needed for a target power.

    Attributes
    ----------
    summary : DataFrame
        One row per method (Schoenfeld, Freedman): ``method``, ``hr``, ``events``, ``p_event``,
        ``n_total`` (rounded up to an even number), ``alpha``, ``power``.
    """

    summary: pd.DataFrame

    def to_dict(self) -> dict:
        return {"methods": self.summary.to_dict(orient="records")}


def sample_size(scenario: Scenario, power: float = 0.9, alpha: float = 0.05) -> SampleSize:
    """Participants needed for ``power`` given the scenario's effect, follow-up and loss to follow-up.

    Examples
    --------
    >>> from analysis.model.default import default_scenario
    >>> ss = sample_size(default_scenario(), power=0.9).summary.set_index("method")
    >>> int(ss.loc["schoenfeld", "events"]), int(ss.loc["schoenfeld", "n_total"])
    (390, 540)
    """
    import pandas as pd

    power, alpha = _check_prob("power", power), _check_prob("alpha", alpha)
    e = _expected(scenario)
    p_event = e.events_total / scenario.design.n_total
    allocation = _allocation(scenario)
    rows = []
    for method, fn in (("schoenfeld", schoenfeld_events), ("freedman", freedman_events)):
        events = fn(e.cox_hr, alpha, power, allocation)
        n = math.ceil(events / p_event)
        rows.append({"method": method, "hr": e.cox_hr, "events": math.ceil(events), "p_event": p_event,
                     "n_total": n + (n % 2), "alpha": alpha, "power": power})
    return SampleSize(pd.DataFrame(rows))


def dilution_table(scenario: Scenario, never_start_values: Sequence[float], alpha: float = 0.05,
                   power: float = 0.9) -> pd.DataFrame:
    """How never-starters dilute the ITT hazard ratio and inflate the events and sample size needed.

    The reference is the scenario with everyone starting (``never_start = 0``), whose HR is the
    starters' HR ``HR_s``; nothing is recalibrated.

    Returns
    -------
    DataFrame
        ``never_start``; ``hr_model`` (expected Cox HR of the scenario with that share),
        ``hr_log_dilution`` (``HR_s^(1-p)``), ``hr_hazard_mix`` (``(1-p) HR_s + p``);
        ``events_model`` (Schoenfeld events at ``hr_model``), ``inflation_model`` (events relative
        to ``never_start = 0``), ``inflation_simple`` (``1/(1-p)^2``), ``n_model`` (participants
        at the scenario's event probability).

    Examples
    --------
    >>> from analysis.model.default import default_scenario
    >>> t = dilution_table(default_scenario(), [0.0, 0.2])
    >>> round(float(t.inflation_simple[1]), 4)
    1.5625
    """
    import pandas as pd

    alpha, power = _check_prob("alpha", alpha), _check_prob("power", power)
    values = [float(v) for v in never_start_values]
    for v in values:
        if not 0 <= v < 1:
            raise WalkBackInputError(f"never_start = {v!r} must be from 0 to below 1")
    allocation = _allocation(scenario)
    reference = _expected(with_changes(scenario, {"adherence.never_start": 0.0}))
    hr_s = reference.cox_hr
    events_0 = schoenfeld_events(hr_s, alpha, power, allocation)
    rows = []
    for p in values:
        e = _expected(with_changes(scenario, {"adherence.never_start": p}))
        events = schoenfeld_events(e.cox_hr, alpha, power, allocation) if e.cox_hr != 1 else math.inf
        p_event = e.events_total / scenario.design.n_total
        rows.append({"never_start": p, "hr_model": e.cox_hr, "hr_log_dilution": hr_s ** (1 - p),
                     "hr_hazard_mix": (1 - p) * hr_s + p, "events_model": events,
                     "inflation_model": events / events_0, "inflation_simple": 1.0 / (1 - p) ** 2,
                     "n_model": events / p_event})
    return pd.DataFrame(rows)


def _effect_field(scenario: Scenario) -> str:
    shape = scenario.dose_response.shape
    return {"log_linear": "dose_response.log_hr_per_100_min", "emax": "dose_response.emax"}.get(
        shape, "dose_response.education_hr")


def scenario_with_hr(scenario: Scenario, hr: float) -> Scenario:
    """The scenario with its walking (or education) effect rescaled so the expected ITT Cox HR is ``hr``.

    Examples
    --------
    >>> from analysis.model.default import default_scenario
    >>> round(expected_trial(scenario_with_hr(default_scenario(), 0.8)).cox_hr, 4)
    0.8
    """
    hr = _check_prob("hazard ratio", hr, 0.0, math.inf)
    name = _effect_field(scenario)
    lo, hi = {"dose_response.log_hr_per_100_min": (-5.0, 5.0), "dose_response.emax": (0.0, 1.0),
              "dose_response.education_hr": (0.05, 5.0)}[name]

    def gap(x: float) -> float:
        return math.log(_expected(with_changes(scenario, {name: float(x)})).cox_hr) - math.log(hr)

    g_lo, g_hi = gap(lo), gap(hi)
    if g_lo * g_hi > 0:
        reach = sorted([math.exp(g_lo) * hr, math.exp(g_hi) * hr])
        raise WalkBackInputError(f"hazard ratio {hr:g} cannot be reached by changing {name} in this scenario "
                                 f"(reachable: {reach[0]:.3f} to {reach[1]:.3f})")
    from scipy import optimize  # only here: scipy.optimize costs 0.3 s at start-up

    x = optimize.brentq(gap, lo, hi, xtol=1e-10)
    return with_changes(scenario, {name: float(x)})


# --------------------------------------------------------------------------- Monte Carlo
@dataclass(frozen=True)
class SimulatedPower:
    """Monte Carlo power of the two-sided log-rank test for one scenario.

    Attributes
    ----------
    power, mc_se : float
        Share of simulated trials with p < alpha, and its Monte Carlo SE ``sqrt(p(1-p)/n_sims)``.
    n_sims, n_total, seed, alpha : as run
    events_mean : float
        Mean observed recurrences per trial.
    hr_geometric_mean : float
        Geometric mean of the converged Cox HR estimates.
    elapsed_seconds : float
    """

    power: float
    mc_se: float
    n_sims: int
    n_total: int
    seed: int
    alpha: float
    events_mean: float
    hr_geometric_mean: float
    elapsed_seconds: float
    endpoint: str = "primary"

    @property
    def summary(self) -> pd.DataFrame:
        import pandas as pd
        return pd.DataFrame([self.to_dict()])

    def to_dict(self) -> dict:
        return {"n_total": self.n_total, "power": self.power, "mc_se": self.mc_se, "n_sims": self.n_sims,
                "seed": self.seed, "alpha": self.alpha, "events_mean": self.events_mean,
                "hr_geometric_mean": self.hr_geometric_mean, "elapsed_seconds": self.elapsed_seconds,
                "endpoint": self.endpoint}


def simulated_power(scenario: Scenario, n_sims: int, seed: int, *, executor: Executor | None = None,
                    progress: Callable[[int, int], None] | None = None, alpha: float = 0.05,
                    chunk_size: int | None = None, endpoint: str = "primary") -> SimulatedPower:
    """Monte Carlo power: simulate ``n_sims`` trials and count log-rank rejections at ``alpha``.

    Examples
    --------
    >>> from analysis.model.default import default_scenario
    >>> sp = simulated_power(default_scenario(), 40, seed=3)
    >>> sp.n_sims, 0.0 <= sp.power <= 1.0
    (40, True)
    """
    from .replicates import DEFAULT_CHUNK, analyse_chunk, check_replicates, check_seed, map_replicate_chunks

    n_sims = check_replicates(n_sims, "n_sims")
    seed = check_seed(seed)
    alpha = _check_prob("alpha", alpha)
    began = time.perf_counter()
    parts = map_replicate_chunks(analyse_chunk, n_sims, chunk_size or DEFAULT_CHUNK, executor, progress,
                                 args=(scenario, seed), kwargs={"endpoint": endpoint})
    p = np.concatenate([part["logrank_p"] for part in parts])
    log_hr = np.concatenate([part["log_hr"] for part in parts])
    events = np.concatenate([part["events"] for part in parts])
    power = float(np.mean(p < alpha))
    finite = np.isfinite(log_hr) & np.concatenate([part["converged"] for part in parts])
    return SimulatedPower(power=power, mc_se=math.sqrt(power * (1 - power) / n_sims), n_sims=n_sims,
                          n_total=scenario.design.n_total, seed=seed, alpha=alpha, events_mean=float(events.mean()),
                          hr_geometric_mean=float(np.exp(log_hr[finite].mean())) if finite.any() else math.nan,
                          elapsed_seconds=time.perf_counter() - began, endpoint=endpoint)


def _curve_scenario(scenario: Scenario, parameter: str, value: float, n_total: int | None) -> Scenario:
    if parameter == "n":
        return scenario_for_size(scenario, int(value))
    s = scenario if n_total is None else scenario_for_size(scenario, n_total)
    if parameter == "never_start":
        return with_changes(s, {"adherence.never_start": float(value)})
    if parameter == "mean_adherence":
        return with_changes(s, {"adherence.mean_adherence": float(value)})
    return scenario_with_hr(s, float(value))


@dataclass(frozen=True)
class PowerCurve:
    """Analytic and simulated power over a grid of one design parameter.

    Attributes
    ----------
    summary : DataFrame
        One row per value: ``parameter``, ``value``, ``n_total``, ``hr`` (expected Cox HR),
        ``events_expected``, ``power_schoenfeld``, ``power_freedman``, ``power_simulated``,
        ``mc_se``, ``sim_lower``, ``sim_upper`` (``power_simulated -/+ 1.96 mc_se``),
        ``events_simulated``, ``seconds``.
    parameter : str
        One of :data:`CURVE_PARAMETERS`.
    """

    summary: pd.DataFrame
    parameter: str
    n_sims: int
    seed: int
    alpha: float

    def to_dict(self) -> dict:
        return {"parameter": self.parameter, "n_sims": self.n_sims, "seed": self.seed, "alpha": self.alpha,
                "points": self.summary.astype(object).where(self.summary.notna(), None).to_dict(orient="records")}


def power_curve(scenario: Scenario, parameter: str, values: Sequence[float], n_sims: int, seed: int, *,
                n_total: int | None = None, executor: Executor | None = None,
                progress: Callable[[int, int], None] | None = None, alpha: float = 0.05) -> PowerCurve:
    """Power against sample size, adherence or HR: Schoenfeld, Freedman and Monte Carlo side by side.

    Every grid point uses the same ``seed`` (common random numbers across the curve); ``n_sims=0``
    gives the analytic curve only. ``n_total`` fixes the size when the parameter is not ``"n"``.

    Examples
    --------
    >>> from analysis.model.default import default_scenario
    >>> c = power_curve(default_scenario(), "n", [300, 600], n_sims=0, seed=1)
    >>> c.summary.power_schoenfeld.is_monotonic_increasing
    True
    """
    import pandas as pd

    from .replicates import check_seed

    if parameter not in CURVE_PARAMETERS:
        raise WalkBackInputError(f"parameter = {parameter!r} must be one of {', '.join(CURVE_PARAMETERS)}")
    values = list(values)
    if not values:
        raise WalkBackInputError("give at least one value for the power curve")
    if parameter == "n":
        values = _check_sizes(values)
    if isinstance(n_sims, bool) or not isinstance(n_sims, (int, np.integer)) or not 0 <= n_sims <= 100_000:
        raise WalkBackInputError(f"n_sims = {n_sims!r} must be a whole number from 0 to 100,000")
    seed = check_seed(seed)
    alpha = _check_prob("alpha", alpha)
    scenarios = [_curve_scenario(scenario, parameter, v, n_total) for v in values]
    total = n_sims * len(values)
    rows = []
    for k, (value, s) in enumerate(zip(values, scenarios)):
        e = _expected(s)
        p = _allocation(s)
        row = {"parameter": parameter, "value": value, "n_total": s.design.n_total, "hr": e.cox_hr,
               "events_expected": e.events_total,
               "power_schoenfeld": schoenfeld_power(e.events_total, e.cox_hr, alpha, p) if e.cox_hr != 1 else alpha,
               "power_freedman": freedman_power(e.events_total, e.cox_hr, alpha, p) if e.cox_hr != 1 else alpha,
               "power_simulated": math.nan, "mc_se": math.nan, "sim_lower": math.nan, "sim_upper": math.nan,
               "events_simulated": math.nan, "seconds": 0.0}
        if n_sims:
            offset = k * n_sims
            inner = None if progress is None else (lambda done, _n, offset=offset: progress(offset + done, total))
            sp = simulated_power(s, n_sims, seed, executor=executor, progress=inner, alpha=alpha)
            row.update(power_simulated=sp.power, mc_se=sp.mc_se, sim_lower=max(0.0, sp.power - 1.96 * sp.mc_se),
                       sim_upper=min(1.0, sp.power + 1.96 * sp.mc_se), events_simulated=sp.events_mean,
                       seconds=sp.elapsed_seconds)
        rows.append(row)
    return PowerCurve(pd.DataFrame(rows), parameter, int(n_sims), seed, alpha)
