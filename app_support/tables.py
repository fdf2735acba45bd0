"""Tables as static HTML, the app's one way to show a small table (not a page).

``st.table`` renders a real ``<table>``: screen readers read its headers, its cells wrap so it fits at 800 px, and it
needs none of the data grid's 1.3 MB of JavaScript. :func:`show_table` takes what a page would have passed to
``st.dataframe`` (``column_config`` labels, help and number formats), so a page swaps one call for the other; raw
data that is meant to scroll sideways (a cohort preview) stays in the grid, inside :func:`wide_grid`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from analysis.formats import format_cell


def _formatter(config: dict | None):
    fmt = ((config or {}).get("type_config") or {}).get("format")
    if fmt == "percent":
        return lambda v: format_cell(100 * v) + "%" if pd.notna(v) else "–"
    if isinstance(fmt, str) and fmt.startswith("%"):
        return lambda v: (fmt % v) if isinstance(v, (int, float)) and pd.notna(v) else format_cell(v)
    return format_cell


def show_table(data: pd.DataFrame, *, column_config: dict[str, Any] | None = None, hide_index: bool = True,
          caption_help: bool = True, **_grid_only: Any) -> None:
    """Show ``data`` as a static table; ``column_config`` as for ``st.dataframe`` (labels, help, formats; ``None``
    hides a column). Every number is written by :func:`analysis.formats.format_cell` unless a format is given.
    Options that only the grid has (height, width) are ignored."""
    config = dict(column_config or {})
    shown = pd.DataFrame(index=data.index)
    helps = []
    for column in data.columns:
        cfg = config.get(column, {})
        if column in config and cfg is None:
            continue
        if isinstance(cfg, str):
            cfg = {"label": cfg}
        label = cfg.get("label") or str(column)
        values = data[column]
        shown[label] = [_formatter(cfg)(v) for v in values] if values.dtype.kind in "fiucO" else values
        if cfg.get("help"):
            helps.append(f"**{label}**: {cfg['help']}")
    st.table(shown, hide_index=hide_index)
    if helps and caption_help:
        st.caption(" · ".join(helps))


def wide_grid(data: pd.DataFrame, **kwargs: Any) -> None:
    """Raw data in the scrolling grid (many columns, meant to scroll sideways at any width)."""
    with st.container(key=f"wide_grid_{kwargs.get('key', id(data))}"):
        st.dataframe(data, **kwargs)
