"""The survival-analysis view shared by the Survival, Data and Adherence pages (not a page).

Calls :func:`analysis.stats.survival.analyze_two_arm` through bounded caches and renders the result:
KMunicate-style curves with a risk table, medians, landmarks, log-rank, Cox models, the PH
check and RMST. Display toggles only re-draw; they never re-simulate or re-analyse.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import pandas as pd
import streamlit as st

from analysis.formats import format_ci, format_number, format_p

from analysis.plots import figures as F
from analysis.model.expectation import ExpectedTrial
from typing import NamedTuple

from analysis.stats.survival import (
    CoxModel,
    KaplanMeier,
    RiskTable,
    TwoArmAnalysis,
    analyze_two_arm,
    cox,
    kaplan_meier,
    risk_table,
)
from analysis.stats import time_units as units
from analysis.stats.time_units import risk_times, unit_or_days
from analysis.trial.scenario import Scenario
from app_support.shared import memo, cached_cohort, guarded, plot, plot_cached, plot_keyed
from app_support.tables import show_table

DAYS_PER_MONTH = 365.25 / 12
BASELINE_COVARIATES = ("age_years", "sex", "history_gt2_episodes", "referral", "baseline_walking_minutes")
STRATIFICATION = ("history_gt2_episodes", "referral")
#: The Survival page's default adjustment, RMST horizon and landmarks.
DEFAULT_COVARIATES = ("age_years", "sex", "history_gt2_episodes")
DEFAULT_TAU_MONTHS = 12
DEFAULT_LANDMARK_MONTHS = (6, 12, 24)


def survival_defaults(max_time: float) -> dict:
    """What :func:`analysis_options` returns on the Survival page while nobody has touched it (warm-up uses it)."""
    return {"strata": STRATIFICATION, "covariates": DEFAULT_COVARIATES,
            "tau": units.horizon(max_time, "days", DEFAULT_TAU_MONTHS),
            "landmarks": units.landmarks(max_time, "days", DEFAULT_LANDMARK_MONTHS)}


def without_models(options: dict) -> dict:
    """The analysis options without stratification or adjustment: what the Survival page shows before its models'
    tab opens (one Cox fit instead of three; the stratified and adjusted models follow when asked for)."""
    return {**options, "strata": (), "covariates": ()}


@memo(32, show_spinner="Analysing the simulated trial...")
def simulated_analysis(scenario: Scenario, seed: int, strata: tuple[str, ...] = (), covariates: tuple[str, ...] = (),
                       tau: float | None = 365.25, landmarks: tuple[float, ...] = (182.625, 365.25, 730.5)) -> TwoArmAnalysis:
    cohort = cached_cohort(scenario, seed)
    return analyze_two_arm(cohort, strata=strata, covariates=covariates, tau=tau, landmarks=landmarks,
                           risk_times=risk_times(float(cohort["time_days"].max()), "days"))


class TrialHeadline(NamedTuple):
    """The few analyses the trial overview needs (quicker than the full analysis on a cold start)."""

    km: KaplanMeier
    cox: CoxModel
    risk_table: RiskTable


@memo(16, show_spinner="Simulating and analysing the trial...")
def simulated_headline(scenario: Scenario, seed: int) -> TrialHeadline:
    cohort = cached_cohort(scenario, seed)
    return TrialHeadline(km=kaplan_meier(cohort, landmarks=()), cox=cox(cohort),
                         risk_table=risk_table(cohort, times=risk_times(float(cohort["time_days"].max()), "days")))


@memo(8, show_spinner="Analysing your file...")
def uploaded_analysis(df: pd.DataFrame, time: str, event: str, group: str, reference: str,
                      strata: tuple[str, ...] = (), covariates: tuple[str, ...] = (), tau: float | None = None,
                      landmarks: tuple[float, ...] = (), cluster: str | None = None) -> TwoArmAnalysis:
    return analyze_two_arm(df, time=time, event=event, group=group, reference=reference, strata=strata,
                           covariates=covariates, tau=tau, landmarks=landmarks, cluster=cluster,
                           risk_times=risk_times(float(pd.to_numeric(df[time], errors="coerce").max()), unit_or_days(time)))


def _arm_name(level: str) -> str:
    return F.ARM_LABELS.get(str(level), str(level))


def _fmt_time(value: float, unit: str) -> str:
    if value is None or not math.isfinite(value):
        return "not reached"
    return f"{value:.0f} days" if unit == "days" else f"{value:.3g} {unit}"


def headline_metrics(result: TwoArmAnalysis, *, time_unit: str = "days") -> None:
    """Medians with CIs, HR with CI, log-rank p and events, as big numbers."""
    curves = {c.level: c for c in result.km.curves}
    other, reference = result.km.curves[1].level, result.km.curves[0].level
    digits = 0 if time_unit == "days" else 1
    # Two by two: four metrics in one row are cut ("Walki...", "2...") on narrow screens.
    cols = [*st.columns(2), *st.columns(2)]
    for col, level in zip(cols[:2], (other, reference)):
        c = curves[level]
        col.metric(f"Median, {F.arm_label(level).lower() if level in F.ARM_LABELS else level}", _fmt_time(c.median, time_unit),
                   help=f"95% CI {format_ci(c.median_lower, c.median_upper, digits)} {time_unit} (log-log).")
        col.caption(f"95% CI {format_ci(c.median_lower, c.median_upper, digits)} · {c.events} events / {c.n}")
    cols[2].metric("Hazard ratio (Cox)", f"{result.cox.hr:.2f}" if math.isfinite(result.cox.hr) else "–",
                   help="Unadjusted Cox model, Efron ties; below 1 favours the first arm named.")
    cols[2].caption(f"95% CI {format_ci(result.cox.lower, result.cox.upper, 2)} · {format_p(result.cox.p)}")
    events = sum(c.events for c in result.km.curves)
    cols[3].metric("Recurrences observed", f"{events}")
    cols[3].caption(f"log-rank {format_p(result.logrank.p)}")


def km_panel(result: TwoArmAnalysis, *, key_prefix: str, overlay: ExpectedTrial | None = None,
             height: int = 640, title: str | None = None, time_unit: str = "days", cache_key: object = None) -> None:
    """Display toggles and the KM figure (toggles only re-draw).

    ``cache_key`` (hashable, determining ``result`` and ``overlay``, e.g. the scenario, seed and analysis options)
    lets the built figure be reused across runs and sessions.
    """
    # A wrapping row: four toggles in fixed columns are cut ("% re...", "Censor ...") on narrow screens.
    row = st.container(horizontal=True, gap="medium")
    c1 = c2 = c3 = c4 = row
    cumulative = c1.toggle("% recurred", key=f"{key_prefix}_cum",
                           help="Show the share who have had a recurrence (1 - KM) instead of the share recurrence-free.")
    bands = c2.toggle("95% bands", value=True, key=f"{key_prefix}_bands")
    censors = c3.toggle("Censor marks", value=True, key=f"{key_prefix}_censor")
    show_overlay = c4.toggle("Expected curves", value=overlay is not None, key=f"{key_prefix}_overlay",
                             disabled=overlay is None, help="The scenario's exact expected curves, dashed.")
    overlays = []
    if overlay is not None and show_overlay:
        overlays = [("intervention", overlay.times, overlay.survival_intervention),
                    ("control", overlay.times, overlay.survival_control)]
    landmark_days = tuple(sorted(set(result.km.landmarks["time"].tolist()))) if len(result.km.landmarks) else ()
    options = dict(cumulative=cumulative, show_bands=bands, show_censors=censors, landmarks=landmark_days,
                   height=height, title=title, time_unit=time_unit)
    if cache_key is None:
        plot(km_result_figure(result.km, result.risk_table, overlays, **options), key=f"{key_prefix}_km")
    else:
        plot_keyed((cache_key, bool(overlays)), km_result_figure, result.km, result.risk_table, overlays,
                   key=f"{key_prefix}_km", **options)


def trial_km_figure_args(scenario: Scenario, headline: TrialHeadline, cumulative: bool = False) -> tuple:
    """``plot_keyed`` arguments of the trial page's KM figure (one definition: the page and the warm-up use it)."""
    return (("trial", scenario, scenario.seed), km_result_figure, (headline.km, headline.risk_table, []),
            {"cumulative": cumulative, "height": 600,
             "title": "Simulated trial: time to first activity-limiting recurrence"})


def km_result_figure(km: KaplanMeier, table: RiskTable, overlays: list, **options):
    """The KM figure of an analysis (curves, risk table, optional expected overlays)."""
    return F.km_figure(F.arm_curves_from_km(km), risk_table=F.risk_table_for_plot(table), overlay=overlays, **options)


_GENERIC_PH_NOTE = (
    "When hazards are not proportional, the Cox hazard ratio is an average of a ratio that changes over time "
    "(weighted towards the times when most events happen), not one constant effect. The restricted mean and the "
    "landmark risks describe the difference without assuming proportional hazards.")


def ph_note_for(scenario: Scenario) -> str:
    """What the simulator builds in: why the PH test is expected to reject for a simulated trial."""
    w = scenario.walking
    return (
        f"**Non-proportional hazards are built in on purpose.** In the simulator the walking effect ramps up over the "
        f"first {w.ramp_weeks} weeks (people progress to their walking plateau), and after the {w.programme_weeks}-week "
        f"programme the extra walking fades towards {100 * w.maintained_fraction:.0f}% of the plateau (half-life "
        f"{w.post_programme_half_life_weeks:g} weeks). The hazard ratio is therefore near 1 at the start, lowest "
        "around months 3 to 6 and weaker later, so a small p here is expected, not a fault. " + _GENERIC_PH_NOTE)


#: Words on screen for the cohort's baseline variables (an uploaded file's own column names are shown as they are).
VARIABLE_LABELS = {"age_years": "age", "sex": "sex", "history_gt2_episodes": "> 2 previous episodes",
                   "referral": "referral", "baseline_walking_minutes": "baseline walking (min/week)"}


def _variable_label(name: str) -> str:
    return VARIABLE_LABELS.get(str(name), str(name))


def _term_label(term: str) -> str:
    if str(term).startswith(("arm", "group")):
        return "Arm (walking + education vs control)"
    name, _, level = str(term).partition("[")  # a category's dummy, e.g. "sex[male]" -> "sex: male"
    label = VARIABLE_LABELS.get(name, name.replace("_", " "))
    return f"{label}: {level.rstrip(']')}" if level else label


def _with_models(result: TwoArmAnalysis, models: Callable[[], TwoArmAnalysis | None] | None) -> TwoArmAnalysis:
    full = models() if models is not None else result
    if full is None:  # the models could not be fitted: the error is on the page already
        st.stop()
    return full


def detail_tabs(result: TwoArmAnalysis, *, key_prefix: str, time_unit: str = "days", ph_note: str | None = None,
                models: Callable[[], TwoArmAnalysis] | None = None) -> None:
    """Medians and landmarks, tests and models, the PH check, RMST and follow-up.

    ``models`` (optional) gives the analysis with the stratified and adjusted models, computed only when a tab that
    shows them (or the PH check of the adjusted model) opens; ``result`` then needs only the unadjusted analysis.
    """
    # Tabs render lazily: only the open one runs, so the figures behind the others cost nothing.
    t1, t2, t3, t4, t5 = st.tabs(["Medians and landmarks", "Log-rank and Cox", "Proportional hazards",
                                  "Restricted mean", "Follow-up"], key=f"{key_prefix}_tabs", on_change="rerun")
    if t1.open:
        with t1:
            med = result.km.summary.copy()
            med["level"] = med["level"].map(_arm_name)
            med["95% CI"] = [format_ci(lo, hi, 0) for lo, hi in zip(med.median_lower, med.median_upper)]
            show_table(med[["level", "n", "events", "median", "95% CI"]].rename(
                columns={"level": "Arm", "n": "Participants", "events": "Events", "median": f"Median ({time_unit})"}),
                hide_index=True, column_config={f"Median ({time_unit})": st.column_config.NumberColumn(format="%.0f")})
            lm = result.km.landmarks.copy()
            if len(lm):
                lm["level"] = lm["level"].map(_arm_name)
                lm["Recurrence-free"] = [f"{100 * s:.1f}%" if math.isfinite(s) else "–" for s in lm.survival]
                lm["95% CI"] = [f"{100 * lo:.1f} to {100 * hi:.1f}%" if math.isfinite(lo) and math.isfinite(hi) else "–"
                                for lo, hi in zip(lm.lower, lm.upper)]
                lm["At"] = [f"{t:.0f} {time_unit}" + (f" ({t / DAYS_PER_MONTH:.0f} months)" if time_unit == "days" else "")
                            for t in lm.time]
                show_table(lm[["At", "level", "Recurrence-free", "95% CI", "n_risk"]].rename(
                    columns={"level": "Arm", "n_risk": "At risk"}), hide_index=True)
            st.caption("Kaplan-Meier with log-log 95% intervals (R survfit conf.type = \"log-log\"). "
                       "NR: the bound is not reached within follow-up.")
    if t2.open:
        result = _with_models(result, models)
        with t2:
            rows = [("Log-rank", result.logrank.chisq, math.nan, math.nan, math.nan, result.logrank.p)]
            if result.logrank_stratified is not None:
                rows.append((f"Stratified log-rank ({', '.join(map(_variable_label, result.logrank_stratified.strata))})",
                             result.logrank_stratified.chisq, math.nan, math.nan, math.nan, result.logrank_stratified.p))
            models = [("Cox, unadjusted", result.cox), ("Cox, stratified", result.cox_stratified),
                      ("Cox, adjusted", result.cox_adjusted)]
            if result.cox_cluster is not None:
                c = result.cox_cluster
                models.append((f"Cox, robust SE by {_variable_label(c.cluster)} ({c.n_clusters} clusters)", c))
            for name, m in models:
                if m is None:
                    continue
                detail = (f" ({', '.join(map(_variable_label, m.strata))})" if m.strata else "") + (
                    f" for {', '.join(map(_variable_label, m.covariates))}" if m.covariates else "")
                rows.append((name + detail, math.nan, m.hr, m.lower, m.upper, m.p))
            table = pd.DataFrame(rows, columns=["Analysis", "Chi-square", "Hazard ratio", "lower", "upper", "p"])
            table["95% CI"] = [format_ci(lo, hi, 2) if math.isfinite(lo) else "" for lo, hi in zip(table.lower, table.upper)]
            table["p"] = [format_p(p) for p in table.p]
            table["95% CI"] = table["95% CI"].replace("", "–")
            # A fixed format per column, right-aligned as numbers are; a test without that quantity shows a dash
            # (an empty number cell would read "None": Streamlit 1.67 ignores a Styler's na_rep for missing values).
            table["Chi-square"] = [format_number(v, 2) for v in table["Chi-square"]]
            table["Hazard ratio"] = [format_number(v, 3) for v in table["Hazard ratio"]]
            show_table(table[["Analysis", "Chi-square", "Hazard ratio", "95% CI", "p"]], hide_index=True,
                         column_config={name: st.column_config.TextColumn(alignment="right")
                                        for name in ("Chi-square", "Hazard ratio", "95% CI", "p")})
            forest = pd.DataFrame([{"label": name, "estimate": m.hr, "lower": m.lower, "upper": m.upper, "kind": "simulated"}
                                   for name, m in models if m is not None])
            plot_cached(F.estimate_forest_figure, forest, x_title="Hazard ratio (95% CI), log scale",
                        key=f"{key_prefix}_forest")
            if result.cox_adjusted is not None:
                with st.expander("All terms of the adjusted model"):
                    terms = result.cox_adjusted.summary.copy()
                    terms["term"] = terms["term"].map(_term_label)
                    terms["p"] = [format_p(v) for v in terms["p"]]
                    show_table(terms, hide_index=True, column_config={
                        "term": st.column_config.TextColumn("Term"),
                        "coef": st.column_config.NumberColumn("Log hazard ratio", format="%.3f"),
                        "se": st.column_config.NumberColumn("Standard error", format="%.3f"),
                        "hr": st.column_config.NumberColumn("Hazard ratio", format="%.3f"),
                        "lower": st.column_config.NumberColumn("95% CI, lower", format="%.3f"),
                        "upper": st.column_config.NumberColumn("95% CI, upper", format="%.3f"),
                        "z": st.column_config.NumberColumn("z (coefficient / SE)", format="%.2f"),
                        "p": st.column_config.TextColumn("p", alignment="right")})
                    st.caption("Each hazard ratio is for one unit more of its variable (a year of age, for "
                               "example) with the others held fixed; the arm's is walking + education against control.")
    if t3.open:
        result = _with_models(result, models)
        with t3:
            # A wrapping row: beside each other when both fit, the test's table under the plot otherwise (in fixed
            # columns the table lost its p column, even at 1400 px).
            row = st.container(horizontal=True, gap="large")
            left, right = row.container(width=420), row.container(width="stretch")
            with left:
                lml = result.ph.loglog.rename(columns={"level": "arm", "log_minus_log_survival": "log_minus_log"})
                plot_cached(F.log_minus_log_figure, lml, title="Log-minus-log survival", key=f"{key_prefix}_lml")
            with right:
                zph = result.ph.summary.copy()
                zph["term"] = zph["term"].map(lambda t: "Global" if str(t).upper() == "GLOBAL" else _term_label(t))
                zph["p"] = [format_p(p) for p in zph.p]
                show_table(zph.rename(columns={"term": "Term", "chisq": "Chi-square", "df": "df"}),
                             hide_index=True, column_config={
                                 "Chi-square": st.column_config.NumberColumn(format="%.2f"),
                                 "df": st.column_config.NumberColumn("df", help="Degrees of freedom", format="%d")})
                st.caption("Schoenfeld-residual test (R cox.zph, KM time scale). A small p, or log-minus-log lines "
                           "that converge or cross, say the hazard ratio changes over follow-up.")
            st.markdown(ph_note or _GENERIC_PH_NOTE)
    if t4.open:
        with t4:
            r = result.rmst
            a, b, c = st.columns(3)
            labels = [F.arm_label(lv) if lv in F.ARM_LABELS else lv for lv in r.levels]
            a.metric(f"RMST, {labels[1]}", f"{r.rmst[1]:.0f} {time_unit}")
            b.metric(f"RMST, {labels[0]}", f"{r.rmst[0]:.0f} {time_unit}")
            c.metric("Difference", f"{r.difference:+.0f} {time_unit}", help="Other arm minus reference arm.")
            st.caption(f"Restricted mean recurrence-free time up to {r.tau:.0f} {time_unit}: the area under each curve. "
                       f"Difference 95% CI {format_ci(r.lower, r.upper, 1)} {time_unit}, {format_p(r.p)}.")
    if t5.open:
        with t5:
            fu = result.followup.summary.copy()
            fu["level"] = fu["level"].map(lambda v: "Both arms" if v == "overall" else _arm_name(v))
            fu["95% CI"] = [format_ci(lo, hi, 0) for lo, hi in zip(fu.lower, fu.upper)]
            show_table(fu[["level", "median", "95% CI"]].rename(columns={"level": "Arm", "median": f"Median follow-up ({time_unit})"}),
                         hide_index=True, column_config={f"Median follow-up ({time_unit})": st.column_config.NumberColumn(format="%.0f")})
            st.caption("Reverse Kaplan-Meier: censoring treated as the event.")


def analysis_options(*, key_prefix: str, strata_choices: Sequence[str], covariate_choices: Sequence[str],
                     default_strata: Sequence[str] = (), default_covariates: Sequence[str] = (),
                     max_time: float = 36 * DAYS_PER_MONTH, time_unit: str = "days",
                     cluster_choices: Sequence[str] = ()) -> dict:
    """Widgets for the analysis inputs (strata, covariates, RMST horizon, landmarks; a cluster column when
    ``cluster_choices`` are given)."""
    with st.expander("Analysis options: stratification, adjustment, RMST horizon, landmarks", icon=":material/tune:"):
        a, b = st.columns(2)
        strata = a.multiselect("Stratify the log-rank test and a Cox model by", list(strata_choices),
                               format_func=_variable_label,
                               default=[s for s in default_strata if s in strata_choices], key=f"{key_prefix}_strata")
        covariates = b.multiselect("Adjust a Cox model for (baseline only)", list(covariate_choices),
                                   format_func=_variable_label,
                                   default=[c for c in default_covariates if c in covariate_choices],
                                   key=f"{key_prefix}_cov")
        months_max = int(max_time // DAYS_PER_MONTH) if time_unit == "days" and math.isfinite(max_time) else 0
        if months_max >= 2:  # a slider needs two whole months at least (min < max)
            tau_months = a.slider("RMST horizon (months)", 1, months_max, min(DEFAULT_TAU_MONTHS, months_max),
                                  key=f"{key_prefix}_tau")
            landmark_months = b.multiselect("Landmarks (months)", [3, 6, 12, 18, 24, 36],
                                            default=list(DEFAULT_LANDMARK_MONTHS),
                                            key=f"{key_prefix}_lm")
            tau = tau_months * DAYS_PER_MONTH
            landmarks = tuple(sorted(m * DAYS_PER_MONTH for m in landmark_months if m * DAYS_PER_MONTH <= max_time))
        else:
            horizon = float(max_time) if math.isfinite(max_time) and max_time > 0 else 1.0
            tau = a.number_input(f"RMST horizon ({time_unit})", min_value=0.0, value=horizon, key=f"{key_prefix}_tau_raw",
                                 help="Up to the longest follow-up time in the file.")
            tau = tau if tau > 0 else None
            landmarks = ()
        options = {"strata": tuple(strata), "covariates": tuple(covariates), "tau": tau, "landmarks": landmarks}
        if cluster_choices:
            guess = next((i + 1 for i, c in enumerate(cluster_choices) if "clinic" in str(c).lower()), 0)
            options["cluster"] = a.selectbox("Cluster-robust standard errors by (e.g. clinic)",
                                             [None, *cluster_choices], index=guess, key=f"{key_prefix}_cluster",
                                             format_func=lambda c: "none" if c is None else _variable_label(c),
                                             help="Adds a Cox model whose standard errors allow for outcomes that are "
                                                  "alike within a cluster, as R's coxph(... + cluster(clinic)).")
    return options


km_panel_fragment = st.fragment(km_panel)
detail_tabs_fragment = st.fragment(detail_tabs)


def render_analysis(result: TwoArmAnalysis, *, key_prefix: str, overlay: ExpectedTrial | None = None,
                    time_unit: str = "days", title: str | None = None, ph_note: str | None = None,
                    cache_key: object = None, models: Callable[[], TwoArmAnalysis] | None = None) -> None:
    """Headline numbers, the KM panel and the detail tabs; ``models`` as in :func:`detail_tabs`."""
    headline_metrics(result, time_unit=time_unit)
    # Fragments: a display toggle or a tab re-runs only its own part of the page, not the whole analysis page.
    km_panel_fragment(result, key_prefix=key_prefix, overlay=overlay, title=title, time_unit=time_unit,
                      cache_key=cache_key)
    detail_tabs_fragment(result, key_prefix=key_prefix, time_unit=time_unit, ph_note=ph_note, models=models)


def simulated_km_panel(scenario: Scenario, *, key_prefix: str, overlay: ExpectedTrial | None = None) -> None:
    """One simulated trial of ``scenario``: headline numbers and KM curves."""
    result = guarded(lambda: simulated_analysis(scenario, scenario.seed), "Simulating this scenario")
    if result is None:
        return
    headline_metrics(result)
    km_panel(result, key_prefix=key_prefix, overlay=overlay, height=560, cache_key=("simulated", scenario, scenario.seed))
