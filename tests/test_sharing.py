"""Scenario <-> URL query parameters: compact, exact, and defensive against bad links."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.trial.scenario import Scenario, with_changes
from analysis.trial.sharing import (
    IGNORED_PARAMS,
    PARAM_ALIASES,
    ShareError,
    _field_paths,
    decode_scenario,
    encode_scenario,
    parse_field_text,
)


def test_every_field_has_one_alias():
    assert sorted(PARAM_ALIASES.values()) == sorted(_field_paths())
    assert len(set(PARAM_ALIASES)) == len(PARAM_ALIASES)


def test_default_encodes_to_seed_only(walkback):
    assert encode_scenario(walkback, walkback) == {"seed": str(walkback.seed)}
    assert decode_scenario({}, base=walkback) == walkback


def test_round_trip_is_exact_for_calibrated_floats(walkback):
    from analysis.model.calibration import calibrate

    changed = calibrate(with_changes(walkback, {"adherence.never_start": 0.3, "seed": 99})).scenario
    params = encode_scenario(changed, walkback)
    assert params["ns"] == "0.3" and params["seed"] == "99"
    assert "scale" in params and "beta" in params
    assert decode_scenario(params, base=walkback) == changed


def test_round_trip_of_lists_strings_and_ints(walkback):
    s = with_changes(walkback, {"design.block_sizes": (2, 4), "outcome.baseline": "piecewise_exponential",
                                "outcome.piece_starts_days": (0.0, 10.0), "outcome.piece_hazards_per_day": (0.01, 0.002),
                                "design.n_intervention": 10, "design.n_control": 12, "name": "tiny trial"})
    params = encode_scenario(s, walkback)
    assert params["blocks"] == "2,4" and params["n1"] == "10" and params["bl"] == "piecewise_exponential"
    assert decode_scenario(params, base=walkback) == s


def test_dotted_names_and_repeated_values_are_accepted(walkback):
    s = decode_scenario({"adherence.never_start": "0.25", "ma": ["0.5", "0.6"]}, base=walkback)
    assert s.adherence.never_start == 0.25 and s.adherence.mean_adherence == 0.6


def test_streamlit_params_are_ignored(walkback):
    assert decode_scenario({name: "true" for name in IGNORED_PARAMS}, base=walkback) == walkback


@pytest.mark.parametrize("params, fragment", [
    ({"ns": "lots"}, "ns='lots' (adherence.never_start) must be a number"),
    ({"ns": "1.5"}, "link parameter ns: adherence.never_start = 1.5 is out of range"),
    ({"ns": "nan"}, "must be a finite number"),
    ({"ns": "inf"}, "must be a finite number"),
    ({"n1": "3.5"}, "must be a whole number"),
    ({"n1": "0"}, "n_intervention = 0 is out of range"),
    ({"blocks": "4,,6"}, "comma-separated list"),
    ({"blocks": "3"}, "block size must be an even whole number"),
    ({"bl": "gompertz"}, "outcome.baseline = 'gompertz' is not allowed"),
    ({"nevr_start": "0.2"}, "'nevr_start' is not part of a scenario"),
    ({"ns": "0.1", "adherence.never_start": "0.2"}, "twice"),
    ({"ns": "1" * 1000}, "characters long"),
    ({"seed": "-1"}, "seed = -1 is out of range"),
    ({"rs": "yesterday"}, "not a valid date"),
    ({"pst": "0,10", "phz": "0.1"}, "give one hazard per piece"),
])
def test_bad_links_raise_one_clear_message(walkback, params, fragment):
    with pytest.raises(ShareError) as info:
        decode_scenario(params, base=walkback)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_too_many_parameters_are_refused(walkback):
    with pytest.raises(ShareError, match="parameters"):
        decode_scenario({f"x{i}": "1" for i in range(100)}, base=walkback)


def test_not_a_mapping():
    with pytest.raises(ShareError):
        decode_scenario(["ns=1"])  # type: ignore[arg-type]


def test_parse_field_text():
    assert parse_field_text("design.block_sizes", " 4, 8 ") == (4, 8)
    assert parse_field_text("seed", "12") == 12
    with pytest.raises(ShareError):
        parse_field_text("outcome.shape", "steep")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(never_start=st.floats(0, 1), mean_adherence=st.floats(0, 1), target=st.floats(0, 1000),
       seed=st.integers(0, 2**63 - 1), history_hr=st.floats(0.1, 10))
def test_any_valid_scenario_round_trips(never_start, mean_adherence, target, seed, history_hr):
    base = Scenario()
    s = with_changes(base, {"adherence.never_start": never_start, "adherence.mean_adherence": mean_adherence,
                            "walking.target_minutes": target, "outcome.history_hr": history_hr, "seed": seed})
    back = decode_scenario(encode_scenario(s, base), base=base)
    assert back == s
    assert math.isclose(back.walking.target_minutes, target, rel_tol=0, abs_tol=0)


@settings(max_examples=200, deadline=None)
@given(params=st.dictionaries(st.sampled_from(sorted(PARAM_ALIASES) + ["junk", "adherence.never_start"]),
                              st.text(max_size=30), max_size=6))
def test_arbitrary_text_never_escapes_as_another_error(params):
    try:
        decode_scenario(params)
    except ShareError as exc:
        assert str(exc)
