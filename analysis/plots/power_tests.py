"""Plotly figure of simulated power by test (the Design page's panel "Which test should the follow-up trial pre-specify?").

Last stage of the pipeline: :attr:`analysis.studies.power_by_test.PowerByTestTable.summary` in, a figure out.
Nothing here computes a statistic. The scenarios differ by colour, marker shape and position, so they read
without colour too.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from .figures import ARM_COLOURS, FONT, NEUTRAL, TEMPLATE

__all__ = ["power_by_test_figure"]

_STYLES = ((ARM_COLOURS["control"], "circle"), (ARM_COLOURS["intervention"], "diamond"), (NEUTRAL, "square"))


def power_by_test_figure(summary: pd.DataFrame, *, height: int = 420) -> go.Figure:
    """Simulated power of each test (rows) for each scenario (markers), with 95% Monte Carlo intervals.

    The analytic (Schoenfeld) log-rank power of each scenario is drawn as an open marker on the log-rank row.

    Examples
    --------
    >>> s = pd.DataFrame({"what_if": ["a", "a"], "label": ["Log-rank", "MaxCombo"], "test": ["logrank", "maxcombo"],
    ...                   "power": [0.9, 0.95], "mc_se": [0.01, 0.01], "power_logrank_analytic": [0.91, 0.91]})
    >>> len(power_by_test_figure(s).data)
    2
    """
    labels = list(dict.fromkeys(summary["label"]))
    fig = go.Figure()
    for k, (what_if, rows) in enumerate(summary.groupby("what_if", sort=False)):
        colour, symbol = _STYLES[k % len(_STYLES)]
        fig.add_trace(go.Scatter(
            x=100 * rows["power"], y=rows["label"], mode="markers", name=what_if, orientation="h",
            marker=dict(color=colour, symbol=symbol, size=11, line=dict(color="white", width=1)),
            error_x=dict(type="data", array=100 * 1.96 * rows["mc_se"], color=colour, thickness=1.5, width=4),
            offsetgroup=str(k), hovertemplate="%{y}: %{x:.1f}%<extra>" + what_if + "</extra>"))
        logrank = rows[rows["test"] == "logrank"]
        if len(logrank):
            fig.add_trace(go.Scatter(
                x=100 * logrank["power_logrank_analytic"], y=logrank["label"], mode="markers", orientation="h",
                name="Log-rank, Schoenfeld (analytic)" if k == 0 else None, showlegend=k == 0,
                legendgroup="analytic", offsetgroup=str(k),
                marker=dict(color=colour, symbol=f"{symbol}-open", size=15, line=dict(width=2)),
                hovertemplate="Schoenfeld: %{x:.1f}%<extra>" + what_if + "</extra>"))
    lowest = float((summary["power"] - 1.96 * summary["mc_se"]).min())
    if "power_logrank_analytic" in summary:
        lowest = min(lowest, float(summary["power_logrank_analytic"].min()))
    left = max(0.0, 100 * lowest - 3)  # the scale starts near the lowest power, so close values stay apart
    fig.update_layout(height=height, font=FONT, template=TEMPLATE, paper_bgcolor="rgba(0,0,0,0)",
                      scattermode="group", margin=dict(l=10, r=20, t=10, b=50),
                      legend=dict(orientation="h", yanchor="top", y=-0.18, x=0),
                      xaxis=dict(title="Simulated power, 95% Monte Carlo interval", ticksuffix="%", range=[left, 100.8]),
                      yaxis=dict(categoryorder="array", categoryarray=labels[::-1], automargin=True))
    return fig
