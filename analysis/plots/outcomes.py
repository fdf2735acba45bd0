"""Figures of the Outcomes page: every hazard ratio in one forest plot, KM per endpoint, MCF by arm.

Plotly only; the numbers come from :func:`analysis.studies.outcomes.trial_outcomes`.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .figures import ARM_COLOURS, NEUTRAL, PUBLISHED_COLOUR, TEMPLATE, arm_band_colour, arm_colour, arm_label

__all__ = ["forest_figure", "km_endpoint_figure", "mcf_figure"]

# The same markers and colours as the other forest plots (orange is the control arm's colour everywhere, so it
# never marks a source).
_SOURCE_STYLE = {"published": (PUBLISHED_COLOUR, "diamond"), "simulated": (ARM_COLOURS["intervention"], "circle"),
                 "expected": (NEUTRAL, "x")}
_SOURCE_NAMES = {"published": "Published", "simulated": "Simulated trial (95% CI)", "expected": "Scenario, expected"}


def forest_figure(forest: pd.DataFrame, title: str = "Hazard ratios: published, simulated trial, expected") -> go.Figure:
    """Forest plot on a log axis: one row per outcome and source, CIs where they exist."""
    fig = go.Figure()
    outcomes = list(dict.fromkeys(forest.outcome))
    offsets = {"published": 0.25, "simulated": 0.0, "expected": -0.25}
    for source, (colour, symbol) in _SOURCE_STYLE.items():
        part = forest[(forest.source == source) & forest.hr.notna()]
        if part.empty:
            continue
        y = [len(outcomes) - 1 - outcomes.index(o) + offsets[source] for o in part.outcome]
        has_ci = part.lower.notna().to_numpy()
        fig.add_trace(go.Scatter(
            x=part.hr, y=y, mode="markers", name=_SOURCE_NAMES[source], marker=dict(color=colour, symbol=symbol, size=10),
            error_x=dict(type="data", symmetric=False, array=np.where(has_ci, part.upper - part.hr, 0.0),
                         arrayminus=np.where(has_ci, part.hr - part.lower, 0.0), visible=True),
            customdata=np.stack([part.outcome, part.note], axis=1),
            hovertemplate="%{customdata[0]}<br>" + _SOURCE_NAMES[source] + " HR %{x:.3f}<br>%{customdata[1]}<extra></extra>"))
    fig.add_vline(x=1.0, line=dict(color="#888", dash="dot"))
    fig.update_layout(title=title, height=150 + 60 * len(outcomes), template=TEMPLATE, paper_bgcolor="rgba(0,0,0,0)",
                      # short lines (at 800 px the plot area is ~300 px wide: longer lines were cut at both ends)
                      xaxis=dict(type="log", tickangle=0, tickvals=[0.25, 0.35, 0.5, 0.7, 1, 1.4, 2, 2.8, 4],  # x1.4 steps
                                 title="Hazard ratio<br><sub>walking + education vs control:<br>below 1 favours "
                                       "walking + education<br>(for recovery, above 1 does)</sub>"),
                      # outcome names on two lines, so the labels leave the plot most of a narrow column
                      yaxis=dict(tickvals=list(range(len(outcomes))),
                                 ticktext=["<br>".join(textwrap.wrap(o, 24)) for o in outcomes[::-1]]),
                      # the legend above the plot: below, it ran into the axis title's three lines in a narrow column
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0), margin=dict(l=10, r=10, t=60, b=40))
    return fig


def km_endpoint_figure(km, title: str, x_title: str = "days") -> go.Figure:
    """Kaplan-Meier curves of both arms of one endpoint (``analysis.stats.survival.KaplanMeier``)."""
    fig = go.Figure()
    order = {"intervention": 0, "control": 1}  # walking + education first, as in every other legend
    for i, curve in sorted(enumerate(km.curves), key=lambda ic: (order.get(str(ic[1].level), 2), ic[0])):
        t = np.concatenate([[0.0], curve.timeline])
        s = 100.0 * np.concatenate([[1.0], curve.survival])
        fig.add_trace(go.Scatter(x=t, y=s, mode="lines", line=dict(shape="hv", color=arm_colour(curve.level, i)),
                                 name=arm_label(curve.level),
                                 hovertemplate=f"{arm_label(curve.level)}: day %{{x:.0f}}, %{{y:.1f}}%<extra></extra>"))
    fig.update_layout(title=title, height=340, template=TEMPLATE, paper_bgcolor="rgba(0,0,0,0)",
                      yaxis=dict(range=[0, 102], ticksuffix="%", title="% without the event"),
                      xaxis=dict(title=x_title[:1].upper() + x_title[1:]), legend=dict(orientation="h", y=-0.25),
                      margin=dict(l=10, r=10, t=40, b=40))
    return fig


def mcf_figure(curves: pd.DataFrame, title: str = "Mean cumulative number of episodes per participant") -> go.Figure:
    """MCF by arm with its pointwise confidence band (``MeanCumulativeFunction.curves``)."""
    fig = go.Figure()
    for i, (arm, c) in enumerate(curves.groupby("arm", sort=False)):
        t = np.concatenate([[0.0], c.time])
        for column, fill in (("upper", None), ("lower", "tonexty")):
            v = np.concatenate([[0.0], c[column]])
            fig.add_trace(go.Scatter(x=t, y=v, mode="lines", line=dict(width=0, shape="hv"), fill=fill,
                                     fillcolor=arm_band_colour(str(arm), index=i), showlegend=False, hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=t, y=np.concatenate([[0.0], c.mcf]), mode="lines", name=arm_label(str(arm)),
                                 line=dict(shape="hv", color=arm_colour(str(arm), i))))
    fig.update_layout(title=title, height=360, template=TEMPLATE, paper_bgcolor="rgba(0,0,0,0)",
                      xaxis=dict(title="Days since randomisation"), yaxis=dict(title="Episodes per participant"), legend=dict(orientation="h", y=-0.25),
                      margin=dict(l=10, r=10, t=40, b=40))
    return fig
