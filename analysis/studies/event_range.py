"""How far the calibration rests on a derived number: the ~506 recurrences, and the loss to follow-up they imply.

The trial did not publish its number of recurrences. The calibration derives it from the width of the published
hazard ratio's 95% CI (Schoenfeld: D = 4 / SE(log HR)^2), and solves the annual loss to follow-up so the scenario
expects that many. The CI's bounds are printed to two decimals, so the rounding alone leaves the derived count
between about 468 and 551; fewer recurrences need more loss to follow-up. This module says how much, so the app
and the notebooks can show what the default's high loss to follow-up rests on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..model.expectation import expected_trial
from ..trial.published import published_figures
from ..trial.scenario import Scenario, with_changes

__all__ = ["events_allowed_by_rounding", "LossToFollowupRange", "loss_to_followup_across_events", "PLAUSIBLE_ANNUAL_LOSS"]

#: A trial with monthly contact rarely loses more than this share of participants a year.
PLAUSIBLE_ANNUAL_LOSS = 0.2


def events_allowed_by_rounding(lower: float | None = None, upper: float | None = None, *, digits: int = 2,
                               z: float = 1.959963984540054) -> tuple[float, float, float]:
    """(fewest, as printed, most) recurrences a 1:1 trial can have had for its HR CI ``lower`` to ``upper``.

    Every bound within half a unit of the last printed digit is possible; the widest CI gives the fewest events.
    Defaults: the published CI.

    Examples
    --------
    >>> [round(v) for v in events_allowed_by_rounding(0.60, 0.85)]
    [468, 507, 551]
    """
    if lower is None or upper is None:
        ci = published_figures()["hazard_ratio"].ci
        lower, upper = ci if lower is None and upper is None else (lower or ci[0], upper or ci[1])
    if not 0 < lower < upper:
        raise ValueError(f"the CI {lower} to {upper} must have 0 < lower < upper")
    half = 0.5 * 10 ** -digits

    def events(lo: float, hi: float) -> float:
        return 4.0 / ((math.log(hi) - math.log(lo)) / (2 * z)) ** 2

    return events(lower - half, upper + half), events(lower, upper), events(lower + half, upper - half)


@dataclass(frozen=True)
class LossToFollowupRange:
    """The annual loss to follow-up the scenario needs to expect each count of recurrences (other values held).

    ``summary`` has one row per count: ``events`` (both arms, at the trial's size), ``annual_loss_to_followup``
    (NaN where no loss between 0 and 0.95 reaches it), ``cox_hr`` (the expected HR at that loss), ``plausible``.
    """

    scenario: Scenario = field(repr=False)
    summary: pd.DataFrame = field(repr=False)
    rounding_range: tuple[float, float, float]

    @property
    def statement(self) -> str:
        rows = self.summary.dropna(subset=["annual_loss_to_followup"])
        if rows.empty:
            return "No loss to follow-up between 0% and 95% a year gives these counts of recurrences."
        low, high = rows.iloc[0], rows.iloc[-1]
        return (f"From {low.events:.0f} to {high.events:.0f} recurrences, the loss to follow-up the scenario needs "
                f"goes from {100 * low.annual_loss_to_followup:.0f}% to {100 * high.annual_loss_to_followup:.0f}% "
                "of participants a year")

    def to_dict(self) -> dict:
        return {"rounding_range": list(self.rounding_range), "summary": self.summary.to_dict(orient="records")}


def loss_to_followup_across_events(scenario: Scenario, events: tuple[float, ...] | None = None, *,
                                   xtol: float = 1e-4) -> LossToFollowupRange:
    """Solve, for each count of recurrences, the annual loss to follow-up at which ``scenario`` expects it.

    Everything else in ``scenario`` is held (the medians do not depend on censoring; the expected hazard ratio moves
    a little, and is reported). ``events`` default to the rounding range of :func:`events_allowed_by_rounding`
    (fewest, 490, the ~506 the calibration uses, 530, most), scaled to the scenario's size.

    Examples
    --------
    >>> from analysis.model.default import default_scenario
    >>> span = loss_to_followup_across_events(default_scenario(), events=(480.0, 530.0))
    >>> a, b = span.summary["annual_loss_to_followup"]
    >>> bool(a > b > 0)
    True
    """
    from scipy.optimize import brentq

    figs = published_figures()
    scale = scenario.design.n_total / figs["n_randomised"].value
    rounding = events_allowed_by_rounding()
    if events is None:
        events = (rounding[0], 490.0, float(figs["events_total"].value), 530.0, rounding[2])
    targets = [float(e) * scale for e in events]

    def at(loss: float):
        return expected_trial(with_changes(scenario, {"design.annual_loss_to_followup": float(loss)}))

    lowest, highest = 0.0, 0.95
    most, fewest = at(lowest).events_total, at(highest).events_total
    rows = []
    for wanted, target in zip(events, targets):
        if not fewest <= target <= most:
            rows.append({"events": float(wanted), "annual_loss_to_followup": math.nan, "cox_hr": math.nan})
            continue
        loss = brentq(lambda x: at(x).events_total - target, lowest, highest, xtol=xtol)
        rows.append({"events": float(wanted), "annual_loss_to_followup": float(loss), "cox_hr": float(at(loss).cox_hr)})
    summary = pd.DataFrame(rows, columns=["events", "annual_loss_to_followup", "cox_hr"])
    summary["plausible"] = np.asarray(summary["annual_loss_to_followup"] <= PLAUSIBLE_ANNUAL_LOSS)
    return LossToFollowupRange(scenario=scenario, summary=summary, rounding_range=rounding)
