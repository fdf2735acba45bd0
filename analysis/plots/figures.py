"""Plotly figures for the app, the notebooks and reports.

Last stage of the pipeline (scenario -> simulate -> estimate -> figures). Every builder takes
plain arrays or tidy DataFrames produced by the library and returns a ``plotly.graph_objects.Figure``;
nothing here computes a statistic, reads a file or imports Streamlit. Colours, arm names and the
layout are defined once here so that intervention and control look the same in every view.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..formats import format_cell
from ..stats.time_units import axis_ticks

__all__ = [
    "ARM_COLOURS",
    "ARM_TEXT_COLOURS",
    "ARM_MARKERS",
    "distinguish_arms",
    "figure_as_text",
    "arm_text_colour",
    "ARM_LABELS",
    "ARM_ORDER",
    "ArmCurve",
    "arm_band_colour",
    "km_figure",
    "expected_curves_figure",
    "dose_response_figure",
    "walking_over_time_figure",
    "replicate_band_figure",
    "hr_spread_figure",
    "log_minus_log_figure",
    "estimate_forest_figure",
    "day_ticks",
    "arm_curves_from_km",
    "risk_table_for_plot",
]

#: Okabe-Ito colours (safe for colour-blind readers and on a projector); the same everywhere.
ARM_COLOURS: dict[str, str] = {"intervention": "#0072B2", "control": "#D55E00"}
#: The arms' colours for small text (labels, risk-table names): the control orange darkened to AA contrast (5.5:1 on
#: white; #D55E00 is 3.9:1), the same hue.
ARM_TEXT_COLOURS: dict[str, str] = {"intervention": "#0072B2", "control": "#B34700"}
#: Marker symbols that tell the arms apart without colour (greyscale print, colour-blind readers).
ARM_MARKERS: dict[str, str] = {"intervention": "circle", "control": "square"}
ARM_LABELS: dict[str, str] = {"intervention": "Walking + education", "control": "Control"}
ARM_ORDER: tuple[str, ...] = ("intervention", "control")
ARM_SHORT: dict[str, str] = {"intervention": "Walking + education", "control": "Control"}
NEUTRAL = "#555555"
PUBLISHED_COLOUR = "#222222"
FONT = dict(family="Inter, 'Source Sans Pro', Helvetica, Arial, sans-serif", size=13, color="#1f2933")
_AXIS = dict(gridcolor="#EBF0F8", linecolor="#D5DDE8", zerolinecolor="#EBF0F8", zeroline=False, ticks="",
             automargin=True, title=dict(standoff=12))
# The one template of every figure, small, in the spirit of "plotly_white": assigning the full built-in template costs about
# 0.1 s per figure (it is re-validated every time), more than drawing the figure itself.
# Transparent paper: the app draws a figure's title just above the chart, and a white paper would cut the title's
# descenders ("p", "y", ","); the page behind is white anyway.
TEMPLATE = go.layout.Template(layout=dict(
    paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="white", font=FONT, colorway=[ARM_COLOURS["intervention"], ARM_COLOURS["control"],
                                                                       "#009E73", "#CC79A7", "#E69F00", "#56B4E9"],
    # tick labels stand off both axes, so the y axis's "0%" does not run into the x axis's "0" / "0 mo" where both
    # start at zero (tests/test_browser.py checks every chart's tick labels for overlaps)
    xaxis=dict(_AXIS, ticklabelstandoff=6), yaxis=dict(_AXIS, ticklabelstandoff=8), hovermode="closest", hoverlabel=dict(bgcolor="white", font_size=12)))


def arm_colour(arm: str, index: int = 0) -> str:
    """The arm's colour; unknown group names (uploaded files) get the two colours in order."""
    if arm in ARM_COLOURS:
        return ARM_COLOURS[arm]
    return ARM_COLOURS[ARM_ORDER[index % 2]]


def distinguish_arms(fig: go.Figure, *, markers: int = 8) -> go.Figure:
    """Mark every line drawn in an arm's colour with that arm's symbol, so arms differ by more than colour.

    Applies to scatter traces whose line is an arm colour (curves of either arm, solid or dashed); at most
    ``markers`` symbols per line (Plotly's ``maxdisplayed``), so step curves stay readable. Returns ``fig``.

    Examples
    --------
    >>> fig = go.Figure(go.Scatter(x=[0, 1], y=[1, 0.5], mode="lines", line=dict(color=ARM_COLOURS["control"])))
    >>> distinguish_arms(fig).data[0].marker.symbol, fig.data[0].mode
    ('square', 'lines+markers')
    """
    by_colour = {colour.lower(): ARM_MARKERS[arm] for arm, colour in ARM_COLOURS.items()}
    for trace in fig.data:
        if trace.type != "scatter" or not trace.mode or "lines" not in trace.mode or trace.line.color is None:
            continue
        symbol = by_colour.get(str(trace.line.color).lower())
        if symbol is None or (trace.x is not None and len(trace.x) < 2):
            continue
        trace.mode = "lines+markers" if "markers" not in trace.mode else trace.mode
        trace.marker.symbol = symbol
        trace.marker.maxdisplayed = markers
        trace.marker.color = trace.line.color
        trace.marker.size = trace.marker.size or 7
    return fig


def figure_as_text(fig: go.Figure, *, points: int = 8) -> pd.DataFrame:
    """A text alternative for a figure: one row per named series, ``points`` of its (x, y) pairs evenly spread.

    Screen readers and keyboard users cannot hover a chart; the app shows this table beside every chart. Traces
    without a name (bands, reference lines, labels) are left out.

    Examples
    --------
    >>> fig = go.Figure(go.Scatter(x=[0, 100, 200], y=[1.0, 0.8, 0.61], name="Control"))
    >>> figure_as_text(fig).to_dict(orient="records")
    [{'series': 'Control', 'values (x: y)': '0: 1; 100: 0.8; 200: 0.61'}]
    """
    rows = []
    for trace in fig.data:
        name = getattr(trace, "name", None)
        xs, ys = getattr(trace, "x", None), getattr(trace, "y", None)
        if not name or xs is None or ys is None or len(xs) == 0:
            continue
        if trace.type == "bar" and getattr(trace, "orientation", None) == "h":
            xs, ys = ys, xs
        pairs = [(x, y) for x, y in zip(xs, ys) if x is not None and y is not None]
        if not pairs:
            continue
        shown = min(points, len(pairs))
        chosen = sorted({round(i * (len(pairs) - 1) / max(shown - 1, 1)) for i in range(shown)})
        rows.append({"series": re.sub(r"<[^>]+>", "", str(name)),
                     "values (x: y)": "; ".join(f"{format_cell(pairs[i][0])}: {format_cell(pairs[i][1])}" for i in chosen)})
    return pd.DataFrame(rows, columns=["series", "values (x: y)"])


def arm_text_colour(arm: str, index: int = 0) -> str:
    """The arm's colour for small text, at AA contrast on white."""
    return ARM_TEXT_COLOURS.get(arm) or ARM_TEXT_COLOURS[ARM_ORDER[index % 2]]


def arm_band_colour(arm: str, alpha: float = 0.15, index: int = 0) -> str:
    """The arm's colour as a translucent rgba string for confidence bands."""
    hexcode = arm_colour(arm, index).lstrip("#")
    r, g, b = (int(hexcode[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def arm_label(arm: str) -> str:
    return ARM_LABELS.get(arm, str(arm))


def day_ticks(max_days: float) -> list[float]:
    """Tick positions every 6 months (182.625 days) rounded to whole days, up to ``max_days``
    (:func:`analysis.stats.time_units.axis_ticks`, the one policy for time axes).

    Examples
    --------
    >>> day_ticks(400)
    [0, 183, 365]
    """
    return axis_ticks(max_days, "days")


def _vline(x: float, **line) -> dict:
    """A vertical reference line as a plain shape (``fig.add_vline`` costs ~10 ms per call)."""
    return dict(type="line", xref="x", yref="y domain", x0=x, x1=x, y0=0, y1=1, line=line, layer="above")


def _hline(y: float, **line) -> dict:
    return dict(type="line", xref="x domain", yref="y", x0=0, x1=1, y0=y, y1=y, line=line, layer="above")


def _vrect(x0: float, x1: float, colour: str, opacity: float) -> dict:
    return dict(type="rect", xref="x", yref="y domain", x0=x0, x1=x1, y0=0, y1=1, fillcolor=colour,
                opacity=opacity, line=dict(width=0), layer="below")


def _label(x: float, y: float, text: str, *, xref: str = "x", yref: str = "y", xanchor: str = "left",
           yanchor: str = "bottom", colour: str = NEUTRAL) -> dict:
    return dict(x=x, y=y, xref=xref, yref=yref, text=text, showarrow=False, xanchor=xanchor, yanchor=yanchor,
                font=dict(size=11, color=colour))


def _base_layout(fig: go.Figure, *, title: str | None, height: int, y_title: str | None = None,
                 x_title: str | None = None) -> go.Figure:
    fig.update_layout(
        template=TEMPLATE,
        height=height,
        margin=dict(l=70, r=30, t=70 if title else 40, b=55),
        title=dict(text=title, x=0.0, xanchor="left", font=dict(size=16)) if title else None,
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0.0, bgcolor="rgba(0,0,0,0)"),
    )
    if y_title is not None:
        fig.update_yaxes(title_text=y_title)
    if x_title is not None:
        fig.update_xaxes(title_text=x_title)
    return fig


def _month_ticktext(ticks: Sequence[float]) -> list[str]:
    return [f"{t:g}<br><span style='font-size:10px;color:#777'>{round(t / 30.4375):d} mo</span>" for t in ticks]


@dataclass(frozen=True)
class ArmCurve:
    """One arm's Kaplan-Meier step curve, ready to draw.

    Attributes
    ----------
    arm : str
        Arm name ("intervention", "control" or an uploaded group level).
    times, survival, lower, upper : ndarray
        Step-function knots (time 0 first) of the survival estimate and its 95% band.
    censor_times, censor_survival : ndarray
        Where censoring marks go.
    median : float
        Median time (``nan`` or ``inf`` when not reached), drawn as a dotted guide.
    """

    arm: str
    times: np.ndarray
    survival: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    censor_times: np.ndarray
    censor_survival: np.ndarray
    median: float = math.nan


def arm_curves_from_km(km) -> list[ArmCurve]:
    """Plot-ready curves from an :class:`analysis.stats.survival.KaplanMeier`, non-reference arm first.

    Adds the point (0, 1) and fills the band where R leaves it undefined (S = 1) with the estimate.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.stats.survival import kaplan_meier
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4], "e": [1, 0, 1, 1], "arm": ["control", "intervention"] * 2})
    >>> [c.arm for c in arm_curves_from_km(kaplan_meier(d, "t", "e", landmarks=()))]
    ['intervention', 'control']
    """
    out = []
    for c in reversed(km.curves):
        times = np.r_[0.0, c.timeline]
        surv = np.r_[1.0, c.survival]
        lower = np.r_[1.0, np.where(np.isnan(c.lower), c.survival, c.lower)]
        upper = np.r_[1.0, np.where(np.isnan(c.upper), c.survival, c.upper)]
        censored = c.n_censor > 0
        out.append(ArmCurve(arm=str(c.level), times=times, survival=surv, lower=lower, upper=upper,
                            censor_times=c.timeline[censored], censor_survival=c.survival[censored],
                            median=float(c.median)))
    return out


def risk_table_for_plot(risk_table) -> pd.DataFrame:
    """An :class:`analysis.stats.survival.RiskTable` in the long format :func:`km_figure` draws."""
    return risk_table.summary.rename(columns={"level": "arm"})


def _step_xy(times: np.ndarray, values: np.ndarray, end: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Post-step coordinates (horizontal then vertical), extended to ``end``."""
    t = np.asarray(times, dtype=float)
    v = np.asarray(values, dtype=float)
    if end is not None and (len(t) == 0 or end > t[-1]):
        t = np.append(t, end)
        v = np.append(v, v[-1] if len(v) else 1.0)
    x = np.repeat(t, 2)[1:]
    y = np.repeat(v, 2)[:-1]
    return x, y


def km_figure(curves: Sequence[ArmCurve], *, risk_table: pd.DataFrame | None = None, cumulative: bool = False,
              show_bands: bool = True, show_censors: bool = True, show_medians: bool = True,
              max_days: float | None = None, landmarks: Sequence[float] = (), overlay: Sequence[tuple[str, np.ndarray, np.ndarray]] = (),
              title: str | None = None, height: int = 620, time_unit: str = "days") -> go.Figure:
    """KMunicate-style Kaplan-Meier plot with an aligned risk table underneath.

    Parameters
    ----------
    curves : sequence of ArmCurve
        One per arm, drawn in the given order.
    risk_table : DataFrame, optional
        Long format with columns ``time``, ``arm``, ``at_risk``, ``events``, ``censored``
        (events and censored cumulative up to ``time``). Drawn as three rows per arm under the plot.
    cumulative : bool
        Plot ``1 - S`` as "% recurred" instead of "% recurrence-free".
    show_bands, show_censors, show_medians : bool
        95% confidence bands, censoring ticks, dotted median guides.
    max_days : float, optional
        End of the x axis (default: last time in the curves).
    landmarks : sequence of float
        Days marked with a thin vertical line (landmark survival read-outs).
    overlay : sequence of (arm, times, survival)
        Smooth expected curves drawn thin and dashed (e.g. the scenario's truth).
    time_unit : str
        "days" gives 6-monthly ticks labelled in days and months; any other unit automatic ticks.

    Examples
    --------
    >>> c = ArmCurve("control", np.array([0., 5.]), np.array([1., .5]), np.array([1., .2]), np.array([1., .8]),
    ...              np.array([7.]), np.array([.5]), 5.0)
    >>> fig = km_figure([c])
    >>> [t.name for t in fig.data][:2]
    ['Control 95% CI', 'Control']
    """
    end = max_days if max_days is not None else max((float(c.times[-1]) for c in curves if len(c.times)), default=1.0)
    if len(curves):
        end = max(end, max((float(c.censor_times.max()) for c in curves if len(c.censor_times)), default=end))
    with_table = risk_table is not None and len(risk_table) > 0
    fig = _two_panel_figure(with_table)

    def tf(v: np.ndarray) -> np.ndarray:
        v = np.asarray(v, dtype=float)
        return 100.0 * (1.0 - v) if cumulative else 100.0 * v

    what = "recurred" if cumulative else "recurrence-free"
    for i, c in enumerate(curves):
        colour = arm_colour(c.arm, i)
        label = arm_label(c.arm)
        if show_bands and len(c.times):
            lo_x, lo_y = _step_xy(c.times, tf(c.lower), end)
            hi_x, hi_y = _step_xy(c.times, tf(c.upper), end)
            fig.add_trace(go.Scatter(
                x=np.concatenate([lo_x, hi_x[::-1]]), y=np.concatenate([lo_y, hi_y[::-1]]),
                fill="toself", fillcolor=arm_band_colour(c.arm, 0.14, i), line=dict(width=0),
                hoverinfo="skip", name=f"{label} 95% CI", legendgroup=label, showlegend=False), row=1, col=1)
        x, y = _step_xy(c.times, tf(c.survival), end)
        xl, yl = _step_xy(c.times, tf(c.lower), end)
        xu, yu = _step_xy(c.times, tf(c.upper), end)
        lo_ci, hi_ci = (yu, yl) if cumulative else (yl, yu)
        fig.add_trace(go.Scatter(
            x=x, y=y, mode="lines", line=dict(color=colour, width=2.6, shape="linear"), name=label, legendgroup=label,
            customdata=np.column_stack([lo_ci, hi_ci]),
            hovertemplate=(f"<b>{label}</b><br>day %{{x:.0f}}: %{{y:.1f}}% {what}"
                           "<br>95% CI %{customdata[0]:.1f} to %{customdata[1]:.1f}%<extra></extra>")), row=1, col=1)
        if show_censors and len(c.censor_times):
            fig.add_trace(go.Scatter(
                x=c.censor_times, y=tf(c.censor_survival), mode="markers",
                marker=dict(symbol="line-ns-open", size=7, color=colour, line=dict(width=1.2)),
                name=f"{label} censored", legendgroup=label, showlegend=False,
                hovertemplate=f"{label}: censored at day %{{x:.0f}}<extra></extra>"), row=1, col=1)
        if show_medians and c.median is not None and math.isfinite(c.median):
            level = 50.0
            fig.add_trace(go.Scatter(
                x=[0, c.median, c.median], y=[level, level, 0], mode="lines",
                line=dict(color=colour, width=1, dash="dot"), hoverinfo="skip", showlegend=False,
                legendgroup=label), row=1, col=1)
            # The longer median is labelled right of its line and the shorter one left, whichever arm it is.
            others = [o.median for j, o in enumerate(curves) if j != i and o.median is not None and math.isfinite(o.median)]
            right = all(c.median > m or (c.median == m and i == 0) for m in others)
            fig.add_annotation(x=c.median, y=3, text=f"{c.median:.0f} d" if time_unit == "days" else f"{c.median:.3g}",
                               showarrow=False, xanchor="left" if right else "right", xshift=3 if right else -3,
                               font=dict(size=11, color=colour), row=1, col=1)
    for arm, times, surv in overlay:
        fig.add_trace(go.Scatter(
            x=times, y=tf(surv), mode="lines", line=dict(color=arm_colour(arm), width=1.3, dash="dash"),
            name=f"{arm_label(arm)}, expected", hovertemplate=f"{arm_label(arm)} expected: %{{y:.1f}}%<extra></extra>"),
            row=1, col=1)
    fig.update_layout(shapes=[dict(type="line", xref="x", yref="y domain", x0=day, x1=day, y0=0, y1=1,
                                   line=dict(color="#999", width=1, dash="dot")) for day in landmarks])
    if len(landmarks):  # the legend says what the grey dotted lines are
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=dict(color="#999", width=1, dash="dot"),
                                 name="Landmark days (survival read out there)", hoverinfo="skip"), row=1, col=1)

    days = time_unit == "days"
    x_title = "Days since randomisation" if days else f"Time ({time_unit})"
    fig.update_yaxes(range=[0, 101], ticksuffix="%", title_text=f"% {what}", row=1, col=1)
    # A little room left of day 0 so the risk table's first column is not under the row labels.
    fig.update_xaxes(range=[-0.03 * end, end * 1.02], row=1, col=1)
    ticks = axis_ticks(end, time_unit)
    if ticks:  # whole units of a known unit; otherwise Plotly chooses
        fig.update_xaxes(tickvals=ticks, ticktext=_month_ticktext(ticks) if days else [f"{v:g}" for v in ticks],
                         row=1, col=1)
    if with_table:
        _add_risk_table(fig, risk_table, [c.arm for c in curves], end, days)
        fig.update_xaxes(title_text=x_title, row=2, col=1)
    else:
        fig.update_xaxes(title_text=x_title, row=1, col=1)
    _base_layout(fig, title=title, height=height)
    return fig


class _TwoPanelFigure(go.Figure):
    """Curves on top, risk table below, sharing the time axis; ``row=`` picks the panel.

    Laid out by hand (two x axes that match, two y domains) at a fraction of ``make_subplots``' cost.
    """

    def add_trace(self, trace, row=None, col=None, **kwargs):  # noqa: D102 - as go.Figure.add_trace
        if row == 2:
            trace.update(xaxis="x2", yaxis="y2")
        return super().add_trace(trace, **kwargs)

    def add_annotation(self, *args, row=None, col=None, **kwargs):  # noqa: D102
        return super().add_annotation(*args, **kwargs)

    def update_xaxes(self, *args, row=None, col=None, **kwargs):  # noqa: D102
        update = _axis_update(kwargs)
        if row == 2:
            return self.update_layout(xaxis2=update)
        return self.update_layout(xaxis=update)

    def update_yaxes(self, *args, row=None, col=None, **kwargs):  # noqa: D102
        return self.update_layout(**{"yaxis2" if row == 2 else "yaxis": _axis_update(kwargs)})


def _axis_update(kwargs: dict) -> dict:
    out = dict(kwargs)
    if "title_text" in out:
        out["title"] = dict(text=out.pop("title_text"))
    return out


def _two_panel_figure(with_table: bool) -> go.Figure:
    if not with_table:
        return _TwoPanelFigure()
    return _TwoPanelFigure(layout=dict(
        xaxis=dict(anchor="y", domain=[0.0, 1.0], showticklabels=False),
        yaxis=dict(domain=[0.36, 1.0]),
        xaxis2=dict(anchor="y2", domain=[0.0, 1.0], matches="x"),
        yaxis2=dict(domain=[0.0, 0.26]),
    ))


def _add_risk_table(fig: go.Figure, table: pd.DataFrame, arms: Sequence[str], end: float, days: bool = True) -> None:
    """Three rows per arm (at risk, events, censored) aligned to the KM time axis."""
    metrics = (("at_risk", "At risk"), ("events", "Events"), ("censored", "Censored"))
    rows: list[tuple[str, str, str]] = []
    for arm in arms:
        for key, name in metrics:
            rows.append((arm, key, name))
    n_rows = len(rows)
    for r, (arm, key, name) in enumerate(rows):
        y = n_rows - r
        sub = table[table["arm"].astype(str) == str(arm)]
        colour = arm_colour(arm, list(arms).index(arm))
        fig.add_trace(go.Scatter(
            x=sub["time"], y=np.full(len(sub), y), mode="text", text=[f"{int(v):d}" for v in sub[key]], cliponaxis=False,
            textfont=dict(size=11, color=arm_text_colour(arm, list(arms).index(arm)) if key == "at_risk" else "#444"),
            showlegend=False,
            hovertemplate=f"{arm_label(arm)}, {name.lower()} at day %{{x:.0f}}: %{{text}}<extra></extra>"), row=2, col=1)
    def short(a: str) -> str:
        name = ARM_SHORT.get(a, str(a))
        return name if len(name) <= 20 else name[:19] + "…"

    ticktext = [f"<b style='color:{arm_text_colour(a, list(arms).index(a))}'>{short(a)}</b> at risk"
                if k == "at_risk" else n.lower() for a, k, n in rows]
    # ticklabelstandoff: the row labels stand clear of the day-0 column (numbers are centred on their day, so on a
    # narrow screen "351" would otherwise run into "at risk").
    fig.update_yaxes(range=[0.4, n_rows + 0.6], tickvals=list(range(n_rows, 0, -1)), ticktext=ticktext,
                     showgrid=False, zeroline=False, tickfont=dict(size=11), automargin=True, ticklabelstandoff=16,
                     row=2, col=1)
    fig.update_xaxes(showgrid=False, row=2, col=1)
    ticks = day_ticks(end) if days else sorted(set(float(t) for t in table["time"]))
    fig.update_xaxes(tickvals=ticks, ticktext=_month_ticktext(ticks) if days else [f"{t:g}" for t in ticks], row=2, col=1)


@dataclass(frozen=True)
class _Line:
    arm: str
    label: str
    times: np.ndarray
    survival: np.ndarray
    dash: str
    width: float


def expected_curves_figure(lines: Sequence[tuple[str, str, np.ndarray, np.ndarray, str]], *, cumulative: bool = False,
                           landmarks: Sequence[float] = (), title: str | None = None, height: int = 430,
                           max_days: float | None = None) -> go.Figure:
    """Smooth expected survival curves (no sampling error), e.g. a what-if over the baseline.

    Parameters
    ----------
    lines : sequence of (arm, label, times, survival, style)
        ``style`` is ``"solid"`` for the scenario shown and ``"dash"`` for a reference (baseline).

    Examples
    --------
    >>> t = np.linspace(0, 100, 5)
    >>> fig = expected_curves_figure([("control", "Control", t, np.exp(-t / 50), "solid")])
    >>> round(float(fig.data[0].y[-1]), 1)
    13.5
    """
    fig = go.Figure()
    what = "recurred" if cumulative else "recurrence-free"
    end = max_days or max((float(np.max(t)) for _, _, t, _, _ in lines), default=1.0)
    for arm, label, times, surv, style in lines:
        y = 100.0 * (1.0 - np.asarray(surv)) if cumulative else 100.0 * np.asarray(surv)
        reference = style != "solid"
        fig.add_trace(go.Scatter(
            x=times, y=y, mode="lines", name=label,
            line=dict(color=arm_colour(arm), width=1.6 if reference else 2.8, dash=style),
            opacity=0.75 if reference else 1.0,
            hovertemplate=f"<b>{label}</b><br>day %{{x:.0f}}: %{{y:.1f}}% {what}<extra></extra>"))
    fig.update_layout(shapes=[*(_vline(day, color="#999", width=1, dash="dot") for day in landmarks),
                              _hline(50, color="#bbb", width=1, dash="dot")])
    # Say what the dotted guides are, on the lines themselves.
    fig.add_annotation(x=1, xref="x domain", y=50, yref="y", text="50%: the median", showarrow=False, xanchor="right",
                       yanchor="bottom", font=dict(size=11, color=NEUTRAL))
    for day in landmarks:
        fig.add_annotation(x=day, xref="x", y=1, yref="y domain", text=f" {day / 30.4375:.0f}-month landmark",
                           showarrow=False, xanchor="left", yanchor="top", font=dict(size=11, color=NEUTRAL))
    ticks = day_ticks(end)
    fig.update_xaxes(range=[0, end], tickvals=ticks, ticktext=_month_ticktext(ticks))
    fig.update_yaxes(range=[0, 101], ticksuffix="%")
    return _base_layout(fig, title=title, height=height, y_title=f"% {what}", x_title="Days since randomisation")


def dose_response_figure(curves: Sequence[tuple[str, np.ndarray, np.ndarray, str]], *,
                         markers: Sequence[tuple[str, float, float, str]] = (), title: str | None = None,
                         height: int = 380) -> go.Figure:
    """Relative hazard of recurrence against extra walking (minutes per week).

    Parameters
    ----------
    curves : sequence of (label, extra_minutes, relative_hazard, style)
    markers : sequence of (label, extra_minutes, relative_hazard, colour)
        Points such as "average starter at the plateau".

    Examples
    --------
    >>> x = np.linspace(0, 200, 3)
    >>> dose_response_figure([("log-linear", x, np.exp(-x / 100), "solid")]).data[0].name
    'log-linear'
    """
    fig = go.Figure()
    for label, x, y, style in curves:
        fig.add_trace(go.Scatter(
            x=x, y=y, mode="lines", name=label,
            line=dict(color=ARM_COLOURS["intervention"] if style == "solid" else NEUTRAL, width=2.6 if style == "solid" else 1.6,
                      dash=style),
            hovertemplate=f"<b>{label}</b><br>+%{{x:.0f}} min/week: hazard x %{{y:.2f}}<extra></extra>"))
    for label, x, y, colour in markers:
        fig.add_trace(go.Scatter(
            x=[x], y=[y], mode="markers+text", name=label, text=[label], textposition="top right",
            marker=dict(size=10, color=colour, line=dict(color="white", width=1.5)),
            textfont=dict(size=11, color=colour), showlegend=False,
            hovertemplate=f"{label}<br>+%{{x:.0f}} min/week: hazard x %{{y:.2f}}<extra></extra>"))
    fig.update_layout(shapes=[_hline(1.0, color="#bbb", width=1)])
    fig.update_yaxes(rangemode="tozero")
    return _base_layout(fig, title=title, height=height, y_title="Relative hazard of recurrence",
                        x_title="Extra walking above own baseline (minutes per week)")


def walking_over_time_figure(trajectories: pd.DataFrame, *, target: float | None = None,
                             published_point: tuple[float, float] | None = None, reference: pd.DataFrame | None = None,
                             programme_weeks: float | None = None, title: str | None = None,
                             height: int = 380) -> go.Figure:
    """Mean walking minutes per week over time, per arm.

    Parameters
    ----------
    trajectories : DataFrame
        Columns ``week``, ``arm``, ``minutes`` and optionally ``q10``, ``q90`` (a band among
        programme starters), as returned by :func:`analysis.dose.walking_trajectory`-style helpers.
    target : float, optional
        Weekly target, drawn as a horizontal line.
    published_point : (week, minutes), optional
        The published achieved dose (about 130 min/week at 12 weeks).
    reference : DataFrame, optional
        Baseline scenario's trajectories, drawn dashed.

    Examples
    --------
    >>> df = pd.DataFrame({"week": [0, 1], "arm": ["control", "control"], "minutes": [30.0, 40.0]})
    >>> walking_over_time_figure(df).data[0].name
    'Control'
    """
    fig = go.Figure()
    for arm in ("intervention", "control"):
        sub = trajectories[trajectories["arm"] == arm]
        if sub.empty:
            continue
        if {"q10", "q90"} <= set(sub.columns) and sub["q90"].notna().any():
            fig.add_trace(go.Scatter(
                x=np.concatenate([sub["week"], sub["week"][::-1]]), y=np.concatenate([sub["q10"], sub["q90"][::-1]]),
                fill="toself", fillcolor=arm_band_colour(arm, 0.13), line=dict(width=0), hoverinfo="skip",
                name=f"{arm_label(arm)}: middle 80% of starters", showlegend=True))
        fig.add_trace(go.Scatter(
            x=sub["week"], y=sub["minutes"], mode="lines", name=arm_label(arm), line=dict(color=arm_colour(arm), width=2.6),
            hovertemplate=f"<b>{arm_label(arm)}</b><br>week %{{x:.0f}}: %{{y:.0f}} min/week<extra></extra>"))
    if reference is not None:
        for arm in ("intervention", "control"):
            sub = reference[reference["arm"] == arm]
            if sub.empty:
                continue
            fig.add_trace(go.Scatter(
                x=sub["week"], y=sub["minutes"], mode="lines", name=f"{arm_label(arm)}, baseline scenario",
                line=dict(color=arm_colour(arm), width=1.4, dash="dash"), opacity=0.7,
                hovertemplate=f"{arm_label(arm)} (baseline) week %{{x:.0f}}: %{{y:.0f}} min/week<extra></extra>"))
    shapes, labels = [], []
    if target is not None:
        shapes.append(_hline(target, color=NEUTRAL, width=1, dash="dot"))
        labels.append(_label(1, target, f"target {target:.0f} min/week", xref="x domain", xanchor="right"))
    if programme_weeks is not None:
        shapes.append(_vrect(0, programme_weeks, "#f1f5f9", 0.6))
        labels.append(_label(0, 1, "supported programme", yref="y domain", yanchor="top"))
    fig.update_layout(shapes=shapes, annotations=labels)
    if published_point is not None:
        week, minutes = published_point
        fig.add_trace(go.Scatter(
            x=[week], y=[minutes], mode="markers", name="Published: about 130 min/week at 12 weeks",
            marker=dict(symbol="diamond", size=11, color=PUBLISHED_COLOUR),
            hovertemplate="Published (Lancet 2024): about %{y:.0f} min/week at week %{x:.0f}<extra></extra>"))
    fig.update_yaxes(rangemode="tozero")
    return _base_layout(fig, title=title, height=height, y_title="Walking (minutes per week)",
                        x_title="Weeks since randomisation")


def replicate_band_figure(band: pd.DataFrame, *, published_medians: Mapping[str, float] | None = None,
                          cumulative: bool = False, title: str | None = None, height: int = 450) -> go.Figure:
    """Pointwise 2.5-97.5% band and median of Kaplan-Meier curves over replicate trials.

    Parameters
    ----------
    band : DataFrame
        Columns ``day``, ``arm``, ``q025``, ``q50``, ``q975`` (survival probabilities).
    published_medians : mapping arm -> days, optional
        Drawn as diamonds at 50%.

    Examples
    --------
    >>> b = pd.DataFrame({"day": [0, 10], "arm": ["control"] * 2, "q025": [1, .4], "q50": [1, .5], "q975": [1, .6]})
    >>> len(replicate_band_figure(b).data)
    2
    """
    fig = go.Figure()
    what = "recurred" if cumulative else "recurrence-free"

    def tf(v):
        v = np.asarray(v, dtype=float)
        return 100.0 * (1.0 - v) if cumulative else 100.0 * v

    for arm in ARM_ORDER:
        sub = band[band["arm"].astype(str) == arm].sort_values("day")
        if sub.empty:
            continue
        label = arm_label(arm)
        fig.add_trace(go.Scatter(
            x=np.concatenate([sub["day"], sub["day"][::-1]]), y=np.concatenate([tf(sub["q025"]), tf(sub["q975"])[::-1]]),
            fill="toself", fillcolor=arm_band_colour(arm, 0.2), line=dict(width=0), hoverinfo="skip",
            name=f"{label}: 95% of trials", legendgroup=arm))
        fig.add_trace(go.Scatter(
            x=sub["day"], y=tf(sub["q50"]), mode="lines", line=dict(color=arm_colour(arm), width=2.4),
            name=f"{label}: median trial", legendgroup=arm,
            customdata=np.column_stack([tf(sub["q025"]), tf(sub["q975"])]),
            hovertemplate=(f"<b>{label}</b><br>day %{{x:.0f}}: %{{y:.1f}}% {what}"
                           "<br>95% of trials %{customdata[0]:.1f} to %{customdata[1]:.1f}%<extra></extra>")))
    if published_medians and not cumulative:
        for arm, days in published_medians.items():
            fig.add_trace(go.Scatter(
                x=[days], y=[50], mode="markers", marker=dict(symbol="diamond", size=11, color=arm_colour(arm),
                                                              line=dict(color=PUBLISHED_COLOUR, width=1.5)),
                name=f"Published median, {arm_label(arm).lower()}",
                hovertemplate=f"Published median ({arm_label(arm)}): %{{x}} days<extra></extra>"))
    end = float(band["day"].max()) if len(band) else 1.0
    ticks = day_ticks(end)
    fig.update_xaxes(range=[0, end], tickvals=ticks, ticktext=_month_ticktext(ticks))
    fig.update_yaxes(range=[0, 101], ticksuffix="%")
    return _base_layout(fig, title=title, height=height, y_title=f"% {what}", x_title="Days since randomisation")


def hr_spread_figure(hrs: np.ndarray, *, published: float | None = None, published_ci: tuple[float, float] | None = None,
                     true_hr: float | None = None, title: str | None = None, height: int = 360) -> go.Figure:
    """Histogram of estimated hazard ratios across replicate trials, against the published estimate.

    Examples
    --------
    >>> fig = hr_spread_figure(np.array([0.7, 0.75, 0.8]), published=0.72, published_ci=(0.6, 0.85))
    >>> fig.data[0].type
    'histogram'
    """
    hrs = np.asarray(hrs, dtype=float)
    hrs = hrs[np.isfinite(hrs)]
    fig = go.Figure()
    fig.add_trace(go.Histogram(x=hrs, nbinsx=40, marker=dict(color=arm_band_colour("intervention", 0.55),
                                                            line=dict(color=ARM_COLOURS["intervention"], width=0.6)),
                               name="Simulated trials", hovertemplate="HR %{x}: %{y} trials<extra></extra>"))
    # Reference lines are explained in the legend (dummy traces), not by labels that collide.
    shapes = [_vline(1.0, color="#bbb", width=1)]
    if published_ci is not None:
        shapes.append(_vrect(published_ci[0], published_ci[1], "#999", 0.15))
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=f"Published 95% CI ({published_ci[0]:.2f} to "
                                 f"{published_ci[1]:.2f})", marker=dict(symbol="square", size=12, color="rgba(153,153,153,0.35)")))
    if published is not None:
        shapes.append(_vline(published, color=PUBLISHED_COLOUR, width=2))
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=f"Published HR {published:.2f}",
                                 line=dict(color=PUBLISHED_COLOUR, width=2)))
    if true_hr is not None and math.isfinite(true_hr):
        shapes.append(_vline(true_hr, color=ARM_COLOURS["intervention"], width=1.5, dash="dash"))
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=f"Scenario's expected HR {true_hr:.2f}",
                                 line=dict(color=ARM_COLOURS["intervention"], width=1.5, dash="dash")))
    fig.update_layout(shapes=shapes)
    fig.update_layout(bargap=0.03, showlegend=True)
    return _base_layout(fig, title=title, height=height, y_title="Number of simulated trials",
                        x_title="Hazard ratio, walking + education vs control")


def log_minus_log_figure(data: pd.DataFrame, *, title: str | None = None, height: int = 380) -> go.Figure:
    """Log-minus-log survival against log time per arm: parallel lines support proportional hazards.

    Parameters
    ----------
    data : DataFrame
        Columns ``arm``, ``time`` and ``log_minus_log`` (``log(-log S(t))``).

    Examples
    --------
    >>> d = pd.DataFrame({"arm": ["control"] * 2, "time": [1.0, 10.0], "log_minus_log": [-3.0, -1.0]})
    >>> log_minus_log_figure(d).layout.xaxis.type
    'log'
    """
    fig = go.Figure()
    arms = list(dict.fromkeys(data["arm"].astype(str)))
    for i, arm in enumerate(sorted(arms, key=lambda a: ARM_ORDER.index(a) if a in ARM_ORDER else 9)):
        sub = data[data["arm"].astype(str) == arm]
        fig.add_trace(go.Scatter(
            x=sub["time"], y=sub["log_minus_log"], mode="lines", line=dict(color=arm_colour(arm, i), width=2, shape="hv"),
            name=arm_label(arm),
            hovertemplate=f"<b>{arm_label(arm)}</b><br>day %{{x:.0f}}: log(-log S) = %{{y:.2f}}<extra></extra>"))
    fig.update_xaxes(type="log")
    return _base_layout(fig, title=title, height=height, y_title="log(−log survival)", x_title="Days (log scale)")


def estimate_forest_figure(rows: pd.DataFrame, *, reference_line: float | None = 1.0, log_x: bool = True,
                           x_title: str = "Hazard ratio", title: str | None = None, height: int | None = None,
                           favours: tuple[str, str] | None = ("walking + education", "control")) -> go.Figure:
    """Dot-and-whisker plot comparing estimates, e.g. published vs simulated hazard ratios.

    Parameters
    ----------
    rows : DataFrame
        Columns ``label``, ``estimate``, ``lower``, ``upper`` and optionally ``kind``
        ("published", "simulated", "expected", ...) which sets the marker, and ``arm`` ("intervention",
        "control"), which gives a simulated row its arm's colour (otherwise the walking arm's).
    favours : (left, right), optional
        Arms favoured below and above the reference line (hazard ratios below 1 favour the
        first arm); written at the line. None leaves it out.

    Examples
    --------
    >>> r = pd.DataFrame({"label": ["Published"], "estimate": [0.72], "lower": [0.6], "upper": [0.85]})
    >>> float(estimate_forest_figure(r).data[0].x[0])
    0.72
    """
    rows = rows.reset_index(drop=True)
    symbols = {"published": "diamond", "simulated": "circle", "expected": "x"}
    colours = {"published": PUBLISHED_COLOUR, "simulated": ARM_COLOURS["intervention"], "expected": NEUTRAL}
    fig = go.Figure()
    labels = rows["label"].tolist()
    for i, row in rows.iterrows():
        kind = str(row.get("kind", "simulated"))
        arm = row.get("arm")
        colour = ARM_COLOURS.get(str(arm), colours.get(kind, NEUTRAL)) if kind == "simulated" and isinstance(arm, str) \
            else colours.get(kind, NEUTRAL)
        est, lo, hi = float(row["estimate"]), float(row["lower"]), float(row["upper"])
        has_ci = math.isfinite(lo) and math.isfinite(hi)
        fig.add_trace(go.Scatter(
            x=[est], y=[row["label"]], mode="markers", showlegend=False,
            marker=dict(symbol=symbols.get(kind, "circle"), size=12, color=colour),
            error_x=dict(type="data", symmetric=False, array=[hi - est], arrayminus=[est - lo], thickness=2, width=6,
                         color=colour) if has_ci else None,
            hovertemplate=(f"{row['label']}: {est:.3g}" + (f" (95% CI {lo:.3g} to {hi:.3g})" if has_ci else "")
                           + "<extra></extra>")))
    if reference_line is not None:
        fig.update_layout(shapes=[_vline(reference_line, color="#bbb", width=1)])
        if favours:
            # Which side of "no difference" favours which arm, written at the line itself.
            fig.add_annotation(x=math.log10(reference_line) if log_x else reference_line, y=1.0, yref="paper",
                               yanchor="bottom", xanchor="right", showarrow=False, text=f"← favours {favours[0]}  ",
                               font=dict(size=11, color=NEUTRAL))
            fig.add_annotation(x=math.log10(reference_line) if log_x else reference_line, y=1.0, yref="paper",
                               yanchor="bottom", xanchor="left", showarrow=False, text=f"  favours {favours[1]} →",
                               font=dict(size=11, color=NEUTRAL))
    # A fixed range from the estimates, CIs and the reference line (text annotations would stretch an autorange).
    values = [float(v) for col in ("estimate", "lower", "upper") for v in rows[col] if math.isfinite(float(v))
              and (float(v) > 0 or not log_x)]
    if reference_line is not None:
        values.append(float(reference_line))
    if values:
        lo_v, hi_v = min(values), max(values)
        if log_x:
            lo_l, hi_l = math.log10(lo_v), math.log10(hi_v)
            if reference_line is not None and favours:  # symmetric about "no difference": room for both labels
                ref = math.log10(reference_line)
                half = max(ref - lo_l, hi_l - ref)
                lo_l, hi_l = ref - half, ref + half
            pad = 0.08 * max(hi_l - lo_l, 0.05)
            fig.update_xaxes(range=[lo_l - pad, hi_l + pad])
        else:
            pad = 0.08 * max(hi_v - lo_v, 1e-9)
            fig.update_xaxes(range=[lo_v - pad, hi_v + pad])
    if log_x:
        fig.update_xaxes(type="log")
    fig.update_yaxes(categoryorder="array", categoryarray=labels[::-1], automargin=True)
    # Upright tick labels, few of them: in a narrow column Plotly would otherwise turn them on their side.
    fig.update_xaxes(tickangle=0, nticks=6)
    fig = _base_layout(fig, title=title, height=height or (110 + 46 * len(rows)), x_title=x_title)
    if reference_line is not None and favours:
        fig.update_layout(margin=dict(t=max(fig.layout.margin.t or 0, 40)))
    return fig
