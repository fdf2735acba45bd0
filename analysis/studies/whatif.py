"""What-ifs and readouts: numbers the pages show beside their figures (walking trajectories, the
dose-response curve, number needed to treat, the what-if comparison table, the replicate readout).

They compute; :mod:`analysis.plots` only draws. Rows carry stable keys (``quantity``) besides
their display labels, so a page never looks a row up by its English text.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["walking_trajectory", "plateau_extra_summary", "dose_response_curve", "number_needed_to_treat",
           "whatif_table", "replicate_readout", "share_of_trials_further"]


def walking_trajectory(scenario, weeks: int = 156) -> pd.DataFrame:
    """The scenario's expected walking, minutes per week, week by week (data for the plot).

    Uses the same fixed quasi-random sample of participants as :func:`analysis.model.expectation.expected_trial`,
    so the curve matches the expected survival curves exactly (no simulation noise).

    Returns
    -------
    DataFrame
        ``week``, ``arm``, ``minutes`` (arm mean, never-starters included in the intervention arm),
        ``q10``, ``q90`` (10th and 90th percentiles among programme starters; NaN for control).

    Examples
    --------
    >>> from analysis.trial.scenario import Scenario
    >>> w = walking_trajectory(Scenario(), weeks=30)
    >>> sorted(w.arm.unique()), int(w.week.max())
    (['control', 'intervention'], 30)
    """
    from ..model.expectation import quasi_uniforms
    from ..model.hazard import dose_pieces, latent_from_uniforms

    latent = latent_from_uniforms(scenario, quasi_uniforms())
    pieces = dose_pieces(scenario.walking)
    week = np.arange(0, weeks + 1, dtype=float)
    # Walking in week w is the piece containing the middle of that week (week 0 = before starting).
    mid_days = np.maximum(week - 0.5, 0.0) * 7.0
    fraction = np.where(week == 0, 0.0, pieces.fraction[pieces.piece_of(mid_days)])
    walked = latent.baseline_minutes[:, None] + latent.plateau_extra[:, None] * fraction[None, :]
    control = latent.baseline_minutes + latent.spontaneous_extra
    starters = walked[latent.starts]
    q10 = np.percentile(starters, 10, axis=0) if len(starters) else np.full(len(week), np.nan)
    q90 = np.percentile(starters, 90, axis=0) if len(starters) else np.full(len(week), np.nan)
    intervention = pd.DataFrame({"week": week, "arm": "intervention", "minutes": walked.mean(axis=0), "q10": q10, "q90": q90})
    ctrl = pd.DataFrame({"week": week, "arm": "control", "minutes": np.where(week == 0, latent.baseline_minutes.mean(), control.mean()),
                         "q10": np.nan, "q90": np.nan})
    return pd.concat([intervention, ctrl], ignore_index=True)


def plateau_extra_summary(scenario) -> dict[str, float]:
    """Mean extra walking at the plateau among programme starters and in the whole intervention arm.

    Examples
    --------
    >>> from analysis.trial.scenario import Scenario
    >>> s = plateau_extra_summary(Scenario())
    >>> s["starters"] > s["arm"] > 0
    True
    """
    from ..model.expectation import quasi_uniforms
    from ..model.hazard import latent_from_uniforms

    latent = latent_from_uniforms(scenario, quasi_uniforms())
    starters = latent.plateau_extra[latent.starts]
    return {
        "starters": float(starters.mean()) if len(starters) else 0.0,
        "arm": float(latent.plateau_extra.mean()),
        "control_spontaneous": float(latent.spontaneous_extra.mean()),
        "share_starting": float(latent.starts.mean()),
    }


def dose_response_curve(dose_response, max_minutes: float = 300.0, points: int = 121) -> tuple[np.ndarray, np.ndarray]:
    """(extra_minutes, relative_hazard) on a grid, for :func:`dose_response_figure`.

    Examples
    --------
    >>> from analysis.trial.scenario import DoseResponse
    >>> x, y = dose_response_curve(DoseResponse(shape="none"), points=3)
    >>> y.tolist()
    [1.0, 1.0, 1.0]
    """
    from ..model.hazard import relative_hazard

    x = np.linspace(0.0, max_minutes, points)
    return x, np.asarray(relative_hazard(x, dose_response), dtype=float)


def number_needed_to_treat(survival_intervention: float, survival_control: float) -> float:
    """Participants to offer the programme to prevent one recurrence by a time point.

    ``inf`` when the arms do not differ; negative when the programme does harm (number needed to harm).

    Examples
    --------
    >>> round(number_needed_to_treat(0.55, 0.40), 2)
    6.67
    """
    difference = survival_intervention - survival_control
    if not math.isfinite(difference) or abs(difference) < 1e-9:
        return math.inf
    return 1.0 / difference


def _fmt_nnt(value: float) -> str:
    if not math.isfinite(value):
        return "none (no difference)"
    if value < 0:
        return f"harm: 1 in {abs(value):.1f}"
    return f"{value:.1f}"


def whatif_table(baseline, whatif, *, horizon_days: float = 365.25, rmst_days: float = 365.25) -> pd.DataFrame:
    """Side-by-side summary of two expected trials (baseline scenario vs what-if), for display.

    Parameters
    ----------
    baseline, whatif : ExpectedTrial
        From :func:`analysis.model.expectation.expected_trial`.
    horizon_days : float
        Time point of "recurrence-free at" and of the NNT (default 12 months).
    rmst_days : float
        Horizon of the restricted mean recurrence-free time.

    Returns
    -------
    DataFrame
        ``quantity``, ``baseline``, ``what_if``, ``change`` (display strings) and ``baseline_value``,
        ``what_if_value`` (numbers).

    Examples
    --------
    >>> from analysis.model.default import default_scenario
    >>> from analysis.model.expectation import expected_trial
    >>> e = expected_trial(default_scenario())
    >>> t = whatif_table(e, e)
    >>> t.loc[0, "quantity"], t.loc[0, "baseline"], t.loc[0, "change"]
    ('Median days to recurrence, walking + education', '208', '±0')
    """
    months = horizon_days / 30.4375
    tau_months = rmst_days / 30.4375
    nnt_base = number_needed_to_treat(baseline.survival_at(horizon_days, "intervention"),
                                      baseline.survival_at(horizon_days, "control"))
    nnt_new = number_needed_to_treat(whatif.survival_at(horizon_days, "intervention"),
                                     whatif.survival_at(horizon_days, "control"))
    rows = [
        ("Median days to recurrence, walking + education", baseline.median_intervention, whatif.median_intervention, "days"),
        ("Median days to recurrence, control", baseline.median_control, whatif.median_control, "days"),
        ("Hazard ratio (Cox, ITT, expected)", baseline.cox_hr, whatif.cox_hr, "ratio"),
        (f"RMST to {tau_months:.0f} months, walking + education (days)",
         baseline.rmst(rmst_days, "intervention"), whatif.rmst(rmst_days, "intervention"), "days"),
        (f"RMST gain to {tau_months:.0f} months (days)",
         baseline.rmst(rmst_days, "intervention") - baseline.rmst(rmst_days, "control"),
         whatif.rmst(rmst_days, "intervention") - whatif.rmst(rmst_days, "control"), "days"),
        (f"Recurrence-free at {months:.0f} months, walking + education",
         baseline.survival_at(horizon_days, "intervention"), whatif.survival_at(horizon_days, "intervention"), "share"),
        (f"Recurrence-free at {months:.0f} months, control",
         baseline.survival_at(horizon_days, "control"), whatif.survival_at(horizon_days, "control"), "share"),
        (f"Number needed to treat at {months:.0f} months", nnt_base, nnt_new, "nnt"),
        ("Recurrences expected, both arms", baseline.events_total, whatif.events_total, "count"),
    ]

    def fmt(value: float, kind: str) -> str:
        if kind == "nnt":
            return _fmt_nnt(value)
        if not math.isfinite(value):
            return "not reached"
        if kind == "ratio":
            return f"{value:.2f}"
        if kind == "share":
            return f"{100 * value:.1f}%"
        return f"{value:.0f}"

    def change(a: float, b: float, kind: str) -> str:
        if kind == "nnt" or not (math.isfinite(a) and math.isfinite(b)):
            return ""
        d = b - a
        if kind == "ratio":
            return "±0" if abs(d) < 0.005 else f"{d:+.2f}"
        if kind == "share":
            return "±0" if abs(d) < 0.0005 else f"{100 * d:+.1f} points"
        return "±0" if abs(d) < 0.5 else f"{d:+.0f}"

    return pd.DataFrame({
        "quantity": [r[0] for r in rows],
        "baseline": [fmt(r[1], r[3]) for r in rows],
        "what_if": [fmt(r[2], r[3]) for r in rows],
        "change": [change(r[1], r[2], r[3]) for r in rows],
        "baseline_value": [float(r[1]) for r in rows],
        "what_if_value": [float(r[2]) for r in rows],
    })


def replicate_readout(per_trial: pd.DataFrame, *, published_ci: tuple[float, float], alpha: float = 0.05,
                      level: float = 0.95) -> dict[str, float]:
    """Plain read-outs of a replicate run for display: HR percentiles and shares of trials.

    Parameters
    ----------
    per_trial : DataFrame
        ``ReplicateResult.per_trial`` (columns ``hr``, ``logrank_p``).
    published_ci : (lower, upper)
        The published 95% CI of the hazard ratio.

    Returns
    -------
    dict with ``hr_q025``, ``hr_q50``, ``hr_q975``, ``share_in_published_ci``, ``share_significant``
    and ``n``; when ``per_trial`` has the CI columns ``hr_lower``/``hr_upper`` (at ``level``), also
    ``log_hr_empirical_sd`` (spread of the log HR over trials) and ``log_hr_mean_model_se`` (the Cox
    model's own SE, averaged): their ratio says whether the trials' intervals are as wide as they
    should be.

    Examples
    --------
    >>> d = pd.DataFrame({"hr": [0.5, 0.7, 0.8, 0.9], "logrank_p": [0.001, 0.01, 0.2, 0.5]})
    >>> r = replicate_readout(d, published_ci=(0.6, 0.85))
    >>> r["share_in_published_ci"], r["share_significant"]
    (0.5, 0.5)
    """
    hr = per_trial["hr"].to_numpy(dtype=float)
    finite = hr[np.isfinite(hr)]
    q = np.quantile(finite, [0.025, 0.5, 0.975]) if finite.size else np.full(3, np.nan)
    inside = (finite >= published_ci[0]) & (finite <= published_ci[1])
    out = {
        "n": float(len(per_trial)),
        "hr_q025": float(q[0]), "hr_q50": float(q[1]), "hr_q975": float(q[2]),
        "share_in_published_ci": float(inside.mean()) if finite.size else math.nan,
        "share_significant": float(np.mean(per_trial["logrank_p"].to_numpy(dtype=float) < alpha)),
    }
    if {"hr_lower", "hr_upper"} <= set(per_trial.columns):
        from scipy.stats import norm

        with np.errstate(divide="ignore", invalid="ignore"):
            log_hr = np.log(hr)
            se = (np.log(per_trial["hr_upper"].to_numpy(dtype=float))
                  - np.log(per_trial["hr_lower"].to_numpy(dtype=float))) / (2 * norm.ppf(0.5 + level / 2))
        ok = np.isfinite(log_hr) & np.isfinite(se)
        out["log_hr_empirical_sd"] = float(log_hr[ok].std(ddof=1)) if ok.sum() > 1 else math.nan
        out["log_hr_mean_model_se"] = float(se[ok].mean()) if ok.any() else math.nan
    return out


def share_of_trials_further(hr: float, lower: float, upper: float, expected_hr: float, level: float = 0.95) -> float:
    """About what share of trials of the same scenario would land further from the expected HR than this one.

    Uses the trial's own Cox standard error (from its confidence interval) and the normal
    approximation for the log hazard ratio, centred on the scenario's expected HR:
    ``2 (1 - Phi(|log hr - log expected| / se))``. A small share means an unusual trial.

    Examples
    --------
    >>> round(share_of_trials_further(0.72, 0.60, 0.864, 0.72), 3)
    1.0
    >>> round(share_of_trials_further(0.81, 0.69, 0.95, 0.72), 2)
    0.15
    """
    from scipy.stats import norm

    values = (hr, lower, upper, expected_hr)
    if not all(math.isfinite(v) and v > 0 for v in values) or upper <= lower:
        return math.nan
    se = (math.log(upper) - math.log(lower)) / (2 * norm.ppf(0.5 + level / 2))
    return float(2 * norm.sf(abs(math.log(hr) - math.log(expected_hr)) / se))
