"""The code behind every view: a runnable Python script (and the `walkback` command, and for survival
analyses an R script) that reproduces the numbers a page shows.

Place in the pipeline: the last stage for analysts, beside the exports. Given a view name and its
parameters (the scenario, the seed, the page's settings), :func:`view_script` returns a
:class:`ViewScript` whose :meth:`~ViewScript.files` are

- ``walkback_<view>.py``: calls the ``analysis`` library exactly as the page does, with the scenario
  embedded as JSON; prints the page's numbers, writes every number at full precision to
  ``<view>_numbers.json`` and the figures to ``<view>_*.html`` (Plotly, opens in a browser);
- ``scenario.json``: the same scenario, for the command line;
- ``walkback_command.sh``: the equivalent ``walkback`` command, or says which part no command covers;
- for survival analyses (views ``trial`` and ``survival``), ``reanalysis.R``: R's survival package
  re-analysing ``adtte.csv``, the ADaM export the Python script writes beside itself
  (:func:`analysis.io.export.r_reanalysis_script`, the one R script of the package).

Nothing here runs an analysis; the scripts do, and the tests run each one in a subprocess and compare its
numbers with the library's for the page.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import PurePath
from dataclasses import dataclass, field
from typing import Any

from ..errors import WalkBackInputError

__all__ = ["VIEWS", "ViewScript", "view_script"]

#: View name -> what its script reproduces (the pages that show results).
VIEWS: dict[str, str] = {
    "trial": "one simulated trial: KM medians with 95% CIs, Cox HR, events; the scenario's expected values",
    "survival": "the full two-arm analysis of one simulated trial (analyze_two_arm with the page's options)",
    "adherence": "expected trial of a what-if scenario against the current one (exact, no simulation)",
    "replicates": "many simulated trials of the scenario: HR spread, power, coverage",
    "estimands": "ITT, per-protocol, as-treated and CACE estimates of one trial against their true values",
    "design": "sample size, the power curve (analytic and simulated) and the cost of lower adherence",
    "outcomes": "one simulated trial's episodes: every published outcome beside the published and expected figures",
    "cost_effectiveness": "one costed trial: ICER, bootstrap, acceptability, tornado and the expectation of pooled "
                          "trials",
    "assurance": "the Bayesian reading of the published HR under each prior and the assurance of a follow-up",
    "group_sequential": "a group-sequential design: boundaries, looks on the scenario, analytic and simulated "
                        "operating characteristics",
    "uploaded": "the two-arm analysis of your own file (analyze_two_arm with the page's columns and options)",
}

_HEADER = '''"""Reproduces the WalkBack Explorer view '@VIEW@': @WHAT@.

Made by walkback-explorer @VERSION@. It needs that version's `analysis` package (the WalkBack Explorer
library): inside a copy of the project, `make .venv/.installed` (or `pip install -e .`), then run this script
with that environment's python; or `pip install /path/to/walkback-explorer` into the python you use.
@RUN@
It prints the numbers the page shows, writes all of them at full precision to @VIEW@_numbers.json,
and the figures to @VIEW@_*.html (open them in a browser).
"""

import json
import math

try:
    @IMPORT@
except ImportError:  # one clear line instead of a traceback
    raise SystemExit("This script needs the `analysis` package of walkback-explorer @VERSION@: in a copy of the "
                     "project run `pip install -e .` (or `make .venv/.installed`), then run it with that python.")
'''

_SCENARIO_BLOCK = '''
SCENARIO = scenario_from_json(r"""
@SCENARIO@
""")
'''


def _header(view: str, version: str, scenario_json: str | None = None, data_file: str | None = None) -> str:
    """The script's docstring and imports; the scenario embedded (views of a scenario) or the data file named
    (an uploaded file's analysis, which travels beside the script)."""
    run = (f"Run it beside {data_file} (the file you uploaded, in this zip):  python walkback_{view}.py"
           if data_file else f"Run:  python walkback_{view}.py")
    text = (_HEADER.replace("@RUN@", run).replace("@VIEW@", view).replace("@WHAT@", VIEWS[view])
            .replace("@VERSION@", version)
            .replace("@IMPORT@", "import analysis  # noqa: F401" if scenario_json is None
                     else "from analysis.trial.scenario import scenario_from_json"))
    return text if scenario_json is None else text + _SCENARIO_BLOCK.replace("@SCENARIO@", scenario_json)


_FOOTER = '''

def _plain(value):
    """JSON-safe numbers (not-reached medians and other non-finite values become null)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


with open("@VIEW@_numbers.json", "w", encoding="utf-8") as fh:
    json.dump(_plain(numbers), fh, indent=2)
for name, figure in figures.items():
    figure.write_html(f"@VIEW@_{name}.html", include_plotlyjs="cdn")
print(f"wrote @VIEW@_numbers.json and {len(figures)} figure(s)")
'''

_BODIES: dict[str, str] = {
    "uploaded": '''
import pandas as pd

from analysis.io.cohort_files import read_cohort_file
from analysis.io.upload_checks import choose_arms, drop_incomplete
from analysis.plots import figures as F
from analysis.stats.survival import analyze_two_arm
from analysis.stats.time_units import risk_times, unit_or_days

FILE = @FILE@
TIME, EVENT, GROUP, REFERENCE = @TIME@, @EVENT@, @GROUP@, @REFERENCE@
ARMS = @ARMS@  # the two groups compared when the file has more (None: it has exactly two)
DROP_INCOMPLETE = @DROP@  # the page's "Drop incomplete rows"
STRATA, COVARIATES, CLUSTER = @STRATA@, @COVARIATES@, @CLUSTER@
USED = @USED@  # the columns the analysis uses
with open(FILE, "rb") as fh:
    frame = read_cohort_file(fh.read(), FILE)
if ARMS is not None:
    frame = choose_arms(frame, GROUP, list(ARMS))
if DROP_INCOMPLETE:
    frame, dropped = drop_incomplete(frame, list(USED))
    print(f"dropped {dropped} incomplete row(s)")
result = analyze_two_arm(frame, time=TIME, event=EVENT, group=GROUP, reference=REFERENCE, strata=STRATA,
                         covariates=COVARIATES, tau=@TAU@, landmarks=@LANDMARKS@, cluster=CLUSTER,
                         risk_times=risk_times(float(pd.to_numeric(frame[TIME], errors="coerce").max()), unit_or_days(TIME)))
numbers = result.to_dict()
print(result.summary.to_string(index=False))
figures = {"km": F.km_figure(F.arm_curves_from_km(result.km), risk_table=F.risk_table_for_plot(result.risk_table),
                             title=f"{FILE}: {GROUP} (reference: {REFERENCE})")}
''',
    "outcomes": '''
from analysis.plots.outcomes import forest_figure, km_endpoint_figure, mcf_figure
from analysis.studies.outcomes import trial_outcomes

SEED = @SEED@
result = trial_outcomes(SCENARIO, SEED)
numbers = result.to_dict()
print(result.forest.to_string(index=False))
print(result.secondary.to_string(index=False))
figures = {"forest": forest_figure(result.forest),
           **{f"km_{endpoint}": km_endpoint_figure(result.km[endpoint], endpoint,
                                                   "days since onset" if endpoint == "recovery" else
                                                   "days since randomisation")
              for endpoint in ("primary", "any", "care", "recovery")},
           "mcf": mcf_figure(result.recurrent.mcf.curves)}
''',
    "cost_effectiveness": '''
from analysis.model.costs import Economics
from analysis.plots.economics import acceptability_figure, ce_plane_figure, net_benefit_figure, tornado_figure
from analysis.studies.economics import CEASettings, cea_study

SEED = @SEED@
ECONOMICS = Economics(**@ECONOMICS@)
THRESHOLD = @THRESHOLD@
study = cea_study(SCENARIO, ECONOMICS, SEED, CEASettings(bootstrap=@BOOTSTRAP@, thresholds=@THRESHOLDS@),
                  expected_trials=@EXPECTED_TRIALS@)
result = study.result
expected = study.expected_at(THRESHOLD) if study.expected is not None else None
numbers = {"seed": SEED, "result": result.to_dict(), "absence_ratio": study.absence_ratio,
           "expected": None if expected is None else dict(vars(expected)), "expected_icer_se": study.expected_icer_se,
           "tornado": study.tornado_at(THRESHOLD).to_dict(orient="records")}
print(result.summary.to_string(index=False))
if expected is not None:
    print(f"Expected over @EXPECTED_TRIALS@ pooled trials: ICER {expected.icer:,.0f} (Monte Carlo SE "
          f"{study.expected_icer_se:,.0f}), P(cost-effective at {THRESHOLD:,.0f}) {expected.probability:.1%}")
figures = {"plane": ce_plane_figure(result, wtp=THRESHOLD),
           "acceptability": acceptability_figure(result.acceptability, thresholds=(THRESHOLD,)),
           "net_benefit": net_benefit_figure(result.acceptability, confidence=result.settings.confidence),
           "tornado": tornado_figure(study.tornado_at(THRESHOLD), wtp=THRESHOLD)}
''',
    "trial": '''
from analysis.model.expectation import expected_trial
from analysis.plots import figures as F
from analysis.simulate.engine import simulate_trial
from analysis.stats.survival import cox, kaplan_meier, risk_table
from analysis.stats.time_units import risk_times
from analysis.io.export import export_files

SEED = @SEED@
cohort = simulate_trial(SCENARIO, seed=SEED)
km = kaplan_meier(cohort, landmarks=())
cox_model = cox(cohort)
risks = risk_table(cohort, times=risk_times(float(cohort["time_days"].max()), "days"))
expected = expected_trial(SCENARIO)

curves = {c.level: c for c in km.curves}
numbers = {
    "seed": SEED,
    "groups": [c.to_dict() for c in km.curves],
    "cox": cox_model.to_dict(),
    "events": sum(c.events for c in km.curves),
    "expected": {"median_control": expected.median_control, "median_intervention": expected.median_intervention,
                 "cox_hr": expected.cox_hr, "events_total": expected.events_total,
                 "walking_week12_intervention": expected.walking_week12_intervention},
}
for level in ("intervention", "control"):
    c = curves[level]
    print(f"Median days, {level}: {c.median:.0f} (95% CI {c.median_lower:.0f} to {c.median_upper:.0f}); "
          f"{c.events} recurrences of {c.n}")
print(f"Hazard ratio (Cox): {cox_model.hr:.2f} (95% CI {cox_model.lower:.2f} to {cox_model.upper:.2f}), p = {cox_model.p:.3g}")
print(f"Scenario, expected: medians {expected.median_intervention:.0f} vs {expected.median_control:.0f} days, "
      f"HR {expected.cox_hr:.2f}, {expected.events_total:.0f} recurrences")

figures = {"km": F.km_figure(F.arm_curves_from_km(km), risk_table=F.risk_table_for_plot(risks),
                             title="Simulated trial: time to first activity-limiting recurrence")}
# The data for the R re-analysis (reanalysis.R): the same trial as a CDISC ADaM ADTTE file.
with open("adtte.csv", "wb") as fh:
    fh.write(export_files(cohort, SCENARIO, SEED, "adtte")["adtte.csv"])
''',
    "survival": '''
from analysis.model.expectation import expected_trial
from analysis.plots import figures as F
from analysis.simulate.engine import simulate_trial
from analysis.stats.survival import analyze_two_arm
from analysis.stats.time_units import risk_times
from analysis.io.export import export_files

SEED = @SEED@
cohort = simulate_trial(SCENARIO, seed=SEED)
result = analyze_two_arm(cohort, strata=@STRATA@, covariates=@COVARIATES@, tau=@TAU@, landmarks=@LANDMARKS@,
                         risk_times=risk_times(float(cohort["time_days"].max()), "days"))
expected = expected_trial(SCENARIO)

numbers = result.to_dict()
print(result.summary.to_string(index=False))
landmark_days = tuple(sorted(set(result.km.landmarks["time"].tolist()))) if len(result.km.landmarks) else ()
figures = {"km": F.km_figure(F.arm_curves_from_km(result.km), risk_table=F.risk_table_for_plot(result.risk_table),
                             landmarks=landmark_days,
                             overlay=[("intervention", expected.times, expected.survival_intervention),
                                      ("control", expected.times, expected.survival_control)],
                             title="Time to first activity-limiting recurrence (simulated trial)")}
# The data for the R re-analysis (reanalysis.R): the same trial as a CDISC ADaM ADTTE file.
with open("adtte.csv", "wb") as fh:
    fh.write(export_files(cohort, SCENARIO, SEED, "adtte")["adtte.csv"])
''',
    "adherence": '''
from analysis.model.expectation import expected_trial
from analysis.plots import figures as F
from analysis.studies import whatif as W

WHATIF = scenario_from_json(r"""
@WHATIF@
""")
expected_base = expected_trial(SCENARIO)
expected_new = expected_trial(WHATIF)
table = W.whatif_table(expected_base, expected_new)

numbers = {
    name: {"median_intervention": e.median_intervention, "median_control": e.median_control, "cox_hr": e.cox_hr,
           "walking_week12_intervention": e.walking_week12_intervention, "events_total": e.events_total}
    for name, e in (("current", expected_base), ("whatif", expected_new))}
numbers["table"] = table.to_dict(orient="records")
print(table[["quantity", "baseline", "what_if", "change"]].to_string(index=False))
lines = [
    ("intervention", "Walking + education, current", expected_base.times, expected_base.survival_intervention, "dash"),
    ("control", "Control, current", expected_base.times, expected_base.survival_control, "dash"),
    ("intervention", "Walking + education, what-if", expected_new.times, expected_new.survival_intervention, "solid"),
    ("control", "Control, what-if", expected_new.times, expected_new.survival_control, "solid"),
]
figures = {"curves": F.expected_curves_figure(lines, landmarks=(365.25,),
                                              title="Expected time to first activity-limiting recurrence")}
''',
    "replicates": '''
from analysis.plots import figures as F
from analysis.studies import whatif as W
from analysis.studies.replicates import run_replicates
from analysis.trial.published import published_figures

N_REPLICATES, SEED = @N_REPLICATES@, @SEED@
hr = published_figures()["hazard_ratio"]
result = run_replicates(SCENARIO, N_REPLICATES, SEED)
readout = W.replicate_readout(result.per_trial, published_ci=tuple(hr.ci), alpha=result.alpha)

numbers = {"readout": readout, "summary": result.summary.to_dict(orient="records")}
print(f"Trials with p < 0.05: {100 * readout['share_significant']:.0f}% of {N_REPLICATES}")
print(f"Hazard ratio, middle trial: {readout['hr_q50']:.2f} "
      f"(95% of trials between {readout['hr_q025']:.2f} and {readout['hr_q975']:.2f})")
print(result.summary.to_string(index=False))
result.per_trial.to_csv("replicates_per_trial.csv", index=False)
summary = result.summary.set_index("quantity")
figures = {"band": F.replicate_band_figure(result.km_band, title=f"Kaplan-Meier curves of {N_REPLICATES} simulated trials"),
           "hr": F.hr_spread_figure(result.per_trial["hr"].to_numpy(), published=hr.value, published_ci=tuple(hr.ci),
                                    true_hr=float(summary.loc["hazard ratio, geometric mean", "expected"]),
                                    title="Hazard ratio in each simulated trial")}
''',
    "estimands": '''
from analysis.plots.design import estimands_figure
from analysis.simulate.engine import simulate_trial
from analysis.studies.estimands import EstimandSettings, estimate_estimands

SEED = @SEED@
SETTINGS = EstimandSettings(**@SETTINGS@)
cohort = simulate_trial(SCENARIO, seed=SEED, potential_outcomes=True)
result = estimate_estimands(cohort, SCENARIO, SETTINGS)

numbers = {"complier_share": result.complier_share, "summary": result.summary.to_dict(orient="records")}
print(f"Complier share observed in the intervention arm: {100 * result.complier_share:.1f}%")
print(result.summary[["label", "estimate", "lower", "upper", "truth", "covers"]].to_string(index=False))
figures = {"forest": estimands_figure(result.summary)}
''',
    "design": '''
from analysis.plots.design import dilution_figure, power_curve_figure
from analysis.studies.power import CURVE_PARAMETERS, CURVE_SHARES, dilution_table, power_curve, sample_size

POWER, ALPHA = @POWER@, @ALPHA@
PARAMETER, VALUES, N_SIMS, SEED = @PARAMETER@, @VALUES@, @N_SIMS@, @SEED@
NEVER_START_SHARES = @SHARES@
needed = sample_size(SCENARIO, power=POWER, alpha=ALPHA).summary
curve = power_curve(SCENARIO, PARAMETER, list(VALUES), N_SIMS, SEED, alpha=ALPHA)
dilution = dilution_table(SCENARIO, list(NEVER_START_SHARES), alpha=ALPHA, power=POWER)

numbers = {"sample_size": needed.to_dict(orient="records"), "power_curve": curve.summary.to_dict(orient="records"),
           "dilution": dilution.to_dict(orient="records")}
ss = needed.set_index("method")
print(f"Expected ITT hazard ratio {ss.loc['schoenfeld', 'hr']:.3f}; recurrences needed (Schoenfeld) "
      f"{int(ss.loc['schoenfeld', 'events'])}; participants needed {int(ss.loc['schoenfeld', 'n_total'])}")
print(curve.summary.to_string(index=False))
figures = {"power_curve": power_curve_figure(curve.summary, x_title=CURVE_PARAMETERS[PARAMETER], target_power=POWER,
                                            x_is_share=PARAMETER in CURVE_SHARES),
           "dilution": dilution_figure(dilution)}
''',
    "group_sequential": '''
from analysis.design.boundaries import GroupSequentialDesign
from analysis.plots.sequential import boundaries_figure, stopping_figure
from analysis.studies.sequential import group_sequential_study

DESIGN = GroupSequentialDesign(**@DESIGN@)
N_TRIALS, SEED, LOOK_DAYS = @N_TRIALS@, @SEED@, @LOOK_DAYS@
study = group_sequential_study(SCENARIO, DESIGN, N_TRIALS, SEED, look_days=LOOK_DAYS)

numbers = study.to_dict()
print(study.looks.to_string(index=False))
print(study.operating.drop(columns="key").to_string(index=False))
figures = {"boundaries": boundaries_figure(study.looks, hazard_ratio=study.hazard_ratio),
           "stopping": stopping_figure(study.looks)}
''',
    "assurance": '''
from analysis.plots.assurance import bayes_figure
from analysis.studies.assurance import Prior, assurance, bayes_reading

MID_HR, N_TOTAL, N_SIMS, SEED, ALPHA = @MID@, @N_TOTAL@, @N_SIMS@, @SEED@, @ALPHA@
# (name, median HR, SD of the log HR; inf = flat)
PRIORS = @PRIORS@
reading = bayes_reading([Prior(name, median, sd) for name, median, sd in PRIORS], mid_hr=MID_HR)
result = assurance(SCENARIO, reading.posteriors, N_TOTAL, n_sims=N_SIMS, seed=SEED, alpha=ALPHA)

numbers = {"bayes": reading.to_dict(), "assurance": result.to_dict()}
print(reading.summary.to_string(index=False))
print(result.summary.to_string(index=False))
figures = {"prior_likelihood_posterior": bayes_figure(reading.densities(), mid_hr=MID_HR)}
''',
}

_ASSURANCE_R = '''# The Bayesian reading of WalkBack's primary result, HR 0.72 (0.60 to 0.85), in base R:
# a normal likelihood for the log HR (SE from the CI's width) and a normal prior per row.
# Reproduces the posterior table of the "How sure are we" page (made by walkback-explorer @VERSION@).
mid <- @MID@
est <- log(0.72); se <- (log(0.85) - log(0.60)) / (2 * qnorm(0.975))
priors <- data.frame(name = c(@NAMES@), median_hr = c(@MEDIANS@), sd = c(@SDS@))  # sd Inf = flat
w0 <- ifelse(is.finite(priors$sd), 1 / priors$sd^2, 0); w1 <- 1 / se^2
m <- (w0 * log(priors$median_hr) + w1 * est) / (w0 + w1); s <- 1 / sqrt(w0 + w1)
out <- data.frame(prior = priors$name, median_hr = exp(m), lower = exp(m - qnorm(0.975) * s),
                  upper = exp(m + qnorm(0.975) * s), p_hr_below_1 = pnorm(0, m, s), p_hr_below_mid = pnorm(log(mid), m, s))
print(out, digits = 4)
'''


@dataclass(frozen=True)
class ViewScript:
    """The code behind one view (see :func:`view_script`).

    Attributes
    ----------
    view : str
    python : str
        The runnable Python script (``walkback_<view>.py``).
    command : str
        The equivalent ``walkback`` command line(s), as a shell script.
    r : str or None
        R re-analysis of the exported data (survival views only).
    scenario_json : str
    """

    view: str
    python: str
    command: str
    r: str | None = field(default=None, repr=False)
    scenario_json: str = field(default="", repr=False)
    r_name: str = "reanalysis.R"
    data: dict = field(default_factory=dict, repr=False)  # file name -> bytes travelling with the script

    @property
    def summary(self) -> dict[str, str]:
        return {name: f"{len(data):,} bytes" for name, data in self.files().items()}

    def to_dict(self) -> dict:
        return {"view": self.view, "python": self.python, "command": self.command, "r": self.r,
                "scenario": json.loads(self.scenario_json) if self.scenario_json else None}

    def files(self) -> dict[str, bytes]:
        """File name -> bytes, for a zip or a folder."""
        out = {f"walkback_{self.view}.py": self.python.encode("utf-8"),
               **({"scenario.json": (self.scenario_json + "\n").encode("utf-8")} if self.scenario_json else {}),
               "walkback_command.sh": self.command.encode("utf-8"), **self.data}
        if self.r is not None:
            out[self.r_name] = self.r.encode("utf-8")
        return out

    def to_zip(self) -> bytes:
        from .export import zip_files

        return zip_files(self.files())


#: Appended to the survival view's script when the page has a two-arm test picked (``test=`` a TestChoice).
_TEST_BODY = '''
# The two-arm test picked on the page (log-rank, Fleming-Harrington, MaxCombo or RMST)
from analysis.stats.two_arm_tests import TestChoice, two_arm_test
TEST = TestChoice(@TEST_KIND@, rho=@RHO@, gamma=@GAMMA@, tau=@TEST_TAU@)
tested = two_arm_test(cohort, TEST, strata=() if TEST.kind == "rmst" else @STRATA@)
numbers["tests"] = {tested.test: tested.to_dict()}
print(f"{tested.label}: chi-square {tested.chisq:.4f}, p = {tested.p:.4g}, {tested.direction}")
'''


#: Appended to the design view's script when the page's panel "Which test should the follow-up trial pre-specify?"
#: was shown (``power_by_test=`` a dict of its settings).
_POWER_BY_TEST_BODY = '''
# "Which test should the follow-up trial pre-specify?": simulated power of each test, the scenario and two what-ifs
from analysis.plots.power_tests import power_by_test_figure
from analysis.studies.power_by_test import power_by_test_table

by_test = power_by_test_table(SCENARIO, @BT_N_SIMS@, @BT_SEED@, alpha=ALPHA, programme_weeks=@BT_WEEKS@,
                              maintained_fraction=@BT_KEPT@, n_total=@BT_N@)
numbers["power_by_test"] = by_test.summary.to_dict(orient="records")
print(by_test.wide().to_string(index=False))
figures["power_by_test"] = power_by_test_figure(by_test.summary)
'''


#: Appended to the uploaded view's script when a test was picked under "Test the two arms".
_UPLOADED_TEST_BODY = '''
# The two-arm test picked on the page (log-rank, Fleming-Harrington, MaxCombo or RMST)
from analysis.stats.two_arm_tests import TestChoice, two_arm_test
TEST = TestChoice(@TEST_KIND@, rho=@RHO@, gamma=@GAMMA@, tau=@TEST_TAU@)
tested = two_arm_test(frame, TEST, TIME, EVENT, GROUP, REFERENCE, strata=() if TEST.kind == "rmst" else STRATA)
numbers["tests"] = {tested.test: tested.to_dict()}
print(f"{tested.label}: chi-square {tested.chisq:.4f}, p = {tested.p:.4g}, {tested.direction}")
'''


def _test_flags(test, tau: float | None) -> str:
    """``walkback analyze`` flags for a :class:`~analysis.stats.two_arm_tests.TestChoice` (or none) and the page's
    RMST horizon ``tau``: analyze's one ``--tau`` serves both the RMST table and an RMST test (the test's wins)."""
    tau = test.tau if test is not None and test.kind == "rmst" else tau
    flags = "" if tau is None else f" --tau {float(tau)!r}"
    if test is None:
        return flags
    if test.kind == "fh":
        return flags + f" --test fh --rho {test.rho!r} --gamma {test.gamma!r}"
    return flags + f" --test {test.kind}"


def _test_r(test, strata: tuple) -> str:
    """R lines for the picked test where R's survival package computes it (FH(rho, 0) is survdiff's rho)."""
    if test.kind not in ("logrank", "fh") or test.gamma != 0:
        return (f"\n# The page's {test.label} has no function in R's survival package (FH(0, gamma) and MaxCombo are in "
                "the nph package, e.g. nph::logrank.maxtest);\n# the Python script computes it.\n")
    terms = {(): "", ("history_gt2_episodes", "referral"): " + strata(STRAT1R, STRAT2R)"}
    if tuple(strata) not in terms:
        return "\n# The page's test is stratified by other columns than the ADTTE strata: see the Python script.\n"
    return (f"\n# The page's {test.label}{' (stratified)' if strata else ''}: Fleming-Harrington G(rho)\n"
            f"print(survdiff(Surv(AVAL, EVENT) ~ TRTP{terms[tuple(strata)]}, data = tte, rho = {test.rho!r}))\n")


def _test_tokens(test) -> dict[str, str]:
    """The template tokens of a picked two-arm test (:class:`~analysis.stats.two_arm_tests.TestChoice`)."""
    return {"@TEST_KIND@": _literal(test.kind), "@RHO@": _literal(test.rho), "@GAMMA@": _literal(test.gamma),
            "@TEST_TAU@": _literal(test.tau)}


def _filled(body: str, replacements: dict[str, str]) -> str:
    for token, text in replacements.items():
        body = body.replace(token, text)
    return body


def _literal(value: Any) -> str:
    """A Python literal that reads back as exactly ``value`` (floats by repr: every digit)."""
    if isinstance(value, tuple):
        return "(" + "".join(f"{_literal(v)}, " for v in value).rstrip(" ") + ")" if value else "()"
    return repr(value)


def _require(params: dict, *names: str) -> None:
    missing = [n for n in names if n not in params]
    if missing:
        raise WalkBackInputError(f"view script: missing {', '.join(missing)}")


def _commands(view: str, params: dict) -> str:
    head = "#!/bin/sh\n# The walkback command(s) for this view; scenario.json is beside this file.\nset -e\n"
    seed = params.get("seed")
    if view == "trial":
        return head + (f"walkback simulate --scenario scenario.json --seed {seed} --out trial.csv\n"
                       "walkback analyze trial.csv   # medians, log-rank, Cox HR (and more) as on the page\n")
    if view == "survival":
        strata = f" --strata {' '.join(params['strata'])}" if params.get("strata") else ""
        note = ("# walkback analyze has no covariate adjustment and uses its own landmarks: the adjusted Cox model "
                "and the page's landmark survival are in the Python script only.\n" if params.get("covariates") or params.get("landmarks")
                else "")
        flags = _test_flags(params.get("test"), params.get("tau"))
        return head + note + (f"walkback simulate --scenario scenario.json --seed {seed} --out trial.csv\n"
                              f"walkback analyze trial.csv{strata}{flags}\n")
    if view == "replicates":
        return head + ("# No walkback command summarises replicates; the Python script does. This writes the same "
                       "trials\n# (replicate i is seeded as on the page) for your own analysis:\n"
                       f"walkback simulate --scenario scenario.json --seed {seed} --replicates {params['n_replicates']} "
                       "--out replicates.csv\n")
    if view == "assurance":
        priors = "".join(f" --prior-sd {n} {m!r} {sd!r}" for n, m, sd in params["priors"] if sd != float("inf"))
        return head + ("# The presets are replaced by the page's priors (the flat prior is always the first row "
                       "of the page's table;\n# the command has no flat --prior-sd, so it is left out with --only).\n"
                       f"walkback assurance --scenario scenario.json --only{priors} --mid {params['mid']!r} "
                       f"--n {params['n_total']} --n-sims {params['n_sims']} --seed {params['seed']} "
                       f"--alpha {params['alpha']!r}\n")
    if view == "design":
        text = head + ("# Analytic power at the trial's size (the Schoenfeld and Freedman columns); the page's simulated "
                       "power curve\n# uses common random numbers across its grid and is in the Python script only.\n"
                       f"walkback power --scenario scenario.json --n-sims 0 --alpha {params['alpha']!r}\n")
        by_test = params.get("power_by_test")
        if by_test is not None:  # the panel's first row (the scenario as it is); the what-ifs are in the Python script
            text += "# Simulated power of each test on the same trials (the panel's first row):\n"
            for name in ("logrank", "fh01", "fh10", "maxcombo", "rmst"):
                text += (f"walkback power --scenario scenario.json --n {int(by_test['n_total'])} --n-sims "
                         f"{int(by_test['n_sims'])} --seed {int(by_test['seed'])} --alpha {params['alpha']!r} "
                         f"--test {name}\n")
        return text
    if view == "uploaded":
        head = "#!/bin/sh\n# The walkback command for this view; the file you uploaded is beside this script.\nset -e\n"
        flags = (f" --time {shlex.quote(params['time'])} --event {shlex.quote(params['event'])} --group "
                 f"{shlex.quote(params['group'])} --reference {shlex.quote(params['reference'])}")
        if params.get("strata"):
            flags += " --strata " + " ".join(shlex.quote(c) for c in params["strata"])
        if params.get("cluster"):
            flags += f" --cluster {shlex.quote(params['cluster'])}"
        flags += _test_flags(params.get("test"), params.get("tau"))
        notes = ""
        if params.get("arms") is not None or params.get("drop_incomplete"):
            notes += ("# walkback analyze takes a file with exactly two groups and no missing values: the page's "
                      "choice of two groups\n# and its dropping of incomplete rows are in the Python script only.\n")
        if params.get("covariates") or params.get("landmarks"):
            notes += ("# walkback analyze has no covariate adjustment and uses its own landmarks: the adjusted Cox "
                      "model and the page's landmark survival are in the Python script only.\n")
        return head + notes + f"walkback analyze {shlex.quote(params['file_name'])}{flags}\n"
    if view == "group_sequential":
        return head + (f"walkback design {params['design_flags']} --scenario scenario.json --seed {seed} "
                       f"--simulate {max(int(params['n_trials']), 1)}{params['look_flags']}\n")
    return head + f"# No walkback command computes the '{view}' view; run: python walkback_{view}.py\n"


def view_script(view: str, scenario, **params: Any) -> ViewScript:
    """The script, command and (for survival views) R code that reproduce a page's numbers.

    Parameters
    ----------
    view : str
        One of :data:`VIEWS`.
    scenario : Scenario
        The scenario the page analyses (embedded in the script as JSON).
    **params
        The page's settings: ``trial``: ``seed``; ``survival``: ``seed``, ``strata``, ``covariates``, ``tau``,
        ``landmarks``, optionally ``test`` (a :class:`~analysis.stats.two_arm_tests.TestChoice`); ``adherence``: ``whatif`` (a Scenario); ``replicates``: ``n_replicates``, ``seed``;
        ``estimands``: ``seed``, ``settings`` (EstimandSettings); ``design``: ``power``, ``alpha``,
        ``parameter``, ``values``, ``n_sims``, ``seed``, ``shares``, optionally ``power_by_test`` (the panel's
        ``n_sims``, ``seed``, ``programme_weeks``, ``maintained_fraction``, ``n_total``); ``assurance``: ``priors``
        ((name, median HR, SD) each), ``mid``, ``n_total``, ``n_sims``, ``seed``, ``alpha``; ``outcomes``: ``seed``;
        ``cost_effectiveness``: ``seed``, ``economics`` (Economics), ``bootstrap``, ``threshold``, ``thresholds``,
        ``expected_trials``.

    Examples
    --------
    >>> from analysis.trial.scenario import Scenario
    >>> vs = view_script("trial", Scenario(), seed=5)
    >>> sorted(vs.files())
    ['reanalysis.R', 'scenario.json', 'walkback_command.sh', 'walkback_trial.py']
    >>> "simulate_trial(SCENARIO, seed=SEED)" in vs.python, "--seed 5" in vs.command
    (True, True)
    """
    from .export import package_version, r_reanalysis_script

    if view not in VIEWS:
        raise WalkBackInputError(f"unknown view {view!r}; choose one of {', '.join(VIEWS)}")
    if view == "uploaded":
        return _uploaded_script(params)
    scenario_json = scenario.to_json()
    body = _BODIES[view]
    if view in ("trial", "survival", "replicates", "estimands", "design", "assurance", "group_sequential", "outcomes",
                "cost_effectiveness"):
        _require(params, "seed")
    replacements: dict[str, str] = {"@SEED@": _literal(int(params["seed"])) if "seed" in params else ""}
    if view == "survival":
        options = {"strata": (), "covariates": (), "tau": 365.25, "landmarks": (182.625, 365.25, 730.5), **params}
        params = options
        replacements.update({"@STRATA@": _literal(tuple(options["strata"])),
                             "@COVARIATES@": _literal(tuple(options["covariates"])),
                             "@TAU@": _literal(None if options["tau"] is None else float(options["tau"])),
                             "@LANDMARKS@": _literal(tuple(float(x) for x in options["landmarks"]))})
    elif view == "adherence":
        _require(params, "whatif")
        replacements["@WHATIF@"] = params["whatif"].to_json()
    elif view == "replicates":
        _require(params, "n_replicates")
        replacements["@N_REPLICATES@"] = _literal(int(params["n_replicates"]))
    elif view == "estimands":
        from dataclasses import asdict

        _require(params, "settings")
        replacements["@SETTINGS@"] = _literal(asdict(params["settings"]))
    elif view == "assurance":
        _require(params, "priors", "mid", "n_total", "n_sims", "alpha")
        replacements.update({"@MID@": _literal(float(params["mid"])), "@N_TOTAL@": _literal(int(params["n_total"])),
                             "@N_SIMS@": _literal(int(params["n_sims"])), "@ALPHA@": _literal(float(params["alpha"])),
                             "@PRIORS@": _literal(tuple((str(n), float(m), float(sd)) for n, m, sd in params["priors"]))
                             .replace(" inf,", " math.inf,")})
    elif view == "design":
        _require(params, "power", "alpha", "parameter", "values", "n_sims", "shares")
        replacements.update({"@POWER@": _literal(float(params["power"])), "@ALPHA@": _literal(float(params["alpha"])),
                             "@PARAMETER@": _literal(str(params["parameter"])),
                             "@VALUES@": _literal(tuple(params["values"])), "@N_SIMS@": _literal(int(params["n_sims"])),
                             "@SHARES@": _literal(tuple(float(v) for v in params["shares"]))})
    elif view == "cost_effectiveness":
        _require(params, "economics", "bootstrap", "threshold", "thresholds", "expected_trials")
        replacements.update({"@ECONOMICS@": _literal(params["economics"].to_dict()),
                             "@BOOTSTRAP@": _literal(int(params["bootstrap"])),
                             "@THRESHOLD@": _literal(float(params["threshold"])),
                             "@THRESHOLDS@": _literal(tuple(float(v) for v in params["thresholds"])),
                             "@EXPECTED_TRIALS@": _literal(int(params["expected_trials"]))})
    elif view == "group_sequential":
        from dataclasses import asdict

        _require(params, "design", "n_trials")
        design, look_days = params["design"], params.get("look_days")
        replacements.update({"@DESIGN@": _literal(asdict(design)), "@N_TRIALS@": _literal(int(params["n_trials"])),
                             "@LOOK_DAYS@": _literal(None if look_days is None else tuple(float(d) for d in look_days))})
        params = {**params, "design_flags": _design_flags(design),
                  "look_flags": "" if look_days is None else " --look-days " + " ".join(f"{d:g}" for d in look_days)}
    by_test = params.get("power_by_test") if view == "design" else None
    if by_test is not None:
        body += _POWER_BY_TEST_BODY
        replacements.update({"@BT_N_SIMS@": _literal(int(by_test["n_sims"])), "@BT_SEED@": _literal(int(by_test["seed"])),
                             "@BT_WEEKS@": _literal(int(by_test["programme_weeks"])),
                             "@BT_KEPT@": _literal(float(by_test["maintained_fraction"])),
                             "@BT_N@": _literal(int(by_test["n_total"]))})
    test = params.get("test") if view == "survival" else None
    if test is not None:
        body += _TEST_BODY
        replacements.update(_test_tokens(test))
    body = _filled(body, replacements)
    version = package_version()
    header = _header(view, version, scenario_json)
    python = header + body + _FOOTER.replace("@VIEW@", view)
    r = r_reanalysis_script("adtte.csv", version) if view in ("trial", "survival") else None
    if view == "assurance":
        priors = params["priors"]
        r = (_ASSURANCE_R.replace("@VERSION@", version).replace("@MID@", repr(float(params["mid"])))
             .replace("@NAMES@", ", ".join(json.dumps(str(n)) for n, _, _ in priors))
             .replace("@MEDIANS@", ", ".join(repr(float(m)) for _, m, _ in priors))
             .replace("@SDS@", ", ".join("Inf" if sd == float("inf") else repr(float(sd)) for _, _, sd in priors)))
    if r is not None and test is not None:
        r += _test_r(test, tuple(params.get("strata") or ()))
    r_name = "reanalysis.R"
    if view == "group_sequential":
        r, r_name = _rpact_script(scenario, params["design"], params.get("look_days")), "rpact_design.R"
    return ViewScript(view=view, python=python, command=_commands(view, params), r=r, scenario_json=scenario_json,
                      r_name=r_name)


def _safe_file_name(name: str) -> str:
    """The uploaded file's own name, reduced to a plain file name (no folders, no shell or path characters)."""
    base = PurePath(str(name).replace("\\", "/")).name
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", base).lstrip(".") or "cohort.csv"
    return safe if safe.lower().endswith((".csv", ".txt", ".parquet", ".pq")) else safe + ".csv"


def _r_string(value: str) -> str:
    """An R string literal (JSON's escaping is valid R)."""
    return json.dumps(str(value))


def _r_strings(values) -> str:
    return "c(" + ", ".join(_r_string(v) for v in values) + ")"


#: R re-analysis of an uploaded file: the page's choices, then survival's KM, log-rank and Cox.
_UPLOADED_R = '''# Re-analysis of your file with R's survival package: Kaplan-Meier medians (log-log CIs), the log-rank test
# and the Cox hazard ratio (Efron ties@ROBUST_NOTE@), with the choices made on the page.
# Made by walkback-explorer @VERSION@. Run it in the folder that holds @FILE@:
#     Rscript reanalysis.R
library(survival)

FILE <- @R_FILE@
TIME <- @R_TIME@; EVENT <- @R_EVENT@; GROUP <- @R_GROUP@; REFERENCE <- @R_REFERENCE@
ARMS <- @R_ARMS@            # the two groups compared (NULL: the file has exactly two)
DROP_INCOMPLETE <- @R_DROP@
USED <- @R_USED@            # the columns the analysis uses
CLUSTER <- @R_CLUSTER@

if (grepl("[.](parquet|pq)$", FILE, ignore.case = TRUE)) {
  if (!requireNamespace("arrow", quietly = TRUE)) stop("this file is Parquet: install the arrow package, or save it as CSV")
  d <- as.data.frame(arrow::read_parquet(FILE))
} else {
  first <- readLines(FILE, n = 1, warn = FALSE)
  semicolon <- grepl(";", first) && !grepl(",", first)  # as the app reads it: ';' separates, ',' is the decimal mark
  d <- read.csv(FILE, sep = if (semicolon) ";" else ",", dec = if (semicolon) "," else ".", check.names = FALSE,
                stringsAsFactors = FALSE, na.strings = c("", "NA", "N/A", "NULL", "NaN", "nan", "null", "None", "<NA>"))
}
names(d) <- trimws(names(d))
d[[GROUP]] <- trimws(as.character(d[[GROUP]]))
if (!is.null(ARMS)) d <- d[!is.na(d[[GROUP]]) & d[[GROUP]] %in% ARMS, ]
if (DROP_INCOMPLETE) d <- d[stats::complete.cases(d[, USED, drop = FALSE]), ]
event <- tolower(trimws(as.character(d[[EVENT]])))
d$.event <- ifelse(event %in% c("1", "true", "t", "yes", "1.0"), 1L,
                   ifelse(event %in% c("0", "false", "f", "no", "0.0"), 0L, NA_integer_))
d$.time <- as.numeric(d[[TIME]])
levels <- sort(unique(d[[GROUP]]))
d$.arm <- factor(d[[GROUP]], levels = c(REFERENCE, setdiff(levels, REFERENCE)))

km <- survfit(Surv(.time, .event) ~ .arm, data = d, conf.type = "log-log")
lr <- survdiff(Surv(.time, .event) ~ .arm, data = d)
cox <- coxph(Surv(.time, .event) ~ .arm, data = d, ties = "efron")
print(km)          # events, median and 95% CI per group
print(lr)          # log-rank test
cat("\\nCox hazard ratio,", levels(d$.arm)[2], "vs", REFERENCE, "(95% CI):\\n")
print(summary(cox)$conf.int[, c(1, 3, 4), drop = FALSE])
if (!is.null(CLUSTER)) {  # the same model, its CI from cluster-robust standard errors (the page's cluster row)
  cox_cluster <- coxph(Surv(.time, .event) ~ .arm, data = d, ties = "efron", cluster = d[[CLUSTER]])
  cat("\\nCluster-robust by", CLUSTER, "(95% CI):\\n")
  print(summary(cox_cluster)$conf.int[, c(1, 3, 4), drop = FALSE])
}
'''


def _used_columns(params: dict) -> list[str]:
    """The columns an uploaded file's analysis uses (the ones "Drop incomplete rows" looks at)."""
    return [str(c) for c in (params["time"], params["event"], params["group"], *params["strata"], *params["covariates"],
                             *([params["cluster"]] if params["cluster"] else []))]


def _uploaded_r(params: dict, name: str, version: str) -> str:
    used = _used_columns(params)
    arms = params["arms"]
    return (_UPLOADED_R.replace("@VERSION@", version).replace("@FILE@", name).replace("@R_FILE@", _r_string(name))
            .replace("@R_TIME@", _r_string(params["time"])).replace("@R_EVENT@", _r_string(params["event"]))
            .replace("@R_GROUP@", _r_string(params["group"])).replace("@R_REFERENCE@", _r_string(params["reference"]))
            .replace("@R_ARMS@", "NULL" if arms is None else _r_strings(arms))
            .replace("@R_DROP@", "TRUE" if params["drop_incomplete"] else "FALSE")
            .replace("@R_USED@", _r_strings(used))
            .replace("@R_CLUSTER@", "NULL" if not params["cluster"] else _r_string(params["cluster"]))
            .replace("@ROBUST_NOTE@", "; also with cluster-robust SEs by " + str(params["cluster"]) if params["cluster"] else "")
            + ("# The page's stratified and covariate-adjusted models are in the Python script (walkback_uploaded.py).\n"
               if params["strata"] or params["covariates"] else ""))


def _uploaded_script(params: dict) -> ViewScript:
    """The "uploaded" view: the script, the command and the uploaded file itself, so the zip runs as it is."""
    from .export import package_version

    _require(params, "file_name", "file_bytes", "time", "event", "group", "reference")
    name = _safe_file_name(params["file_name"])
    params = {"arms": None, "drop_incomplete": False, "strata": (), "covariates": (), "tau": None, "landmarks": (),
              "cluster": None, "test": None, **params, "file_name": name}
    arms = params["arms"]
    replacements = {"@FILE@": repr(name), "@TIME@": repr(str(params["time"])), "@EVENT@": repr(str(params["event"])),
                    "@GROUP@": repr(str(params["group"])), "@REFERENCE@": repr(str(params["reference"])),
                    "@ARMS@": "None" if arms is None else _literal(tuple(str(a) for a in arms)),
                    "@DROP@": repr(bool(params["drop_incomplete"])),
                    "@STRATA@": _literal(tuple(str(c) for c in params["strata"])),
                    "@COVARIATES@": _literal(tuple(str(c) for c in params["covariates"])),
                    "@CLUSTER@": repr(params["cluster"] or None), "@USED@": _literal(tuple(_used_columns(params))),
                    "@TAU@": _literal(None if params["tau"] is None else float(params["tau"])),
                    "@LANDMARKS@": _literal(tuple(float(x) for x in params["landmarks"]))}
    body = _BODIES["uploaded"]
    test = params["test"]
    if test is not None:
        body += _UPLOADED_TEST_BODY
        replacements.update(_test_tokens(test))
    body = _filled(body, replacements)
    version = package_version()
    header = _header("uploaded", version, data_file=name)
    python = header + body + _FOOTER.replace("@VIEW@", "uploaded")
    return ViewScript(view="uploaded", python=python, command=_commands("uploaded", params),
                      r=_uploaded_r(params, name, version), data={name: bytes(params["file_bytes"])})


def _design_flags(design) -> str:
    """``walkback design`` flags for a :class:`~analysis.design.boundaries.GroupSequentialDesign` (rpact's names)."""
    flags = [f"--information {' '.join(repr(float(t)) for t in design.information_rates)}",
             f"--alpha {design.alpha!r}", f"--beta {design.beta!r}", f"--spending {design.kind}"]
    if design.sided != 1:
        flags.append(f"--sided {design.sided}")
    if design.gamma is not None:
        flags.append(f"--gamma {design.gamma!r}")
    if design.delta is not None:
        flags.append(f"--delta {design.delta!r}")
    if isinstance(design.futility, str):
        flags.append(f"--futility {design.futility}")
        if design.futility_gamma is not None:
            flags.append(f"--futility-gamma {design.futility_gamma!r}")
    elif design.futility is not None:
        flags.append("--futility z:" + ",".join(repr(float(z)) for z in design.futility))
    if design.futility is not None and design.binding_futility:
        flags.append("--binding")
    return " ".join(flags)


def _r_vector(values) -> str:
    return "c(" + ", ".join(repr(float(v)) for v in values) + ")"


def _rpact_script(scenario, design, look_days) -> str:
    """An R script (rpact) reproducing the design's boundaries and, for event-driven looks, its recurrences.

    rpact assumes exponential hazards: its calendar times and participants are an exponential approximation of
    the scenario (the control median and recruitment below); the Python script's simulation gives the model's.
    """
    from ..model.expectation import expected_trial

    args = [f"kMax = {design.looks}", f"alpha = {design.alpha!r}", f"beta = {design.beta!r}",
            f"sided = {design.sided}", f"typeOfDesign = \"{design.kind}\"",
            f"informationRates = {_r_vector(design.information_rates)}"]
    if design.gamma is not None:
        args.append(f"gammaA = {design.gamma!r}")
    if design.delta is not None:
        args.append(f"deltaWT = {design.delta!r}")
    if isinstance(design.futility, str):
        args.append(f"typeBetaSpending = \"bs{design.futility[2:]}\"")
        if design.futility_gamma is not None:
            args.append(f"gammaB = {design.futility_gamma!r}")
    elif design.futility is not None:
        args.append(f"futilityBounds = {_r_vector(design.futility)}")
    if design.futility is not None:
        args.append(f"bindingFutility = {'TRUE' if design.binding_futility else 'FALSE'}")
    e = expected_trial(scenario)
    d = scenario.design
    ratio = d.n_intervention / d.n_control
    lines = [
        "# rpact (https://www.rpact.org) reproduces the boundaries of the WalkBack Explorer group-sequential view,",
        "# and the recurrences at the looks, sized for the scenario's expected hazard ratio (Schoenfeld).",
        "# Run: Rscript rpact_design.R   (install.packages(\"rpact\") first)",
        "suppressPackageStartupMessages(library(rpact))",
        "design <- getDesignGroupSequential(" + ", ".join(args) + ")",
        "print(summary(design))",
        "cat(\"efficacy z:\", format(design$criticalValues, digits = 10), \"\\n\")",
        "cat(\"futility z:\", format(design$futilityBounds, digits = 10), \"\\n\")",
        f"hr <- {e.cox_hr!r}  # the scenario's expected ITT Cox hazard ratio",
        "# Exponential approximation of the scenario for rpact's calendar times (the model's hazard is not constant):",
        f"median_control <- {e.latent_median_control!r}  # days",
        f"accrual_days <- {float(d.recruitment_days + 1)!r}",
        f"participants <- {d.n_total}",
        f"dropout <- {d.annual_loss_to_followup!r}  # lost to follow-up within a year",
        "size <- getSampleSizeSurvival(design, hazardRatio = hr, lambda2 = log(2) / median_control,",
        "                              accrualTime = c(0, accrual_days), maxNumberOfSubjects = participants,",
        f"                              allocationRatioPlanned = {ratio!r}, dropoutRate1 = dropout,",
        "                              dropoutRate2 = dropout, dropoutTime = 365.25)",
        "cat(\"maximum recurrences:\", format(size$maxNumberOfEvents, digits = 10), \"\\n\")",
        "cat(\"recurrences at the looks:\", format(size$eventsPerStage, digits = 10), \"\\n\")",
        "cat(\"efficacy boundaries, hazard-ratio scale:\", format(size$criticalValuesEffectScale, digits = 6), \"\\n\")",
        "cat(\"expected calendar day of each look (exponential approximation):\", format(size$analysisTime, digits = 6),",
        "    \"\\n\")",
    ]
    if look_days is None:
        lines.append("# The page's looks are at ceiling(information rate x maximum recurrences) (the Python script "
                     "prints them).")
    else:
        lines.append("# The page looks on calendar days " + ", ".join(f"{x:g}" for x in look_days)
                     + " (days since the first randomisation); rpact's looks are event-driven.")
    return "\n".join(lines) + "\n"
