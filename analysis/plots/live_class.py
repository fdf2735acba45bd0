"""Figures of a live class's dashboard, sized to be read from the back of a lecture hall.

They draw what :func:`analysis.studies.live_class.summarise_class` computed; nothing here computes a statistic.
Before the truth is revealed the figures show only the published 0.72; after, the truth and which intervals cover
it (by colour and by marker shape, so it reads without colour too).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from .figures import ARM_COLOURS, NEUTRAL, PUBLISHED_COLOUR, TEMPLATE, estimate_forest_figure

__all__ = ["class_histogram_figure", "caterpillar_figure", "variant_split_figure", "PROJECTOR_FONT"]

#: Large type for a projector: a 1920x1080 screen seen from 20 m.
PROJECTOR_FONT = dict(family="Inter, 'Source Sans Pro', Helvetica, Arial, sans-serif", size=22, color="#111")
COVERS, MISSES = "#0072B2", "#D55E00"  # Okabe-Ito blue / vermillion, with circle vs cross markers
TRUTH_COLOUR = "#009E73"


def _vline(x: float, **line) -> dict:
    return dict(type="line", xref="x", yref="y domain", x0=x, x1=x, y0=0, y1=1, line=line, layer="above")


def _projector(fig: go.Figure, *, height: int, x_title: str, y_title: str | None) -> go.Figure:
    fig.update_layout(template=TEMPLATE, font=PROJECTOR_FONT, height=height, margin=dict(l=20, r=20, t=60, b=20),
                      legend=dict(orientation="h", yanchor="bottom", y=1.01, xanchor="left", x=0.0,
                                  font=dict(size=20), bgcolor="rgba(0,0,0,0)"),
                      showlegend=True)
    fig.update_xaxes(title_text=x_title, title_font=dict(size=22), tickfont=dict(size=20))
    fig.update_yaxes(title_text=y_title, title_font=dict(size=22), tickfont=dict(size=20))
    return fig


def _reference_lines(fig: go.Figure, truths: Sequence[tuple[str, float]], published: float) -> list[dict]:
    """No effect, the published HR and each truth (one per value of the varied setting), named in the legend."""
    shapes = [_vline(1.0, color="#999", width=2, dash="dot"), _vline(published, color=PUBLISHED_COLOUR, width=3)]
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=f"Published: {published:.2f}",
                             line=dict(color=PUBLISHED_COLOUR, width=3)))
    for (label, truth), dash in zip(truths, ("dash", "dashdot", "longdash", "longdashdot", "dot")):
        if truth is not None and math.isfinite(truth):
            shapes.append(_vline(truth, color=TRUTH_COLOUR, width=4, dash=dash))
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=f"{label}: {truth:.2f}",
                                     line=dict(color=TRUTH_COLOUR, width=4, dash=dash)))
    return shapes


def class_histogram_figure(rows: pd.DataFrame, *, truths: Sequence[tuple[str, float]] = (), published: float = 0.72,
                           height: int = 420) -> go.Figure:
    """Histogram of the class's hazard ratios with the published estimate (and, once revealed, the truths:
    ``(label, hazard ratio)`` pairs, one per value of the varied setting).

    Examples
    --------
    >>> fig = class_histogram_figure(pd.DataFrame({"hr": [0.7, 0.8, 0.75]}), truths=[("Truth", 0.74)])
    >>> fig.data[0].type, len(fig.layout.shapes)
    ('histogram', 3)
    """
    fig = go.Figure(go.Histogram(x=rows["hr"], xbins=dict(size=0.025), name="Students' HRs",
                                 marker=dict(color="rgba(0,114,178,0.55)", line=dict(color=ARM_COLOURS["intervention"],
                                                                                     width=1.5)),
                                 hovertemplate="HR %{x}: %{y} students<extra></extra>"))
    fig.update_layout(shapes=_reference_lines(fig, truths, published), bargap=0.05)
    values = [*rows["hr"], published, 1.0] + [t for _, t in truths if t is not None and math.isfinite(t)]
    fig.update_xaxes(range=[min(values) - 0.05, max(values) + 0.05])
    fig.update_yaxes(rangemode="tozero", dtick=1 if len(rows) < 12 else None)
    return _projector(fig, height=height, x_title="Hazard ratio", y_title="Students")


def caterpillar_figure(rows: pd.DataFrame, *, revealed: bool, truths: Sequence[tuple[str, float]] = (),
                       published: float = 0.72, height: int = 420) -> go.Figure:
    """Each student's 95% CI, sorted by hazard ratio; once revealed, coloured and shaped by whether it covers the
    truth of that student's own scenario (``rows.covers``).

    Examples
    --------
    >>> r = pd.DataFrame({"hr": [0.7, 0.9], "hr_lower": [0.6, 0.8], "hr_upper": [0.8, 1.0], "covers": [True, False]})
    >>> [t.name for t in caterpillar_figure(r, revealed=True, truths=[("Truth", 0.75)]).data][:2]
    ['Covers the truth (1)', 'Misses the truth (1)']
    """
    fig = go.Figure()
    order = list(range(1, len(rows) + 1))
    groups = ([("Covers the truth", rows["covers"].astype(bool), COVERS, "circle"),
               ("Misses the truth", ~rows["covers"].astype(bool), MISSES, "x-thin-open")] if revealed
              else [("Student's 95% CI", pd.Series(True, index=rows.index), NEUTRAL, "circle")])
    for name, mask, colour, symbol in groups:
        part = rows[mask.to_numpy()]
        y = [order[i] for i in range(len(rows)) if bool(mask.iloc[i])]
        fig.add_trace(go.Scatter(
            x=part["hr"], y=y, mode="markers", name=f"{name} ({len(part)})",
            marker=dict(symbol=symbol, size=11, color=colour, line=dict(width=3, color=colour)),
            error_x=dict(type="data", symmetric=False, array=part["hr_upper"] - part["hr"],
                         arrayminus=part["hr"] - part["hr_lower"], color=colour, thickness=3 if revealed else 2,
                         width=0),
            hovertemplate="HR %{x:.2f}<extra></extra>"))
    fig.update_layout(shapes=_reference_lines(fig, truths if revealed else (), published))
    fig.update_xaxes(type="log")
    fig.update_yaxes(showticklabels=False, range=[0, len(rows) + 1], showgrid=False)
    return _projector(fig, height=height, x_title="95% CIs (log scale)", y_title=None)


def variant_split_figure(by_variant: pd.DataFrame, vary_label: str, *, revealed: bool,
                         height: int = 360) -> go.Figure:
    """Pooled hazard ratio per value of the varied setting (and, once revealed, each value's truth).

    Examples
    --------
    >>> t = pd.DataFrame({"variant": [0.0, 0.3, "all"], "n": [3, 2, 5], "pooled_hr": [0.7, 0.8, 0.74],
    ...                   "pooled_lower": [0.6, 0.65, 0.66], "pooled_upper": [0.82, 0.98, 0.83], "truth": [0.7, 0.78, 0.74]})
    >>> len(variant_split_figure(t, "share who never start", revealed=True).data)
    4
    """
    rows = []
    for r in by_variant.itertuples():
        if r.variant == "all" or not r.n:
            continue
        label = f"{r.variant} (n={r.n})"
        rows.append({"label": label, "estimate": r.pooled_hr, "lower": r.pooled_lower, "upper": r.pooled_upper,
                     "kind": "simulated"})
        if revealed and r.truth is not None and math.isfinite(r.truth):
            rows.append({"label": label + " truth", "estimate": r.truth, "lower": math.nan, "upper": math.nan,
                         "kind": "expected"})
    fig = estimate_forest_figure(pd.DataFrame(rows, columns=["label", "estimate", "lower", "upper", "kind"]),
                                 favours=None)
    for trace in fig.data:
        trace.marker.size = 18
    fig = _projector(fig, height=height, x_title="Pooled hazard ratio", y_title=None)
    fig.update_layout(showlegend=False, title=dict(text=f"By {vary_label}", x=0.0, xanchor="left", font=dict(size=24)))
    return fig
