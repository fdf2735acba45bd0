"""Plotly figures of a group-sequential design: its boundaries (z and hazard-ratio scales) and stopping probabilities.

Last stage of the pipeline: :attr:`analysis.studies.sequential.SequentialStudy.looks` in, figures out. Nothing here
computes a statistic. Efficacy and futility differ by marker shape and line style as well as colour; analytic and
simulated bars by pattern as well as colour.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .figures import ARM_COLOURS, FONT, NEUTRAL

__all__ = ["boundaries_figure", "stopping_figure"]

_EFFICACY = ARM_COLOURS["intervention"]  # blue: the intervention works
_FUTILITY = ARM_COLOURS["control"]       # vermilion: stop, it does not


def _x(looks: pd.DataFrame) -> tuple[np.ndarray, str]:
    return looks["recurrences"].to_numpy(dtype=float), "Recurrences at the look"


def boundaries_figure(looks: pd.DataFrame, *, hazard_ratio: float | None = None, height: int = 400) -> go.Figure:
    """The design's boundaries by look: one-sided z (left) and the hazard ratio an estimate must beat (right).

    Parameters
    ----------
    looks : DataFrame
        ``recurrences``, ``efficacy_z``, ``futility_z``, ``efficacy_hr``, ``futility_hr`` per look.
    hazard_ratio : float, optional
        The scenario's expected hazard ratio, drawn as a reference line on the right.

    Examples
    --------
    >>> t = pd.DataFrame({"look": [1, 2], "recurrences": [150, 300], "efficacy_z": [2.8, 1.98],
    ...                   "futility_z": [0.2, float("nan")], "efficacy_hr": [0.63, 0.8], "futility_hr": [0.97, float("nan")]})
    >>> len(boundaries_figure(t, hazard_ratio=0.72).data)
    5
    """
    x, x_title = _x(looks)
    labels = [f"Look {k}" for k in looks["look"]]
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12,
                        subplot_titles=("z (efficacy above)", "Hazard ratio (efficacy below)"))
    for col, (eff, fut) in enumerate((("efficacy_z", "futility_z"), ("efficacy_hr", "futility_hr")), start=1):
        fmt = ".2f" if col == 1 else ".3f"
        fig.add_trace(go.Scatter(x=x, y=looks[eff], mode="lines+markers", name="Efficacy boundary", legendgroup="eff",
                                 showlegend=col == 1, line=dict(color=_EFFICACY, width=2.5),
                                 marker=dict(symbol="triangle-up", size=11), text=labels,
                                 hovertemplate=f"%{{text}}: %{{x:.0f}} recurrences, efficacy %{{y:{fmt}}}<extra></extra>"),
                      1, col)
        futility = looks[fut].to_numpy(dtype=float)
        if np.isfinite(futility).any():
            fig.add_trace(go.Scatter(x=x, y=futility, mode="lines+markers", name="Futility boundary",
                                     legendgroup="fut", showlegend=col == 1,
                                     line=dict(color=_FUTILITY, width=2, dash="dash"),
                                     marker=dict(symbol="triangle-down", size=11), text=labels,
                                     hovertemplate=f"%{{text}}: %{{x:.0f}} recurrences, futility %{{y:{fmt}}}"
                                                   "<extra></extra>"), 1, col)
    if hazard_ratio is not None:
        fig.add_trace(go.Scatter(x=[x.min(), x.max()], y=[hazard_ratio, hazard_ratio], mode="lines",
                                 name=f"Scenario's expected HR ({hazard_ratio:.2f})",
                                 line=dict(color=NEUTRAL, width=1.5, dash="dot"), hoverinfo="skip"), 1, 2)
    fig.update_xaxes(title=x_title)
    fig.update_yaxes(title="One-sided z", row=1, col=1)
    fig.update_yaxes(title="Hazard ratio", row=1, col=2)
    fig.update_layout(height=height, font=FONT, template="plotly_white", paper_bgcolor="rgba(0,0,0,0)",
                      margin=dict(l=60, r=20, t=80, b=50),
                      legend=dict(orientation="h", yanchor="bottom", y=1.12, x=0))
    return fig


def stopping_figure(looks: pd.DataFrame, *, height: int = 380) -> go.Figure:
    """Probability of stopping at each look, for efficacy and for futility: analytic (PH) beside simulated.

    Parameters
    ----------
    looks : DataFrame
        ``look``, ``futility_z``, ``p_efficacy_analytic``, ``p_futility_analytic`` and, when simulated, ``p_efficacy``,
        ``p_futility`` with ``p_efficacy_se``, ``p_futility_se`` (drawn as 95% Monte Carlo intervals).

    Examples
    --------
    >>> t = pd.DataFrame({"look": [1, 2], "futility_z": [0.0, float("nan")], "p_efficacy_analytic": [.1, .7],
    ...                   "p_futility_analytic": [.05, 0.0]})
    >>> len(stopping_figure(t).data)
    2
    """
    labels = [f"Look {k}" for k in looks["look"]]
    # Without a futility boundary the futility panel would be empty: efficacy alone
    kinds = ("efficacy", "futility") if np.isfinite(looks["futility_z"].to_numpy(dtype=float)).any() else ("efficacy",)
    fig = make_subplots(rows=1, cols=len(kinds), horizontal_spacing=0.1,
                        subplot_titles=tuple(f"Stops for {k}" for k in kinds))
    simulated = "p_efficacy" in looks
    for col, what in enumerate(kinds, start=1):
        fig.add_trace(go.Bar(x=labels, y=looks[f"p_{what}_analytic"], name="Analytic (proportional hazards)",
                             legendgroup="analytic", showlegend=col == 1, marker=dict(color=NEUTRAL),
                             hovertemplate="%{x}: %{y:.1%} (analytic)<extra></extra>"), 1, col)
        if simulated:
            fig.add_trace(go.Bar(x=labels, y=looks[f"p_{what}"], name="Simulated on the model (95% MC interval)",
                                 legendgroup="simulated", showlegend=col == 1,
                                 marker=dict(color=_EFFICACY if what == "efficacy" else _FUTILITY,
                                             pattern=dict(shape="/", fgcolor="white")),
                                 error_y=dict(type="data", array=1.96 * looks[f"p_{what}_se"], color="#222222"),
                                 hovertemplate="%{x}: %{y:.1%} (simulated)<extra></extra>"), 1, col)
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    fig.update_yaxes(title="Probability", row=1, col=1)
    fig.update_layout(barmode="group", height=height, font=FONT, template="plotly_white",
                      paper_bgcolor="rgba(0,0,0,0)", margin=dict(l=60, r=20, t=80, b=40),
                      legend=dict(orientation="h", yanchor="bottom", y=1.12, x=0))
    return fig
