"""How sure are we that walking works, and how likely is a follow-up trial to confirm it?

Place in the pipeline: published result -> **Bayesian reading** (closed form), and posterior ->
scenario with that effect (:func:`analysis.studies.power.scenario_with_hr`) -> many simulated
trials (:mod:`analysis.studies.replicates`) -> **assurance**.

Bayesian reading
----------------
The published primary result, HR 0.72 (95% CI 0.60 to 0.85), is read as a normal likelihood for
the log hazard ratio ``theta``: mean ``log 0.72``, standard error from the width of the CI,
``(log 0.85 - log 0.60) / (2 * 1.959964) = 0.0889`` (the published CI is not exactly symmetric
about 0.72 on the log scale after rounding, so the flat-prior interval is 0.605 to 0.857).
A normal prior ``theta ~ N(mu0, s0^2)`` gives the conjugate posterior with precision
``1/s0^2 + 1/se^2`` and mean the precision-weighted average (Spiegelhalter, Abrams & Myles 2004,
ch. 3). A flat prior (``s0 = inf``) returns the likelihood.

A prior is set, as a clinician would say it, by its median hazard ratio ``m`` and the
probability ``q`` it gives to a benefit beyond a minimal important hazard ratio ``MID``:
``P(HR < MID) = Phi((log MID - log m) / s0) = q``, so ``s0 = (log MID - log m) / Phi^-1(q)``.
That needs ``m`` and ``q`` on the same side (``m < MID`` with ``q > 1/2`` or ``m > MID`` with
``q < 1/2``). The presets, with ``MID = 0.85`` (an assumption):

- sceptical: median HR 1 (no effect), ``P(HR < MID) = 5%`` (``s0 = 0.099``);
- enthusiastic: median HR 0.70, ``P(HR < MID) = 80%`` (``s0 = 0.231``; then ``P(HR > 1) = 6%``);
- flat: no prior information.

Assurance
---------
Success of the follow-up trial = two-sided log-rank p < alpha with the hazard ratio estimate
below 1. Its probability given ``theta`` is, by Schoenfeld's approximation with ``D(theta)``
expected events and allocation ``p``, ``Phi(-theta sqrt(D p (1 - p)) - z_{1-alpha/2})``;
assurance (O'Hagan, Stevens & Campbell 2005) is that averaged over the posterior of ``theta``.
Closed form: the integral by 64-point Gauss-Hermite quadrature, ``D(theta)`` the scenario's expected
events at that hazard ratio (:func:`analysis.model.expectation.expected_trial`, interpolated
between nine posterior quantiles from 0.05% to 99.95%). Simulation: the posterior is cut into ``nodes`` equal-probability
slices, each represented by its median ``theta_j``; the walking effect of the calibrated scenario is
rescaled so its expected Cox HR is ``exp(theta_j)``, and ``n_sims / nodes`` trials are simulated at
each (trial ``i`` of the run is child ``i`` of ``SeedSequence(seed)``, as every Monte Carlo study here).
Monte Carlo SE: ``sqrt(sum_j p_j (1 - p_j) / n_j) / nodes`` (stratified sampling).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..design.boundaries import GroupSequentialDesign, compute_boundaries, sequential_probabilities
from ..errors import WalkBackInputError
from ..simulate.engine import scenario_for_size
from ..stats import tails as stats
from ..trial.scenario import Scenario

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["NormalEstimate", "PUBLISHED_PRIMARY", "Prior", "standard_priors", "Posterior", "posterior",
           "BayesReading", "bayes_reading", "Assurance", "assurance", "posterior_average", "DEFAULT_MID_HR"]

Z975 = float(stats.norm.ppf(0.975))
#: Minimal important hazard ratio of the presets (an assumption: WalkBack published none).
DEFAULT_MID_HR = 0.85


def _positive(name: str, value: Any, *, below_one: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) \
            or not math.isfinite(float(value)) or float(value) <= 0:
        raise WalkBackInputError(f"{name} = {value!r} must be a positive number")
    if below_one and float(value) >= 1:
        raise WalkBackInputError(f"{name} = {value!r} must be between 0 and 1")
    return float(value)


@dataclass(frozen=True)
class NormalEstimate:
    """A normal likelihood for the log hazard ratio: ``log_hr`` with standard error ``se``.

    Examples
    --------
    >>> e = NormalEstimate.from_ci(0.72, 0.60, 0.85)
    >>> round(e.se, 4), round(math.exp(e.log_hr), 2)
    (0.0889, 0.72)
    """

    log_hr: float
    se: float
    label: str = ""

    def __post_init__(self) -> None:
        if not math.isfinite(self.log_hr):
            raise WalkBackInputError(f"log hazard ratio = {self.log_hr!r} must be finite")
        _positive("standard error of the log hazard ratio", self.se)

    @classmethod
    def from_ci(cls, hr: float, lower: float, upper: float, level: float = 0.95, label: str = "") -> NormalEstimate:
        """Estimate ``log hr``, SE ``(log upper - log lower) / (2 z)`` (``z`` of the CI's level)."""
        hr, lower, upper = (_positive(n, v) for n, v in (("hazard ratio", hr), ("lower", lower), ("upper", upper)))
        if not lower < hr < upper:
            raise WalkBackInputError(f"the interval {lower:g} to {upper:g} must contain the hazard ratio {hr:g}")
        z = float(stats.norm.ppf(0.5 + _positive("level", level, below_one=True) / 2))
        return cls(math.log(hr), (math.log(upper) - math.log(lower)) / (2 * z), label)


#: The published primary result (Pocovi et al., Lancet 2024): HR 0.72 (0.60 to 0.85).
PUBLISHED_PRIMARY = NormalEstimate.from_ci(0.72, 0.60, 0.85, label="WalkBack primary, HR 0.72 (0.60 to 0.85)")


@dataclass(frozen=True)
class Prior:
    """A normal prior for the log hazard ratio: median ``median_hr``, SD ``sd`` (``inf`` = flat).

    Examples
    --------
    >>> p = Prior.from_benefit("sceptical", 1.0, 0.05, 0.85)
    >>> round(p.sd, 4), round(p.prob_below(0.85), 2)
    (0.0988, 0.05)
    >>> Prior.from_benefit("odd", 0.7, 0.2, 0.85)
    Traceback (most recent call last):
    ...
    analysis.errors.WalkBackInputError: prior 'odd': a median HR of 0.7 is below the minimal important HR 0.85, so the probability of a benefit beyond it must be above 50%, not 20%
    """

    name: str
    median_hr: float = 1.0
    sd: float = math.inf

    def __post_init__(self) -> None:
        _positive(f"prior {self.name!r}: median hazard ratio", self.median_hr)
        if isinstance(self.sd, bool) or not isinstance(self.sd, (int, float)) or math.isnan(self.sd) or self.sd <= 0:
            raise WalkBackInputError(f"prior {self.name!r}: SD = {self.sd!r} must be above 0 (use a flat prior for "
                                     "no prior information)")

    @property
    def flat(self) -> bool:
        return math.isinf(self.sd)

    @property
    def mean(self) -> float:
        """Mean (= median) of the log hazard ratio."""
        return math.log(self.median_hr)

    def prob_below(self, hr: float) -> float:
        """Prior probability that the hazard ratio is below ``hr`` (nan for a flat prior)."""
        if self.flat:
            return math.nan
        return float(stats.norm.cdf((math.log(hr) - self.mean) / self.sd))

    @classmethod
    def from_benefit(cls, name: str, median_hr: float, prob_benefit: float, mid_hr: float = DEFAULT_MID_HR) -> Prior:
        """The prior with median ``median_hr`` giving probability ``prob_benefit`` to HR < ``mid_hr``.

        ``sd = (log mid_hr - log median_hr) / Phi^-1(prob_benefit)``.
        """
        median_hr = _positive(f"prior {name!r}: median hazard ratio", median_hr)
        mid_hr = _positive("minimal important hazard ratio", mid_hr)
        q = _positive(f"prior {name!r}: probability of a benefit beyond the minimal important HR", prob_benefit,
                      below_one=True)
        gap = math.log(mid_hr) - math.log(median_hr)
        zq = float(stats.norm.ppf(q))
        if gap == 0 or zq == 0 or (gap > 0) != (zq > 0):
            side = "below" if gap > 0 else "above" if gap < 0 else "equal to"
            need = "above 50%" if gap > 0 else "below 50%" if gap < 0 else "exactly 50% (and says nothing of the SD)"
            raise WalkBackInputError(
                f"prior {name!r}: a median HR of {median_hr:g} is {side} the minimal important HR {mid_hr:g}, so the "
                f"probability of a benefit beyond it must be {need}, not {100 * q:g}%")
        return cls(name, median_hr, gap / zq)

    @classmethod
    def from_interval(cls, name: str, lower: float, upper: float, level: float = 0.95) -> Prior:
        """The prior whose central ``level`` interval of the HR is ``lower`` to ``upper`` (median: geometric mean)."""
        lower, upper = _positive("lower", lower), _positive("upper", upper)
        if not lower < upper:
            raise WalkBackInputError(f"prior {name!r}: the interval {lower:g} to {upper:g} must go from low to high")
        z = float(stats.norm.ppf(0.5 + _positive("level", level, below_one=True) / 2))
        return cls(name, math.sqrt(lower * upper), (math.log(upper) - math.log(lower)) / (2 * z))


def standard_priors(mid_hr: float = DEFAULT_MID_HR) -> tuple[Prior, ...]:
    """Flat, sceptical (median HR 1, 5% beyond ``mid_hr``) and enthusiastic (median 0.70, 80% beyond ``mid_hr``).

    Examples
    --------
    >>> [p.name for p in standard_priors()]
    ['flat', 'sceptical', 'enthusiastic']
    """
    return (Prior("flat"), Prior.from_benefit("sceptical", 1.0, 0.05, mid_hr),
            Prior.from_benefit("enthusiastic", 0.70, 0.80, mid_hr))


@dataclass(frozen=True)
class Posterior:
    """Normal posterior of the log hazard ratio under one prior.

    Attributes
    ----------
    mean, sd : float
        Posterior mean and SD of the log hazard ratio.
    median_hr, lower, upper : float
        Posterior median hazard ratio and 95% credible interval.
    p_benefit, p_beyond_mid : float
        P(HR < 1) and P(HR < ``mid_hr``).
    """

    prior: Prior
    estimate: NormalEstimate
    mid_hr: float
    mean: float
    sd: float

    @property
    def median_hr(self) -> float:
        return math.exp(self.mean)

    @property
    def lower(self) -> float:
        return math.exp(self.mean - Z975 * self.sd)

    @property
    def upper(self) -> float:
        return math.exp(self.mean + Z975 * self.sd)

    @property
    def p_benefit(self) -> float:
        return float(stats.norm.cdf(-self.mean / self.sd))

    @property
    def p_beyond_mid(self) -> float:
        return float(stats.norm.cdf((math.log(self.mid_hr) - self.mean) / self.sd))

    def quantile(self, q) -> np.ndarray:
        """Quantiles of the log hazard ratio."""
        return self.mean + self.sd * stats.norm.ppf(np.asarray(q, float))

    def to_dict(self) -> dict:
        return {"prior": self.prior.name, "prior_median_hr": self.prior.median_hr,
                "prior_sd_log_hr": None if self.prior.flat else self.prior.sd,
                "prior_p_beyond_mid": None if self.prior.flat else self.prior.prob_below(self.mid_hr),
                "posterior_median_hr": self.median_hr, "ci": [self.lower, self.upper],
                "p_hr_below_1": self.p_benefit, "p_hr_below_mid": self.p_beyond_mid,
                "posterior_mean_log_hr": self.mean, "posterior_sd_log_hr": self.sd}


def posterior(prior: Prior, estimate: NormalEstimate = PUBLISHED_PRIMARY, mid_hr: float = DEFAULT_MID_HR) -> Posterior:
    """Conjugate normal update of ``prior`` by ``estimate`` (see the module docstring).

    Examples
    --------
    >>> post = posterior(Prior("flat"))
    >>> f"{post.median_hr:.2f} ({post.lower:.3f} to {post.upper:.3f})"
    '0.72 (0.605 to 0.857)'
    """
    mid_hr = _positive("minimal important hazard ratio", mid_hr)
    w_data = 1.0 / estimate.se ** 2
    w_prior = 0.0 if prior.flat else 1.0 / prior.sd ** 2
    mean = (w_data * estimate.log_hr + w_prior * (0.0 if prior.flat else prior.mean)) / (w_data + w_prior)
    return Posterior(prior, estimate, mid_hr, mean, 1.0 / math.sqrt(w_data + w_prior))


@dataclass(frozen=True)
class BayesReading:
    """Posteriors of the published result under several priors (:func:`bayes_reading`)."""

    posteriors: tuple[Posterior, ...]
    estimate: NormalEstimate
    mid_hr: float

    @property
    def summary(self) -> pd.DataFrame:
        """One row per prior: ``prior``, ``prior_median_hr``, ``prior_sd``, ``prior_p_beyond_mid``,
        ``median_hr``, ``lower``, ``upper``, ``p_hr_below_1``, ``p_hr_below_mid``."""
        import pandas as pd

        return pd.DataFrame([{
            "prior": p.prior.name, "prior_median_hr": p.prior.median_hr, "prior_sd": p.prior.sd,
            "prior_p_beyond_mid": p.prior.prob_below(self.mid_hr), "median_hr": p.median_hr, "lower": p.lower,
            "upper": p.upper, "p_hr_below_1": p.p_benefit, "p_hr_below_mid": p.p_beyond_mid}
            for p in self.posteriors])

    def densities(self, points: int = 241) -> pd.DataFrame:
        """Prior, likelihood and posterior densities of the hazard ratio for a figure, tidy.

        Columns ``prior`` (the prior's name), ``curve`` ("prior", "likelihood" or "posterior"), ``hr``
        and ``density`` (per unit of log HR, so the curves' areas on a log-HR axis are 1; a flat
        prior has no curve). The grid spans every posterior's and the likelihood's 0.01% to 99.99%
        quantiles, and the proper priors' central 98%.
        """
        import pandas as pd

        z = float(stats.norm.ppf(0.9999))
        spans = [(self.estimate.log_hr - z * self.estimate.se, self.estimate.log_hr + z * self.estimate.se)]
        spans += [(p.mean - z * p.sd, p.mean + z * p.sd) for p in self.posteriors]
        spans += [(p.prior.mean - 2.33 * p.prior.sd, p.prior.mean + 2.33 * p.prior.sd) for p in self.posteriors
                  if not p.prior.flat]
        theta = np.linspace(min(a for a, _ in spans), max(b for _, b in spans), points)

        def pdf(mean: float, sd: float) -> np.ndarray:
            return np.exp(-0.5 * ((theta - mean) / sd) ** 2) / (sd * math.sqrt(2 * math.pi))

        frames = []
        for p in self.posteriors:
            curves = [("likelihood", pdf(self.estimate.log_hr, self.estimate.se)), ("posterior", pdf(p.mean, p.sd))]
            if not p.prior.flat:
                curves.insert(0, ("prior", pdf(p.prior.mean, p.prior.sd)))
            for curve, density in curves:
                frames.append(pd.DataFrame({"prior": p.prior.name, "curve": curve, "hr": np.exp(theta),
                                            "density": density}))
        return pd.concat(frames, ignore_index=True)

    def to_dict(self) -> dict:
        return {"estimate": {"hr": math.exp(self.estimate.log_hr), "se_log_hr": self.estimate.se,
                             "label": self.estimate.label},
                "mid_hr": self.mid_hr, "posteriors": [p.to_dict() for p in self.posteriors]}


def bayes_reading(priors: Sequence[Prior] | None = None, estimate: NormalEstimate = PUBLISHED_PRIMARY,
                  mid_hr: float = DEFAULT_MID_HR) -> BayesReading:
    """The published primary result read under each prior (default: :func:`standard_priors`).

    Examples
    --------
    >>> r = bayes_reading()
    >>> r.summary[["prior", "median_hr"]].round(2).values.tolist()
    [['flat', 0.72], ['sceptical', 0.83], ['enthusiastic', 0.72]]
    """
    priors = tuple(priors) if priors is not None else standard_priors(mid_hr)
    if not priors:
        raise WalkBackInputError("give at least one prior")
    return BayesReading(tuple(posterior(p, estimate, mid_hr) for p in priors), estimate, float(mid_hr))


# --------------------------------------------------------------------------- assurance
#: Posterior quantiles at which the closed form computes the expected events (interpolated between).
_EVENT_ANCHORS = (0.0005, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 0.9995)


def _success_given_theta(theta: np.ndarray, events: np.ndarray, allocation: float, alpha: float) -> np.ndarray:
    """Schoenfeld: P(two-sided log-rank p < alpha and HR estimate < 1 | log HR theta)."""
    drift = -theta * np.sqrt(events * allocation * (1 - allocation))
    return stats.norm.cdf(drift - float(stats.norm.ppf(1 - alpha / 2)))


def posterior_average(power_at: Callable[[np.ndarray], np.ndarray], post: Posterior, nodes: int = 64) -> float:
    """The posterior mean of ``power_at(theta)`` (any design's probability of success at log HR ``theta``).

    Gauss-Hermite quadrature with ``nodes`` points, exact for a polynomial of degree ``2 nodes - 1``
    in theta. :func:`assurance` uses it for the fixed design; for a group-sequential design pass
    the probability of crossing its efficacy boundary at the drift ``-theta sqrt(I_max)``.

    Examples
    --------
    Fixed design with 506 events: ``Phi(-theta sqrt(D/4) - 1.96)`` averaged over N(m, s^2) is
    ``Phi((-m sqrt(D/4) - 1.96) / sqrt(1 + s^2 D/4))``:

    >>> post = posterior(Prior("flat"))
    >>> info = 506 / 4
    >>> closed = stats.norm.cdf((-post.mean * info ** 0.5 - Z975) / (1 + post.sd ** 2 * info) ** 0.5)
    >>> quad = posterior_average(lambda t: stats.norm.cdf(-t * info ** 0.5 - Z975), post)
    >>> bool(abs(quad - closed) < 1e-12)
    True
    """
    x, w = np.polynomial.hermite_e.hermegauss(nodes)
    return float((w / w.sum()) @ np.asarray(power_at(post.mean + post.sd * x), dtype=float))


def _node_scenarios(scenario: Scenario, thetas: np.ndarray) -> list[Scenario]:
    from .power import scenario_with_hr

    return [scenario_with_hr(scenario, float(math.exp(t))) for t in thetas]


def _expected_events(scenarios: Sequence[Scenario]) -> np.ndarray:
    from .power import endpoint_expectation

    return np.array([endpoint_expectation(s)[1] for s in scenarios])


def _assurance_chunk(scenarios: tuple[Scenario, ...], n_sims: int, seed: int, alpha: float, start: int,
                     count: int) -> np.ndarray:
    """Success (p < alpha and HR < 1) of replicates ``start .. start + count - 1``; replicate i sits at
    node ``i * nodes // n_sims`` (so results never depend on the chunking)."""
    from .replicates import analyse_chunk

    nodes = len(scenarios)
    index = np.arange(start, start + count)
    node = index * nodes // n_sims
    out = np.empty(count, dtype=bool)
    for j in np.unique(node).tolist():
        rows = np.flatnonzero(node == j)
        got = analyse_chunk(scenarios[j], seed, int(index[rows[0]]), rows.size)
        out[rows] = (got["logrank_p"] < alpha) & (got["log_hr"] < 0)
    return out


@dataclass(frozen=True)
class Assurance:
    """Assurance of a follow-up design under each posterior (:func:`assurance`).

    ``summary`` has one row per prior: ``prior``, ``n_total``, ``posterior_median_hr``,
    ``power_at_median`` (Schoenfeld at the posterior median), ``assurance_closed_form``,
    ``assurance_simulated``, ``mc_se``, ``n_sims`` (and ``assurance_group_sequential`` when a
    group-sequential design is given).
    """

    summary: pd.DataFrame
    n_total: int
    alpha: float
    n_sims: int
    seed: int
    nodes: int

    def to_dict(self) -> dict:
        rows = self.summary.astype(object).where(self.summary.notna(), None).to_dict(orient="records")
        return {"n_total": self.n_total, "alpha": self.alpha, "n_sims": self.n_sims, "seed": self.seed,
                "nodes": self.nodes, "success": "two-sided log-rank p < alpha with HR estimate < 1", "rows": rows}


def assurance(scenario: Scenario, posteriors: Sequence[Posterior], n_total: int | None = None, *, n_sims: int = 0,
              seed: int = 1, alpha: float = 0.05, nodes: int = 20, executor: Executor | None = None,
              group_sequential: GroupSequentialDesign | None = None) -> Assurance:
    """Assurance of a follow-up trial of ``n_total`` participants: closed form, and simulated when ``n_sims`` > 0.

    Parameters
    ----------
    scenario : Scenario
        The calibrated scenario (or a what-if); its walking effect is rescaled to each hazard ratio.
    posteriors : sequence of Posterior
        What we believe about the log hazard ratio (:func:`bayes_reading`).
    n_total : int, optional
        Participants of the follow-up (default: the scenario's).
    n_sims, seed, nodes : int
        Simulated trials per posterior (0: closed form only), the seed (trial i = child i of
        ``SeedSequence(seed)``) and the number of equal-probability slices of the posterior.
    group_sequential : analysis.design.boundaries.GroupSequentialDesign, optional
        Adds ``assurance_group_sequential``: the probability of crossing the design's efficacy
        boundary at any look (its own alpha; looks at its information rates of the expected
        recurrences ``D(theta)``), averaged over the posterior in closed form (32-point
        quadrature; no simulation).

    Examples
    --------
    >>> from analysis.model.default import default_scenario
    >>> a = assurance(default_scenario(), bayes_reading().posteriors[:1], nodes=5)
    >>> round(float(a.summary.assurance_closed_form[0]), 2)
    0.89
    """
    import pandas as pd

    from .replicates import DEFAULT_CHUNK, check_seed, map_replicate_chunks

    alpha = _positive("alpha", alpha, below_one=True)
    if n_total is not None:
        scenario = scenario_for_size(scenario, n_total)
    if isinstance(n_sims, bool) or not isinstance(n_sims, (int, np.integer)) or not 0 <= n_sims <= 100_000:
        raise WalkBackInputError(f"n_sims = {n_sims!r} must be a whole number from 0 to 100,000")
    if isinstance(nodes, bool) or not isinstance(nodes, (int, np.integer)) or not 3 <= nodes <= 200:
        raise WalkBackInputError(f"nodes = {nodes!r} must be a whole number from 3 to 200")
    seed = check_seed(seed)
    allocation = scenario.design.n_intervention / scenario.design.n_total
    rows = []
    for post in posteriors:
        anchors = post.quantile(_EVENT_ANCHORS)
        events = _expected_events(_node_scenarios(scenario, anchors))
        closed = posterior_average(  # events interpolated between the anchors, flat beyond them
            lambda t: _success_given_theta(t, np.interp(t, anchors, events), allocation, alpha), post)
        median_events = float(np.interp(post.mean, anchors, events))
        row = {"prior": post.prior.name, "n_total": scenario.design.n_total, "posterior_median_hr": post.median_hr,
               "power_at_median": float(_success_given_theta(np.array(post.mean), np.array(median_events),
                                                             allocation, alpha)),
               "assurance_closed_form": closed, "assurance_simulated": math.nan, "mc_se": math.nan, "n_sims": n_sims}
        if group_sequential is not None:
            boundaries = compute_boundaries(group_sequential)
            scale = math.sqrt(allocation * (1 - allocation))

            def crossing(t: np.ndarray) -> np.ndarray:
                drift = -t * np.sqrt(np.interp(t, anchors, events)) * scale
                return np.array([sequential_probabilities(boundaries, float(d)).power for d in drift])

            row["assurance_group_sequential"] = posterior_average(crossing, post, nodes=32)
        if n_sims:
            if n_sims < nodes:
                raise WalkBackInputError(f"n_sims = {n_sims} must be at least the {nodes} slices of the posterior")
            node_scenarios = _node_scenarios(scenario, post.quantile((np.arange(nodes) + 0.5) / nodes))
            parts = map_replicate_chunks(_assurance_chunk, n_sims, DEFAULT_CHUNK, executor, None,
                                         args=(tuple(node_scenarios), n_sims, seed, alpha))
            success = np.concatenate(parts)
            node = np.arange(n_sims) * nodes // n_sims
            n_j = np.bincount(node, minlength=nodes)
            p_j = np.bincount(node, weights=success, minlength=nodes) / n_j
            row["assurance_simulated"] = float(p_j.mean())
            row["mc_se"] = float(math.sqrt(np.sum(p_j * (1 - p_j) / n_j)) / nodes)
        rows.append(row)
    return Assurance(pd.DataFrame(rows), scenario.design.n_total, alpha, int(n_sims), seed, int(nodes))
