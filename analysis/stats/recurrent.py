"""Analyses of all episodes and of the secondary outcomes: recurrent events, harms, pain.

Sits in the statistics layer beside :mod:`analysis.stats.survival` (whose KM, log-rank and Cox
serve every time-to-event endpoint through their ``time``/``event`` column arguments). Inputs are
the simulator's tables (or users' files with the same columns): the participant table (one row
per participant: ``participant_id``, ``arm``, ``followup_days``, ``n_episodes``,
``adverse_event_12m``, ``lower_extremity_ae_12m``, ``worst_pain_first``) and the episode table
(one row per episode: ``participant_id``, ``onset_day``).

Each estimator matches R (tests/r_reference/make_episodes_reference.R, tolerance 1e-6 relative):

- :func:`mean_cumulative_function`: the Nelson-Aalen mean cumulative number of episodes by arm
  with robust (infinitesimal-jackknife, clustered by participant) standard errors, as
  ``survfit(Surv(start, stop, event) ~ arm, data = cp, id = id)``'s ``cumhaz`` and ``std.chaz``;
- :func:`andersen_gill`: ``coxph(Surv(start, stop, event) ~ arm + cluster(id), ties = "efron")``;
- :func:`negative_binomial_rate`: ``MASS::glm.nb(n_episodes ~ arm + offset(log(followup_days)))``;
- :func:`adverse_events_fisher`: ``fisher.test`` (conditional MLE odds ratio, its CI, two-sided p);
- :func:`worst_pain_difference`: ``t.test(worst_pain_first ~ arm, var.equal = TRUE)`` (the
  regression of worst pain on arm).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from ..errors import WalkBackInputError

__all__ = ["counting_process", "MeanCumulativeFunction", "mean_cumulative_function", "AndersenGill", "andersen_gill",
           "NegativeBinomialRate", "negative_binomial_rate", "FisherTest", "adverse_events_fisher",
           "MeanDifference", "worst_pain_difference", "RecurrentAnalysis", "analyze_recurrent"]

ARMS = ("control", "intervention")


def _need(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise WalkBackInputError(f"{what} needs the column(s) {', '.join(missing)}")


def _arm_indicator(arm: pd.Series) -> np.ndarray:
    values = arm.astype(str)
    bad = sorted(set(values) - set(ARMS))
    if bad:
        raise WalkBackInputError(f"arm must be 'control' or 'intervention'; found {bad[:3]}")
    return (values == "intervention").to_numpy()


def counting_process(episodes: pd.DataFrame, participants: pd.DataFrame) -> pd.DataFrame:
    """Counting-process rows ``(id, arm, start, stop, event)``: each participant's follow-up cut at each onset.

    A participant with onsets t1 < ... < tk and follow-up C gets rows (0, t1, 1), (t1, t2, 1), ...,
    (tk, C, 0) (the last only when C > tk). Participants stay at risk during an episode: the
    simulator's onsets are a Poisson process in calendar time. Onsets are recorded in whole days,
    so two episodes of one participant can start on the same day; a day cannot order them and a
    zero-length interval is no risk interval (R's ``Surv(start, stop)`` rejects it), so such a day
    counts once (with the default scenario about 0.5% of episodes).

    Examples
    --------
    >>> people = pd.DataFrame({"participant_id": [1, 2], "arm": ["control", "intervention"],
    ...                        "followup_days": [100.0, 50.0]})
    >>> eps = pd.DataFrame({"participant_id": [1, 1], "onset_day": [10.0, 40.0]})
    >>> counting_process(eps, people)[["id", "start", "stop", "event"]].values.tolist()
    [[1.0, 0.0, 10.0, 1.0], [1.0, 10.0, 40.0, 1.0], [1.0, 40.0, 100.0, 0.0], [2.0, 0.0, 50.0, 0.0]]
    """
    _need(participants, ("participant_id", "arm", "followup_days"), "a recurrent-event analysis")
    _need(episodes, ("participant_id", "onset_day"), "an episode file")
    ids = participants["participant_id"].to_numpy()
    if len(np.unique(ids)) != len(ids):
        raise WalkBackInputError("participant_id must be unique in the participant file (one trial at a time)")
    follow = pd.to_numeric(participants["followup_days"], errors="coerce").to_numpy(dtype=float)
    onset = pd.to_numeric(episodes["onset_day"], errors="coerce").to_numpy(dtype=float)
    if not (np.isfinite(follow).all() and (follow > 0).all() and np.isfinite(onset).all() and (onset >= 0).all()):
        raise WalkBackInputError("followup_days must be positive and onset_day non-negative numbers on every row")
    position = pd.Index(ids).get_indexer(episodes["participant_id"].to_numpy())
    if (position < 0).any():
        raise WalkBackInputError("the episode file names participants that the participant file does not have")
    if (onset > follow[position]).any():
        raise WalkBackInputError("an episode starts after its participant's follow-up ended (onset_day > followup_days)")
    order = np.lexsort((onset, position))
    position, onset = position[order], onset[order]
    repeat = np.zeros(len(onset), dtype=bool)  # a second onset of the same participant on the same day
    repeat[1:] = (position[1:] == position[:-1]) & (onset[1:] == onset[:-1])
    position, onset = position[~repeat], onset[~repeat]
    n_episodes = np.bincount(position, minlength=len(ids))
    first = np.cumsum(n_episodes) - n_episodes
    previous = np.zeros(len(onset))
    later = np.arange(len(onset)) > first[position]
    previous[later] = onset[np.flatnonzero(later) - 1]
    last_onset = np.zeros(len(ids))
    has = n_episodes > 0
    last_onset[has] = onset[first[has] + n_episodes[has] - 1]
    tail = follow > last_onset
    who = np.concatenate([position, np.flatnonzero(tail)])
    start = np.concatenate([previous, last_onset[tail]])
    stop = np.concatenate([onset, follow[tail]])
    event = np.concatenate([np.ones(len(onset)), np.zeros(int(tail.sum()))])
    rows = np.lexsort((start, who))
    arm = participants["arm"].astype(str).to_numpy()
    return pd.DataFrame({"id": ids[who[rows]].astype(float), "arm": arm[who[rows]], "start": start[rows],
                         "stop": stop[rows], "event": event[rows]})


# --------------------------------------------------------------------------- mean cumulative function
@dataclass(frozen=True)
class MeanCumulativeFunction:
    """Mean cumulative number of episodes per participant, by arm (Nelson-Aalen on counting-process data).

    Attributes
    ----------
    curves : pandas.DataFrame
        ``arm``, ``time`` (event times), ``n_risk``, ``n_event``, ``mcf``, ``std_err`` (robust, clustered by
        participant), ``lower``, ``upper`` (log-transformed ``conf_level`` interval).
    """

    curves: pd.DataFrame = field(repr=False)
    conf_level: float = 0.95

    def at(self, day: float) -> dict[str, float]:
        """MCF of each arm at ``day`` (a step function)."""
        out = {}
        for arm, c in self.curves.groupby("arm", sort=False):
            k = int(np.searchsorted(c.time.to_numpy(), day, side="right"))
            out[str(arm)] = float(c.mcf.iloc[k - 1]) if k else 0.0
        return out

    @property
    def summary(self) -> pd.DataFrame:
        rows = []
        for arm, c in self.curves.groupby("arm", sort=False):
            rows.append({"arm": arm, "episodes": int(c.n_event.sum()), "mcf_end": float(c.mcf.iloc[-1]),
                         "lower_end": float(c.lower.iloc[-1]), "upper_end": float(c.upper.iloc[-1]),
                         "last_time": float(c.time.iloc[-1])})
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        return {"conf_level": self.conf_level, "summary": self.summary.to_dict(orient="records")}


def _mcf_one(start, stop, event, ids, conf_level):
    times = np.unique(stop[event == 1])
    # at risk at t: start < t <= stop
    s_stop, s_start = np.sort(stop), np.sort(start)
    n_risk = (len(stop) - np.searchsorted(s_stop, times, side="left")) - (len(start) - np.searchsorted(s_start, times, side="left"))
    d = np.bincount(np.searchsorted(times, stop[event == 1]), minlength=len(times)).astype(float)
    hazard = d / n_risk
    mcf = np.cumsum(hazard)
    # Infinitesimal jackknife, clustered by participant: influence of participant i on the MCF at t is
    # sum over event times u <= t of dN_i(u) / n(u) - Y_i(u) d(u) / n(u)^2.
    uid, cluster = np.unique(ids, return_inverse=True)
    ev_rows = np.flatnonzero(event == 1)
    dn = np.zeros((len(uid), len(times)))
    np.add.at(dn, (cluster[ev_rows], np.searchsorted(times, stop[ev_rows])), 1.0)
    # Y_i(u) on the event times in (start, stop] of each of the participant's rows, by difference arrays.
    at_risk = np.zeros((len(uid), len(times) + 1))
    np.add.at(at_risk, (cluster, np.searchsorted(times, start, side="right")), 1.0)
    np.add.at(at_risk, (cluster, np.searchsorted(times, stop, side="right")), -1.0)
    at_risk = np.cumsum(at_risk, axis=1)[:, :-1]
    influence = np.cumsum(dn / n_risk - at_risk * (d / n_risk ** 2), axis=1)
    se = np.sqrt((influence ** 2).sum(axis=0))
    z = special.ndtri(0.5 + conf_level / 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.exp(z * se / mcf)
    return times, n_risk, d, mcf, se, mcf / factor, mcf * factor


def mean_cumulative_function(episodes: pd.DataFrame, participants: pd.DataFrame,
                             conf_level: float = 0.95) -> MeanCumulativeFunction:
    """Mean cumulative number of episodes by arm, with robust clustered standard errors.

    Matches R ``survfit(Surv(start, stop, event) ~ arm, data = cp, id = id)``: ``cumhaz`` and
    ``std.chaz`` (survival 3.x uses the infinitesimal jackknife when ``id`` is given).

    Examples
    --------
    >>> people = pd.DataFrame({"participant_id": [1, 2, 3, 4], "arm": ["control"] * 2 + ["intervention"] * 2,
    ...                        "followup_days": [100.0, 100.0, 100.0, 100.0]})
    >>> eps = pd.DataFrame({"participant_id": [1, 1, 3], "onset_day": [10.0, 40.0, 20.0]})
    >>> mean_cumulative_function(eps, people).at(50.0)
    {'control': 1.0, 'intervention': 0.5}
    """
    cp = counting_process(episodes, participants)
    frames = []
    for arm in ARMS:
        sub = cp[cp.arm == arm]
        if sub.empty or not (sub.event == 1).any():
            continue
        t, n, d, m, se, lo, hi = _mcf_one(sub.start.to_numpy(), sub.stop.to_numpy(), sub.event.to_numpy(),
                                         sub.id.to_numpy(), conf_level)
        frames.append(pd.DataFrame({"arm": arm, "time": t, "n_risk": n, "n_event": d, "mcf": m, "std_err": se,
                                    "lower": lo, "upper": hi}))
    if not frames:
        raise WalkBackInputError("no episodes to analyse")
    return MeanCumulativeFunction(pd.concat(frames, ignore_index=True), conf_level)


# --------------------------------------------------------------------------- Andersen-Gill
@dataclass(frozen=True)
class AndersenGill:
    """Andersen-Gill Cox model of all episodes (intervention vs control), robust SE clustered by participant."""

    coef: float
    se_model: float
    se_robust: float
    n_episodes: int
    n_participants: int
    conf_level: float = 0.95

    @property
    def hazard_ratio(self) -> float:
        return math.exp(self.coef)

    @property
    def ci(self) -> tuple[float, float]:
        return _wald_ratio_ci(self.coef, self.se_robust, self.conf_level)

    @property
    def p_value(self) -> float:
        return _wald_p(self.coef, self.se_robust)

    @property
    def summary(self) -> pd.DataFrame:
        lo, hi = self.ci
        return pd.DataFrame([{"estimate": "rate ratio of episodes (Andersen-Gill HR)", "value": self.hazard_ratio,
                              "lower": lo, "upper": hi, "p": self.p_value, "se_robust": self.se_robust,
                              "se_model": self.se_model}])

    def to_dict(self) -> dict:
        return {"coef": self.coef, "hazard_ratio": self.hazard_ratio, "ci": list(self.ci), "p": self.p_value,
                "se_model": self.se_model, "se_robust": self.se_robust, "n_episodes": self.n_episodes,
                "n_participants": self.n_participants}


def _efron_pieces(start, stop, event, x):
    """Event-time structure for Efron's approximation with one binary covariate (sub-time expansion).

    Each tie group of d events becomes d sub-times l = 0..d-1; at sub-time l the tied events
    weigh (1 - l/d) in the risk set and each contributes 1/d of an event.
    """
    ev = np.flatnonzero(event == 1)
    times, group = np.unique(stop[ev], return_inverse=True)
    d = np.bincount(group).astype(float)
    sub_group = np.repeat(np.arange(len(times)), d.astype(np.int64))
    sub_l = np.arange(len(sub_group)) - np.repeat(np.cumsum(d) - d, d.astype(np.int64))
    frac = sub_l / d[sub_group]
    return ev, times, group, d, sub_group, frac


def andersen_gill(episodes: pd.DataFrame, participants: pd.DataFrame, conf_level: float = 0.95) -> AndersenGill:
    """Andersen-Gill Cox regression of episodes on arm, robust variance clustered by participant.

    R: ``coxph(Surv(start, stop, event) ~ arm + cluster(id), data = cp, ties = "efron")``; ``coef``,
    ``sqrt(fit$naive.var)`` and ``sqrt(fit$var)`` (robust).

    Examples
    --------
    >>> people = pd.DataFrame({"participant_id": range(1, 7), "arm": ["control"] * 3 + ["intervention"] * 3,
    ...                        "followup_days": [100.0] * 6})
    >>> eps = pd.DataFrame({"participant_id": [1, 1, 2, 3, 4], "onset_day": [10.0, 40.0, 30.0, 60.0, 50.0]})
    >>> round(andersen_gill(eps, people).hazard_ratio, 6)  # R: 0.2500000001
    0.25
    """
    cp = counting_process(episodes, participants)
    start, stop, event = cp.start.to_numpy(), cp.stop.to_numpy(), cp.event.to_numpy()
    x = (cp.arm == "intervention").to_numpy().astype(float)
    if event.sum() == 0 or x.min() == x.max():
        raise WalkBackInputError("an Andersen-Gill fit needs episodes and both arms")
    ev, times, group, d, sub_group, frac = _efron_pieces(start, stop, event, x)
    s_stop_order = np.argsort(stop)
    s_start_order = np.argsort(start)
    stop_sorted, start_sorted = stop[s_stop_order], start[s_start_order]
    lo_stop = np.searchsorted(stop_sorted, times, side="left")   # rows with stop >= t: [lo_stop, n)
    lo_start = np.searchsorted(start_sorted, times, side="left")  # rows with start >= t: [lo_start, n)
    x_ev_sum = np.bincount(group, weights=x[ev], minlength=len(times))

    def risk_sums(beta):
        r = np.exp(beta * x)
        def tail(values, order, lo):
            c = np.concatenate([[0.0], np.cumsum(values[order][::-1])])[::-1]  # c[k] = sum of sorted[k:]
            return c[lo]
        s0 = tail(r, s_stop_order, lo_stop) - tail(r, s_start_order, lo_start)
        s1 = tail(r * x, s_stop_order, lo_stop) - tail(r * x, s_start_order, lo_start)
        e0 = np.bincount(group, weights=r[ev], minlength=len(times))
        e1 = np.bincount(group, weights=(r * x)[ev], minlength=len(times))
        s0_l = s0[sub_group] - frac * e0[sub_group]
        s1_l = s1[sub_group] - frac * e1[sub_group]
        return r, s0_l, s1_l

    def score_info(beta):
        _, s0_l, s1_l = risk_sums(beta)
        xbar = s1_l / s0_l
        score = x_ev_sum.sum() - xbar.sum()
        info = (xbar * (1.0 - xbar)).sum()  # binary x: S2 = S1
        return score, info

    beta = 0.0
    for _ in range(50):
        score, info = score_info(beta)
        step = score / info
        beta += step
        if abs(step) < 1e-12:
            break
    score, info = score_info(beta)
    r, s0_l, s1_l = risk_sums(beta)
    xbar = s1_l / s0_l
    # Score residuals (R's dfbeta with Efron weights): per row i,
    #   sum over sub-times l of dN_i(l) (x_i - xbar_l) - w_i(l) r_i (x_i - xbar_l) / s0_l,
    # dN_i(l) = 1/d for a tied event row, w_i(l) = 1 - l/d for it and 1 for other rows at risk.
    resid = np.zeros(len(x))
    dlam = 1.0 / s0_l                      # per sub-time
    dlam_x = xbar / s0_l
    # Rows at risk at event time k: start < t_k <= stop. Cumulative sums over event times give
    # sum_{k in (start_i, stop_i]} of (per-time totals over its sub-times).
    per_time_lam = np.bincount(sub_group, weights=dlam, minlength=len(times))
    per_time_lamx = np.bincount(sub_group, weights=dlam_x, minlength=len(times))
    c_lam = np.concatenate([[0.0], np.cumsum(per_time_lam)])
    c_lamx = np.concatenate([[0.0], np.cumsum(per_time_lamx)])
    a = np.searchsorted(times, start, side="right")
    b = np.searchsorted(times, stop, side="right")
    lam_i = c_lam[b] - c_lam[a]
    lamx_i = c_lamx[b] - c_lamx[a]
    resid -= r * (x * lam_i - lamx_i)
    # Tied event rows: at their own time the sub-times weigh them (1 - l/d), not 1 (add back l/d),
    # and they carry dN = 1/d at each sub-time.
    g_frac_lam = np.bincount(sub_group, weights=frac * dlam, minlength=len(times))
    g_frac_lamx = np.bincount(sub_group, weights=frac * dlam_x, minlength=len(times))
    g_xbar = np.bincount(sub_group, weights=xbar, minlength=len(times)) / d
    resid[ev] += r[ev] * (x[ev] * g_frac_lam[group] - g_frac_lamx[group]) + x[ev] - g_xbar[group]
    dfbeta = resid / info
    cluster = pd.factorize(cp.id.to_numpy())[0]
    per_cluster = np.bincount(cluster, weights=dfbeta)
    se_robust = math.sqrt(float((per_cluster ** 2).sum()))
    return AndersenGill(coef=float(beta), se_model=math.sqrt(1.0 / info), se_robust=se_robust,
                        n_episodes=int(event.sum()), n_participants=int(cluster.max() + 1), conf_level=conf_level)


# --------------------------------------------------------------------------- negative binomial
@dataclass(frozen=True)
class NegativeBinomialRate:
    """Negative-binomial regression of the number of episodes on arm, log follow-up as offset."""

    coef: float
    se: float
    intercept: float
    theta: float
    conf_level: float = 0.95

    @property
    def rate_ratio(self) -> float:
        return math.exp(self.coef)

    @property
    def ci(self) -> tuple[float, float]:
        return _wald_ratio_ci(self.coef, self.se, self.conf_level)

    @property
    def p_value(self) -> float:
        return _wald_p(self.coef, self.se)

    @property
    def summary(self) -> pd.DataFrame:
        lo, hi = self.ci
        return pd.DataFrame([{"estimate": "rate ratio of episodes (negative binomial)", "value": self.rate_ratio,
                              "lower": lo, "upper": hi, "p": self.p_value, "theta": self.theta}])

    def to_dict(self) -> dict:
        return {"coef": self.coef, "se": self.se, "rate_ratio": self.rate_ratio, "ci": list(self.ci),
                "p": self.p_value, "intercept": self.intercept, "theta": self.theta}


def negative_binomial_rate(participants: pd.DataFrame, conf_level: float = 0.95) -> NegativeBinomialRate:
    """Episode rate ratio from ``MASS::glm.nb(n_episodes ~ arm + offset(log(followup_days)))``.

    Maximum likelihood for the coefficients and theta jointly (glm.nb alternates IRLS for the
    coefficients and Newton for theta until both settle; here the profile likelihood of theta is
    maximised with the coefficients solved at each theta: the same maximum); standard errors from
    the IRLS (expected) information at the maximum with theta fixed, as ``summary(glm.nb(...))``.

    Examples
    --------
    >>> people = pd.DataFrame({"arm": ["control", "intervention"] * 5, "n_episodes": [7, 1, 0, 0, 2, 5, 9, 1, 1, 0],
    ...                        "followup_days": [365.0, 300, 365, 200, 365, 365, 100, 365, 365, 250]})
    >>> round(negative_binomial_rate(people).rate_ratio, 8)  # R glm.nb: 0.1986856075
    0.19868561
    """
    _need(participants, ("arm", "n_episodes", "followup_days"), "a negative-binomial rate ratio")
    x = _arm_indicator(participants["arm"]).astype(float)
    y = pd.to_numeric(participants["n_episodes"], errors="coerce").to_numpy(dtype=float)
    exposure = pd.to_numeric(participants["followup_days"], errors="coerce").to_numpy(dtype=float)
    if not (np.isfinite(y).all() and (y >= 0).all() and np.isfinite(exposure).all() and (exposure > 0).all()):
        raise WalkBackInputError("n_episodes must be counts and followup_days positive on every row")
    if x.min() == x.max() or y[x == 0].sum() == 0 or y[x == 1].sum() == 0:
        raise WalkBackInputError("a rate ratio needs both arms and episodes in each")
    offset = np.log(exposure)
    X = np.column_stack([np.ones_like(x), x])

    def negloglik(params):
        b0, b1, log_theta = params
        mu = np.exp(b0 + b1 * x + offset)
        theta = math.exp(log_theta)
        return -float(np.sum(special.gammaln(y + theta) - special.gammaln(theta) - special.gammaln(y + 1)
                             + theta * np.log(theta / (theta + mu)) + y * np.log(mu / (theta + mu))))

    def coefficients(theta):
        """Newton for the coefficients at fixed theta (the MLE given theta, as glm.nb's IRLS)."""
        beta = np.array([math.log(y.sum() / exposure.sum()), 0.0])
        for _ in range(100):
            mu = np.exp(X @ beta + offset)
            w = mu / (1.0 + mu / theta)
            score = X.T @ ((y - mu) / (1.0 + mu / theta))
            # observed information of the NB log-likelihood in beta at fixed theta
            h = mu * (1.0 + y / theta) / (1.0 + mu / theta) ** 2
            step = np.linalg.solve(X.T @ (h[:, None] * X), score)
            beta = beta + step
            if np.max(np.abs(step)) < 1e-13:
                break
        return beta, w

    def profile(log_theta):
        beta, _ = coefficients(math.exp(log_theta))
        return negloglik((beta[0], beta[1], log_theta))

    res = optimize.minimize_scalar(profile, bounds=(-15.0, 15.0), method="bounded", options={"xatol": 1e-11})
    theta = math.exp(res.x)
    (b0, b1), w = coefficients(theta)
    cov = np.linalg.inv(X.T @ (w[:, None] * X))
    return NegativeBinomialRate(coef=float(b1), se=math.sqrt(cov[1, 1]), intercept=float(b0), theta=theta,
                                conf_level=conf_level)


# --------------------------------------------------------------------------- harms and pain
@dataclass(frozen=True)
class FisherTest:
    """Fisher's exact test of a 2x2 table (rows control, intervention; columns event, no event)."""

    table: tuple[tuple[int, int], tuple[int, int]]
    odds_ratio: float
    ci: tuple[float, float]
    p_value: float

    @property
    def summary(self) -> pd.DataFrame:
        (a, b), (c, dd) = self.table
        return pd.DataFrame([{"control_events": a, "control_n": a + b, "intervention_events": c,
                              "intervention_n": c + dd, "odds_ratio": self.odds_ratio, "lower": self.ci[0],
                              "upper": self.ci[1], "p": self.p_value}])

    def to_dict(self) -> dict:
        return {"table": [list(r) for r in self.table], "odds_ratio": self.odds_ratio, "ci": list(self.ci),
                "p": self.p_value}


def adverse_events_fisher(participants: pd.DataFrame, column: str = "adverse_event_12m") -> FisherTest:
    """Share with an adverse event by arm, Fisher's exact test (the SAP's analysis of harms).

    R: ``fisher.test(table(arm, event))``: conditional maximum-likelihood odds ratio
    (intervention vs control) with its exact CI, and the two-sided p-value.

    Examples
    --------
    >>> people = pd.DataFrame({"arm": ["control"] * 10 + ["intervention"] * 10,
    ...                        "adverse_event_12m": [1] * 6 + [0] * 4 + [1] * 2 + [0] * 8})
    >>> round(adverse_events_fisher(people).p_value, 8)  # R fisher.test: 0.1698023339
    0.16980233
    """
    _need(participants, ("arm", column), "Fisher's exact test")
    x = _arm_indicator(participants["arm"])
    event = pd.to_numeric(participants[column], errors="coerce").to_numpy(dtype=float)
    if not np.isin(event, (0.0, 1.0)).all():
        raise WalkBackInputError(f"{column} must be 0 or 1 on every row")
    a, c = int(event[~x].sum()), int(event[x].sum())
    b, dd = int((~x).sum()) - a, int(x.sum()) - c
    # Odds ratio of the event, intervention vs control: table rows intervention/control so the
    # conditional estimate is (c * b) / (d * a)-like, as R's fisher.test(table(arm == "intervention", event)).
    result = stats.contingency.odds_ratio([[b, a], [dd, c]], kind="conditional")
    ci = result.confidence_interval(0.95)
    p = float(stats.fisher_exact([[b, a], [dd, c]]).pvalue)
    return FisherTest(((a, b), (c, dd)), float(result.statistic), (float(ci.low), float(ci.high)), p)



def _wald_ratio_ci(coef: float, se: float, conf_level: float) -> tuple[float, float]:
    """exp(coef -/+ z se): a Wald interval on the ratio scale."""
    z = special.ndtri(0.5 + conf_level / 2.0)
    return math.exp(coef - z * se), math.exp(coef + z * se)


def _wald_p(coef: float, se: float) -> float:
    return float(2.0 * special.ndtr(-abs(coef / se)))

@dataclass(frozen=True)
class MeanDifference:
    """Difference in means (intervention - control) with a pooled-variance t interval."""

    difference: float
    se: float
    df: float
    ci: tuple[float, float]
    p_value: float
    n: tuple[int, int]

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame([{"difference": self.difference, "lower": self.ci[0], "upper": self.ci[1],
                              "p": self.p_value, "n_control": self.n[0], "n_intervention": self.n[1]}])

    def to_dict(self) -> dict:
        return {"difference": self.difference, "se": self.se, "df": self.df, "ci": list(self.ci),
                "p": self.p_value, "n": list(self.n)}


def worst_pain_difference(participants: pd.DataFrame, column: str = "worst_pain_first",
                          conf_level: float = 0.95) -> MeanDifference:
    """Difference in worst pain of the first recurrence (participants with one), intervention - control.

    R: ``t.test(worst_pain_first ~ arm, var.equal = TRUE)`` (sign flipped to intervention - control).

    Examples
    --------
    >>> people = pd.DataFrame({"arm": ["control"] * 3 + ["intervention"] * 3, "worst_pain_first": [6, 7, 8, 5, 6, 7]})
    >>> worst_pain_difference(people).difference
    -1.0
    """
    _need(participants, ("arm", column), "a difference in pain")
    values = pd.to_numeric(participants[column], errors="coerce").to_numpy(dtype=float)
    keep = np.isfinite(values)
    x = _arm_indicator(participants["arm"])[keep]
    values = values[keep]
    y0, y1 = values[~x], values[x]
    if len(y0) < 2 or len(y1) < 2:
        raise WalkBackInputError(f"{column} needs at least two values in each arm")
    df = len(y0) + len(y1) - 2
    pooled = (((y0 - y0.mean()) ** 2).sum() + ((y1 - y1.mean()) ** 2).sum()) / df
    se = math.sqrt(pooled * (1.0 / len(y0) + 1.0 / len(y1)))
    diff = float(y1.mean() - y0.mean())
    q = stats.t.ppf(0.5 + conf_level / 2.0, df)
    p = float(2.0 * stats.t.sf(abs(diff / se), df)) if se > 0 else float("nan")
    return MeanDifference(diff, se, float(df), (diff - q * se, diff + q * se), p, (len(y0), len(y1)))


# --------------------------------------------------------------------------- all of it at once
@dataclass(frozen=True)
class RecurrentAnalysis:
    """The recurrent-event analyses of a trial's episodes (and harms and pain when their columns exist)."""

    mcf: MeanCumulativeFunction
    andersen_gill: AndersenGill
    negative_binomial: NegativeBinomialRate | None
    adverse_events: FisherTest | None
    worst_pain: MeanDifference | None

    @property
    def summary(self) -> pd.DataFrame:
        """One row per rate ratio (Andersen-Gill, negative binomial)."""
        parts = [self.andersen_gill.summary]
        if self.negative_binomial is not None:
            parts.append(self.negative_binomial.summary)
        return pd.concat(parts, ignore_index=True)

    def to_dict(self) -> dict:
        return {"mcf": self.mcf.to_dict(), "andersen_gill": self.andersen_gill.to_dict(),
                "negative_binomial": None if self.negative_binomial is None else self.negative_binomial.to_dict(),
                "adverse_events": None if self.adverse_events is None else self.adverse_events.to_dict(),
                "worst_pain": None if self.worst_pain is None else self.worst_pain.to_dict()}


def analyze_recurrent(episodes: pd.DataFrame, participants: pd.DataFrame) -> RecurrentAnalysis:
    """MCF by arm, Andersen-Gill and (with ``n_episodes``) the negative-binomial rate ratio; with the
    columns present also Fisher's test of adverse events and the worst-pain difference.

    Examples
    --------
    >>> from analysis.io.export import EXAMPLE_COHORT_PATH
    >>> people = pd.read_csv(EXAMPLE_COHORT_PATH)
    >>> from analysis.model.default import default_scenario
    >>> from analysis.simulate.engine import simulate_episodes
    >>> result = analyze_recurrent(simulate_episodes(default_scenario(), seed=1)[1], people)
    >>> round(result.andersen_gill.hazard_ratio, 3)
    0.72
    """
    return RecurrentAnalysis(
        mcf=mean_cumulative_function(episodes, participants),
        andersen_gill=andersen_gill(episodes, participants),
        negative_binomial=negative_binomial_rate(participants) if "n_episodes" in participants.columns else None,
        adverse_events=adverse_events_fisher(participants) if "adverse_event_12m" in participants.columns else None,
        worst_pain=worst_pain_difference(participants) if "worst_pain_first" in participants.columns else None,
    )
