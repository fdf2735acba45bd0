"""Plotly figures of the cost-effectiveness analysis: plane, acceptability curve, net benefit, tornado.

Last stage of the pipeline: a :class:`analysis.studies.economics.CostEffectiveness` (or its tables)
in, ``plotly.graph_objects.Figure`` out. Nothing here computes a statistic: quadrant shares,
probabilities and intervals come from the result; the figures only draw them.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .figures import ARM_COLOURS, FONT, NEUTRAL, PUBLISHED_COLOUR, TEMPLATE

__all__ = ["ce_plane_figure", "acceptability_figure", "net_benefit_figure", "tornado_figure"]

_BOOT = ARM_COLOURS["intervention"]
_NORMAL = ARM_COLOURS["control"]


def _layout(fig: go.Figure, title: str | None, height: int, x_title: str, y_title: str) -> go.Figure:
    fig.update_layout(title=title, height=height, font=FONT, template=TEMPLATE, paper_bgcolor="rgba(0,0,0,0)",
                      margin=dict(l=70, r=20, t=50 if title else 20, b=55),
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0),
                      xaxis_title=x_title, yaxis_title=y_title)
    return fig


def ce_plane_figure(result, *, wtp: float = 28000.0, max_points: int = 500, title: str | None = None,
                    height: int = 460) -> go.Figure:
    """Bootstrap replicates on the cost-effectiveness plane, the point estimate, the threshold line
    ``cost = wtp x QALY`` and each quadrant's share of the replicates.

    Examples
    --------
    >>> from analysis.studies.economics import CEASettings, cost_effectiveness
    >>> t = pd.DataFrame({"arm": ["intervention", "control"] * 20, "cost": np.arange(40.0), "qaly": np.arange(40) % 3 / 10})
    >>> fig = ce_plane_figure(cost_effectiveness(t, CEASettings(bootstrap=200, seed=1)))
    >>> [trace.name for trace in fig.data]
    ['Bootstrap replicates (200)', 'Threshold AU$28,000 per QALY', 'Point estimate']
    """
    dq, dc = result.bootstrap_qaly, result.bootstrap_cost
    n_shown = min(max_points, len(dq))
    shown = slice(0, n_shown)  # the first replicates: an unbiased subset, drawn as they came
    name = f"Bootstrap replicates ({len(dq):,})" if n_shown == len(dq) else \
        f"Bootstrap replicates (first {n_shown:,} of {len(dq):,} drawn)"
    fig = go.Figure()
    # SVG, not WebGL, and at most 500 markers: in chromium without a GPU a WebGL redraw cost ~0.4 s and each
    # 1,000 SVG markers ~0.15 s (benchmarks/bench_interactions.py, i and j); 500 show the cloud's shape, while
    # the axes, the point estimate and the quadrant shares use every replicate.
    fig.add_trace(go.Scatter(x=dq[shown], y=dc[shown], mode="markers", name=name,
                               marker=dict(color=_BOOT, size=4, opacity=0.35),
                               hovertemplate="ΔQALY %{x:.4f}<br>Δcost AU$%{y:,.0f}<extra></extra>"))
    span = max(float(np.max(np.abs(dq))) if len(dq) else 0.0, abs(result.delta_qaly), 1e-6) * 1.1
    xs = np.array([-span, span])
    fig.add_trace(go.Scatter(x=xs, y=wtp * xs, mode="lines", name=f"Threshold AU${wtp:,.0f} per QALY",
                             line=dict(color=PUBLISHED_COLOUR, dash="dash", width=1.5), hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=[result.delta_qaly], y=[result.delta_cost], mode="markers", name="Point estimate",
                             marker=dict(color="#111111", size=11, symbol="x"),
                             hovertext=[result.statement], hoverinfo="text"))
    ymax = max(float(np.max(np.abs(dc))) if len(dc) else 0.0, abs(result.delta_cost), 1.0) * 1.1
    for name, (x, y, xa, ya) in {"NE": (1, 1, "right", "top"), "SE": (1, 0, "right", "bottom"),
                                 "SW": (0, 0, "left", "bottom"), "NW": (0, 1, "left", "top")}.items():
        fig.add_annotation(x=x, y=y, xref="paper", yref="paper", xanchor=xa, yanchor=ya, showarrow=False,
                           text=f"{name} {result.quadrant_shares[name]:.1%}", font=dict(color=NEUTRAL, size=13),
                           bgcolor="rgba(255,255,255,0.9)")  # legible where the threshold line passes the corner
    fig.add_hline(y=0, line=dict(color="#999999", width=1))
    fig.add_vline(x=0, line=dict(color="#999999", width=1))
    fig.update_xaxes(range=[-span, span])
    fig.update_yaxes(range=[-ymax, ymax], tickprefix="AU$")
    return _layout(fig, title, height, "Incremental QALYs (walking + education − control)",
                   "Incremental cost (AU$, walking + education − control)")


def acceptability_figure(acceptability: pd.DataFrame, *, published: tuple[float, float] | None = None,
                         thresholds=(), title: str | None = None, height: int = 400) -> go.Figure:
    """Acceptability curve: bootstrap and normal approximation; the published point if given.

    Examples
    --------
    >>> a = pd.DataFrame({"wtp": [0.0, 5e4, 1e5], "probability": [0.1, 0.8, 0.9], "probability_normal": [0.1, 0.79, 0.9]})
    >>> len(acceptability_figure(a, published=(28000, 0.94)).data)
    3
    """
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=acceptability["wtp"], y=acceptability["probability"], mode="lines",
                             name="Bootstrap", line=dict(color=_BOOT, width=2.5)))
    fig.add_trace(go.Scatter(x=acceptability["wtp"], y=acceptability["probability_normal"], mode="lines",
                             name="Normal approximation (Fieller)", line=dict(color=_NORMAL, width=1.5, dash="dash")))
    if published is not None:
        fig.add_trace(go.Scatter(x=[published[0]], y=[published[1]], mode="markers",
                                 name=f"Published: {published[1]:.0%} at AU${published[0]:,.0f}",
                                 marker=dict(color=PUBLISHED_COLOUR, size=11, symbol="diamond")))
    for wtp in thresholds:
        fig.add_vline(x=wtp, line=dict(color="#999999", dash="dot", width=1))
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%")
    fig.update_xaxes(tickprefix="AU$")
    return _layout(fig, title, height, "Willingness to pay per QALY (AU$)", "Probability cost-effective")


def net_benefit_figure(acceptability: pd.DataFrame, *, confidence: float = 0.95, title: str | None = None,
                       height: int = 400) -> go.Figure:
    """Incremental net monetary benefit against willingness-to-pay with its bootstrap interval.

    Examples
    --------
    >>> a = pd.DataFrame({"wtp": [0.0, 1e5], "inmb": [-100.0, 900.0], "inmb_lower": [-200.0, 100.0],
    ...                   "inmb_upper": [0.0, 1700.0]})
    >>> len(net_benefit_figure(a).data)
    3
    """
    x = acceptability["wtp"].to_numpy()
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=x, y=acceptability["inmb_upper"], mode="lines", line=dict(width=0),
                             showlegend=False, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=x, y=acceptability["inmb_lower"], mode="lines", line=dict(width=0), fill="tonexty",
                             fillcolor="rgba(31, 119, 180, 0.18)", name=f"Bootstrap {confidence:.0%} interval"))
    fig.add_trace(go.Scatter(x=x, y=acceptability["inmb"], mode="lines", name="INMB",
                             line=dict(color=_BOOT, width=2.5)))
    fig.add_hline(y=0, line=dict(color="#999999", width=1))
    fig.update_xaxes(tickprefix="AU$")
    fig.update_yaxes(tickprefix="AU$")
    return _layout(fig, title, height, "Willingness to pay per QALY (AU$)", "Incremental net monetary benefit (AU$)")


def _wrap(text: str, width: int = 34) -> str:
    """Break a long axis label onto lines of about ``width`` characters."""
    lines, line = [], ""
    for word in str(text).split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "<br>".join([*lines, line])


def tornado_figure(tornado: pd.DataFrame, *, labels: dict | None = None, wtp: float = 28000.0,
                   title: str | None = None, height: int | None = None) -> go.Figure:
    """One-way sensitivity: INMB at ``wtp`` with each assumption at its low and high value.

    Examples
    --------
    >>> t = pd.DataFrame({"parameter": ["a", "b"], "low_value": [1, 2], "high_value": [3, 4], "inmb_low": [10.0, 40.0],
    ...                   "inmb_high": [30.0, 0.0], "inmb_base": [20.0, 20.0]})
    >>> len(tornado_figure(t).data)
    2
    """
    labels = labels or {}
    rows = tornado.iloc[::-1]  # the largest swing on top
    names = [_wrap(labels.get(p, p)) for p in rows["parameter"]]
    base = float(rows["inmb_base"].iloc[0]) if len(rows) else 0.0
    fig = go.Figure()
    for side, colour in (("low", _NORMAL), ("high", _BOOT)):
        values = rows[f"inmb_{side}"].to_numpy(dtype=float)
        fig.add_trace(go.Bar(y=names, x=values - base, base=base, orientation="h", name=f"assumption {side}",
                             marker_color=colour, customdata=np.column_stack([rows[f"{side}_value"], values]),
                             hovertemplate="value %{customdata[0]:.4g}: INMB AU$%{customdata[1]:,.0f}<extra></extra>"))
    fig.add_vline(x=base, line=dict(color="#111111", width=1))
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(tickprefix="AU$", nticks=4, tickangle=0)  # upright ticks, few enough for a half-width panel
    fig.update_yaxes(automargin=True)
    height = height or max(300, 44 * len(rows) + 120)
    out = _layout(fig, title, height, f"Net monetary benefit (AU$)<br>at AU${wtp:,.0f} per QALY", "")  # two short lines
    out.update_layout(margin=dict(b=80))  # room for the two-line axis title
    if math.isfinite(base):
        out.add_annotation(x=base, y=1.0, yref="paper", text="base case", showarrow=False, yanchor="bottom")
    return out
