"""Calibration: solve a scenario's free outcome parameters so it reproduces the published trial.

Sits before simulation. Given any choice of adherence, walking and dose-response *assumptions*,
:func:`calibrate` solves

- the baseline hazard (Weibull scale and shape; exponential scale; or the level and trend of a
  piecewise-exponential hazard),
- the strength of the walking effect (``log_hr_per_100_min`` or ``emax``; the education hazard
  ratio when walking is assumed to have no effect),
- the annual loss to follow-up (unpublished; it sets how many recurrences are observed),

so that, on expectation, the control median is 112 days, the intervention median 208 days, the
ITT Cox hazard ratio 0.72 and the number of recurrences about 506 (derived from the HR's CI).

The published figures were computed on whole-day data (days to recurrence, from monthly
self-report), and the simulator records whole days: a latent continuous time ``u`` becomes day
``floor(u) + 1`` (see :mod:`analysis.simulate.engine`). So the targets are the *expected whole-day*
figures. The whole-day Kaplan-Meier curve at day ``d`` is the latent ``S(d)``, and its median (the
smallest day with ``S(d) <= 0.5``) is ``ceil(m)`` for the latent median ``m``; the calibration aims
``m`` at the middle of the day the published median names (111.5 for 112, 207.5 for 208), so the
expected whole-day median is the published one with half a day's margin on each side. The hazard
ratio's target is the large-sample limit of Efron's estimate on whole-day data; for this endpoint
ties are few and that limit (:func:`cox_limit_hr` with ``ties="efron"`` on the daily grid) differs
from the continuous-time limit by 2e-8 relative (default scenario, measured), so the solve uses the
continuous-time limit on a coarse grid, six times cheaper. The recovery endpoint, whose ties are
massive, is calibrated on the Efron limit (:mod:`analysis.model.episodes`).

"On expectation" is computed exactly, not by simulation, by :mod:`analysis.model.expectation`; this
module imports it and the episode model (:mod:`analysis.model.episodes`), and neither imports this one.
The stored default (:mod:`analysis.model.default`) builds on this module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .episodes import calibrate_episodes, episode_report, expected_episodes
from .expectation import ExpectedTrial, expected_trial
from ..trial.published import published_figures
from ..trial.scenario import Scenario, with_changes

if TYPE_CHECKING:  # pandas is imported where a table is built: Monte Carlo workers never load it
    import pandas as pd

__all__ = ["CalibrationReport", "calibrate", "calibrated_fields", "compare_with_published", "TOLERANCE",
           "EVENTS_TOLERANCE"]

#: A target counts as met when achieved within this relative distance (events: 3%).
TOLERANCE = 0.01
EVENTS_TOLERANCE = 0.03


# --------------------------------------------------------------------------- the solve
@dataclass(frozen=True)
class CalibrationReport:
    """Result of :func:`calibrate`.

    Attributes
    ----------
    scenario : Scenario
        The input scenario with the free parameters solved.
    expected : ExpectedTrial
        What the calibrated scenario implies.
    summary : pandas.DataFrame
        One row per target: ``target``, ``published``, ``achieved``, ``relative_residual``,
        ``met``, ``kind`` ("published", "derived" or "not published") and ``role`` ("target", "check", or
        "implied" for unpublished figures the model implies).
    free_parameters : dict
        Solved parameter -> value.
    message : str
        Plain-language verdict, including why a target cannot be met when it cannot.
    """

    scenario: Scenario
    expected: ExpectedTrial
    summary: pd.DataFrame
    free_parameters: dict
    converged: bool
    message: str

    def to_dict(self) -> dict:
        return {
            "converged": self.converged,
            "message": self.message,
            "free_parameters": dict(self.free_parameters),
            "targets": self.summary.replace({np.nan: None}).to_dict(orient="records"),
            "scenario": self.scenario.to_dict(),
        }


def _free_parameters(scenario: Scenario, fit_loss_to_followup: bool):
    """(names, x0, lower, upper, apply) for the scenario's families."""
    outcome, dose = scenario.outcome, scenario.dose_response
    names: list[str] = []
    x0: list[float] = []
    lo: list[float] = []
    hi: list[float] = []
    if outcome.baseline == "weibull":
        names += ["outcome.scale_days", "outcome.shape"]
        x0 += [math.log(outcome.scale_days), math.log(outcome.shape)]
        lo += [math.log(1.0), math.log(0.1)]
        hi += [math.log(100_000.0), math.log(5.0)]
    elif outcome.baseline == "exponential":
        names += ["outcome.scale_days"]
        x0 += [math.log(outcome.scale_days)]
        lo += [math.log(1.0)]
        hi += [math.log(100_000.0)]
    else:
        names += ["piecewise.level", "piecewise.trend"]
        mids = _piece_mids(outcome.piece_starts_days)
        hz = np.asarray(outcome.piece_hazards_per_day)
        slope = float(np.polyfit(np.log(mids / 30.0), np.log(hz), 1)[0]) if len(hz) > 1 else 0.0
        x0 += [float(np.mean(np.log(hz))), min(max(slope, -2.5), 1.5)]
        lo += [math.log(1e-6), -3.0]
        hi += [math.log(1.0), 2.0]
    if dose.shape == "log_linear":
        names.append("dose_response.log_hr_per_100_min")
        x0.append(min(max(dose.log_hr_per_100_min, -4.9), 4.9))
        lo.append(-5.0)
        hi.append(5.0)
    elif dose.shape == "emax":
        names.append("dose_response.emax")
        x0.append(min(max(dose.emax, 0.01), 0.99))
        lo.append(0.0)
        hi.append(1.0)
    else:
        names.append("dose_response.education_hr")
        x0.append(math.log(dose.education_hr))
        lo.append(math.log(0.05))
        hi.append(math.log(5.0))
    if fit_loss_to_followup:
        names.append("design.annual_loss_to_followup")
        x0.append(min(max(scenario.design.annual_loss_to_followup, 0.001), 0.5))
        lo.append(0.0)
        hi.append(0.6)
    return names, np.array(x0), np.array(lo), np.array(hi)


def calibrated_fields(scenario: Scenario, *, fit_loss_to_followup: bool = True) -> tuple[str, ...]:
    """The scenario fields :func:`calibrate` solves for this scenario's hazard family and dose-response shape.

    Examples
    --------
    >>> calibrated_fields(Scenario())
    ('outcome.scale_days', 'outcome.shape', 'dose_response.log_hr_per_100_min', 'design.annual_loss_to_followup')
    """
    names = _free_parameters(scenario, fit_loss_to_followup)[0]
    out = ["outcome.piece_hazards_per_day" if n.startswith("piecewise.") else n for n in names]
    return tuple(dict.fromkeys(out))


def _piece_mids(starts) -> np.ndarray:
    starts = np.asarray(starts, dtype=float)
    ends = np.append(starts[1:], starts[-1] + max(365.0, starts[-1] - (starts[-2] if len(starts) > 1 else 0.0)))
    return 0.5 * (starts + ends) + 1.0


def _apply(scenario: Scenario, names: list[str], x: np.ndarray) -> Scenario:
    changes: dict = {}
    level = trend = None
    for name, value in zip(names, x):
        if name in ("outcome.scale_days", "outcome.shape"):
            changes[name] = float(math.exp(value))
        elif name == "dose_response.education_hr":
            changes[name] = float(min(max(math.exp(value), 0.05), 5.0))
        elif name == "piecewise.level":
            level = value
        elif name == "piecewise.trend":
            trend = value
        else:
            changes[name] = float(value)
    if level is not None:
        mids = _piece_mids(scenario.outcome.piece_starts_days)
        hz = np.exp(level + trend * (np.log(mids / 30.0) - np.mean(np.log(mids / 30.0))))
        changes["outcome.piece_hazards_per_day"] = tuple(float(min(max(h, 1e-7), 1.0)) for h in hz)
    return with_changes(scenario, changes)


def _targets():
    figs = published_figures()
    return (figs["median_days_control"].value, figs["median_days_intervention"].value,
            figs["hazard_ratio"].value, figs["events_total"].value)


def _scaled_events_target(scenario: Scenario) -> float:
    figs = published_figures()
    return figs["events_total"].value * scenario.design.n_total / figs["n_randomised"].value


def _residuals(expected: ExpectedTrial, events_target: float) -> np.ndarray:
    med0, med1, hr, _ = _targets()

    def log_ratio(value: float, target: float) -> float:
        if not math.isfinite(value) or value <= 0:
            return 5.0
        return math.log(value / target)

    # Latent medians aim at the middle of the published day (see the module docstring).
    return np.array([
        log_ratio(expected.latent_median_control, med0 - 0.5),
        log_ratio(expected.latent_median_intervention, med1 - 0.5),
        log_ratio(expected.cox_hr, hr) if math.isfinite(expected.cox_hr) else 5.0,
        (expected.events_total - events_target) / events_target,
    ])


def calibrate(scenario: Scenario | None = None, *, fit_loss_to_followup: bool = True,
              episodes: bool = True) -> CalibrationReport:
    """Solve the free parameters of ``scenario`` against the published results.

    Parameters
    ----------
    scenario : Scenario, optional
        The assumptions (adherence, walking, dose-response shape, hazard family, design). Its
        current free-parameter values are only the starting point. Defaults to ``Scenario()``.
    fit_loss_to_followup : bool
        Solve the annual loss to follow-up so the expected number of recurrences matches the
        derived ~506 (scaled to the design's size). If False, keep the scenario's value and report
        the event count as achieved.
    episodes : bool
        Then solve the episode model against the secondary outcomes and harms (see
        :func:`analysis.model.episodes.calibrate_episodes`; the primary solution is not changed);
        their rows join the report.

    Returns
    -------
    CalibrationReport

    Examples
    --------
    >>> report = calibrate(Scenario())
    >>> report.converged
    True
    >>> round(float(report.summary.set_index("target").loc["Cox hazard ratio (ITT)", "achieved"]), 3)
    0.72
    """
    scenario = scenario or Scenario()
    names, x0, lo, hi = _free_parameters(scenario, fit_loss_to_followup)
    events_target = _scaled_events_target(scenario)
    weights = np.array([1.0, 1.0, 1.0, 1.0 if fit_loss_to_followup else 0.25])

    def fun(x: np.ndarray) -> np.ndarray:
        return weights * _residuals(expected_trial(_apply(scenario, names, x)), events_target)

    x0 = np.clip(x0, lo + 1e-9, hi - 1e-9)
    # A cheap start for Weibull scale: put the control median near its target first.
    from scipy import optimize  # only when solving: scipy.optimize costs 0.3 s at start-up

    result = optimize.least_squares(fun, x0, bounds=(lo, hi), method="trf", x_scale="jac",
                                    diff_step=1e-4, xtol=1e-10, ftol=1e-10, gtol=1e-10, max_nfev=200)
    solved = _apply(scenario, names, result.x)
    expected = expected_trial(solved)
    if not episodes:
        return _report(scenario, solved, expected, names, events_target, fit_loss_to_followup)
    solved, _, episode_rows = calibrate_episodes(solved)
    return _report(scenario, solved, expected, names, events_target, fit_loss_to_followup, episode_rows)


def compare_with_published(scenario: Scenario) -> CalibrationReport:
    """How ``scenario`` as it stands matches the published results (nothing is solved).

    Same targets, tolerances and labels as :func:`calibrate`'s report, so a scenario edited by
    hand can be judged against the trial without recalibrating it.

    Examples
    --------
    >>> from analysis.model.default import default_scenario
    >>> report = compare_with_published(default_scenario())
    >>> bool(report.converged), report.free_parameters
    (True, {})
    """
    return _report(scenario, scenario, expected_trial(scenario), [], _scaled_events_target(scenario), True,
                   episode_report(scenario, expected_episodes(scenario)))


def _report(original: Scenario, solved: Scenario, expected: ExpectedTrial, names: list[str],
            events_target: float, fit_loss: bool, episode_rows: pd.DataFrame | None = None) -> CalibrationReport:
    import pandas as pd

    figs = published_figures()
    med0, med1, hr, _ = _targets()
    rows = [
        ("Median days to recurrence, control", med0, expected.median_control, "published", "target", TOLERANCE),
        ("Median days to recurrence, intervention", med1, expected.median_intervention, "published", "target", TOLERANCE),
        ("Cox hazard ratio (ITT)", hr, expected.cox_hr, "published", "target", TOLERANCE),
        (f"Recurrences, both arms (n = {solved.design.n_total})", events_target, expected.events_total, "derived",
         "target" if fit_loss else "check", EVENTS_TOLERANCE),
        ("Mean walking in week 12, intervention (min/week)", figs["achieved_walking_week12"].value,
         expected.walking_week12_intervention, "published", "check", 0.10),
    ]
    records = []
    for label, target, achieved, kind, role, tol in rows:
        resid = (achieved - target) / target if math.isfinite(achieved) else math.inf
        records.append({"target": label, "published": float(target), "achieved": float(achieved),
                        "relative_residual": float(resid), "met": bool(abs(resid) <= tol), "kind": kind, "role": role,
                        "tolerance": tol})
    summary = pd.DataFrame(records)
    walk = summary.iloc[-1]
    if episode_rows is not None:
        summary = pd.concat([summary, episode_rows], ignore_index=True)
    targets_met = bool(summary.loc[summary.role == "target", "met"].all())
    free = {name: _read(solved, name) for name in names}
    if episode_rows is not None and names:
        free.update({f"episodes.{f}": getattr(solved.episodes, f) for f in (
            "limiting_threshold", "severity_shift_intervention", "care_education_log_odds", "recovery_scale_days",
            "recovery_shape", "recovery_hr_intervention", "ae_lower_extremity_rate_control",
            "ae_lower_extremity_rate_intervention", "ae_other_rate_control", "ae_other_rate_intervention")})
    messages = []
    if targets_met:
        messages.append("All calibration targets are reproduced on expectation.")
    else:
        missed = summary.loc[(summary.role == "target") & ~summary.met, "target"].tolist()
        messages.append("Not all targets can be met with these assumptions; missed: " + "; ".join(missed) + ".")
        if solved.outcome.baseline == "exponential":
            messages.append(
                "An exponential baseline has a constant hazard, so under proportional hazards the two medians imply "
                f"HR = {med0}/{med1} = {med0 / med1:.2f}, not the published {hr}. The published medians and HR are "
                "consistent only if the recurrence hazard falls over time (Weibull shape about 0.53): choose a "
                "Weibull or piecewise-exponential baseline.")
        if solved.dose_response.shape == "emax" and solved.dose_response.emax >= 0.999:
            messages.append("The Emax curve hit its ceiling (emax = 1): with this adherence and ED50 even a complete "
                            "hazard reduction at high doses cannot produce the published effect.")
        if fit_loss and solved.design.annual_loss_to_followup <= 1e-6:
            messages.append("Loss to follow-up is already zero: the model produces fewer recurrences than derived.")
    if not walk.met:
        messages.append(f"Check: mean walking in week 12 is {walk.achieved:.0f} min/week against the published "
                        f"about {walk.published:.0f}; adjust adherence or baseline walking if that matters to you.")
    return CalibrationReport(scenario=solved, expected=expected, summary=summary, free_parameters=free,
                             converged=targets_met, message=" ".join(messages))


def _read(scenario: Scenario, name: str):
    if name.startswith("piecewise."):
        return list(scenario.outcome.piece_hazards_per_day)
    section, field_name = name.split(".")
    return getattr(getattr(scenario, section), field_name)
