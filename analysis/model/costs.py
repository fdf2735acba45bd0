"""Costs and QALYs per participant, from the simulated episodes: the economic model of the trial.

Place in the pipeline: simulate (participants, episodes) -> **costs** -> studies.economics (ICER,
bootstrap, acceptability). Every unit cost and utility is a field of :class:`Economics`, a frozen,
validated, labelled assumption; :data:`ECONOMICS_ASSUMPTIONS` says for each where the value comes
from. The published economic evaluation (Pocovi et al., Lancet 2024; societal perspective) gives
the ICER (AU$7,802 per QALY) and the 94% probability of cost-effectiveness at AU$28,000, but none of
the unit costs or utilities were found in the sources searched (see ``walkback_published.json``),
so two of them are *calibrated* to those two published results (:func:`calibrate_economics`).

From episodes to costs
----------------------
:func:`participant_costs` takes the **participant table** and the **episode table** of the
episode engine (:func:`analysis.simulate.engine.simulate_episodes`; one row per episode with
``onset_day, recovery_day, activity_limiting, care_seeking``). :func:`resource_use` counts, per
participant over the horizon (12 months), the days in an episode and in an activity-limiting one
(overlapping episodes merged, cut at the horizon and at the end of follow-up), the care-seeking
episodes and the days after the first activity-limiting recurrence, and fills in the part of the
horizon lost to follow-up at the arm's rates; :func:`price_resource_use` turns that into costs and
QALYs: sessions and materials per starter, healthcare per care-seeking episode, medication per
episode day, productivity (work absence) per activity-limiting day, and utility decrements during
episodes and after the first recurrence. Worst pain does not scale the decrements (no published
mapping from the 0-10 rating to utility was found): a labelled simplification.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import numpy as np
import pandas as pd

from ..errors import WalkBackInputError
from ..trial.published import published_value

__all__ = ["Economics", "ECONOMICS_ASSUMPTIONS", "ECONOMICS_SHORT_LABELS", "COST_TABLE_COLUMNS", "EconomicsError",
           "economics_from_dict", "participant_costs", "resource_use", "price_resource_use", "priced_columns", "ResourceUse",
           "EconomicsCalibration", "calibrate_economics", "expected_cost_effectiveness", "DAYS_PER_YEAR"]

DAYS_PER_YEAR = 365.25


class EconomicsError(WalkBackInputError):
    """An economics assumption outside its allowed range, or tables that cannot be costed."""


#: The per-participant cost/QALY table (export data dictionary): column -> meaning and unit.
COST_TABLE_COLUMNS: dict[str, str] = {
    "participant_id": "Participant number",
    "arm": "'intervention' or 'control'",
    "sessions_attended": "Physiotherapist sessions attended (sessions if the programme was started, else 0)",
    "programme_started": "1 if the participant started the walking programme (materials costed), else 0",
    "observed_days": "Days of the horizon under follow-up (the rest is filled in at the arm's rates; see resource_use)",
    "care_seeking_episodes": "Care-seeking episodes with onset within the horizon (unobserved rest filled in at the arm's rate)",
    "episode_days": "Days in any episode of low back pain within the horizon, overlapping episodes merged (rest filled in)",
    "activity_limiting_days": "Days in activity-limiting episodes within the horizon, overlaps merged (rest filled in)",
    "days_after_recurrence": "Days from the first activity-limiting recurrence to the end of the horizon (0 if none; expected value if follow-up ended first)",
    "recurrence": "1 if an activity-limiting recurrence was observed within the horizon and follow-up, else 0",
    "intervention_cost": "AU$: sessions x session price + materials",
    "healthcare_cost": "AU$: care-seeking episodes x cost per care-seeking episode",
    "medication_cost": "AU$: episode days x medication cost per episode day",
    "productivity_cost": "AU$: activity-limiting days x productivity cost per day (societal perspective)",
    "cost": "AU$: total societal cost over the horizon (sum of the four costs)",
    "qaly": "QALYs over the horizon: baseline utility x horizon minus the decrements (see Economics)",
}


def _check(name: str, value: Any, lo: float, hi: float, *, integer: bool = False) -> None:
    ok_type = (isinstance(value, int) if integer else isinstance(value, (int, float))) and not isinstance(value, bool)
    if not ok_type or not math.isfinite(float(value)) or not lo <= value <= hi:
        kind = "a whole number" if integer else "a number"
        raise EconomicsError(f"economics.{name} = {value!r} must be {kind} between {lo:g} and {hi:g}")


@dataclass(frozen=True)
class Economics:
    """Unit costs (AU$), utilities and the horizon of the cost-effectiveness model.

    Every field is an adjustable assumption; :data:`ECONOMICS_ASSUMPTIONS` gives each one's source.
    The defaults of ``utility_decrement_after_recurrence`` and
    ``productivity_cost_per_activity_limiting_day`` are the values :func:`calibrate_economics`
    solved on the episode engine's tables (``walkback cea --calibrate``: the 2,000 replicates of seed 0 of the default trial).

    Examples
    --------
    >>> e = Economics()
    >>> e.sessions, e.horizon_days
    (6, 365.0)
    >>> Economics(session_price=-1)
    Traceback (most recent call last):
    ...
    analysis.model.costs.EconomicsError: economics.session_price = -1 must be a number between 0 and 10000
    """

    sessions: int = 6
    session_price: float = 95.0
    materials: float = 30.0
    care_seeking_episode_cost: float = 150.0
    medication_cost_per_episode_day: float = 3.0
    productivity_cost_per_activity_limiting_day: float = 71.71
    baseline_utility: float = 0.80
    utility_decrement_activity_limiting: float = 0.20
    utility_decrement_other_episode: float = 0.05
    utility_decrement_after_recurrence: float = 0.07514
    horizon_days: float = 365.0

    def __post_init__(self) -> None:
        _check("sessions", self.sessions, 0, 100, integer=True)
        for name in ("session_price", "materials", "care_seeking_episode_cost", "medication_cost_per_episode_day",
                     "productivity_cost_per_activity_limiting_day"):
            _check(name, getattr(self, name), 0, 10_000)
        _check("baseline_utility", self.baseline_utility, 0, 1)
        for name in ("utility_decrement_activity_limiting", "utility_decrement_other_episode",
                     "utility_decrement_after_recurrence"):
            _check(name, getattr(self, name), 0, 1)
        _check("horizon_days", self.horizon_days, 1, 36 * 30.4375)
        worst = self.utility_decrement_after_recurrence + max(self.utility_decrement_activity_limiting,
                                                              self.utility_decrement_other_episode)
        if worst > self.baseline_utility:
            raise EconomicsError(f"economics: the decrements during an episode after a recurrence ({worst:g}) exceed "
                                 f"the baseline utility ({self.baseline_utility:g}); utility would fall below 0")

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


#: field -> (label, source or 'assumption: why'). Shown beside every number in the CLI and the app.
ECONOMICS_ASSUMPTIONS: dict[str, tuple[str, str]] = {
    "sessions": ("Physiotherapist sessions per participant who starts", "lancet2024: six sessions over 6 months"),
    "session_price": ("Price of one physiotherapist session (AU$)",
                      "assumption: not found in the searched sources; a private physiotherapy consultation"),
    "materials": ("Programme materials per participant who starts (AU$)", "assumption: not found"),
    "care_seeking_episode_cost": ("Healthcare cost per care-seeking episode (AU$)",
                                  "assumption: not found; about one GP or physiotherapy visit plus imaging share"),
    "medication_cost_per_episode_day": ("Medication per day in an episode (AU$)", "assumption: not found"),
    "productivity_cost_per_activity_limiting_day": (
        "Productivity cost per activity-limiting day (AU$)",
        "CALIBRATED (episode engine, walkback cea --calibrate) to the published ICER and 94% probability; published: work absence about halved"),
    "baseline_utility": ("Utility between episodes", "assumption: equal in both arms, so it cancels in the increments"),
    "utility_decrement_activity_limiting": ("Utility decrement during an activity-limiting episode",
                                            "assumption: not found"),
    "utility_decrement_other_episode": ("Utility decrement during an episode that does not limit activity",
                                        "assumption: not found"),
    "utility_decrement_after_recurrence": (
        "Utility decrement from the first activity-limiting recurrence to the end of the horizon",
        "CALIBRATED (episode engine, walkback cea --calibrate) to the published ICER and 94% probability; "
        "stands for the lasting loss of quality of life after a recurrence"),
    "horizon_days": ("Economic horizon (days)", "assumption: 12 months, the trial's minimum follow-up; not found"),
}


#: field -> a short name for chart axes.
ECONOMICS_SHORT_LABELS: dict[str, str] = {
    "sessions": "Sessions", "session_price": "Session price", "materials": "Materials",
    "care_seeking_episode_cost": "Care per care-seeking episode", "medication_cost_per_episode_day": "Medication per day",
    "productivity_cost_per_activity_limiting_day": "Productivity per limited day", "baseline_utility": "Baseline utility",
    "utility_decrement_activity_limiting": "Utility loss, limiting episode",
    "utility_decrement_other_episode": "Utility loss, other episode",
    "utility_decrement_after_recurrence": "Utility loss after recurrence", "horizon_days": "Horizon",
}


def economics_from_dict(data: Any, base: Economics | None = None) -> Economics:
    """An :class:`Economics` from a (partial) dict; unknown fields are rejected.

    Examples
    --------
    >>> economics_from_dict({"session_price": 80}).session_price
    80
    >>> economics_from_dict({"sesions": 4})
    Traceback (most recent call last):
    ...
    analysis.model.costs.EconomicsError: unknown field 'economics.sesions'; allowed: sessions, session_price, materials, care_seeking_episode_cost, medication_cost_per_episode_day, productivity_cost_per_activity_limiting_day, baseline_utility, utility_decrement_activity_limiting, utility_decrement_other_episode, utility_decrement_after_recurrence, horizon_days
    """
    if not isinstance(data, dict):
        raise EconomicsError(f"economics must be an object of fields, not {type(data).__name__}")
    allowed = [f.name for f in fields(Economics)]
    for name in data:
        if name not in allowed:
            raise EconomicsError(f"unknown field 'economics.{name}'; allowed: {', '.join(allowed)}")
    return replace(base if base is not None else Economics(), **data)


# --------------------------------------------------------------------------- resource use from the episodes
def _require(table: pd.DataFrame, columns, what: str) -> None:
    if not isinstance(table, pd.DataFrame):
        raise EconomicsError(f"the {what} must be a table (DataFrame), not {type(table).__name__}")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise EconomicsError(f"the {what} lacks column(s) {', '.join(missing)}")


def _union_days(row: np.ndarray, start: np.ndarray, end: np.ndarray, n: int, span: float) -> np.ndarray:
    """Per participant, days covered by the UNION of their intervals ``[start, end]`` (all within
    ``[0, span]``): overlapping episodes count once. Vectorised: intervals sorted by (participant,
    start), each contributes what extends past the running maximum of the ends before it; offsetting
    each participant by ``row * (span + 1)`` keeps one global running maximum from crossing participants.
    """
    if len(row) == 0:
        return np.zeros(n)
    offset = row * (span + 1.0)
    order = np.lexsort((start, row))
    s, e, r = (start + offset)[order], (end + offset)[order], row[order]
    reach = np.maximum.accumulate(e)
    before = np.concatenate(([-np.inf], reach[:-1]))
    return np.bincount(r, weights=np.clip(e - np.maximum(s, before), 0.0, None), minlength=n)


def _group_rate(group: np.ndarray, amount: np.ndarray, exposure: np.ndarray) -> np.ndarray:
    """Per row, ``sum(amount) / sum(exposure)`` over the rows of its group (0 where nobody was observed)."""
    total = np.bincount(group, weights=amount)
    time = np.bincount(group, weights=exposure)
    return np.divide(total, time, out=np.zeros_like(total), where=time > 0)[group]


@dataclass(frozen=True)
class ResourceUse:
    """Per participant (in the participant table's order), what the episodes imply over the horizon,
    before any unit cost or utility: computed once, priced many times (calibration, tornado)."""

    participant_id: np.ndarray
    arm: np.ndarray
    started: np.ndarray
    observed_days: np.ndarray
    care_seeking_episodes: np.ndarray
    episode_days: np.ndarray
    activity_limiting_days: np.ndarray
    days_after_recurrence: np.ndarray
    recurrence: np.ndarray
    horizon_days: float


def resource_use(participants: pd.DataFrame, episodes: pd.DataFrame, horizon_days: float = 365.0) -> ResourceUse:
    """Episode days, activity-limiting days, care-seeking episodes and days after the first recurrence
    per participant over ``[0, horizon_days]``.

    * Each episode runs from ``onset_day`` to ``recovery_day`` (an empty recovery, not recovered by the
      end of follow-up, runs to the end of follow-up), cut at the horizon and at the participant's end
      of follow-up (``followup_days`` if the participant table has it, else the horizon).
    * Overlapping episodes (onsets run in calendar time, so an episode may start before the previous one
      recovered) are merged per participant: a day counts once as an episode day, and once as an
      activity-limiting day if any episode covering it limits activity.
    * **Loss to follow-up / follow-up shorter than the horizon**: the unobserved rest of the horizon,
      ``horizon - observed``, is filled in at the participant's group rates, the group being the arm
      (within its ``replicate`` when the table stacks trials): episode days, limiting days and
      care-seeking onsets per observed day; and, for a participant without an observed recurrence,
      the expected days after a first recurrence in the rest of the window at the group's observed
      recurrence rate (events per day at risk, constant: ``r - (1 - exp(-lambda r)) / lambda`` for a
      remainder ``r``). Single imputation at the group mean: unbiased if the rates are constant over
      the horizon, and it slightly understates the variance.
    """
    _require(participants, ("participant_id", "arm", "started_programme"), "participant table")
    _require(episodes, ("participant_id", "onset_day", "recovery_day", "activity_limiting", "care_seeking"),
             "episode table")
    ids = participants["participant_id"].to_numpy()
    arm = np.asarray(participants["arm"].astype(str).to_numpy() if len(participants) else np.array([], dtype=str))
    if not np.isin(arm, ("control", "intervention")).all():
        raise EconomicsError("the participant table's arm must be 'control' or 'intervention'")
    n = len(ids)
    order = np.argsort(ids, kind="stable")
    eid = episodes["participant_id"].to_numpy()
    pos = np.clip(np.searchsorted(ids[order], eid), 0, max(n - 1, 0))
    if n == 0 or (len(episodes) and not np.array_equal(ids[order][pos], eid)):
        raise EconomicsError("the episode table names participants that are not in the participant table")
    row = order[pos]
    horizon = float(horizon_days)
    if "followup_days" in participants.columns:
        followup = participants["followup_days"].to_numpy(dtype=float)
        if np.isnan(followup).any() or (followup < 0).any():
            raise EconomicsError("the participant table's followup_days must be present and not negative")
        window = np.minimum(followup, horizon)
    else:
        window = np.full(n, horizon)
    onset = episodes["onset_day"].to_numpy(dtype=float)
    recovery = episodes["recovery_day"].to_numpy(dtype=float)
    if np.isnan(onset).any() or (recovery < onset).any():
        raise EconomicsError("every episode needs an onset_day, and a recovery_day (if any) on or after it")
    limiting = episodes["activity_limiting"].to_numpy().astype(bool)
    seeking = episodes["care_seeking"].to_numpy().astype(bool)
    cut = window[row] if len(row) else np.zeros(0)
    start = np.clip(onset, 0.0, cut)
    end = np.clip(np.where(np.isnan(recovery), np.inf, recovery), start, cut)
    within = (onset >= 0) & (onset < cut)
    episode_days = _union_days(row, start, end, n, horizon)
    limiting_days = _union_days(row[limiting], start[limiting], end[limiting], n, horizon)
    care = np.bincount(row, weights=(seeking & within).astype(float), minlength=n)
    first = np.full(n, np.inf)
    sel = limiting & within
    np.minimum.at(first, row[sel], onset[sel])
    recurrence = np.isfinite(first)
    at_risk = np.where(recurrence, first, window)
    after = np.where(recurrence, horizon - np.where(recurrence, first, 0.0), 0.0)
    # loss to follow-up: fill the unobserved rest of the horizon at the group's rates
    rest = horizon - window
    if (rest > 0).any():
        key = (arm == "intervention").astype(np.int64)
        if "replicate" in participants.columns:
            key = key + 2 * pd.factorize(participants["replicate"])[0].astype(np.int64)
        episode_days = episode_days + rest * _group_rate(key, episode_days, window)
        limiting_days = limiting_days + rest * _group_rate(key, limiting_days, window)
        care = care + rest * _group_rate(key, care.astype(float), window)
        lam = _group_rate(key, recurrence.astype(float), at_risk)
        open_ = ~recurrence & (rest > 0) & (lam > 0)
        lr = np.where(open_, lam * rest, 1.0)
        after = np.where(open_, rest - (-np.expm1(-lr)) / np.where(open_, lam, 1.0), after)
    started = (participants["started_programme"].to_numpy() == 1) & (arm == "intervention")
    return ResourceUse(participant_id=ids, arm=arm, started=started, observed_days=window,
                       care_seeking_episodes=care, episode_days=episode_days, activity_limiting_days=limiting_days,
                       days_after_recurrence=after, recurrence=recurrence, horizon_days=horizon)


def price_resource_use(use: ResourceUse, economics: Economics | None = None) -> pd.DataFrame:
    """The cost/QALY table (:data:`COST_TABLE_COLUMNS`) of :func:`resource_use` at these unit costs and utilities."""
    return pd.DataFrame(priced_columns(use, economics))


def priced_columns(use: ResourceUse, economics: Economics | None = None) -> dict[str, np.ndarray]:
    """The columns of :func:`price_resource_use` as arrays, without building the table (the one-way sensitivity
    prices the same resource use a few dozen times and reads only ``cost`` and ``qaly``).

    Examples
    --------
    >>> people = pd.DataFrame({"participant_id": [1, 2], "arm": ["control", "intervention"], "started_programme": [0, 1]})
    >>> eps = pd.DataFrame({"participant_id": [1], "onset_day": [10.0], "recovery_day": [20.0],
    ...                     "activity_limiting": [1], "care_seeking": [1]})
    >>> columns = priced_columns(resource_use(people, eps))
    >>> bool(columns["cost"][0] > 0), bool(columns["qaly"][0] < columns["qaly"][1])
    (True, True)
    """
    e = economics if economics is not None else Economics()
    if e.horizon_days != use.horizon_days:
        raise EconomicsError(f"resource use was counted over {use.horizon_days:g} days, the economics' horizon is "
                             f"{e.horizon_days:g}")
    horizon = use.horizon_days
    sessions = use.started * e.sessions
    intervention_cost = sessions * e.session_price + use.started * e.materials
    healthcare_cost = use.care_seeking_episodes * e.care_seeking_episode_cost
    medication_cost = use.episode_days * e.medication_cost_per_episode_day
    productivity_cost = use.activity_limiting_days * e.productivity_cost_per_activity_limiting_day
    qaly = (e.baseline_utility * horizon - e.utility_decrement_activity_limiting * use.activity_limiting_days
            - e.utility_decrement_other_episode * (use.episode_days - use.activity_limiting_days)
            - e.utility_decrement_after_recurrence * use.days_after_recurrence) / DAYS_PER_YEAR
    return {
        "participant_id": use.participant_id, "arm": use.arm, "sessions_attended": sessions.astype(np.int64),
        "programme_started": use.started.astype(np.int64), "observed_days": use.observed_days,
        "care_seeking_episodes": use.care_seeking_episodes, "episode_days": use.episode_days,
        "activity_limiting_days": use.activity_limiting_days, "days_after_recurrence": use.days_after_recurrence,
        "recurrence": use.recurrence.astype(np.int64), "intervention_cost": intervention_cost,
        "healthcare_cost": healthcare_cost, "medication_cost": medication_cost, "productivity_cost": productivity_cost,
        "cost": intervention_cost + healthcare_cost + medication_cost + productivity_cost, "qaly": qaly,
    }


def participant_costs(participants: pd.DataFrame, episodes: pd.DataFrame, economics: Economics | None = None) -> pd.DataFrame:
    """Per-participant resource use, costs (AU$) and QALYs over the economic horizon.

    Parameters
    ----------
    participants : DataFrame
        ``participant_id``, ``arm``, ``started_programme`` and, to cut episodes at each participant's
        end of follow-up, ``followup_days`` (one row per participant; e.g. the cohort of
        :func:`analysis.simulate.engine.simulate_episodes`).
    episodes : DataFrame
        The episode table of the episode engine (``participant_id, onset_day, recovery_day,
        activity_limiting, care_seeking``; other columns are ignored). See :func:`resource_use` for
        overlapping episodes, the cuts at the horizon and at the end of follow-up, and loss to follow-up.
    economics : Economics, optional
        Unit costs and utilities (default :class:`Economics()`).

    Returns
    -------
    DataFrame
        One row per participant, in the participant table's order, with the columns of
        :data:`COST_TABLE_COLUMNS`.

    Examples
    --------
    Two overlapping episodes (days 100-110 limiting, 105-112 not) count 12 episode days, 10 limiting:

    >>> people = pd.DataFrame({"participant_id": [1, 2], "arm": ["control", "intervention"],
    ...                        "started_programme": [0, 1]})
    >>> eps = pd.DataFrame({"participant_id": [1, 1], "onset_day": [100.0, 105.0],
    ...                     "recovery_day": [110.0, 112.0], "activity_limiting": [1, 0], "care_seeking": [1, 0]})
    >>> table = participant_costs(people, eps, Economics())
    >>> table[["activity_limiting_days", "episode_days", "care_seeking_episodes", "days_after_recurrence"]].iloc[0].tolist()
    [10.0, 12.0, 1.0, 265.0]
    >>> float(table["intervention_cost"].iloc[1])  # 6 x 95 + 30
    600.0
    """
    economics = economics if economics is not None else Economics()
    return price_resource_use(resource_use(participants, episodes, economics.horizon_days), economics)


# --------------------------------------------------------------------------- expectation and calibration
@dataclass(frozen=True)
class ExpectedCostEffectiveness:
    """Increments of a cost table taken as the expectation, and the normal-approximation probability
    of cost-effectiveness for a trial of ``n_intervention`` + ``n_control`` participants."""

    delta_cost: float
    delta_qaly: float
    icer: float
    probability: float
    wtp: float


def expected_cost_effectiveness(table: pd.DataFrame, wtp: float, n_intervention: int, n_control: int
                                ) -> ExpectedCostEffectiveness:
    """ICER and P(cost-effective at ``wtp``) implied by a large table read as the expectation.

    The probability is the normal approximation for a trial of the given size:
    ``Phi(INMB / SE)`` with ``INMB = wtp * dQALY - dCost`` and ``SE^2 = sum over arms of
    var(wtp * qaly - cost) / n_arm``, the per-participant variances taken from ``table``.
    """
    from scipy.special import ndtr  # scipy.stats would add 0.6 s to the command's start-up

    arm = table["arm"].to_numpy()
    groups = {}
    for name, size in (("intervention", n_intervention), ("control", n_control)):
        mask = arm == name
        if mask.sum() < 2:
            raise EconomicsError(f"the cost table needs at least two participants in the {name} arm")
        c = table["cost"].to_numpy(dtype=float)[mask]
        q = table["qaly"].to_numpy(dtype=float)[mask]
        groups[name] = (c.mean(), q.mean(), np.var(wtp * q - c, ddof=1) / size)
    d_cost = groups["intervention"][0] - groups["control"][0]
    d_qaly = groups["intervention"][1] - groups["control"][1]
    se = math.sqrt(groups["intervention"][2] + groups["control"][2])
    inmb = wtp * d_qaly - d_cost
    prob = float(ndtr(inmb / se)) if se > 0 else float(inmb > 0)
    icer = d_cost / d_qaly if d_qaly != 0 else math.nan
    return ExpectedCostEffectiveness(float(d_cost), float(d_qaly), float(icer), prob, float(wtp))


@dataclass(frozen=True)
class EconomicsCalibration:
    """Targets, achieved values, residuals and the solved :class:`Economics`."""

    economics: Economics
    free_parameters: dict
    targets: dict
    achieved: dict
    message: str

    @property
    def summary(self) -> pd.DataFrame:
        rows = []
        for key, target in self.targets.items():
            got = self.achieved[key]
            rows.append({"target": key, "published": target, "achieved": got, "residual": got - target,
                         "relative_residual": (got - target) / target})
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        return {"economics": self.economics.to_dict(), "free_parameters": dict(self.free_parameters),
                "targets": dict(self.targets), "achieved": dict(self.achieved),
                "message": self.message, "summary": self.summary.to_dict(orient="records")}


CALIBRATION_FREE = ("utility_decrement_after_recurrence", "productivity_cost_per_activity_limiting_day")


def calibrate_economics(participants: pd.DataFrame, episodes: pd.DataFrame, economics: Economics | None = None, *,
                        free: tuple[str, str] = CALIBRATION_FREE, n_intervention: int | None = None,
                        n_control: int | None = None) -> EconomicsCalibration:
    """Solve two free :class:`Economics` fields so the expectation hits the published ICER and P(CE).

    ``participants`` and ``episodes`` should be a LARGE simulated table (e.g. 2,000 trials' worth of
    participants, :func:`analysis.studies.economics.stacked_trials`), so their means and variances stand for the expectation; the probability is the
    normal approximation for a trial of the published size (351 + 350 by default; see
    :func:`expected_cost_effectiveness`). ``free`` names one field that moves the QALYs and one that
    moves the costs; both enter linearly, and the two equations are solved by Newton-type root
    finding (``scipy.optimize.root``) from the current values.
    """
    from scipy.optimize import root

    economics = economics if economics is not None else Economics()
    names = [f.name for f in fields(Economics)]
    if len(free) != 2 or any(name not in names or name == "sessions" for name in free):
        raise EconomicsError(f"free must name two numeric economics fields, not {free!r}")
    target_icer = float(published_value("icer_aud_per_qaly"))
    target_prob = float(published_value("prob_cost_effective"))
    wtp = float(published_value("cea_wtp_threshold"))
    n_i = int(n_intervention if n_intervention is not None else published_value("n_intervention"))
    n_c = int(n_control if n_control is not None else published_value("n_control"))
    from scipy.special import ndtri  # scipy.stats would add 0.6 s to the command's start-up

    z_target = ndtri(target_prob)
    if "horizon_days" in free:
        raise EconomicsError("free must not include horizon_days (the resource use is counted once over the horizon)")
    use = resource_use(participants, episodes, economics.horizon_days)
    start = np.array([getattr(economics, free[0]), getattr(economics, free[1])], dtype=float)
    scale = np.where(start > 0, start, 1.0)

    def achieved(x):
        values = dict(zip(free, (float(v) for v in x * scale)))
        try:
            e = replace(economics, **values)
        except EconomicsError:
            return None, None
        return e, expected_cost_effectiveness(price_resource_use(use, e), wtp, n_i, n_c)

    def residuals(x):
        _, got = achieved(x)
        if got is None:
            return np.array([1e3, 1e3])
        # dC - ICER * dQ (scaled by the target's cost at that QALY gain) and the z-gap: both smooth
        return np.array([(got.delta_cost - target_icer * got.delta_qaly) / (abs(target_icer * got.delta_qaly) + 1.0),
                         ndtri(min(max(got.probability, 1e-12), 1 - 1e-12)) - z_target])

    sol = root(residuals, np.ones(2), method="hybr")
    e, got = achieved(sol.x)
    if e is None or got is None or not sol.success or np.max(np.abs(residuals(sol.x))) > 1e-6 or got.delta_qaly <= 0:
        raise EconomicsError(f"could not calibrate {free[0]} and {free[1]} to ICER AU${target_icer:,.0f} and "
                             f"P = {target_prob:g} at AU${wtp:,.0f}: no admissible solution from these assumptions "
                             "(try other free parameters or starting values)")
    free_values = {name: getattr(e, name) for name in free}
    message = (f"Calibrated {', '.join(free)} so that, on expectation, the ICER is AU${got.icer:,.0f} per QALY and "
               f"the probability of cost-effectiveness at AU${wtp:,.0f} is {got.probability:.3f} (normal approximation, "
               f"trial of {n_i} + {n_c}); costed from the episode engine's episodes.")
    return EconomicsCalibration(economics=e, free_parameters=free_values,
                                targets={"icer_aud_per_qaly": target_icer, "prob_cost_effective": target_prob},
                                achieved={"icer_aud_per_qaly": got.icer, "prob_cost_effective": got.probability},
                                message=message)
