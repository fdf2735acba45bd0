"""Plotly figures for power, sample size and estimands (the Design-a-trial and Estimands pages).

Last stage of the pipeline: tidy DataFrames from :mod:`analysis.studies.power` and
:mod:`analysis.studies.estimands` in, ``plotly.graph_objects.Figure`` out. Nothing here computes a
statistic; colours come from :mod:`analysis.plots.figures` so every page looks alike.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .figures import ARM_COLOURS, FONT, NEUTRAL, TEMPLATE

__all__ = ["power_curve_figure", "dilution_figure", "estimands_figure", "coverage_figure"]

_SIM = ARM_COLOURS["intervention"]
_ANALYTIC = ARM_COLOURS["control"]
_TRUTH = "#222222"
_COVERAGE_OK = "#7A7A7A"  # grey: as it should be
_COVERAGE_OFF = "#6A3D9A"  # purple, hatched: a colour no arm uses, and a pattern for greyscale


def _layout(fig: go.Figure, title: str | None, height: int) -> go.Figure:
    fig.update_layout(title=title, height=height, font=FONT, template=TEMPLATE, paper_bgcolor="rgba(0,0,0,0)",
                      margin=dict(l=60, r=20, t=50 if title else 20, b=50),
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
    return fig


def power_curve_figure(summary: pd.DataFrame, *, x_title: str | None = None, target_power: float | None = 0.9,
                       title: str | None = None, height: int = 420, x_is_share: bool = False) -> go.Figure:
    """Schoenfeld and Freedman curves with simulated power and its 95% Monte Carlo interval.

    Parameters
    ----------
    summary : DataFrame
        :attr:`analysis.studies.power.PowerCurve.summary`.

    Examples
    --------
    >>> s = pd.DataFrame({"value": [300, 600], "power_schoenfeld": [.6, .9], "power_freedman": [.58, .89],
    ...                   "power_simulated": [.61, .9], "sim_lower": [.57, .88], "sim_upper": [.65, .92]})
    >>> len(power_curve_figure(s).data)
    3
    """
    x = summary["value"].to_numpy()
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=x, y=summary["power_schoenfeld"], mode="lines", name="Schoenfeld (analytic)",
                             line=dict(color=_ANALYTIC, width=2.5)))
    fig.add_trace(go.Scatter(x=x, y=summary["power_freedman"], mode="lines", name="Freedman (analytic)",
                             line=dict(color=_ANALYTIC, width=1.5, dash="dash")))
    sim = summary["power_simulated"].to_numpy(dtype=float)
    if np.isfinite(sim).any():
        fig.add_trace(go.Scatter(
            x=x, y=sim, mode="markers", name="Simulated (95% Monte Carlo interval)",
            marker=dict(color=_SIM, size=9),
            error_y=dict(type="data", symmetric=False, array=summary["sim_upper"] - sim,
                         arrayminus=sim - summary["sim_lower"], color=_SIM, thickness=1.5)))
    if target_power is not None:
        fig.add_hline(y=target_power, line=dict(color="#bbb", width=1, dash="dot"),
                      annotation_text=f"{target_power:.0%} power", annotation_position="bottom right")
    fig.update_yaxes(title="Power", range=[0, 1.02], tickformat=".0%")
    # shares (never-starters, adherence) in percent, as on the dilution figure beside it
    fig.update_xaxes(title=x_title or "Value", tickformat=".0%" if x_is_share else None)
    return _layout(fig, title, height)


def dilution_figure(table: pd.DataFrame, *, title: str | None = None, height: int = 420) -> go.Figure:
    """HR attenuation and events inflation as the share of never-starters grows.

    Parameters
    ----------
    table : DataFrame
        :func:`analysis.studies.power.dilution_table`.

    Examples
    --------
    >>> t = pd.DataFrame({"never_start": [0, .2], "hr_model": [.7, .75], "hr_log_dilution": [.7, .75],
    ...                   "hr_hazard_mix": [.7, .76], "inflation_model": [1, 1.5], "inflation_simple": [1, 1.56]})
    >>> len(dilution_figure(t).data)
    5
    """
    p = table["never_start"].to_numpy()
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Expected ITT hazard ratio", "Events needed (× all starting)"))
    fig.add_trace(go.Scatter(x=p, y=table["hr_model"], name="Model (expected Cox HR)", mode="lines+markers",
                             line=dict(color=_SIM, width=2.5)), 1, 1)
    fig.add_trace(go.Scatter(x=p, y=table["hr_log_dilution"], name="Textbook: HR<sub>s</sub><sup>1−p</sup> (log HR diluted)", mode="lines",
                             line=dict(color=_ANALYTIC, dash="dash")), 1, 1)
    fig.add_trace(go.Scatter(x=p, y=table["hr_hazard_mix"], name="Textbook: (1−p)·HR<sub>s</sub> + p (hazards mixed)", mode="lines",
                             line=dict(color=NEUTRAL, dash="dot")), 1, 1)
    fig.add_trace(go.Scatter(x=p, y=table["inflation_model"], name="Model", mode="lines+markers",
                             line=dict(color=_SIM, width=2.5), showlegend=False), 1, 2)
    fig.add_trace(go.Scatter(x=p, y=table["inflation_simple"], name="Textbook: events × 1/(1−p)²", mode="lines",
                             line=dict(color=_ANALYTIC, dash="dash")), 1, 2)
    fig.update_xaxes(title="Share who never start (p)", tickformat=".0%")
    fig.update_yaxes(title="Hazard ratio", row=1, col=1)
    fig.update_yaxes(title="Inflation factor", row=1, col=2)
    _layout(fig, title, height)
    # Subplot titles sit where the default legend goes: lift the legend above them.
    fig.update_layout(margin=dict(t=(90 if title else 70)), legend=dict(y=1.15))
    return fig


_PANELS = (("hr", "Hazard ratio (log scale)", True),
           ("landmark", "Difference in % recurrence-free (percentage points)", False),
           ("rmst", "Difference in RMST (days)", False))
#: Short y labels (the full names are in the hover text and the table beside the figure).
_SHORT = {"itt_hr": "ITT", "per_protocol_hr": "Per-protocol (naive)", "as_treated_hr": "As-treated",
          "itt_landmark_diff": "ITT", "cace_landmark_diff": "CACE", "itt_rmst_diff": "ITT", "cace_rmst_diff": "CACE"}


def _panel(estimand: str) -> int:
    if estimand.endswith("_hr"):
        return 0
    return 1 if "landmark" in estimand else 2


def estimands_figure(summary: pd.DataFrame, *, title: str | None = None, height: int = 640) -> go.Figure:
    """Each estimate with its CI (dots and whiskers) against its true value (black cross).

    Parameters
    ----------
    summary : DataFrame
        :attr:`analysis.studies.estimands.EstimandResult.summary`.

    Examples
    --------
    >>> s = pd.DataFrame({"estimand": ["itt_hr", "itt_rmst_diff"], "label": ["ITT HR", "ITT RMST"],
    ...                   "estimate": [.7, 80.], "lower": [.6, 40.], "upper": [.85, 120.], "truth": [.72, 86.]})
    >>> len(estimands_figure(s).data)
    4
    """
    fig = make_subplots(rows=3, cols=1, subplot_titles=[p[1] for p in _PANELS], vertical_spacing=0.16,
                        row_heights=[0.4, 0.3, 0.3])
    shown_legend = set()
    for _, row in summary.iterrows():
        r = _panel(str(row["estimand"])) + 1
        label = _SHORT.get(str(row["estimand"]), str(row["label"]).split(" (")[0])
        # Proportion differences in percentage points, as the table beside the figure shows them.
        k = 100.0 if r == 2 else 1.0
        est, lo, hi = k * float(row["estimate"]), k * float(row["lower"]), k * float(row["upper"])
        has_ci = math.isfinite(lo) and math.isfinite(hi)
        fig.add_trace(go.Scatter(
            x=[est], y=[label], mode="markers", name="Estimate (95% CI)", showlegend="est" not in shown_legend,
            marker=dict(color=_SIM, size=11),
            error_x=dict(type="data", symmetric=False, array=[hi - est], arrayminus=[est - lo], color=_SIM,
                         thickness=2) if has_ci else None,
            hovertemplate=f"{row['label']}: {est:.3g}" + (f" ({lo:.3g} to {hi:.3g})" if has_ci else "") + "<extra></extra>"),
            r, 1)
        shown_legend.add("est")
        truth = k * float(row["truth"])
        if math.isfinite(truth):
            fig.add_trace(go.Scatter(x=[truth], y=[label], mode="markers", name="True value",
                                     showlegend="truth" not in shown_legend,
                                     marker=dict(symbol="x-thin", size=16, line=dict(width=3, color=_TRUTH)),
                                     hovertemplate=f"truth {truth:.3g}<extra></extra>"), r, 1)
            shown_legend.add("truth")
    fig.update_xaxes(type="log", row=1, col=1)
    fig.update_xaxes(automargin=True, tickangle=0)
    fig.update_yaxes(automargin=True)
    fig.add_vline(x=1.0, line=dict(color="#bbb", width=1), row=1, col=1)
    fig.add_vline(x=0.0, line=dict(color="#bbb", width=1), row=2, col=1)
    fig.add_vline(x=0.0, line=dict(color="#bbb", width=1), row=3, col=1)
    # Which side favours which arm, at each panel's "no difference" line (as on the other forest plots): hazard
    # ratios below 1 favour walking + education; differences (walking + education minus control) above 0 do.
    for r, (x0, left, right) in enumerate(((0.0, "walking + education", "control"),
                                           (0.0, "control", "walking + education"),
                                           (0.0, "control", "walking + education")), start=1):
        axis = "x" if r == 1 else f"x{r}"
        for text, anchor in ((f"← favours {left} ", "right"), (f" favours {right} →", "left")):
            fig.add_annotation(x=x0, xref=axis, y=0, yref=f"{'y' if r == 1 else f'y{r}'} domain", yanchor="top",
                               xanchor=anchor, yshift=-24, showarrow=False, text=text,
                               font=dict(size=10, color=NEUTRAL))
    _layout(fig, title, height)
    # The first panel's title sits where the default legend goes: lift the legend above it.
    fig.update_layout(margin=dict(t=(80 if title else 60)), legend=dict(y=1.08))
    return fig


def coverage_figure(summary: pd.DataFrame, *, level: float = 0.95, title: str | None = None,
                    height: int = 380) -> go.Figure:
    """Coverage of each estimator's CI over replicates, with a 95% Monte Carlo interval.

    Parameters
    ----------
    summary : DataFrame
        :attr:`analysis.studies.estimands.EstimandReplicates.summary`.

    Examples
    --------
    >>> s = pd.DataFrame({"label": ["a"], "coverage": [.94], "coverage_mcse": [.01]})
    >>> fig = coverage_figure(s); fig.data[0].type, fig.data[0].name
    ('bar', 'Near nominal (within MC error)')
    """
    cov = summary["coverage"].to_numpy(dtype=float)
    err = 1.96 * summary["coverage_mcse"].to_numpy(dtype=float)
    # Two named series (not the arms' blue and orange, which mean walking and control everywhere else): coverage
    # within Monte Carlo error of the nominal level, and coverage off it (the estimator's CI is too narrow or too wide).
    near = np.array([abs(c - level) <= max(e, 0.01) for c, e in zip(cov, err)], dtype=bool)
    fig = go.Figure()
    for mask, name, colour, pattern in ((near, "Near nominal (within MC error)", _COVERAGE_OK, ""),
                                        (~near, "Off nominal", _COVERAGE_OFF, "/")):
        if mask.any():
            fig.add_trace(go.Bar(x=cov[mask], y=summary["label"].to_numpy()[mask], orientation="h", name=name,
                                 marker=dict(color=colour, pattern_shape=pattern),
                                 error_x=dict(type="data", array=err[mask], color="#333"),
                                 hovertemplate="%{y}: %{x:.1%}<extra>" + name + "</extra>"))
    fig.update_layout(showlegend=True, barmode="overlay")
    fig.update_yaxes(categoryorder="array", categoryarray=list(summary["label"]))  # the estimators' order, not by series
    fig.add_vline(x=level, line=dict(color=_TRUTH, width=1.5, dash="dash"),
                  annotation_text=f"nominal {level:.0%}", annotation_position="top")
    fig.update_xaxes(title="Share of replicate CIs containing the true value", range=[0, 1.0], tickformat=".0%")
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, height)
