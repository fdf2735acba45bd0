"""Plotly figures for "How sure are we": prior, likelihood and posterior of the hazard ratio.

Last stage of the pipeline: :meth:`analysis.studies.assurance.BayesReading.densities` in, a figure out
(nothing here computes a statistic). One panel per prior; the three curves differ by line style as
well as colour, so they read in grey print too.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .figures import ARM_COLOURS, FONT, NEUTRAL

__all__ = ["bayes_figure"]

#: curve -> (legend label, colour, dash, width)
_STYLE = {
    "prior": ("Prior", NEUTRAL, "dot", 2.2),
    "likelihood": ("Likelihood: published HR 0.72 (0.60 to 0.85)", ARM_COLOURS["control"], "dash", 2.2),
    "posterior": ("Posterior", ARM_COLOURS["intervention"], "solid", 3.0),
}


def bayes_figure(densities: pd.DataFrame, *, mid_hr: float | None = None, height: int = 380,
                 title: str | None = None) -> go.Figure:
    """Prior, likelihood and posterior densities, one panel per prior, on a log hazard-ratio axis.

    Parameters
    ----------
    densities : DataFrame
        :meth:`analysis.studies.assurance.BayesReading.densities`.
    mid_hr : float, optional
        Minimal important hazard ratio, drawn as a dotted line (with HR = 1).

    Examples
    --------
    >>> from analysis.studies.assurance import bayes_reading
    >>> fig = bayes_figure(bayes_reading().densities(), mid_hr=0.85)
    >>> len(fig.data)  # flat: likelihood and posterior; sceptical and enthusiastic: three curves each
    8
    """
    priors = list(dict.fromkeys(densities["prior"]))
    flat = set(densities["prior"]) - set(densities.loc[densities["curve"] == "prior", "prior"])
    fig = make_subplots(rows=1, cols=len(priors), shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=[f"{name} prior" + ("" if name not in flat else " (= likelihood)")
                                        for name in priors])
    shown = set()
    for col, name in enumerate(priors, start=1):
        part = densities[densities["prior"] == name]
        for curve, rows in part.groupby("curve", sort=False):
            label, colour, dash, width = _STYLE[curve]
            fig.add_trace(go.Scatter(x=rows["hr"], y=rows["density"], mode="lines", name=label, legendgroup=curve,
                                     showlegend=curve not in shown, line=dict(color=colour, dash=dash, width=width),
                                     hovertemplate=f"{label.split(':')[0]}<br>HR %{{x:.3f}}<extra>{name}</extra>"),
                          row=1, col=col)
            shown.add(curve)
        for x in (1.0, mid_hr):
            if x:
                fig.add_vline(x=x, line=dict(color="#767676", width=1, dash="dot"), row=1, col=col)
    # The reference lines are named by their ticks (annotations on log axes stretch the range).
    ticks = {0.6: "0.6", 1.0: "1"}
    if mid_hr:
        ticks = {k: v for k, v in ticks.items() if abs(math.log(k / mid_hr)) > 0.08}
        ticks[mid_hr] = "MID"
    hr = densities["hr"]
    fig.update_xaxes(type="log", range=[math.log10(hr.min()), math.log10(hr.max())], tickvals=sorted(ticks),
                     ticktext=[ticks[k] for k in sorted(ticks)], tickangle=0)
    fig.update_xaxes(title="Hazard ratio (log scale)", row=1, col=(len(priors) + 1) // 2)
    fig.update_yaxes(title="Density (per log HR)", row=1, col=1)
    fig.update_layout(title=title, height=height, font=FONT, template="plotly_white", paper_bgcolor="rgba(0,0,0,0)",
                      margin=dict(l=60, r=20, t=60 if title else 40, b=110),
                      legend=dict(orientation="h", yanchor="top", y=-0.32, x=0))
    return fig
