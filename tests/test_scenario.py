"""Scenario dataclasses: validation messages, JSON round trips, partial files, hashing."""

import json
import pickle

import pytest

from analysis.errors import ScenarioError
from analysis.trial.scenario import (
    ASSUMPTIONS,
    Scenario,
    load_scenario_file,
    scenario_from_dict,
    scenario_from_json,
    with_changes,
)


def test_defaults_come_from_the_published_figures():
    s = Scenario()
    assert (s.design.n_intervention, s.design.n_control) == (351, 350)
    assert s.design.block_sizes == (4, 6, 8)
    assert (s.design.recruitment_start, s.design.recruitment_end) == ("2019-09-23", "2022-06-10")
    assert s.walking.target_minutes == 150


def test_json_round_trip_is_exact(walkback):
    assert scenario_from_json(walkback.to_json()) == walkback
    assert scenario_from_json(walkback.to_json(indent=None).encode()) == walkback


def test_hashable_and_picklable(walkback):
    assert hash(walkback) == hash(scenario_from_json(walkback.to_json()))
    assert pickle.loads(pickle.dumps(walkback)) == walkback


def test_partial_dict_keeps_the_base(walkback):
    s = scenario_from_dict({"adherence": {"never_start": 0.3}}, base=walkback)
    assert s.adherence.never_start == 0.3
    assert s.outcome == walkback.outcome and s.dose_response == walkback.dose_response


@pytest.mark.parametrize(
    "path, value, expected",
    [
        ("adherence.never_start", 1.5, "adherence.never_start = 1.5 is out of range: allowed [0, 1]"),
        ("adherence.mean_adherence", -0.1, "adherence.mean_adherence = -0.1 is out of range: allowed [0, 1]"),
        ("design.n_intervention", 0, "design.n_intervention = 0 is out of range"),
        ("design.n_control", 3.5, "design.n_control = 3.5 must be a whole number"),
        ("design.annual_loss_to_followup", float("nan"), "design.annual_loss_to_followup = nan must be a finite number"),
        ("design.block_sizes", (4, 5), "design.block_sizes contains 5"),
        ("design.recruitment_end", "2019-01-01", "is before recruitment_start"),
        ("design.followup_end", "2022-13-40", "is not a valid date"),
        ("outcome.baseline", "gompertz", "outcome.baseline = 'gompertz' is not allowed: choose one of weibull"),
        ("outcome.shape", 0.0, "outcome.shape = 0.0 is out of range: allowed [0.1, 5]"),
        ("outcome.piece_starts_days", (5.0, 10.0, 20.0, 30.0, 40.0, 50.0), "must start with 0"),
        ("outcome.piece_hazards_per_day", (0.1,), "has 1 entries but piece_starts_days has 6"),
        ("walking.ramp_weeks", 40, "walking.ramp_weeks = 40 is longer than programme_weeks = 26"),
        ("dose_response.shape", "linear", "choose one of log_linear, emax, none"),
        ("dose_response.emax", 1.2, "dose_response.emax = 1.2 is out of range"),
        ("adherence.never_start", True, "must be a number"),
        ("adherence.never_start", "0.2", "must be a number"),
    ],
)
def test_invalid_values_name_field_value_and_range(path, value, expected):
    with pytest.raises(ScenarioError) as info:
        with_changes(Scenario(), {path: value})
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


def test_unknown_fields_are_rejected_not_ignored():
    with pytest.raises(ScenarioError, match="unknown field 'walking.target_minutse'"):
        scenario_from_dict({"walking": {"target_minutse": 100}})
    with pytest.raises(ScenarioError, match="unknown field 'colour'"):
        scenario_from_dict({"colour": "blue"})
    with pytest.raises(ScenarioError, match="must be an object"):
        scenario_from_dict({"walking": [1, 2]})
    with pytest.raises(ScenarioError, match="must be a JSON object"):
        scenario_from_dict([1, 2])


@pytest.mark.parametrize(
    "text, expected",
    [
        ("{", "not valid JSON"),
        ('{"seed": NaN}', "NaN"),
        (b"\xff\xfe", "not UTF-8"),
        ('{"seed": -1}', "scenario.seed = -1 is out of range"),
    ],
)
def test_bad_json_text(text, expected):
    with pytest.raises(ScenarioError, match=expected):
        scenario_from_json(text)


def test_scenario_file_errors_name_the_file(tmp_path):
    with pytest.raises(ScenarioError, match="does not exist"):
        load_scenario_file(str(tmp_path / "missing.json"))
    with pytest.raises(ScenarioError, match="is a directory"):
        load_scenario_file(str(tmp_path))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"adherence": {"never_start": -1}}))
    with pytest.raises(ScenarioError, match=r"scenario file '.*bad.json': adherence.never_start = -1"):
        load_scenario_file(str(bad))


def test_every_assumption_names_a_real_field():
    s = Scenario().to_dict()
    for path in ASSUMPTIONS:
        section, name = path.split(".")
        assert name in s[section], path
