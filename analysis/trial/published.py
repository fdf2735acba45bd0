"""The trial's published figures, loaded from the package data file ``walkback_published.json``.

This is the only place trial numbers enter the library: calibration targets, the app's
"published vs simulated" tables and the defaults of the design all read from here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["PublishedFigure", "published_figures", "published_value", "published_sources", "not_published",
           "DATA_DIR"]

#: The package's data folder (published figures, calibrated default, example cohort). It travels inside the
#: wheel; the repository's top-level ``data/`` links to these files.
DATA_DIR = Path(str(resources.files("analysis").joinpath("data")))
_PUBLISHED_FILE = DATA_DIR / "walkback_published.json"


@dataclass(frozen=True)
class PublishedFigure:
    """One figure from the facts sheet.

    Attributes
    ----------
    key, label, unit : str
    value : Any
        Number, date string or list.
    ci : tuple of float or None
        The published 95% confidence interval, if any.
    source : str
        Key into :func:`published_sources`; ``"derived"`` for figures computed from published ones.
    derived : bool
        True when the figure was not published but computed from published figures.
    method : str
        How a derived figure was computed (empty for published figures).
    """

    key: str
    label: str
    value: Any
    unit: str
    source: str
    derived: bool
    ci: tuple[float, float] | None = None
    p: float | None = None
    method: str = ""

    @property
    def citation(self) -> str:
        return published_sources()[self.source]


@lru_cache(maxsize=1)
def _load() -> dict:
    with open(_PUBLISHED_FILE, encoding="utf-8") as fh:
        return json.load(fh)


def published_sources() -> dict[str, str]:
    """Citation text for each source key."""
    return dict(_load()["sources"])


def published_figures() -> dict[str, PublishedFigure]:
    """All figures, keyed by name (a fresh dict; the figures themselves are immutable)."""
    return dict(_figures())


@lru_cache(maxsize=1)
def _figures() -> dict[str, PublishedFigure]:
    """Parsed figures, cached.

    Examples
    --------
    >>> figs = published_figures()
    >>> figs["median_days_control"].value, figs["events_total"].derived
    (112, True)
    """
    out = {}
    for key, raw in _load()["figures"].items():
        ci = tuple(raw["ci"]) if "ci" in raw else None
        out[key] = PublishedFigure(
            key=key, label=raw["label"], value=raw["value"], unit=raw["unit"], source=raw["source"],
            derived=bool(raw["derived"]), ci=ci, p=raw.get("p"), method=raw.get("method", ""),
        )
    return out


def published_value(key: str) -> Any:
    """The value of one figure.

    Examples
    --------
    >>> published_value("hazard_ratio")
    0.72
    """
    return _figures()[key].value


def not_published() -> list[str]:
    """What the trial never published; the app shows these as adjustable assumptions."""
    return list(_load()["not_published"])
