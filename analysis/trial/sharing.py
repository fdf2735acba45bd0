"""Scenario <-> URL query parameters, so a copied link reproduces a view.

Sits beside the scenario stage: the app writes the current scenario into the address bar and
reads it back on load. Only the fields that differ from a base scenario (the calibrated WalkBack
scenario in the app) are written, under short aliases, plus the seed, e.g.
``?ns=0.2&ma=0.6&seed=7``. Floats are written in their shortest round-trip form, so decoding
gives back exactly the same scenario.

Decoding is defensive: the address bar is user input. Unknown parameters, unparsable numbers,
over-long values and out-of-range values all raise :class:`ShareError` with one message that
names the parameter; nothing else escapes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import fields
from typing import Any

from ..errors import ScenarioError
from .scenario import Scenario, scenario_from_dict

__all__ = ["CALIBRATE_PARAM", "FIELD_LABELS", "CHOICE_LABELS", "field_label", "describe_value", "ShareError", "PARAM_ALIASES", "IGNORED_PARAMS", "encode_scenario", "decode_scenario", "scenario_query_keys",
           "parse_field_text", "format_field"]

#: Short query-parameter name -> dotted scenario field. Every field of a scenario has one.
PARAM_ALIASES: dict[str, str] = {
    # design
    "n1": "design.n_intervention",
    "n0": "design.n_control",
    "blocks": "design.block_sizes",
    "rs": "design.recruitment_start",
    "re": "design.recruitment_end",
    "fe": "design.followup_end",
    "fu": "design.max_followup_months",
    "ltfu": "design.annual_loss_to_followup",
    "hist": "design.share_history_gt2",
    "ref": "design.share_referred_by_clinician",
    # outcome
    "bl": "outcome.baseline",
    "scale": "outcome.scale_days",
    "shape": "outcome.shape",
    "pst": "outcome.piece_starts_days",
    "phz": "outcome.piece_hazards_per_day",
    "hhr": "outcome.history_hr",
    "rsd": "outcome.baseline_risk_sd",
    # adherence
    "ns": "adherence.never_start",
    "ma": "adherence.mean_adherence",
    "as": "adherence.adherence_spread",
    "ha": "adherence.healthy_adherer_correlation",
    # walking
    "tgt": "walking.target_minutes",
    "bwm": "walking.baseline_minutes_mean",
    "bws": "walking.baseline_minutes_sd",
    "ramp": "walking.ramp_weeks",
    "pw": "walking.programme_weeks",
    "keep": "walking.maintained_fraction",
    "hl": "walking.post_programme_half_life_weeks",
    "cx": "walking.control_extra_minutes",
    # dose-response
    "dr": "dose_response.shape",
    "beta": "dose_response.log_hr_per_100_min",
    "emax": "dose_response.emax",
    "ed50": "dose_response.ed50_minutes",
    "edu": "dose_response.education_hr",
    # episodes
    "lthr": "episodes.limiting_threshold",
    "sev": "episodes.severity_shift_intervention",
    "nlhr": "episodes.nonlimiting_hr_intervention",
    "wpc": "episodes.worst_pain_centre",
    "wps": "episodes.worst_pain_per_severity",
    "ci0": "episodes.care_intercept",
    "cis": "episodes.care_per_severity",
    "cedu": "episodes.care_education_log_odds",
    "rsc": "episodes.recovery_scale_days",
    "rsh": "episodes.recovery_shape",
    "rhr": "episodes.recovery_hr_intervention",
    "rsv": "episodes.recovery_log_hr_per_severity",
    "le0": "episodes.ae_lower_extremity_rate_control",
    "le1": "episodes.ae_lower_extremity_rate_intervention",
    "ae0": "episodes.ae_other_rate_control",
    "ae1": "episodes.ae_other_rate_intervention",
    # clinics
    "ncl": "clinics.n_clinics",
    "csz": "clinics.size_distribution",
    "ccv": "clinics.size_cv",
    "icc": "clinics.icc",
    "rand": "clinics.randomise",
    # top level
    "seed": "seed",
    "name": "name",
}
_FIELD_TO_ALIAS = {path: alias for alias, path in PARAM_ALIASES.items()}

#: Plain-language label of every scenario field (what the app shows instead of the dotted name).
FIELD_LABELS: dict[str, str] = {
    "design.n_intervention": "Participants, walking + education",
    "design.n_control": "Participants, control",
    "design.block_sizes": "Permuted block sizes (comma-separated)",
    "design.max_followup_months": "Maximum follow-up (months)",
    "design.annual_loss_to_followup": "Annual loss to follow-up (share)",
    "design.share_history_gt2": "Share with more than two previous episodes",
    "design.share_referred_by_clinician": "Share referred by a clinician",
    "outcome.baseline": "Baseline hazard family",
    "outcome.scale_days": "Scale (days)",
    "outcome.shape": "Weibull shape",
    "outcome.piece_starts_days": "Piecewise: piece starts (days, comma-separated)",
    "outcome.piece_hazards_per_day": "Piecewise: hazards per day (comma-separated)",
    "outcome.history_hr": "Hazard ratio for more than two previous episodes",
    "outcome.baseline_risk_sd": "Frailty SD (log hazard)",
    "adherence.never_start": "Never start (share)",
    "adherence.mean_adherence": "Mean adherence among starters (share of target)",
    "adherence.adherence_spread": "Adherence spread (logit SD)",
    "adherence.healthy_adherer_correlation": "Healthy-adherer correlation",
    "walking.target_minutes": "Weekly target (min/week)",
    "walking.baseline_minutes_mean": "Baseline walking, mean (min/week)",
    "walking.baseline_minutes_sd": "Baseline walking, SD (min/week)",
    "walking.ramp_weeks": "Weeks to reach the plateau",
    "walking.programme_weeks": "Programme length (weeks)",
    "walking.maintained_fraction": "Extra walking kept after the programme (share)",
    "walking.post_programme_half_life_weeks": "Half-life of the post-programme drop (weeks)",
    "walking.control_extra_minutes": "Control arm's spontaneous extra walking (min/week)",
    "dose_response.shape": "Dose-response shape",
    "dose_response.log_hr_per_100_min": "Log-linear strength (log HR per 100 min/week)",
    "dose_response.emax": "Emax: largest hazard reduction",
    "dose_response.ed50_minutes": "ED50 (extra min/week for half the effect)",
    "dose_response.education_hr": "Education hazard ratio (starters)",
    "design.recruitment_start": "Recruitment start (date)",
    "design.recruitment_end": "Recruitment end (date)",
    "design.followup_end": "Follow-up end (date)",
    "episodes.limiting_threshold": "Severity at which an episode limits activity",
    "episodes.severity_shift_intervention": "Severity shift, walking + education",
    "episodes.nonlimiting_hr_intervention": "Non-limiting episodes: hazard ratio, walking + education",
    "episodes.worst_pain_centre": "Worst pain: centre (0-10)",
    "episodes.worst_pain_per_severity": "Worst pain per unit of severity",
    "episodes.care_intercept": "Care seeking: intercept (log odds)",
    "episodes.care_per_severity": "Care seeking per unit of severity (log odds)",
    "episodes.care_education_log_odds": "Care seeking after education (log odds)",
    "episodes.recovery_scale_days": "Recovery: Weibull scale (days)",
    "episodes.recovery_shape": "Recovery: Weibull shape",
    "episodes.recovery_hr_intervention": "Recovery hazard ratio, walking + education",
    "episodes.recovery_log_hr_per_severity": "Recovery: log HR per unit of severity",
    "episodes.ae_lower_extremity_rate_control": "Lower-limb adverse events per person, control",
    "episodes.ae_lower_extremity_rate_intervention": "Lower-limb adverse events per person, walking + education",
    "episodes.ae_other_rate_control": "Other adverse events per person, control",
    "episodes.ae_other_rate_intervention": "Other adverse events per person, walking + education",
    "clinics.n_clinics": "Number of clinics",
    "clinics.size_distribution": "Clinic sizes",
    "clinics.size_cv": "Clinic size CV (gamma sizes)",
    "clinics.icc": "Intraclass correlation (log-hazard scale)",
    "clinics.randomise": "Randomise by",
    "seed": "Seed",
    "name": "Scenario name",
}

#: How the choice fields' values read on screen.
CHOICE_LABELS: dict[str, dict[str, str]] = {
    "outcome.baseline": {"weibull": "Weibull", "exponential": "exponential (constant hazard)",
                         "piecewise_exponential": "piecewise exponential"},
    "dose_response.shape": {"log_linear": "log-linear", "emax": "saturating (Emax)", "none": "no walking effect"},
    "clinics.size_distribution": {"equal": "equal", "gamma": "unequal (gamma)"},
    "clinics.randomise": {"participant": "participant (stratified blocks)", "cluster": "clinic (cluster randomised)"},
}


def field_label(path: str) -> str:
    """The plain-language label of a scenario field (dotted path).

    Examples
    --------
    >>> field_label("design.annual_loss_to_followup")
    'Annual loss to follow-up (share)'
    """
    return FIELD_LABELS.get(path, path.split(".")[-1].replace("_", " ").capitalize())


def describe_value(path: str, value: Any) -> str:
    """A field's value as a person reads it: choices named, numbers to 3 significant figures.

    Examples
    --------
    >>> describe_value("dose_response.shape", "emax"), describe_value("outcome.scale_days", 283.63068597300185)
    ('saturating (Emax)', '284')
    """
    if path in CHOICE_LABELS:
        return CHOICE_LABELS[path].get(str(value), str(value))
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, (tuple, list)):
        return ", ".join(describe_value(path, v) for v in value)
    return str(value)

#: A link parameter saying "then recalibrate": the link carries what the user set, and the calibrated values are
#: re-solved on opening (the calibration's own output), never written as 17-digit user parameters.
CALIBRATE_PARAM = "cal"

#: Query parameters that belong to Streamlit or to pages, never to the scenario; decoding skips them.
IGNORED_PARAMS = frozenset({"embed", "embed_options", "page", "tab",
                            "class", "teach", "seat"})  # the live class's link: class code and the two tokens

MAX_VALUE_CHARS = 400
MAX_PARAMS = 60


class ShareError(ScenarioError):
    """A link's query parameters do not describe a valid scenario; ``str(err)`` says which and why."""


def scenario_query_keys() -> frozenset[str]:
    """Every query-parameter name the scenario may use."""
    return frozenset(PARAM_ALIASES)


def _get(scenario: Scenario, path: str) -> Any:
    if "." not in path:
        return getattr(scenario, path)
    section, name = path.split(".", 1)
    return getattr(getattr(scenario, section), name)


def _format(value: Any) -> str:
    if isinstance(value, bool):  # pragma: no cover - no boolean fields today
        return "1" if value else "0"
    if isinstance(value, float):
        # Shortest text that round-trips to the same float (Python's repr); whole numbers without ".0".
        return repr(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, (tuple, list)):
        return ",".join(_format(v) for v in value)
    return str(value)


def encode_scenario(scenario: Scenario, base: Scenario | None = None, *,
                    calibrated_from: Scenario | None = None) -> dict[str, str]:
    """Query parameters for ``scenario``: fields that differ from ``base``, plus the seed.

    Parameters
    ----------
    scenario : Scenario
    base : Scenario, optional
        The scenario a link without parameters means (the app passes the calibrated default).
        Defaults to ``Scenario()``.
    calibrated_from : Scenario, optional
        When ``scenario`` is the calibration of this scenario, the link carries this one (what
        the user set) plus ``cal=1``, and :func:`decode_scenario` re-solves the calibration.

    Returns
    -------
    dict of str -> str, in a stable order (the order of :data:`PARAM_ALIASES`, seed last).

    Examples
    --------
    >>> from analysis.trial.scenario import with_changes
    >>> s = with_changes(Scenario(), {"adherence.never_start": 0.2, "seed": 7})
    >>> encode_scenario(s)
    {'ns': '0.2', 'seed': '7'}
    >>> decode_scenario(encode_scenario(s)) == s
    True
    >>> encode_scenario(s, calibrated_from=with_changes(s, {"adherence.never_start": 0.3}))
    {'ns': '0.3', 'seed': '7', 'cal': '1'}
    """
    base = base if base is not None else Scenario()
    if calibrated_from is not None:
        return {**encode_scenario(calibrated_from, base), CALIBRATE_PARAM: "1"}
    out: dict[str, str] = {}
    for alias, path in PARAM_ALIASES.items():
        if path == "seed":
            continue
        value = _get(scenario, path)
        if value != _get(base, path):
            out[alias] = _format(value)
    out["seed"] = str(scenario.seed)
    return out


def _where(alias: str | None, path: str, text: str) -> str:
    """Who is at fault in a message: a link parameter, or (alias None) a field typed into a form."""
    return f"link parameter {alias}={text!r} ({path})" if alias else f"{field_label(path)}: {text!r}"


def _parse_number(alias: str | None, path: str, text: str, kind: type) -> int | float:
    cleaned = text.strip()
    if kind is int:
        try:
            return int(cleaned)
        except ValueError:
            raise ShareError(f"{_where(alias, path, text)} must be a whole number") from None
    try:
        value = float(cleaned)
    except ValueError:
        raise ShareError(f"{_where(alias, path, text)} must be a number") from None
    if not math.isfinite(value):
        raise ShareError(f"{_where(alias, path, text)} must be a finite number")
    return value


def _parse(alias: str | None, path: str, text: str, template: Any) -> Any:
    if isinstance(template, tuple):
        element = type(template[0]) if template else float
        parts = [p for p in text.split(",")]
        if not text.strip() or any(not p.strip() for p in parts):
            raise ShareError(f"{_where(alias, path, text)} must be a comma-separated list of numbers")
        return tuple(_parse_number(alias, path, p, element) for p in parts)
    if isinstance(template, bool):  # pragma: no cover - no boolean fields today
        return text.strip() in ("1", "true", "yes")
    if isinstance(template, int):
        return _parse_number(alias, path, text, int)
    if isinstance(template, float):
        return _parse_number(alias, path, text, float)
    return text


def format_field(value: Any) -> str:
    """A field's value as link text (lists comma-separated, shortest exact float text).

    Examples
    --------
    >>> format_field((4, 6, 8)), format_field(150.0), format_field(0.1)
    ('4,6,8', '150', '0.1')
    """
    return _format(value)


def parse_field_text(path: str, text: str, base: Scenario | None = None) -> Any:
    """Parse the text of one field (dotted path), typed like ``base``'s value; raises ShareError.

    Examples
    --------
    >>> parse_field_text("design.block_sizes", "4, 6")
    (4, 6)
    >>> parse_field_text("outcome.shape", "0.5")
    0.5
    """
    base = base if base is not None else Scenario()
    return _parse(None, path, str(text), _get(base, path))


def decode_scenario(params: Mapping[str, Any], base: Scenario | None = None, *,
                    recalibrate: Callable[[Scenario], Scenario] | None = None) -> Scenario:
    """The scenario described by query parameters (missing fields come from ``base``).

    Accepts the short aliases of :data:`PARAM_ALIASES` and, for hand-written links, the dotted
    field names (``adherence.never_start=0.2``). A repeated parameter (a list value) uses its
    last occurrence, as browsers and ``st.query_params`` do. Parameters in
    :data:`IGNORED_PARAMS` are skipped.

    A link with ``cal=1`` (see :func:`encode_scenario`) is decoded and then passed to
    ``recalibrate`` (the app passes the calibration); without ``recalibrate`` such a link is refused.

    Raises
    ------
    ShareError
        For an unknown parameter, a value that does not parse, or a scenario that fails validation.

    Examples
    --------
    >>> decode_scenario({"ns": "0.3"}).adherence.never_start
    0.3
    >>> decode_scenario({"ns": "lots"})
    Traceback (most recent call last):
    ...
    analysis.trial.sharing.ShareError: link parameter ns='lots' (adherence.never_start) must be a number
    >>> decode_scenario({"ns": "1.5"})
    Traceback (most recent call last):
    ...
    analysis.trial.sharing.ShareError: link parameter ns: adherence.never_start = 1.5 is out of range: allowed [0, 1]
    """
    base = base if base is not None else Scenario()
    if not isinstance(params, Mapping):
        raise ShareError("link parameters must be name=value pairs")
    relevant = {k: v for k, v in params.items() if k not in IGNORED_PARAMS}
    if CALIBRATE_PARAM in relevant:
        flag = relevant.pop(CALIBRATE_PARAM)
        flag = flag[-1] if isinstance(flag, (list, tuple)) and flag else flag
        if str(flag) != "1":
            raise ShareError(f"link parameter {CALIBRATE_PARAM}={flag!r} must be 1 (recalibrate) or left out")
        if recalibrate is None:
            raise ShareError("this link asks for the scenario to be recalibrated, which needs the calibration")
        return recalibrate(decode_scenario(relevant, base))
    if len(relevant) > MAX_PARAMS:
        raise ShareError(f"the link has {len(relevant)} parameters; a scenario uses at most {len(PARAM_ALIASES)}")
    nested: dict[str, Any] = {}
    seen: dict[str, str] = {}
    for key, raw in relevant.items():
        if isinstance(raw, (list, tuple)):
            if not raw:
                continue
            raw = raw[-1]
        if not isinstance(key, str):
            raise ShareError(f"link parameter {key!r} is not a name")
        if key in PARAM_ALIASES:
            alias, path = key, PARAM_ALIASES[key]
        elif key in _FIELD_TO_ALIAS:
            alias, path = key, key
        else:
            shown = key if len(key) <= 40 else key[:40] + "..."
            raise ShareError(
                f"link parameter {shown!r} is not part of a scenario; known parameters: {', '.join(PARAM_ALIASES)}")
        if path in seen:
            raise ShareError(f"link gives {path} twice (as {seen[path]!r} and {key!r}); keep one")
        seen[path] = key
        text = str(raw)
        if len(text) > MAX_VALUE_CHARS:
            raise ShareError(f"link parameter {alias} is {len(text)} characters long; at most {MAX_VALUE_CHARS} allowed")
        value = _parse(alias, path, text, _get(base, path))
        if "." in path:
            section, name = path.split(".", 1)
            nested.setdefault(section, {})[name] = value
        else:
            nested[path] = value
    try:
        return scenario_from_dict(nested, base=base)
    except ShareError:
        raise
    except ScenarioError as exc:
        message = str(exc)
        culprit = next((seen[p] for p in seen if p in message), None)
        prefix = f"link parameter {culprit}: " if culprit else "link parameters: "
        raise ShareError(prefix + message) from None


def _field_paths() -> list[str]:  # pragma: no cover - used by tests to check alias coverage
    from .scenario import SECTIONS

    paths = [f"{section}.{f.name}" for section, cls in SECTIONS.items() for f in fields(cls)]
    return [*paths, "seed", "name"]
