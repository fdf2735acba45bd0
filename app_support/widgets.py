"""Small widgets every page shares: the page header, the one seed, remembered settings, guarded calls (not a page)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from analysis.errors import WalkBackInputError
from app_support.url_state import current_scenario, scenario_version, set_scenario, show_link_error

T = TypeVar("T")

MEMO_PREFIX = "walkback_memo_"


def remembered(name: str, default: T) -> T:
    """The value a setting had when last shown, on any page (Streamlit drops widget state when a page is left).

    Pass the result as the widget's default and call :func:`remember` with what the widget returns.
    """
    return st.session_state.get(MEMO_PREFIX + name, default)


def remember(name: str, value: T) -> T:
    st.session_state[MEMO_PREFIX + name] = value
    return value


def _seed_changed(widget_key: str) -> None:
    from analysis.trial.scenario import with_changes

    value = int(st.session_state[widget_key])
    scenario = current_scenario()
    if value != scenario.seed:
        set_scenario(with_changes(scenario, {"seed": value}))


def seed_input(where: Any = None, *, label: str = "Seed", help: str | None = None) -> int:
    """The one seed of the app: the current scenario's, shown on any page; changing it changes it everywhere.

    The seed is part of the scenario, so it travels in the link and every page uses the same one.
    """
    scenario = current_scenario()
    target = where if where is not None else st
    widget_key = f"seed_{scenario_version()}"
    target.number_input(label, min_value=0, max_value=(1 << 53) - 1, value=min(int(scenario.seed), (1 << 53) - 1),
                        step=1, key=widget_key, on_change=_seed_changed, args=(widget_key,),
                        help=(help or "") + " The seed is part of the scenario: every page and the link use it.")
    return int(current_scenario().seed)


# --------------------------------------------------------------------------- errors and formatting
def trial_count(where: Any, label: str, options: Any, value: int, *, key: str, help: str | None = None) -> int:
    """How many trials to simulate: a row of buttons, not a slider.

    Each value is a Monte Carlo run of seconds; on a select-slider every arrow key a keyboard user presses on the way
    to 1,000 started a run (100, 200, 500, 1,000), while a button commits one value (Tab to it, Enter or Space).
    """
    where = st if where is None else where
    chosen = where.segmented_control(label, list(options), default=value, required=True, key=key, help=help,
                                     format_func=lambda v: f"{v:,}")
    return int(value if chosen is None else chosen)


def guarded(action: Callable[[], T], what: str, *, untrusted: bool = False) -> T | None:
    """Run a library call; show a user-facing error (never a traceback) when the input is unusable.

    ``untrusted=True`` (uploaded files) turns any failure into a message: a file from outside can
    break a library in ways nobody listed.
    """
    try:
        return action()
    except WalkBackInputError as exc:
        st.error(f"{what}: {exc}", icon=":material/error:")
    except (ValueError, ArithmeticError, RecursionError) as exc:  # numerical failures on extreme inputs
        st.error(f"{what} failed: {_first_line(exc)}", icon=":material/error:")
    except Exception as exc:
        if not untrusted:
            raise
        st.error(f"{what} failed: {_first_line(exc)}", icon=":material/error:")
    return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


def page_header(title: str, caption: str) -> None:
    st.title(title)
    st.caption(caption)
    show_link_error()


#: The app's own style on top of the theme (``.streamlit/config.toml``): what the theme has no setting for.
#: Captions and code in captions at AA contrast (Streamlit fades captions to 4.0:1 and their code to 3.0:1); a visible
#: focus ring on everything a keyboard reaches; tab rows that wrap at 800 px instead of hiding tabs behind an arrow;
#: headings in order (h1 title, h2 sections: axe's heading-order) at the sizes sections had as h3 (cards' h2 smaller).
STYLE = """<style>
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p { color: #52606D; opacity: 1; }
[data-testid="stCaptionContainer"] code, [data-testid="stMarkdownContainer"] code { color: #1F2933; }
[data-testid="stWidgetLabel"] p, [data-testid="stMetricLabel"] p { color: #1F2933; }
:focus-visible { outline: 2px solid #0072B2 !important; outline-offset: 2px; }
[data-testid="stMain"] h2 { font-size: 1.6rem; }
[class*="st-key-card_"] h2 { font-size: 1.2rem; }
[data-testid="stTabs"] [role="tablist"] { flex-wrap: wrap; row-gap: 0.25rem; overflow-x: visible; }
</style>"""


def apply_style() -> None:
    """Add :data:`STYLE` to the page (the router calls this once per run)."""
    st.html(STYLE)
