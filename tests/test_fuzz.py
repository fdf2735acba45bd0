"""Fuzz and property tests: whatever a user feeds in, only the library's own input errors escape.

Entry points covered: the scenario loader (JSON text and dicts), the cohort file reader and its
two-arm validation (random bytes and random CSV), the two-arm analysis, the power formulas and
the exporters. Each test stays within about ten seconds (bounded ``max_examples``).
"""

from __future__ import annotations

import io
import json
import math
import string
from dataclasses import fields

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.errors import CohortFileError, ScenarioError, WalkBackInputError
from analysis.trial.scenario import SECTIONS, Scenario, scenario_from_dict, scenario_from_json

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MEDIUM = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --------------------------------------------------------------------------- scenario loader
json_scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
                | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)

FIELD_NAMES = {section: [f.name for f in fields(cls)] for section, cls in SECTIONS.items()}
# Values near the edges of every validator: zero, negatives, huge, fractional, wrong types, odd lists.
edge_values = (json_scalars | st.sampled_from([0, 1, -1, 2, 0.5, 1e308, -1e308, 2**63, 2**64, 1e-300, "", "1",
                                                "2020-02-30", "2019-09-23", "weibull", "emax", [], [0], [4, 6, 8],
                                                [2, 3], [0.0, 30.0], [0.001, 0.002], [True], {}, [[1]]])
               | st.lists(st.integers(-3, 200) | st.floats(allow_nan=False), max_size=4))


@st.composite
def scenario_like(draw):
    """Dicts shaped like scenarios (known sections and fields) with adversarial values."""
    data = {}
    for section in draw(st.lists(st.sampled_from(list(FIELD_NAMES)), unique=True, max_size=5)):
        names = draw(st.lists(st.sampled_from(FIELD_NAMES[section]), unique=True, max_size=4))
        data[section] = {name: draw(edge_values) for name in names}
    if draw(st.booleans()):
        data["seed"] = draw(edge_values)
    if draw(st.booleans()):
        data["name"] = draw(edge_values)
    if draw(st.integers(0, 9)) == 0:
        data[draw(st.text(max_size=6))] = draw(json_values)
    return data


def _load_only_scenario_errors(call):
    try:
        result = call()
    except ScenarioError as exc:
        message = str(exc)
        assert message and "\n" not in message, repr(message)
        return None
    assert isinstance(result, Scenario)
    hash(result)  # frozen and hashable: it keys caches
    assert scenario_from_json(result.to_json()) == result
    return result


@FAST
@given(value=json_values)
def test_scenario_from_json_random_json(value):
    _load_only_scenario_errors(lambda: scenario_from_json(json.dumps(value)))


@FAST
@given(data=scenario_like())
def test_scenario_from_dict_adversarial_fields(data):
    _load_only_scenario_errors(lambda: scenario_from_dict(data))
    _load_only_scenario_errors(lambda: scenario_from_json(json.dumps(data)))


@FAST
@given(raw=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_scenario_from_json_random_bytes(raw):
    _load_only_scenario_errors(lambda: scenario_from_json(raw))


@pytest.mark.parametrize("text", [
    '{"seed": NaN}', '{"seed": Infinity}', '{"seed": -Infinity}', '{"seed": 1e999}',
    '{"design": {"n_control": 1e400}}', '{"name": "\\ud800"}', "\ufeff{}", '{"a":1,"a":2}', "", " ", "null",
    '{"design": {"block_sizes": [4, 6, 8.0]}}', '{"design": {"recruitment_start": "2019-02-30"}}',
    '{"adherence": {"a\\nb": 1}}',
    '{"seed": ' + "9" * 5000 + "}",
    "[" * 5000 + "]" * 5000,
], ids=lambda text: text[:30])
def test_scenario_from_json_nasty_literals(text):
    _load_only_scenario_errors(lambda: scenario_from_json(text))


# --------------------------------------------------------------------------- cohort files
from analysis.io import cohort_files as cohort_io  # noqa: E402
ALLOWED_FILE_ERRORS = (CohortFileError, WalkBackInputError)

cell = st.one_of(
    st.integers(-5, 2000).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", "NA", "nan", "inf", "-inf", "true", "FALSE", "yes", "1.0", "control", "intervention",
                     "Control", " intervention ", "=1+1", "\"", "'", ";", "1e400", "0x10", "1_000"]),
    st.text(alphabet=string.printable, max_size=6),
)
header_names = st.sampled_from(["time_days", "recurrence", "arm", "stratum", "age_years", "time", "event", "group",
                                "", " arm", "arm", "Time_days", "x"])


@st.composite
def csv_files(draw):
    columns = draw(st.lists(header_names, min_size=1, max_size=5))
    rows = draw(st.lists(st.lists(cell, min_size=len(columns), max_size=len(columns) + 1), max_size=12))
    # ";" is left out: every semicolon file currently fails (see test_cohort_reader_semicolon_csv).
    sep = draw(st.sampled_from([",", "\t", "|"]))
    lines = [sep.join(columns)] + [sep.join(r) for r in rows]
    return ("\n" if draw(st.booleans()) else "\r\n").join(lines).encode("utf-8")


def _read_and_validate(raw: bytes, name: str, strata=()):
    try:
        frame = cohort_io.read_cohort_file(raw, name)
    except ALLOWED_FILE_ERRORS as exc:
        assert str(exc) and "\n" not in str(exc)
        return None
    assert isinstance(frame, pd.DataFrame)
    try:
        clean = cohort_io.validate_two_arm(frame, strata=strata)
    except ALLOWED_FILE_ERRORS as exc:
        assert str(exc) and "\n" not in str(exc)
        return None
    assert list(clean.columns[:3]) == ["time", "event", "group"]
    assert np.isfinite(clean.time).all() and (clean.time >= 0).all()
    assert set(clean.event.unique()) <= {0, 1} and clean.group.nunique() == 2
    return clean


@FAST
@given(raw=st.binary(max_size=400), name=st.sampled_from(["upload.csv", "upload.parquet", "upload", "x.xlsx", "x.txt"]))
def test_cohort_reader_random_bytes(raw, name):
    _read_and_validate(raw, name)


@FAST
@given(raw=csv_files())
def test_cohort_reader_random_csv(raw):
    _read_and_validate(raw, "upload.csv")


def test_cohort_reader_semicolon_csv():
    raw = b"time_days;recurrence;arm\n5;1;control\n7;0;intervention\n"
    assert _read_and_validate(raw, "upload.csv") is not None


@MEDIUM
@given(raw=csv_files(), cut=st.integers(0, 400))
def test_cohort_reader_truncated_parquet(raw, cut):
    """A real Parquet file cut short, or with a random tail, is refused cleanly."""
    frame = pd.DataFrame({"time_days": [1.0, 2.5, 3.0], "recurrence": [1, 0, 1], "arm": ["control", "intervention",
                                                                                          "control"]})
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    data = buffer.getvalue()
    _read_and_validate(data[:cut] + raw[: len(data) - cut][:20] + b"PAR1", "upload.parquet")


# --------------------------------------------------------------------------- analysis entry points
from analysis.stats import survival as estimate  # noqa: E402


@st.composite
def two_arm_frames(draw):
    n = draw(st.integers(1, 30))
    times = draw(st.lists(st.one_of(st.floats(0, 2000, allow_nan=False), st.integers(0, 5).map(float)),
                          min_size=n, max_size=n))
    events = draw(st.lists(st.sampled_from([0, 1]), min_size=n, max_size=n))
    arms = draw(st.lists(st.sampled_from(["control", "intervention"]), min_size=n, max_size=n))
    strata = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n))
    return pd.DataFrame({"time_days": times, "recurrence": events, "arm": arms, "stratum": strata})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=two_arm_frames(), stratified=st.booleans())
def test_analyze_two_arm_never_crashes(frame, stratified):
    try:
        result = estimate.analyze_two_arm(frame, strata=["stratum"] if stratified else [])
    except WalkBackInputError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    summary = result.summary
    assert {"analysis", "level", "estimate", "lower", "upper"} <= set(summary.columns)
    assert {"control", "intervention"} <= set(summary.level)
    json.dumps(result.to_dict(), allow_nan=True)  # serialisable for the app and the CLI


from analysis.studies import power as power  # noqa: E402
numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10, 10), st.none(),
                    st.text(max_size=3), st.booleans())


@FAST
@given(hr=numbers, alpha=numbers, target=numbers, allocation=numbers)
def test_power_formulas_only_raise_input_errors(hr, alpha, target, allocation):
    for call in (lambda: power.schoenfeld_events(hr, alpha, target, allocation),
                 lambda: power.freedman_events(hr, alpha, target, allocation),
                 lambda: power.schoenfeld_power(target, hr, alpha, allocation)):
        try:
            value = call()
        except WalkBackInputError as exc:
            assert str(exc) and "\n" not in str(exc)
            continue
        assert value is not None


# --------------------------------------------------------------------------- exporters
@MEDIUM
@given(frame=two_arm_frames(), fmt=st.sampled_from(["csv", "parquet"]))
def test_exports_of_uploaded_tables(frame, fmt):
    """The Data page may export an uploaded table: any frame exports, and the CSV reads back row for row."""
    from analysis.io.export import export_bundle, export_files

    files = export_files(frame, None, None, fmt)
    data = files["cohort.csv" if fmt == "csv" else "cohort.parquet"]
    if fmt == "csv":
        back = pd.read_csv(io.BytesIO(data), float_precision="round_trip")
        assert len(back) == len(frame)
        np.testing.assert_array_equal(back.time_days.to_numpy(), frame.time_days.to_numpy())
    assert export_bundle(frame, None, None, fmt) == export_bundle(frame, None, None, fmt)


def test_simulate_with_a_subnormal_loss_to_follow_up():
    from analysis.trial.scenario import with_changes
    from analysis.simulate.engine import simulate_trial

    simulate_trial(with_changes(Scenario(), {"design.annual_loss_to_followup": 5e-324}), seed=1)


@MEDIUM
@given(n=st.integers(2, 60), seed=st.integers(0, 2**63 - 1), never_start=st.floats(0, 1),
       # Subnormal rates are left to the test above.
       loss=st.just(0.0) | st.floats(1e-12, 0.95), shape=st.sampled_from(["log_linear", "emax", "none"]))
def test_simulate_and_adtte_invariants(n, seed, never_start, loss, shape):
    from analysis.io.export import CNSR_CODES, cohort_to_adtte
    from analysis.trial.scenario import with_changes
    from analysis.simulate.engine import scenario_for_size, simulate_trial

    scenario = scenario_for_size(with_changes(Scenario(), {
        "adherence.never_start": never_start, "design.annual_loss_to_followup": loss, "dose_response.shape": shape,
    }), n)
    cohort = simulate_trial(scenario, seed=seed)
    adtte = cohort_to_adtte(cohort)
    assert np.isfinite(adtte.AVAL).all() and (adtte.AVAL >= 0).all()
    assert (adtte.PARAMCD == "TTANYREC").sum() == n == (adtte.PARAMCD == "TTCAREC").sum()
    adtte = adtte[adtte.PARAMCD == "TTALREC"].reset_index(drop=True)
    assert len(adtte) == n and adtte.USUBJID.is_unique
    assert ((adtte.CNSR == 0) == (cohort.recurrence == 1)).all()
    assert set(adtte.CNSR) <= set(CNSR_CODES.values())
    assert np.isfinite(adtte.AVAL).all() and (adtte.AVAL >= 0).all()
    assert not math.isnan(float(cohort.time_days.max()))
