"""What every page shares: the current scenario (kept in the URL), bounded caches, small widgets.

Not a page (the router never lists it). Pages call :func:`current_scenario` and the cached
library calls below; nothing here computes a statistic.

The current scenario lives in ``st.session_state`` and is mirrored into ``st.query_params``
(only the fields that differ from the calibrated default, plus the seed), so a copied link
reproduces the view. The router calls :func:`sync_scenario_with_url` before every page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from analysis.model.calibration import CalibrationReport, calibrate
from analysis.model.default import default_scenario
from analysis.model.expectation import ExpectedTrial, expected_trial
from analysis.errors import WalkBackInputError
from analysis.model.costs import Economics
from analysis.trial.scenario import Scenario
from analysis.trial.sharing import IGNORED_PARAMS, ShareError, decode_scenario, encode_scenario
from analysis.simulate.engine import simulate_trial

SCENARIO_KEY = "walkback_scenario"
WRITTEN_KEY = "walkback_scenario_params"
VERSION_KEY = "walkback_scenario_version"
LINK_ERROR_KEY = "walkback_link_error"
#: (what the user set, its calibration) when the current scenario came from a calibration: the link then carries
#: the first and ``cal=1`` instead of the solved values.
CALIBRATED_FROM_KEY = "walkback_calibrated_from"

T = TypeVar("T")

#: Frozen scenarios are cache keys everywhere; their repr names every field exactly and is far cheaper to hash than
#: Streamlit's generic object walk.
HASH_FUNCS = {Scenario: repr, Economics: repr}
#: Cached results live at most this long (seconds) and in bounded numbers, so memory stays bounded under load.
CACHE_TTL = 3600


def memo(max_entries: int, show_spinner: bool | str = False):
    """A bounded, shared, copy-free cache for library results (treated as read-only by every page).

    ``st.cache_resource`` hands every session the same object, so a cached analysis costs nothing to reuse
    (``st.cache_data`` would unpickle a copy on every run).
    """
    return st.cache_resource(max_entries=max_entries, ttl=CACHE_TTL, show_spinner=show_spinner, hash_funcs=HASH_FUNCS)


# --------------------------------------------------------------------------- caches (bounded, keyed on frozen scenarios)
@st.cache_resource(show_spinner="Calibrating the WalkBack scenario to the published trial...")
def baseline_scenario() -> Scenario:
    """The calibrated WalkBack scenario (the library stores it solved, so this is quick)."""
    return default_scenario()


@memo(64, show_spinner=False)
def cached_expected(scenario: Scenario) -> ExpectedTrial:
    return expected_trial(scenario)


@memo(64, show_spinner=False)
def cached_walking(scenario: Scenario):
    from analysis.studies.whatif import walking_trajectory

    return walking_trajectory(scenario)


@memo(16, show_spinner="Simulating the trial...")
def cached_cohort(scenario: Scenario, seed: int):
    return simulate_trial(scenario, seed=seed)


@memo(16, show_spinner="Recalibrating to the published trial...")
def cached_calibration(scenario: Scenario, fit_loss_to_followup: bool = True) -> CalibrationReport:
    return calibrate(scenario, fit_loss_to_followup=fit_loss_to_followup)


@memo(32, show_spinner=False)
def fit_report(scenario: Scenario):
    """The calibration report's table for ``scenario`` as it stands (nothing re-solved), or None."""
    from analysis.model.calibration import compare_with_published

    try:
        return compare_with_published(scenario).summary
    except (ValueError, ArithmeticError):  # a degenerate scenario: the page says the table is unavailable
        return None


# --------------------------------------------------------------------------- the current scenario and the URL
def _params_now() -> dict[str, str]:
    """Every query parameter except Streamlit's own: an unknown one is a typo worth reporting."""
    return {k: v for k, v in st.query_params.to_dict().items() if k not in IGNORED_PARAMS}


def _calibrated_from(scenario: Scenario) -> Scenario | None:
    pair = st.session_state.get(CALIBRATED_FROM_KEY)
    return pair[0] if pair is not None and pair[1] == scenario and scenario != baseline_scenario() else None


def _recalibrate(scenario: Scenario) -> Scenario:
    """What a ``cal=1`` link asks for: the calibration of what the user set (cached, so a link opens quickly)."""
    try:
        solved = cached_calibration(scenario).scenario
    except (ValueError, ArithmeticError) as exc:
        raise ShareError(f"the link's scenario could not be recalibrated ({exc})") from None
    st.session_state[CALIBRATED_FROM_KEY] = (scenario, solved)
    return solved


def _write_params(scenario: Scenario) -> None:
    encoded = encode_scenario(scenario, baseline_scenario(), calibrated_from=_calibrated_from(scenario))
    current = _params_now()
    if current != encoded:
        for key in current:
            if key not in encoded:
                del st.query_params[key]
        st.query_params.update(encoded)
    st.session_state[WRITTEN_KEY] = encoded


def sync_scenario_with_url() -> Scenario:
    """Decide the current scenario from the session and the URL, then mirror it into the URL.

    A link opened in a new session (or edited by hand) wins; navigating between pages keeps the
    session's scenario even when the navigation dropped the query string. A bad link shows an
    error once and falls back to the default scenario, never a traceback.
    """
    base = baseline_scenario()
    params = _params_now()
    have = SCENARIO_KEY in st.session_state
    if not have or (params and params != st.session_state.get(WRITTEN_KEY)):
        try:
            scenario = decode_scenario(params, base=base, recalibrate=_recalibrate) if params else base
            st.session_state.pop(LINK_ERROR_KEY, None)
        except ShareError as exc:
            scenario = st.session_state.get(SCENARIO_KEY, base)
            st.session_state[LINK_ERROR_KEY] = str(exc)
        if scenario != st.session_state.get(SCENARIO_KEY):
            st.session_state[VERSION_KEY] = st.session_state.get(VERSION_KEY, 0) + 1
        st.session_state[SCENARIO_KEY] = scenario
    _write_params(st.session_state[SCENARIO_KEY])
    return st.session_state[SCENARIO_KEY]


def current_scenario() -> Scenario:
    """The scenario every page analyses (the calibrated default until someone changes it)."""
    if SCENARIO_KEY not in st.session_state:
        return sync_scenario_with_url()
    return st.session_state[SCENARIO_KEY]


def scenario_version() -> int:
    """Changes whenever the current scenario is replaced; widget keys include it so they re-seed."""
    return int(st.session_state.get(VERSION_KEY, 0))


def set_scenario(scenario: Scenario, *, calibrated_from: Scenario | None = None) -> None:
    """Make ``scenario`` current (session and URL).

    ``calibrated_from``: the scenario whose calibration ``scenario`` is, so the link carries what the user set.
    """
    if calibrated_from is not None:
        st.session_state[CALIBRATED_FROM_KEY] = (calibrated_from, scenario)
    if scenario != st.session_state.get(SCENARIO_KEY):
        st.session_state[VERSION_KEY] = scenario_version() + 1
    st.session_state[SCENARIO_KEY] = scenario
    st.session_state.pop(LINK_ERROR_KEY, None)
    _write_params(scenario)


def reset_scenario() -> None:
    set_scenario(baseline_scenario())


def show_link_error() -> None:
    message = st.session_state.get(LINK_ERROR_KEY)
    if message:
        st.error(f"This link's scenario could not be used, so the calibrated WalkBack scenario is shown instead. "
                 f"{message[:1].upper()}{message[1:]}.", icon=":material/link_off:")


def is_default(scenario: Scenario) -> bool:
    return scenario == baseline_scenario()


def describe_changes(scenario: Scenario) -> list[str]:
    """Short "label = value" strings for what differs from the calibrated default."""
    from analysis.trial.sharing import PARAM_ALIASES, describe_value, field_label

    encoded = encode_scenario(scenario, baseline_scenario())
    out = []
    for alias in encoded:
        if alias not in PARAM_ALIASES:
            continue
        if alias == "seed" and scenario.seed == baseline_scenario().seed:
            continue
        path = PARAM_ALIASES[alias]
        value = scenario.seed if path == "seed" else scenario.name if path == "name" else \
            getattr(getattr(scenario, path.split(".")[0]), path.split(".")[1])
        out.append(f"{field_label(path)} = {describe_value(path, value)}")
    return out


def describe_solved(free_parameters: dict) -> str:
    """What a calibration solved, in words ("Scale (days) = 267; ...")."""
    from analysis.trial.sharing import describe_value, field_label

    parts = []
    for name, value in free_parameters.items():
        path = "outcome.piece_hazards_per_day" if name.startswith("piecewise.") else name
        parts.append(f"{field_label(path)} = {describe_value(path, tuple(value) if isinstance(value, list) else value)}")
    return "; ".join(dict.fromkeys(parts))


# --------------------------------------------------------------------------- one seed, remembered settings
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


_PLOT_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


def _detach_title(fig: Any) -> tuple[Any, str | None]:
    """Move a figure's title out of the figure: Streamlit draws it above the chart, clear of a wrapping legend."""
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


def _draw(fig: Any, title: str | None, key: str | None) -> None:
    if title:
        st.markdown(f"<div style='font-weight:600;font-size:1.02rem;margin:0.3rem 0 -0.4rem 0'>{title}</div>",
                    unsafe_allow_html=True)
    st.plotly_chart(fig, key=key, theme=None, config=_PLOT_CONFIG, width="stretch")


def plot(fig: Any, key: str | None = None) -> None:
    """Render a Plotly figure with the app's options (no mode-bar clutter beyond download).

    A figure's title is drawn by Streamlit above the chart, so a legend that wraps onto several
    lines never runs into it.
    """
    _draw(*_detach_title(fig), key)


def plot_cached(builder: Callable[..., Any], *args: Any, key: str | None = None, **kwargs: Any) -> None:
    """:func:`plot` of ``builder(*args, **kwargs)``, built once per distinct input (see :func:`figure`)."""
    _draw(*figure(builder, *args, **kwargs), key)


def page_header(title: str, caption: str) -> None:
    st.title(title)
    st.caption(caption)
    show_link_error()
