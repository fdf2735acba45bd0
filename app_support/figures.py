"""Figures built once per input and drawn with the app's options (not a page).

Building a Plotly figure validates every property and costs far more than drawing it, so figures are cached (bounded,
shared by every session) by their builder and inputs (:func:`plot_cached`) or by a key that determines the inputs
(:func:`plot_keyed`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from analysis.plots.figures import distinguish_arms, figure_as_text
from app_support.caches import memo

# One toolbar button (save as PNG): a full toolbar adds eight tab stops to every chart and covers legends.
_PLOT_CONFIG = {"displaylogo": False, "modeBarButtons": [["toImage"]]}


def _detach_title(fig: Any) -> tuple[Any, str | None]:
    """Move a figure's title out of the figure: Streamlit draws it above the chart, clear of a wrapping legend.

    Also the app's accessibility pass: every arm's line gets its marker symbol (arms differ by more than colour).
    """
    distinguish_arms(fig)
    title = fig.layout.title.text if fig.layout.title is not None else None
    if title:
        fig.update_layout(title=None, margin=dict(t=30))
    return fig, title


def _frozen(fig: Any) -> Any:
    """A cached figure that hands out its spec without rebuilding it.

    ``st.plotly_chart`` calls ``fig.to_dict()`` on every run, which deep-copies the figure and re-encodes every
    array; a figure that never changes can give the same dict each time (Streamlit only reads it).
    """
    spec = fig.to_dict()
    fig.to_dict = lambda: spec
    return fig


@memo(256)
def _built_figure(_builder: Callable[..., Any], builder_name: str, args: tuple, kwargs: dict) -> tuple[Any, str | None]:
    fig, title = _detach_title(_builder(*args, **kwargs))
    return _frozen(fig), title


def figure(builder: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, str | None]:
    """Build a Plotly figure once for these inputs (bounded, shared by every session) and return it with its title.

    Building a figure validates every property in Plotly and costs far more than drawing it, so pages pass the
    builder and its inputs here rather than building on each run. The cached figure is shared: never mutate it.
    """
    return _built_figure(builder, f"{builder.__module__}.{builder.__qualname__}", args, kwargs)


@memo(256)
def _keyed_figure(_builder: Callable[..., Any], _args: tuple, builder_name: str, cache_key: Any,
                  kwargs: dict) -> tuple[Any, str | None]:
    fig, title = _detach_title(_builder(*_args, **kwargs))
    return _frozen(fig), title


def plot_keyed(cache_key: Any, builder: Callable[..., Any], *args: Any, key: str | None = None, **kwargs: Any) -> None:
    """Like :func:`plot_cached`, but the (large) positional inputs are identified by ``cache_key`` instead of hashed.

    ``cache_key`` must determine ``args`` (e.g. the frozen scenario and seed they were computed from); keyword
    arguments (display options) are hashed as usual.
    """
    _draw(*_keyed_figure(builder, args, f"{builder.__module__}.{builder.__qualname__}", cache_key, kwargs), key)


def prebuild_keyed(cache_key: Any, builder: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Build (and cache) what :func:`plot_keyed` would draw, without drawing it: the server warm-up uses this."""
    _keyed_figure(builder, args, f"{builder.__module__}.{builder.__qualname__}", cache_key, kwargs)


def _markdown_numbers(fig: Any) -> str:
    """The figure's numbers as a Markdown table ("" when it has no named series)."""
    table = figure_as_text(fig)
    if table.empty:
        return ""
    return "| Series | Values (x: y) |\n|---|---|\n" + "\n".join(
        f"| {row.series} | {row._2} |" for row in table.itertuples())


@memo(256)
def _cached_numbers(_fig: Any, fig_id: int) -> str:
    """:func:`_markdown_numbers` of a cached figure (alive in its cache, so its id is its identity; never mutated)."""
    return _markdown_numbers(_fig)


def _draw(fig: Any, title: str | None, key: str | None, *, cached: bool = True) -> None:
    if title:
        st.markdown(f"<div style='font-weight:600;font-size:1.02rem;margin:0.3rem 0 -0.4rem 0'>{title}</div>",
                    unsafe_allow_html=True)
    st.plotly_chart(fig, key=key, theme=None, config=_PLOT_CONFIG, width="stretch")
    text = _cached_numbers(fig, id(fig)) if cached else _markdown_numbers(fig)
    if text:  # a text alternative: the chart's values without hovering (screen readers, keyboards, print)
        with st.expander(f"{title or 'Chart'}: the numbers", icon=":material/table_rows:"):
            st.markdown(text)


def plot(fig: Any, key: str | None = None) -> None:
    """Render a Plotly figure with the app's options (no mode-bar clutter beyond download).

    A figure's title is drawn by Streamlit above the chart, so a legend that wraps onto several
    lines never runs into it.
    """
    _draw(*_detach_title(fig), key, cached=False)


def plot_cached(builder: Callable[..., Any], *args: Any, key: str | None = None, **kwargs: Any) -> None:
    """:func:`plot` of ``builder(*args, **kwargs)``, built once per distinct input (see :func:`figure`)."""
    _draw(*figure(builder, *args, **kwargs), key)
