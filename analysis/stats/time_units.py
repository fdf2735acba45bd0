"""One policy for time units: the unit a column announces, and in that unit the risk-table times,
landmarks, RMST horizon and axis ticks every entry point uses.

``walkback analyze``, the app's survival views, the scripts behind "Download as script", the class
set's answer key and the figures all ask here, so a file recorded in weeks gets week-based landmarks
everywhere and a file in days gets exactly what the trial's analysis used (6, 12 and 24 months of
365.25 / 12 days; risk table every 6 months).

The rules, for a unit of ``days``, ``weeks``, ``months`` or ``years``:

- six months is 182.625 days (the SAP's month of 365.25 / 12 days), 26 weeks, 6 months or half a year;
- landmarks are 6, 12 and 24 months, those within follow-up;
- risk-table times are every six months from 0 while follow-up lasts at least a year (the step doubles
  until at most :data:`MAX_RISK_COLUMNS` columns remain, so the table fits under the plot); shorter
  follow-up, or an unknown unit, gets six equal steps to the longest time;
- the RMST horizon is 12 months, or the whole months of follow-up if fewer;
- axis ticks fall on whole units: every 6 months rounded to whole days, every 26 weeks, every 6 months,
  every year; an unknown unit gets none (the plotting library chooses).
"""

from __future__ import annotations

import math

__all__ = ["TIME_UNITS", "UNKNOWN_UNIT", "MAX_RISK_COLUMNS", "time_unit_of", "unit_or_days", "month_length",
           "risk_times", "landmarks", "horizon", "axis_ticks", "analysis_defaults"]

#: The units a time column can announce by its name.
TIME_UNITS = ("days", "weeks", "months", "years")
#: What :func:`time_unit_of` says when the name announces none.
UNKNOWN_UNIT = "time units"
#: Most columns a risk table gets (0 and six more).
MAX_RISK_COLUMNS = 7

_SIX_MONTHS = {"days": 365.25 / 2, "weeks": 26.0, "months": 6.0, "years": 0.5}
_MONTH = {"days": 365.25 / 12, "weeks": 52.0 / 12, "months": 1.0, "years": 1.0 / 12}
#: Whole units of a year: from this much follow-up the risk table steps by six months.
_YEAR_WHOLE = {"days": 365.0, "weeks": 52.0, "months": 12.0, "years": 1.0}
_TICK = {"weeks": 26.0, "months": 6.0, "years": 1.0}
_LANDMARK_MONTHS = (6, 12, 24)
_STEMS = (("day", "days"), ("week", "weeks"), ("month", "months"), ("year", "years"))


def time_unit_of(column: str) -> str:
    """The time unit a column's name announces ("days", "weeks", "months", "years"), else "time units".

    Examples
    --------
    >>> [time_unit_of(c) for c in ("time_days", "weeks", "FU_months", "t")]
    ['days', 'weeks', 'months', 'time units']
    """
    name = str(column).lower()
    for stem, unit in _STEMS:
        if stem in name:
            return unit
    return UNKNOWN_UNIT


def unit_or_days(column: str) -> str:
    """The unit of ``column`` (:func:`time_unit_of`), days when its name announces none: the simulator's
    unit and the documented default of ``walkback analyze``.

    Examples
    --------
    >>> unit_or_days("weeks"), unit_or_days("futime")
    ('weeks', 'days')
    """
    unit = time_unit_of(column)
    return "days" if unit == UNKNOWN_UNIT else unit


def month_length(unit: str) -> float:
    """One month (365.25 / 12 days) in ``unit``; NaN for an unknown unit.

    Examples
    --------
    >>> month_length("days"), month_length("months")
    (30.4375, 1.0)
    """
    return _MONTH.get(unit, math.nan)


def _usable(max_time) -> bool:
    try:
        max_time = float(max_time)
    except (TypeError, ValueError):
        return False
    return math.isfinite(max_time) and max_time > 0


def risk_times(max_time: float, unit: str = "days") -> tuple[float, ...]:
    """Times of the risk table under a survival plot, for follow-up up to ``max_time`` (in ``unit``).

    Examples
    --------
    >>> risk_times(1096.0)[:3], len(risk_times(1096.0))
    ((0.0, 182.625, 365.25), 7)
    >>> risk_times(156.0, "weeks")
    (0.0, 26.0, 52.0, 78.0, 104.0, 130.0, 156.0)
    >>> risk_times(520.0, "weeks")
    (0.0, 104.0, 208.0, 312.0, 416.0, 520.0)
    >>> risk_times(60.0)
    (0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0)
    """
    if not _usable(max_time):
        return (0.0,)
    max_time = float(max_time)
    step = _SIX_MONTHS.get(unit)
    if step is None or max_time < _YEAR_WHOLE[unit]:
        equal = max_time / 6
        return tuple(round(equal * k, 6) for k in range(7))
    while math.floor(max_time / step + 1e-9) + 1 > MAX_RISK_COLUMNS:
        step *= 2
    return tuple(k * step for k in range(int(math.floor(max_time / step + 1e-9)) + 1))


def landmarks(max_time: float, unit: str = "days", months=_LANDMARK_MONTHS) -> tuple[float, ...]:
    """Landmark times (6, 12 and 24 months by default) in ``unit``, those within follow-up; none for an
    unknown unit.

    Examples
    --------
    >>> landmarks(1096.0)
    (182.625, 365.25, 730.5)
    >>> landmarks(60.0, "weeks")
    (26.0, 52.0)
    >>> landmarks(5.0, "time units")
    ()
    """
    if unit not in _SIX_MONTHS or not _usable(max_time):
        return ()
    # six months in the unit, times k/6: whole weeks where a month is not (26, 52, 104)
    times = (_SIX_MONTHS[unit] * m / 6 for m in months)
    return tuple(sorted(t for t in times if t <= max_time + 1e-9))


def horizon(max_time: float, unit: str = "days", months: int = 12) -> float | None:
    """RMST horizon: ``months`` months in ``unit``, or the whole months of follow-up if fewer; ``None``
    (each estimator's own default) when the unit is unknown or follow-up is shorter than a month.

    Examples
    --------
    >>> horizon(1096.0), horizon(200.0), horizon(3.0, "years")
    (365.25, 182.625, 1.0)
    """
    if unit not in _MONTH or not _usable(max_time):
        return None
    whole = int(math.floor(max_time / _MONTH[unit] + 1e-9))
    if whole < 1:
        return None
    return min(months, whole) * _MONTH[unit]


def axis_ticks(max_time: float, unit: str = "days") -> list[float]:
    """Tick positions on a time axis from 0 to ``max_time``, on whole units; empty for an unknown unit.

    Examples
    --------
    >>> axis_ticks(400)
    [0, 183, 365]
    >>> axis_ticks(60, "weeks"), axis_ticks(3.2, "years")
    ([0, 26, 52], [0, 1, 2, 3])
    """
    if not _usable(max_time):
        return [0]
    max_time = float(max_time)
    if unit == "days":
        step = _SIX_MONTHS["days"]
        return [int(round(k * step)) for k in range(int(math.floor(max_time / step + 1e-9)) + 1)]
    step = _TICK.get(unit)
    if step is None:
        return []
    return [int(k * step) for k in range(int(math.floor(max_time / step + 1e-9)) + 1)]


def analysis_defaults(max_time: float, unit: str = "days") -> dict:
    """The landmarks and risk-table times of a two-arm analysis of a file whose longest time is
    ``max_time`` (keyword arguments of :func:`analysis.stats.survival.analyze_two_arm`).

    Examples
    --------
    >>> d = analysis_defaults(156.0, "weeks")
    >>> d["landmarks"], d["risk_times"][-1]
    ((26.0, 52.0, 104.0), 156.0)
    """
    return {"landmarks": landmarks(max_time, unit), "risk_times": risk_times(max_time, unit)}
