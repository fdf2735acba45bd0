"""The current scenario and the share link: session state mirrored into the URL (not a page).

The current scenario lives in ``st.session_state`` and is mirrored into ``st.query_params`` (only the fields that
differ from the calibrated default, plus the seed), so a copied link reproduces the view. The router calls
:func:`sync_scenario_with_url` before every page. A page's own inputs travel in the link too (:func:`linked`).
Parameters the app does not know (``utm_*`` from a mail or an LMS) are left alone and never reset anything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from analysis.trial.scenario import Scenario
from analysis.trial.scenario import with_changes
from analysis.trial.sharing import CALIBRATE_PARAM, ShareError, decode_scenario, encode_scenario, scenario_query_keys
from app_support.caches import baseline_scenario, cached_calibration

SCENARIO_KEY = "walkback_scenario"
WRITTEN_KEY = "walkback_scenario_params"
VERSION_KEY = "walkback_scenario_version"
LINK_ERROR_KEY = "walkback_link_error"
#: (what the user set, its calibration) when the current scenario came from a calibration: the link then carries
#: the first and ``cal=1`` instead of the solved values.
CALIBRATED_FROM_KEY = "walkback_calibrated_from"

T = TypeVar("T")

#: The query parameters that describe the scenario; anything else in the link (a page's inputs, ``utm_*`` added by a
#: mail or an LMS) is not the scenario's business.
SCENARIO_PARAMS = scenario_query_keys() | {CALIBRATE_PARAM}


def _params_now() -> dict[str, str]:
    """The link's scenario parameters (others are left in the URL and never reset the scenario)."""
    return {k: v for k, v in st.query_params.to_dict().items() if k in SCENARIO_PARAMS}


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
    """Back to the calibrated model; the seed stays (chance is not a change to the model)."""
    set_scenario(with_changes(baseline_scenario(), {"seed": current_scenario().seed}))


def show_link_error() -> None:
    message = st.session_state.get(LINK_ERROR_KEY)
    if message:
        st.error(f"This link's scenario could not be used, so the calibrated WalkBack scenario is shown instead. "
                 f"{message[:1].upper()}{message[1:]}.", icon=":material/link_off:")


def is_default(scenario: Scenario) -> bool:
    """Whether the model is the calibrated default's; the seed (which trial of it) does not count."""
    base = baseline_scenario()
    return scenario == base or with_changes(scenario, {"seed": base.seed}) == base


def describe_changes(scenario: Scenario) -> list[str]:
    """Short "label = value" strings for what differs from the calibrated default."""
    from analysis.trial.sharing import PARAM_ALIASES, describe_value, field_label

    encoded = encode_scenario(scenario, baseline_scenario())
    out = []
    for alias in encoded:
        if alias not in PARAM_ALIASES:
            continue
        if alias == "seed":  # chance, not the model: shown beside the seed box, not as a change
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


# --------------------------------------------------------------------------- a page's own inputs in the link
LINKED_KEY = "walkback_linked_params"
LINKED_ERROR_KEY = "walkback_linked_error"


def linked(widget: Callable[..., T], param: str, default: Any, *args: Any, key: str,
           parse: Callable[[str], Any] = float, allowed: Callable[[Any], bool] | None = None,
           text: Callable[[Any], str] = lambda v: f"{v:g}" if isinstance(v, float) else str(v), **kwargs: Any) -> T:
    """Draw ``widget(*args, key=key, **kwargs)`` with its value carried by the link as ``param``.

    A link that names ``param`` sets the widget (once: afterwards the user's moves win and are written back); a value
    equal to ``default`` leaves the link. A value that does not parse or is not ``allowed`` (a slider's range, a
    select slider's options) is reported once and the widget keeps its default, never a traceback.
    ``param`` must not be one of the scenario's parameters.
    """
    if param in SCENARIO_PARAMS:
        raise ValueError(f"{param!r} is a scenario parameter, not a page input")
    written: dict[str, str] = st.session_state.setdefault(LINKED_KEY, {})
    raw = st.query_params.get(param)
    if raw is not None and raw != written.get(param):
        try:
            value = parse(raw)
            if allowed is not None and not allowed(value):
                raise ValueError
        except (ValueError, TypeError, OverflowError):
            st.session_state.setdefault(LINKED_ERROR_KEY, []).append(f"{param}={raw[:40]}")
            value = default
        st.session_state[key] = value
    elif key not in st.session_state:
        st.session_state[key] = default
    value = widget(*args, key=key, **kwargs)
    if value == default:
        st.query_params.pop(param, None)
        written.pop(param, None)
    else:
        written[param] = text(value)
        if st.query_params.get(param) != written[param]:
            st.query_params[param] = written[param]
    return value


def in_range(low: float, high: float) -> Callable[[Any], bool]:
    """``allowed=`` for a slider or number box from ``low`` to ``high``."""
    return lambda v: low <= v <= high


def one_of(options: Any) -> Callable[[Any], bool]:
    """``allowed=`` for a select slider, select box or radio over ``options``."""
    choices = tuple(options)
    return lambda v: v in choices


def show_linked_errors() -> None:
    """Say once which of the link's page inputs could not be used (the defaults are shown instead)."""
    bad = st.session_state.pop(LINKED_ERROR_KEY, None)
    if bad:
        st.warning("These settings in the link could not be used, so their defaults are shown: "
                   + ", ".join(bad) + ".", icon=":material/link_off:")
