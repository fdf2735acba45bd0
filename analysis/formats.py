"""Number formats shared by the ``walkback`` command, the app and exported reports.

One place decides how a p-value, an interval, a share or a number of days is written, so the CLI
table, the app's cards and a worksheet show the same digits for the same result.
"""

from __future__ import annotations

import math

__all__ = ["is_finite", "format_p", "format_number", "format_ci", "format_days", "format_percent",
           "format_for_measure", "readable_summary", "format_cell"]


def is_finite(value) -> bool:
    """True for a real, finite number (``None`` and NaN are not)."""
    return value is not None and not isinstance(value, bool) and isinstance(value, (int, float)) \
        and math.isfinite(float(value))


def format_p(p, *, prefix: bool = True) -> str:
    """A p-value as a journal would print it.

    Examples
    --------
    >>> format_p(0.0183), format_p(0.0002), format_p(3e-7), format_p(None)
    ('p = 0.018', 'p = 0.0002', 'p < 0.0001', 'p = –')
    >>> format_p(0.6, prefix=False)
    '0.600'
    """
    head = "p " if prefix else ""
    if not is_finite(p):
        return f"{head}= –" if prefix else "–"
    p = float(p)
    if p < 1e-4:
        return f"{head}< 0.0001" if prefix else "< 0.0001"
    text = f"{p:.4f}" if p < 1e-3 else f"{p:.3f}"
    return f"{head}= {text}" if prefix else text


def format_number(value, digits: int = 3, *, missing: str = "–") -> str:
    """A number with ``digits`` decimals (``missing`` for None/NaN/inf; 4 significant digits when huge).

    Examples
    --------
    >>> format_number(0.71549), format_number(None), format_number(2.5e7, 1)
    ('0.715', '–', '2.5e+07')
    """
    if not is_finite(value):
        return missing
    value = float(value)
    return f"{value:.{digits}f}" if abs(value) < 1e5 else f"{value:.4g}"


def format_ci(lower, upper, digits: int = 2, *, unit: str = "") -> str:
    """An interval written low to high; a bound that is not reached (None/NaN/inf) is 'NR'.

    Examples
    --------
    >>> format_ci(0.6, 0.85), format_ci(149, None, 0, unit=" days"), format_ci(None, None)
    ('0.60 to 0.85', '149 to NR days', 'NR')
    """
    finite = sorted(float(v) for v in (lower, upper) if is_finite(v))
    if len(finite) == 2:
        return f"{finite[0]:.{digits}f} to {finite[1]:.{digits}f}{unit}"
    if len(finite) == 1:
        return f"{finite[0]:.{digits}f} to NR{unit}"
    return "NR"


def format_days(value, *, not_reached: str = "not reached") -> str:
    """Days rounded to whole days ('208 days'); ``not_reached`` for a median never reached.

    Examples
    --------
    >>> format_days(207.6), format_days(float("inf"))
    ('208 days', 'not reached')
    """
    return f"{float(value):.0f} days" if is_finite(value) else not_reached


def format_percent(share, digits: int = 1) -> str:
    """A share (0..1) as a percentage.

    Examples
    --------
    >>> format_percent(0.954), format_percent(0.5, 0), format_percent(None)
    ('95.4%', '50%', '–')
    """
    return f"{100 * float(share):.{digits}f}%" if is_finite(share) else "–"


def format_for_measure(measure: str, value) -> str:
    """A summary-table value written as its measure reads: money in whole AU$ with thousands separators,
    probabilities as percentages, QALYs to 4 decimals, anything else to 3 significant figures; "–" when missing.

    Examples
    --------
    >>> format_for_measure("incremental cost (AU$)", -3803.0235), format_for_measure("P(cost-effective)", 0.9662)
    ('-AU$3,803', '96.6%')
    >>> format_for_measure("mean QALY, control", 0.7525341), format_for_measure("ratio", None)
    ('0.7525', '–')
    """
    if not is_finite(value):
        return "–"
    value = float(value)
    if "P(" in measure or "probability" in measure.lower():
        return format_percent(value)
    if "AU$" in measure:
        return f"{'-' if value < 0 else ''}AU${abs(value):,.0f}"
    if "QALY" in measure:
        return f"{value:.4f}"
    text = f"{value:.3g}"
    return "0" if text == "-0" else text


def readable_summary(summary, *, measure: str = "measure"):
    """A result's ``.summary`` with every number written by :func:`format_for_measure` (for screens and reports).

    Examples
    --------
    >>> import pandas as pd
    >>> readable_summary(pd.DataFrame({"measure": ["mean cost (AU$)"], "estimate": [930.2997], "lower": [None]}))
               measure estimate lower
    0  mean cost (AU$)   AU$930     –
    """
    out = summary.copy()
    for column in out.columns:
        if column != measure and out[column].dtype.kind in "fiO":
            out[column] = [format_for_measure(str(m), v) if not isinstance(v, str) else v
                           for m, v in zip(out[measure], out[column])]
    return out


def format_cell(value) -> str:
    """Any table cell for a screen: whole numbers without decimals, others to 3 significant figures (thousands
    separated), no "-0", "< 0.001" for a tiny number (not "7.1e-09"), "–" for a missing number, text as it is.

    Examples
    --------
    >>> [format_cell(v) for v in (36.0, 0.2181, -0.0, 930.2997, 1234567.0, None, float("nan"), "walking", True, 7.1e-09)]
    ['36', '0.218', '0', '930', '1,234,567', '–', '–', 'walking', 'yes', '< 0.001']
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "yes" if value else "no"
    if value is None:
        return "–"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return "–"
    if number == int(number) and abs(number) < 1e15:
        return f"{int(number):,}"
    if abs(number) < 0.001:  # "7.1e-09" is no way to show a screen reader or a class a tiny number
        return "< 0.001" if number > 0 else "> -0.001"
    text = f"{number:,.0f}" if abs(number) >= 100 else f"{number:.3g}"
    return "0" if text in ("-0", "0.00") else text
