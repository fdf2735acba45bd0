"""Cost-effectiveness alongside the trial: increments, ICER, bootstrap, plane, acceptability, net benefit.

Place in the pipeline: per-participant cost/QALY table (:func:`analysis.model.costs.participant_costs`)
-> **economics** -> plots / CLI / page. The analysis follows the trial-based workflow of Ben et al.
(PharmacoEconomics 2023): costs and effects bootstrapped in pairs, stratified by arm; the
cost-effectiveness plane with quadrant shares; the acceptability curve; incremental net monetary
benefit (INMB) with its interval against willingness-to-pay; Fieller's interval for the ICER.

The statistics of two arms' increments (the bootstrap, quadrants, Fieller's interval, the normal
acceptability curve) live in :mod:`analysis.stats.increments`; their names stay importable from here.

Quadrants (increments intervention minus control): ``NE`` more costly and more effective, ``SE``
less costly and more effective (dominant), ``SW`` less costly and less effective, ``NW`` more costly
and less effective (dominated). An increment of exactly zero counts as West (QALYs) or South (cost).
The ICER is reported only where it means something (NE: cost per QALY gained; SW: saving per QALY
lost); elsewhere the statement says dominant or dominated, never a negative ratio.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..errors import WalkBackInputError
from ..model.costs import Economics, participant_costs, priced_columns, resource_use
from ..simulate.seeds import check_seed, replicate_seeds
from ..stats.increments import (BLOCK_CELLS, QUADRANTS, CEAError, acceptability_normal, arm_values,
                                bootstrap_increments, describe_increments, fieller_interval, quadrants)
from .limits import MAX_BOOTSTRAP  # a module without imports, so the CLI parser can show it cheaply

__all__ = ["CEASettings", "CostEffectiveness", "cost_effectiveness", "bootstrap_increments", "quadrants",
           "describe_increments", "fieller_interval", "acceptability_normal", "one_way_sensitivity",
           "one_way_sensitivities", "trial_cost_effectiveness", "stacked_trials", "cea_study", "CEAStudy",
           "QUADRANTS", "MAX_BOOTSTRAP", "CEAError", "pooled_icer_se", "cea_expectation", "CEAExpectation",
           "with_expectation"]


@dataclass(frozen=True)
class CEASettings:
    """How the cost-effectiveness analysis runs.

    Attributes
    ----------
    bootstrap : int
        Non-parametric bootstrap replicates, resampled within each arm (default 5,000).
    seed : int
        Seed of the bootstrap (``SeedSequence(seed)``, one child per arm).
    thresholds : tuple of float
        Willingness-to-pay values (AU$ per QALY) reported one by one; always added to the curve's grid.
    wtp_max, wtp_points : float, int
        The acceptability and INMB curves run over ``linspace(0, wtp_max, wtp_points)`` plus ``thresholds``.
    confidence : float
        Level of every interval (0.95).
    qaly_tolerance : float
        An incremental QALY with absolute value at most this is treated as no difference (no ICER).

    Examples
    --------
    >>> CEASettings().bootstrap, CEASettings().thresholds
    (5000, (28000.0,))
    >>> CEASettings(bootstrap=0)
    Traceback (most recent call last):
    ...
    analysis.stats.increments.CEAError: bootstrap = 0 must be a whole number between 1 and 1,000,000
    """

    bootstrap: int = 5000
    seed: int = 20240619
    thresholds: tuple[float, ...] = (28000.0,)
    wtp_max: float = 100_000.0
    wtp_points: int = 101
    confidence: float = 0.95
    qaly_tolerance: float = 1e-9

    def __post_init__(self) -> None:
        if isinstance(self.bootstrap, bool) or not isinstance(self.bootstrap, int) or not 1 <= self.bootstrap <= MAX_BOOTSTRAP:
            raise CEAError(f"bootstrap = {self.bootstrap!r} must be a whole number between 1 and {MAX_BOOTSTRAP:,}")
        check_seed(self.seed, error=CEAError)
        thresholds = tuple(self.thresholds)
        if not thresholds or len(thresholds) > 1000 or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and 0 <= v <= 1e9
                for v in thresholds):
            raise CEAError("thresholds must be 1 to 1,000 finite numbers between 0 and 1e9 (AU$ per QALY)")
        object.__setattr__(self, "thresholds", tuple(float(v) for v in thresholds))
        if not isinstance(self.wtp_max, (int, float)) or not math.isfinite(self.wtp_max) or not 0 < self.wtp_max <= 1e9:
            raise CEAError(f"wtp_max = {self.wtp_max!r} must be a number in (0, 1e9]")
        if isinstance(self.wtp_points, bool) or not isinstance(self.wtp_points, int) or not 2 <= self.wtp_points <= 10_001:
            raise CEAError(f"wtp_points = {self.wtp_points!r} must be a whole number between 2 and 10,001")
        if not isinstance(self.confidence, float) or not 0.5 <= self.confidence < 1:
            raise CEAError(f"confidence = {self.confidence!r} must be a number in [0.5, 1)")
        if not isinstance(self.qaly_tolerance, (int, float)) or not 0 <= self.qaly_tolerance < 1:
            raise CEAError(f"qaly_tolerance = {self.qaly_tolerance!r} must be a number in [0, 1)")

    @property
    def wtp_grid(self) -> np.ndarray:
        grid = np.linspace(0.0, float(self.wtp_max), self.wtp_points)
        return np.unique(np.concatenate([grid, np.asarray(self.thresholds)]))


# --------------------------------------------------------------------------- the result
@dataclass(frozen=True)
class CostEffectiveness:
    """Result of :func:`cost_effectiveness` (increments are intervention minus control).

    ``acceptability`` has one row per willingness-to-pay value: ``wtp``, ``probability`` (bootstrap),
    ``probability_normal``, ``inmb``, ``inmb_lower``/``inmb_upper`` (bootstrap percentile) and
    ``inmb_lower_normal``/``inmb_upper_normal``. ``bootstrap_cost``/``bootstrap_qaly`` hold the
    replicates (the cost-effectiveness plane).
    """

    settings: CEASettings
    n: dict
    mean_cost: dict
    mean_qaly: dict
    delta_cost: float
    delta_qaly: float
    var_cost: float
    var_qaly: float
    cov: float
    delta_cost_ci: tuple[float, float]
    delta_qaly_ci: tuple[float, float]
    quadrant: str
    icer: float
    statement: str
    fieller: tuple[float, float, str]
    quadrant_shares: dict
    acceptability: pd.DataFrame = field(repr=False)
    bootstrap_cost: np.ndarray = field(repr=False)
    bootstrap_qaly: np.ndarray = field(repr=False)
    recurrences_prevented: float = math.nan
    recurrences_prevented_ci: tuple[float, float] = (math.nan, math.nan)
    cost_per_recurrence_prevented: float = math.nan
    recurrence_statement: str = ""

    @property
    def thresholds(self) -> pd.DataFrame:
        """The acceptability rows at the requested thresholds."""
        return self.acceptability[self.acceptability["wtp"].isin(self.settings.thresholds)].reset_index(drop=True)

    def probability_cost_effective(self, wtp: float) -> float:
        """Bootstrap probability that INMB > 0 at ``wtp`` (computed from the replicates)."""
        return float(np.mean(wtp * self.bootstrap_qaly - self.bootstrap_cost > 0))

    @property
    def summary(self) -> pd.DataFrame:
        level = f"{self.settings.confidence:.0%}"
        rows = [
            ("mean cost, intervention (AU$)", self.mean_cost["intervention"], math.nan, math.nan),
            ("mean cost, control (AU$)", self.mean_cost["control"], math.nan, math.nan),
            ("mean QALY, intervention", self.mean_qaly["intervention"], math.nan, math.nan),
            ("mean QALY, control", self.mean_qaly["control"], math.nan, math.nan),
            (f"incremental cost (AU$), bootstrap {level} CI", self.delta_cost, *self.delta_cost_ci),
            (f"incremental QALY, bootstrap {level} CI", self.delta_qaly, *self.delta_qaly_ci),
            (f"ICER (AU$ per QALY), Fieller {level} CI"
             + {"bounded": "", "exclusive": " (exclusive: below lower or above upper)",
                "unbounded": " (unbounded)"}[self.fieller[2]], self.icer, self.fieller[0], self.fieller[1]),
        ]
        for row in self.thresholds.itertuples():
            rows.append((f"P(cost-effective) at AU${row.wtp:,.0f}", row.probability, math.nan, math.nan))
            rows.append((f"INMB at AU${row.wtp:,.0f} (AU$), bootstrap {level} CI", row.inmb, row.inmb_lower,
                         row.inmb_upper))
        if math.isfinite(self.recurrences_prevented):
            rows.append((f"recurrences prevented per participant, bootstrap {level} CI", self.recurrences_prevented,
                         *self.recurrences_prevented_ci))
            rows.append(("cost per recurrence prevented (AU$)", self.cost_per_recurrence_prevented, math.nan, math.nan))
        return pd.DataFrame(rows, columns=["measure", "estimate", "lower", "upper"])

    def to_dict(self) -> dict:
        def num(v):
            v = float(v)
            return v if math.isfinite(v) else None

        return {
            "bootstrap": self.settings.bootstrap, "bootstrap_seed": self.settings.seed, "confidence": self.settings.confidence,
            "n": dict(self.n), "mean_cost": {k: num(v) for k, v in self.mean_cost.items()},
            "mean_qaly": {k: num(v) for k, v in self.mean_qaly.items()},
            "delta_cost": num(self.delta_cost), "delta_cost_ci": [num(v) for v in self.delta_cost_ci],
            "delta_qaly": num(self.delta_qaly), "delta_qaly_ci": [num(v) for v in self.delta_qaly_ci],
            "quadrant": self.quadrant, "icer": num(self.icer), "statement": self.statement,
            "fieller": {"lower": num(self.fieller[0]), "upper": num(self.fieller[1]), "kind": self.fieller[2]},
            "quadrant_shares": dict(self.quadrant_shares),
            "thresholds": [{k: num(v) for k, v in row.items()} for row in self.thresholds.to_dict(orient="records")],
            "acceptability": [{k: num(v) for k, v in row.items()} for row in self.acceptability.to_dict(orient="records")],
            "recurrences_prevented": num(self.recurrences_prevented),
            "recurrences_prevented_ci": [num(v) for v in self.recurrences_prevented_ci],
            "cost_per_recurrence_prevented": num(self.cost_per_recurrence_prevented),
            "recurrence_statement": self.recurrence_statement,
        }


def cost_effectiveness(table: pd.DataFrame, settings: CEASettings | None = None) -> CostEffectiveness:
    """Trial-based cost-effectiveness of a per-participant table (``arm``, ``cost``, ``qaly`` [, ``recurrence``]).

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> arm = np.repeat(["intervention", "control"], 300)
    >>> table = pd.DataFrame({"arm": arm, "cost": rng.normal(np.where(arm == "intervention", 500, 100), 200),
    ...                       "qaly": rng.normal(np.where(arm == "intervention", 0.80, 0.75), 0.1)})
    >>> result = cost_effectiveness(table, CEASettings(bootstrap=2000, seed=1))
    >>> result.quadrant, result.statement.startswith("more costly and more effective")
    ('NE', True)
    >>> bool(0.9 < result.thresholds["probability"].iloc[0] <= 1)
    True
    """
    settings = settings if settings is not None else CEASettings()
    has_recurrence = isinstance(table, pd.DataFrame) and "recurrence" in table.columns
    columns = ("cost", "qaly", "recurrence") if has_recurrence else ("cost", "qaly")
    arms = arm_values(table, columns)
    n = {k: int(len(v)) for k, v in arms.items()}
    means = {k: v.mean(axis=0) for k, v in arms.items()}
    covs = {k: np.atleast_2d(np.cov(v[:, :2], rowvar=False, ddof=1)) / len(v) for k, v in arms.items()}
    d_cost = float(means["intervention"][0] - means["control"][0])
    d_qaly = float(means["intervention"][1] - means["control"][1])
    var_cost = float(covs["intervention"][0, 0] + covs["control"][0, 0])
    var_qaly = float(covs["intervention"][1, 1] + covs["control"][1, 1])
    cov = float(covs["intervention"][0, 1] + covs["control"][0, 1])

    draws = bootstrap_increments(table, settings.bootstrap, settings.seed, columns)
    boot_cost, boot_qaly = draws[:, 0], draws[:, 1]
    tail = (1 - settings.confidence) / 2
    probs = [tail, 1 - tail]

    def pct(x):
        lo, hi = np.quantile(x, probs)
        return float(lo), float(hi)

    quadrant, icer, statement = describe_increments(d_cost, d_qaly, tolerance=settings.qaly_tolerance)
    labels = quadrants(boot_cost, boot_qaly)
    shares = {q: float(np.mean(labels == q)) for q in QUADRANTS}

    lam = settings.wtp_grid
    prob_boot = np.empty(len(lam))
    inmb_lo, inmb_hi = np.empty(len(lam)), np.empty(len(lam))
    step = max(1, BLOCK_CELLS // len(boot_cost))
    for start in range(0, len(lam), step):  # blocks of thresholds bound the memory of the (B, L) matrix
        cols = slice(start, start + step)
        nmb = boot_qaly[:, None] * lam[None, cols] - boot_cost[:, None]
        prob_boot[cols] = np.mean(nmb > 0, axis=0)
        inmb_lo[cols], inmb_hi[cols] = np.quantile(nmb, probs, axis=0)
    from scipy.special import ndtri  # scipy.stats would add 0.6 s to the command's start-up

    z = ndtri(1 - tail)
    inmb = lam * d_qaly - d_cost
    se = np.sqrt(np.maximum(lam ** 2 * var_qaly + var_cost - 2 * lam * cov, 0.0))
    acceptability = pd.DataFrame({
        "wtp": lam, "probability": prob_boot,
        "probability_normal": acceptability_normal(lam, d_cost, d_qaly, var_cost, var_qaly, cov),
        "inmb": inmb, "inmb_lower": inmb_lo, "inmb_upper": inmb_hi,
        "inmb_lower_normal": inmb - z * se, "inmb_upper_normal": inmb + z * se,
    })
    extra = {}
    if has_recurrence:
        # recurrences prevented per participant = control risk - intervention risk
        prevented = float(means["control"][2] - means["intervention"][2])
        _, ratio, text = describe_increments(d_cost, prevented, tolerance=1e-12, effect="recurrence prevented")
        text = text.replace("recurrence prevented gained", "recurrence prevented").replace(
            "recurrence prevented lost", "extra recurrence")
        extra = {"recurrences_prevented": prevented, "recurrences_prevented_ci": pct(-draws[:, 2]),
                 "cost_per_recurrence_prevented": ratio, "recurrence_statement": text}
    return CostEffectiveness(
        settings=settings, n=n, mean_cost={k: float(v[0]) for k, v in means.items()},
        mean_qaly={k: float(v[1]) for k, v in means.items()}, delta_cost=d_cost, delta_qaly=d_qaly,
        var_cost=var_cost, var_qaly=var_qaly, cov=cov, delta_cost_ci=pct(boot_cost), delta_qaly_ci=pct(boot_qaly),
        quadrant=quadrant, icer=icer, statement=statement,
        fieller=fieller_interval(d_cost, d_qaly, var_cost, var_qaly, cov, settings.confidence),
        quadrant_shares=shares, acceptability=acceptability, bootstrap_cost=boot_cost, bootstrap_qaly=boot_qaly,
        **extra)


# --------------------------------------------------------------------------- whole studies
def trial_cost_effectiveness(scenario, economics: Economics | None = None, seed: int | None = None,
                             settings: CEASettings | None = None):
    """Simulate one trial of ``scenario``, cost it and analyse it: ``(cost_table, CostEffectiveness)``.

    The trial's participants and episodes come from the episode engine
    (:func:`analysis.simulate.engine.simulate_episodes`); :func:`analysis.model.costs.participant_costs`
    costs them.
    """
    from ..simulate.engine import simulate_episodes

    economics = economics if economics is not None else Economics()
    participants, episodes = simulate_episodes(scenario, seed=scenario.seed if seed is None else seed)
    table = participant_costs(participants, episodes, economics)
    return table, cost_effectiveness(table, settings)


@dataclass(frozen=True)
class CEAStudy:
    """Everything the Cost-effectiveness page shows: the cost table, the analysis, the tornado and,
    optionally, the expectation (many pooled trials) next to this one trial.

    Whatever depends on the willingness to pay is held for every value in ``result.settings.thresholds``
    (:meth:`tornado_at`, :meth:`expected_at`), so moving a threshold never re-simulates or re-bootstraps.
    """

    table: pd.DataFrame = field(repr=False)
    result: CostEffectiveness
    tornados: dict = field(repr=False)
    expected: dict | None = None
    expected_absence_ratio: float | None = None
    #: Monte Carlo standard error of the expected ICER (delta method over the pooled trials).
    expected_icer_se: float | None = None
    expected_trials: int = 0

    @property
    def absence_ratio(self) -> float:
        """Mean activity-limiting days (work absence), intervention / control, in this trial."""
        return _absence_ratio(self.table)

    @property
    def summary(self) -> pd.DataFrame:
        return self.result.summary

    def tornado_at(self, wtp: float) -> pd.DataFrame:
        """The one-way sensitivity table at ``wtp`` (one of ``result.settings.thresholds``)."""
        return self.tornados[_known_wtp(self.tornados, wtp)]

    def expected_at(self, wtp: float):
        """The expectation (ICER, P(cost-effective) at ``wtp``) or None when no trials were pooled."""
        return None if self.expected is None else self.expected[_known_wtp(self.expected, wtp)]

    def to_dict(self) -> dict:
        out = {"result": self.result.to_dict(),
               "tornado": {str(w): t.to_dict(orient="records") for w, t in self.tornados.items()}}
        out["absence_ratio"] = self.absence_ratio
        if self.expected is not None:
            out["expected"] = {str(w): dict(vars(e)) for w, e in self.expected.items()}
            out["expected_absence_ratio"] = self.expected_absence_ratio
            out["expected_icer_se"] = self.expected_icer_se
            out["expected_trials"] = self.expected_trials
        return out


def _known_wtp(by_wtp: dict, wtp: float) -> float:
    if float(wtp) not in by_wtp:
        raise CEAError(f"willingness to pay AU${wtp:,.0f} was not among the study's thresholds "
                       f"({', '.join(f'{w:,.0f}' for w in by_wtp)})")
    return float(wtp)


def cea_study(scenario, economics: Economics | None = None, seed: int | None = None,
              settings: CEASettings | None = None, *, expected_trials: int = 0) -> CEAStudy:
    """One simulated trial costed and analysed, its tornado at every threshold of ``settings`` and
    (``expected_trials`` > 0) the expected ICER, its Monte Carlo error and the probability at every
    threshold from that many pooled trials (replicates of seed 1,000,000).

    Episodes from the episode engine, as in :func:`trial_cost_effectiveness`.

    Examples
    --------
    >>> from analysis.trial.scenario import Scenario
    >>> study = cea_study(Scenario(), seed=1, settings=CEASettings(bootstrap=200, thresholds=(28000.0, 50000.0)),
    ...                   expected_trials=3)
    >>> sorted(study.expected), study.expected_at(28000.0).wtp, study.expected_icer_se > 0
    ([28000.0, 50000.0], 28000.0, True)
    """
    from ..simulate.engine import simulate_episodes

    economics = economics if economics is not None else Economics()
    settings = settings if settings is not None else CEASettings()
    participants, episodes = simulate_episodes(scenario, seed=scenario.seed if seed is None else seed)
    table = participant_costs(participants, episodes, economics)
    result = cost_effectiveness(table, settings)
    tornados = one_way_sensitivities(participants, episodes, economics, thresholds=settings.thresholds)
    study = CEAStudy(table=table, result=result, tornados=tornados)
    if expected_trials:
        study = with_expectation(study, cea_expectation(scenario, economics, settings.thresholds, expected_trials))
    return study


@dataclass(frozen=True)
class CEAExpectation:
    """What ``trials`` pooled trials of a scenario say on average: ``expected`` (threshold -> the expected ICER and
    probability), the work absence ratio and the expected ICER's Monte Carlo standard error. No seed of the one
    trial enters it, so a page can keep it while the seed changes."""

    expected: dict
    absence_ratio: float
    icer_se: float
    trials: int


def cea_expectation(scenario, economics: Economics | None, thresholds, trials: int) -> CEAExpectation:
    """The expectation part of :func:`cea_study`: ``trials`` pooled trials (replicates of seed 1,000,000), costed.

    Examples
    --------
    >>> from analysis.trial.scenario import Scenario
    >>> part = cea_expectation(Scenario(), None, (28000.0,), 3)
    >>> list(part.expected), part.trials
    ([28000.0], 3)
    """
    from ..model.costs import expected_cost_effectiveness

    economics = economics if economics is not None else Economics()
    big, big_episodes = stacked_trials(scenario, trials, seed=1_000_000)
    big_table = participant_costs(big, big_episodes, economics)
    expected = {float(w): expected_cost_effectiveness(big_table, float(w), scenario.design.n_intervention,
                                                      scenario.design.n_control) for w in thresholds}
    return CEAExpectation(expected=expected, absence_ratio=_absence_ratio(big_table),
                          icer_se=pooled_icer_se(big_table, scenario.design.n_total), trials=int(trials))


def with_expectation(study: CEAStudy, part: CEAExpectation) -> CEAStudy:
    """``study`` with the pooled trials' expectation beside it (see :func:`cea_expectation`)."""
    return replace(study, expected=part.expected, expected_absence_ratio=part.absence_ratio,
                   expected_icer_se=part.icer_se, expected_trials=part.trials)


def pooled_icer_se(table: pd.DataFrame, trial_size: int) -> float:
    """Monte Carlo standard error of the ICER of pooled trials (the table of :func:`stacked_trials`, costed).

    Trial ``r``'s participants have ids ``r * trial_size + 1 ... (r + 1) * trial_size``. With per-trial
    increments ``dC_r``, ``dQ_r`` and the pooled ratio ``ICER = mean(dC) / mean(dQ)``, the delta method gives
    ``SE = sd_r(dC_r - ICER dQ_r) / (sqrt(R) |mean(dQ)|)``: the error of the expectation from pooling finitely many
    trials, not the sampling error of one trial.

    Examples
    --------
    >>> table = pd.DataFrame({"participant_id": [1, 2, 3, 4, 5, 6], "arm": ["intervention", "control"] * 3,
    ...                       "cost": [10.0, 0.0, 12.0, 0.0, 14.0, 0.0], "qaly": [0.1, 0.0, 0.1, 0.0, 0.1, 0.0]})
    >>> round(pooled_icer_se(table, 2), 3)
    11.547
    """
    replicate = (table["participant_id"].to_numpy() - 1) // int(trial_size)
    frame = pd.DataFrame({"replicate": replicate, "arm": table["arm"].to_numpy(),
                          "cost": table["cost"].to_numpy(dtype=float), "qaly": table["qaly"].to_numpy(dtype=float)})
    means = frame.groupby(["replicate", "arm"])[["cost", "qaly"]].mean().unstack("arm")
    d_cost = (means[("cost", "intervention")] - means[("cost", "control")]).to_numpy()
    d_qaly = (means[("qaly", "intervention")] - means[("qaly", "control")]).to_numpy()
    if len(d_cost) < 2 or d_qaly.mean() == 0:
        return math.nan
    icer = d_cost.mean() / d_qaly.mean()
    return float(np.std(d_cost - icer * d_qaly, ddof=1) / (math.sqrt(len(d_cost)) * abs(d_qaly.mean())))


def _absence_ratio(table: pd.DataFrame) -> float:
    arm = table["arm"].to_numpy()
    days = table["activity_limiting_days"].to_numpy(dtype=float)
    control = days[arm == "control"].mean() if (arm == "control").any() else math.nan
    return float(days[arm == "intervention"].mean() / control) if control > 0 else math.nan


def stacked_trials(scenario, trials: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``trials`` simulated trials of ``scenario`` (trial ``i`` is replicate ``i`` of ``seed``, the rule of
    :mod:`analysis.simulate.seeds`) stacked:
    ``(participants, episodes)`` with a ``replicate`` column (0-based) and participant ids unique across
    trials in both tables: the large tables that stand for the expectation when calibrating the economics.

    Examples
    --------
    >>> from analysis.trial.scenario import Scenario
    >>> people, episodes = stacked_trials(Scenario(), 3, seed=1)
    >>> len(people), people["participant_id"].is_unique, sorted(people["replicate"].unique().tolist())
    (2103, True, [0, 1, 2])
    >>> bool(episodes["participant_id"].isin(people["participant_id"]).all())
    True
    """
    from ..simulate.engine import simulate_cohorts_with_episodes

    if isinstance(trials, bool) or not isinstance(trials, int) or not 1 <= trials <= 100_000:
        raise CEAError(f"trials = {trials!r} must be a whole number between 1 and 100,000")
    people, episodes = simulate_cohorts_with_episodes(scenario, replicate_seeds(check_seed(seed, error=CEAError), trials))
    n = scenario.design.n_total
    people["replicate"] = np.repeat(np.arange(trials), n)
    people["participant_id"] = people["replicate"].to_numpy() * n + people["participant_id"].to_numpy()
    rep = episodes.pop("replicate").to_numpy() - 1 if "replicate" in episodes else np.zeros(len(episodes), np.int64)
    episodes.insert(0, "replicate", rep)
    episodes["participant_id"] = rep * n + episodes["participant_id"].to_numpy()
    return people, episodes


def one_way_sensitivity(participants: pd.DataFrame, episodes: pd.DataFrame, economics: Economics | None = None, *,
                        wtp: float = 28000.0, spread: float = 0.5, parameters: tuple[str, ...] | None = None
                        ) -> pd.DataFrame:
    """Tornado data: INMB at ``wtp`` (and the quadrant-aware statement) with each assumption moved alone.

    Each parameter goes to ``(1 - spread)`` and ``(1 + spread)`` times its value (clipped to what
    :class:`Economics` allows; ``sessions`` is rounded). Point estimates only (no bootstrap): the
    tornado shows what the result depends on, not its sampling error. Rows are sorted by swing.
    :func:`one_way_sensitivities` gives the tables at several thresholds for the price of one.

    Examples
    --------
    >>> people = pd.DataFrame({"participant_id": [1, 2, 3, 4], "arm": ["control", "intervention"] * 2,
    ...                        "started_programme": [0, 1, 0, 1]})
    >>> eps = pd.DataFrame({"participant_id": [1, 3], "onset_day": [10.0, 50.0], "recovery_day": [14.0, 53.0],
    ...                     "activity_limiting": [1, 1], "care_seeking": [1, 0]})
    >>> tornado = one_way_sensitivity(people, eps, Economics(), parameters=("materials", "sessions"))
    >>> list(tornado["parameter"])
    ['sessions', 'materials']
    """
    return one_way_sensitivities(participants, episodes, economics, thresholds=(wtp,), spread=spread,
                                 parameters=parameters)[float(wtp)]


def one_way_sensitivities(participants: pd.DataFrame, episodes: pd.DataFrame, economics: Economics | None = None, *,
                          thresholds: tuple[float, ...] = (28000.0,), spread: float = 0.5,
                          parameters: tuple[str, ...] | None = None) -> dict[float, pd.DataFrame]:
    """:func:`one_way_sensitivity` at every willingness to pay in ``thresholds``: ``{wtp: table}``.

    The increments do not depend on the threshold (INMB = wtp x dQALY - dcost), so resource use is counted once
    and priced once per moved assumption, then read at each threshold.

    Examples
    --------
    >>> people = pd.DataFrame({"participant_id": [1, 2], "arm": ["control", "intervention"], "started_programme": [0, 1]})
    >>> eps = pd.DataFrame({"participant_id": [1], "onset_day": [10.0], "recovery_day": [20.0],
    ...                     "activity_limiting": [1], "care_seeking": [1]})
    >>> tables = one_way_sensitivities(people, eps, thresholds=(20000.0, 50000.0), parameters=("materials",))
    >>> sorted(tables), len(tables[50000.0])
    ([20000.0, 50000.0], 1)
    """
    from dataclasses import fields as dc_fields

    economics = economics if economics is not None else Economics()
    names = parameters if parameters is not None else tuple(
        f.name for f in dc_fields(Economics) if f.name not in ("baseline_utility", "horizon_days"))
    if not 0 < spread < 1:
        raise CEAError(f"spread = {spread!r} must be strictly between 0 and 1")

    use = resource_use(participants, episodes, economics.horizon_days)
    arm = np.asarray(use.arm)
    treated, control = arm == "intervention", arm == "control"

    def increments(e: Economics) -> tuple[float, float, str]:
        priced = priced_columns(use, e)
        cost, qaly = priced["cost"], priced["qaly"]
        d_cost = cost[treated].mean() - cost[control].mean()
        d_qaly = qaly[treated].mean() - qaly[control].mean()
        return d_cost, d_qaly, describe_increments(d_cost, d_qaly)[2]

    base = increments(economics)  # resource use counted once above, priced for each move
    moves = []
    for name in names:  # one row per assumption (a dozen), not per participant or replicate
        value = getattr(economics, name)
        moved = []
        for factor in (1 - spread, 1 + spread):
            new = value * factor
            new = int(round(new)) if name == "sessions" else new
            try:
                e = replace(economics, **{name: new})
            except WalkBackInputError:
                e = economics
                new = value
            moved.append((new, *increments(e)))
        moves.append((name, value, moved))

    def inmb(wtp: float, d_cost: float, d_qaly: float) -> float:
        return float(wtp * d_qaly - d_cost)

    tables = {}
    for wtp in thresholds:
        wtp = float(wtp)
        base_inmb = inmb(wtp, base[0], base[1])
        rows = [{"parameter": name, "base_value": value, "low_value": low[0], "high_value": high[0],
                 "inmb_low": inmb(wtp, low[1], low[2]), "inmb_high": inmb(wtp, high[1], high[2]),
                 "inmb_base": base_inmb, "statement_low": low[3], "statement_high": high[3]}
                for name, value, (low, high) in moves]
        out = pd.DataFrame(rows)
        out["swing"] = (out["inmb_high"] - out["inmb_low"]).abs()
        tables[wtp] = out.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
    return tables
