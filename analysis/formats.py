"""Number formats shared by the ``walkback`` command, the app and exported reports.

One place decides how a p-value, an interval, a share or a number of days is written, so the CLI
table, the app's cards and a worksheet show the same digits for the same result.
"""

from __future__ import annotations

import math

__all__ = ["is_finite", "format_p", "format_number", "format_ci", "format_days", "format_percent"]


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
