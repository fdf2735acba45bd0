"""analysis.design against rpact: boundaries, spending, inflation and stopping probabilities to 1e-6, events,
participants and look times to 1e-4 relative; bad designs end in one clear error.

The reference is made by ``Rscript tests/r_reference/make_design_reference.R`` (rpact 3.3.4, R 4.2.2): each
entry holds rpact's arguments (``args``) beside ``getDesignGroupSequential(...)``'s and
``getDesignCharacteristics(...)``'s numbers (``criticalValues``, ``alphaSpent``, ``shift``...), and for the survival
cases ``getSampleSizeSurvival(design, ...)`` / ``getPowerSurvival(design, ...)``'s. tests/test_r_reference.py
(marker ``r``) reruns the script and requires the committed numbers.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from analysis.design.boundaries import GroupSequentialDesign, compute_boundaries, sequential_probabilities
from analysis.design.events import SurvivalAssumptions, drift_for, power_survival, sample_size_survival
from analysis.design.spending import spent
from analysis.errors import WalkBackInputError

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = json.loads((ROOT / "tests" / "r_reference" / "design_reference.json").read_text())
DESIGNS = {d["name"]: d for d in REFERENCE["designs"]}
SURVIVAL = {s["name"]: s for s in REFERENCE["survival"]}


def vec(x):
    return np.atleast_1d(np.asarray([np.nan if v is None else v for v in np.atleast_1d(x)], dtype=float))


def design_from_rpact(args: dict) -> GroupSequentialDesign:
    """rpact's getDesignGroupSequential arguments as a GroupSequentialDesign."""
    rates = args.get("informationRates")
    rates = tuple(vec(rates)) if rates is not None else tuple(k / args["kMax"] for k in range(1, args["kMax"] + 1))
    futility = None
    if "typeBetaSpending" in args:
        futility = "as" + args["typeBetaSpending"][2:]
    elif "futilityBounds" in args:
        futility = tuple(vec(args["futilityBounds"]))
    return GroupSequentialDesign(
        args["typeOfDesign"], rates, alpha=args.get("alpha", 0.025), beta=args.get("beta", 0.2),
        sided=args.get("sided", 1), gamma=args.get("gammaA"), delta=args.get("deltaWT"), futility=futility,
        futility_gamma=args.get("gammaB"), binding_futility=args.get("bindingFutility", False))


def test_reference_covers_what_the_issue_asks():
    kinds = {d["args"]["typeOfDesign"] for d in REFERENCE["designs"]}
    assert kinds == {"OF", "P", "WT", "asOF", "asP", "asKD", "asHSD"}
    assert len(REFERENCE["designs"]) >= 20 and len(REFERENCE["survival"]) >= 6
    assert any("accrualIntensity" in s["args"] for s in REFERENCE["survival"])
    assert any("piecewiseSurvivalTime" in s["args"] for s in REFERENCE["survival"])
    looks = {len(vec(d["informationRates"])) for d in REFERENCE["designs"]}
    assert set(range(2, 7)) <= looks
    assert any(d["args"].get("sided") == 2 for d in REFERENCE["designs"])
    beta_spending = [d["args"] for d in REFERENCE["designs"] if "typeBetaSpending" in d["args"]]
    assert {a.get("bindingFutility", False) for a in beta_spending} == {True, False}
    assert any("futilityBounds" in d["args"] for d in REFERENCE["designs"])


@pytest.mark.parametrize("name", sorted(DESIGNS))
def test_boundaries_equal_rpact(name):
    ref = DESIGNS[name]
    b = compute_boundaries(design_from_rpact(ref["args"]))
    k = len(b.information_rates)
    np.testing.assert_allclose(b.information_rates, vec(ref["informationRates"]), atol=1e-12)
    np.testing.assert_allclose(b.efficacy_z, vec(ref["criticalValues"]), atol=1e-6, rtol=0)
    fut_r = vec(ref["futilityBounds"])
    fut_r[fut_r <= -6] = np.nan  # rpact's "no futility bound"
    np.testing.assert_allclose(b.futility_z[:-1], fut_r, atol=1e-6, rtol=0)
    # rpact floors the last alpha spent to 1e-8
    np.testing.assert_allclose(b.cumulative_alpha_spent, vec(ref["alphaSpent"]), atol=1e-6, rtol=0)
    np.testing.assert_allclose(b.stagewise_alpha, vec(ref["stageLevels"]), atol=1e-6, rtol=0)
    if ref["betaSpent"] is not None:
        np.testing.assert_allclose(b.cumulative_beta_spent, vec(ref["betaSpent"]), atol=1e-6, rtol=0)
    assert b.inflation_factor == pytest.approx(ref["inflationFactor"], abs=1e-6)
    assert b.drift ** 2 == pytest.approx(ref["shift"], rel=1e-6)
    np.testing.assert_allclose(b.h1.reject, vec(ref["rejectionProbabilities"]), atol=1e-6, rtol=0)
    np.testing.assert_allclose(b.h1.futility[: k - 1], vec(ref["futilityProbabilities"]), atol=1e-6, rtol=0)
    np.testing.assert_allclose(np.cumsum(b.h1.reject), vec(ref["power"]), atol=1e-6, rtol=0)
    for key, ours in (("averageSampleNumber0", "h0"), ("averageSampleNumber01", "h01"), ("averageSampleNumber1", "h1")):
        assert b.asn[ours] == pytest.approx(ref[key], abs=1e-6), key


def assumptions_from_rpact(args: dict) -> SurvivalAssumptions:
    """rpact's survival arguments; absolute accrual intensities (rpact: not all below 1) fix the participants."""
    hazards = vec(args["lambda2"]) if "lambda2" in args else np.array([math.log(2) / args["median2"]])
    starts = vec(args.get("piecewiseSurvivalTime", [0.0]))
    accrual = vec(args["accrualTime"])
    assert accrual[0] == 0  # recruitment from time 0
    intensity = vec(args["accrualIntensity"]) if "accrualIntensity" in args else None
    participants = args.get("maxNumberOfSubjects")
    if intensity is not None and not (intensity < 1).all():
        participants = float(intensity @ np.diff(accrual))
    return SurvivalAssumptions(
        hazard_ratio=args["hazardRatio"], control_hazards=tuple(hazards), piece_starts=tuple(starts),
        accrual_time=tuple(accrual[1:]), accrual_intensity=None if intensity is None else tuple(intensity),
        follow_up=None if participants is not None else args["followUpTime"], max_participants=participants,
        dropout_rate=args.get("dropoutRate1", 0.0), dropout_time=args.get("dropoutTime", 12.0),
        allocation_ratio=args.get("allocationRatioPlanned", 1.0))


def rel(x, y):
    return pytest.approx(y, rel=1e-4)


@pytest.mark.parametrize("name", sorted(SURVIVAL))
def test_events_and_participants_equal_rpact(name):
    ref = SURVIVAL[name]
    args = ref["args"]
    assert args.get("dropoutRate1", 0) == args.get("dropoutRate2", 0)  # one loss rate for both arms
    b = compute_boundaries(design_from_rpact(ref["design"]))
    if ref["fn"] == "sampleSize":
        s = sample_size_survival(b, assumptions_from_rpact(args))
        assert s.events_fixed == rel(s, ref["eventsFixed"])
        if ref["nFixed"] is not None:
            assert s.participants_fixed == rel(s, ref["nFixed"])
        assert s.expected_events["h0"] == rel(s, ref["expectedEventsH0"])
        assert s.expected_events["h01"] == rel(s, ref["expectedEventsH01"])
        assert s.expected_events["h1"] == rel(s, ref["expectedEventsH1"])
        assert s.max_participants == rel(s, ref["maxNumberOfSubjects"])
        assert s.expected_participants_h1 == rel(s, ref["expectedNumberOfSubjectsH1"])
        assert s.power == pytest.approx(1 - b.design.beta, abs=1e-6)
    else:
        s = power_survival(b, assumptions_from_rpact(args), args["maxNumberOfEvents"])
        assert s.power == pytest.approx(ref["overallReject"], abs=1e-6)
        np.testing.assert_allclose(s.reject, vec(ref["rejectPerStage"]), atol=1e-6, rtol=0)
        np.testing.assert_allclose(s.futility[:-1], vec(ref["futilityPerStage"]), atol=1e-6, rtol=0)
        assert s.expected_events["h1"] == rel(s, ref["expectedNumberOfEvents"])
        assert s.expected_participants_h1 == rel(s, ref["expectedNumberOfSubjects"])
    assert s.max_events == rel(s, ref["maxNumberOfEvents"])
    np.testing.assert_allclose(s.events_per_look, vec(ref["eventsPerStage"]), rtol=1e-4)
    np.testing.assert_allclose(s.analysis_times, vec(ref["analysisTime"]), rtol=1e-4)
    np.testing.assert_allclose(s.participants_per_look, vec(ref["numberOfSubjects"]), rtol=1e-4)
    assert s.expected_duration_h1 == rel(s, ref["studyDuration"])
    assert s.follow_up == rel(s, ref["followUpTime"])
    np.testing.assert_allclose(s.efficacy_hr, vec(ref["criticalValuesEffectScale"]), rtol=1e-4)


def test_sequential_probabilities_at_the_design_drifts():
    """At drift 0 the rejection probability is the alpha spent; at the design drift the power is 1 - beta."""
    b = compute_boundaries(GroupSequentialDesign("asKD", (0.3, 0.6, 1.0), gamma=2, futility=(0.0, 0.3),
                                                 binding_futility=True))
    assert sequential_probabilities(b, 0.0).power == pytest.approx(b.cumulative_alpha_spent[-1], abs=1e-12)
    assert sequential_probabilities(b, b.drift).power == pytest.approx(0.8, abs=1e-9)
    assert sequential_probabilities(b, drift_for(0.7, 1e6)).power == pytest.approx(1.0, abs=1e-9)
    stop = sequential_probabilities(b, 1.3).stop
    assert stop.sum() == pytest.approx(1.0) and (stop >= 0).all()


def test_spending_functions_reach_their_total():
    for kind, gamma in (("asOF", None), ("asP", None), ("asKD", 0.4), ("asHSD", -10.0), ("asHSD", 0.0)):
        values = spent(kind, 0.025, np.linspace(0.05, 1, 20), gamma=gamma)
        assert values[-1] == pytest.approx(0.025, rel=1e-12) and (np.diff(values) > 0).all(), kind


@pytest.mark.parametrize("kwargs, message", [
    (dict(kind="asOF", information_rates=(0.5, 0.4, 1.0)), "must increase strictly"),
    (dict(kind="asOF", information_rates=(0.5, 0.9)), "exactly 1"),
    (dict(kind="asOF", information_rates=(0.5, 0.505, 1.0)), "at least 0.01 apart"),
    (dict(kind="asOF", information_rates=(0.5, 1.0), alpha=0.6), "alpha = 0.6 must be between 0 and 0.5"),
    (dict(kind="asOF", information_rates=(0.5, 1.0), alpha=0.0), "alpha"),
    (dict(kind="asKD", information_rates=(0.5, 1.0), gamma=9), "gamma = 9.0 for asKD must be from 0.4 to 8"),
    (dict(kind="asKD", information_rates=(0.5, 1.0)), "needs gamma"),
    (dict(kind="asHSD", information_rates=(0.5, 1.0), gamma=-11), "from -10 to 5"),
    (dict(kind="asOF", information_rates=tuple(np.arange(1, 12) / 11)), "1 to 10 looks"),
    (dict(kind="WT", information_rates=(0.5, 1.0)), "needs delta"),
    (dict(kind="XX", information_rates=(0.5, 1.0)), "design type 'XX'"),
    (dict(kind="OF", information_rates=(0.5, 1.0), futility="asOF"), "needs an alpha-spending design"),
    (dict(kind="asOF", information_rates=(0.5, 1.0), sided=2, futility=(0.0,)), "one-sided"),
    (dict(kind="asOF", information_rates=(0.3, 0.6, 1.0), futility=(0.0,)), "needs 2 z values"),
])
def test_bad_designs_are_refused_with_one_clear_message(kwargs, message):
    with pytest.raises(WalkBackInputError, match=message.replace("(", r"\(").replace(".", r"\.")):
        GroupSequentialDesign(**kwargs)


def test_futility_above_efficacy_is_refused():
    with pytest.raises(WalkBackInputError, match="futility bound at look 1 .* is not below the efficacy bound"):
        compute_boundaries(GroupSequentialDesign("asOF", (0.5, 1.0), futility=(3.5,)))


@pytest.mark.parametrize("rates", [(0.5, 0.52, 1.0), (0.6283, 0.6441, 1.0), (0.3, 0.31, 0.33, 1.0)])
def test_close_looks_spend_exactly_their_alpha_by_an_independent_method(rates):
    """Where looks are close, rpact's 91-point grid drifts (up to 3e-3 in z on random 8-look designs); ours spends
    the alpha the spending function says, checked with scipy's Genz multivariate normal integration (its own
    error ~1e-9 here) of P(no crossing by look 3) with corr(Z_j, Z_k) = sqrt(t_j / t_k)."""
    from scipy.stats import multivariate_normal

    b = compute_boundaries(GroupSequentialDesign("asP", rates))
    t = np.asarray(rates[:3])
    cov = np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))
    mvn = multivariate_normal(mean=np.zeros(3), cov=cov, abseps=1e-12, releps=1e-12, maxpts=10**6)
    assert 1 - mvn.cdf(np.asarray(b.efficacy_z[:3])) == pytest.approx(spent("asP", 0.025, t[-1]), abs=1e-7)
