"""A guided lesson through the WalkBack trial: five short steps, each with a figure to play with.

Written for a lecture. Every number comes from the library (no statistics here); each step links to
the page where the topic can be explored further.
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from analysis.formats import format_ci, format_p
from analysis.plots import figures as F
from analysis.plots.design import power_curve_figure
from analysis.studies.classroom import median_ratio_under_proportional_hazards, weibull_ph_curves
from analysis.trial.published import published_figures
from app_support.tables import show_table
from app_support.studies_cache import (
    LESSON_DEFAULTS,
    adherence_bias,
    analytic_power_curve,
    one_trial,
    small_trial,
)
from app_support.shared import (
    baseline_scenario,
    cached_expected,
    current_scenario,
    guarded,
    page_header,
    plot_keyed,
)

LESSON_SEED_KEY = "lesson_trial_seed"


def step(title: str) -> None:
    st.divider()
    st.header(title)


def explore(page: str, label: str, icon: str = ":material/arrow_forward:") -> None:
    """The link under each step to the page that explores it further."""
    st.page_link(f"app_pages/{page}", label=label, icon=icon)


page_header("A guided lesson: reading the WalkBack trial",
            "Five short steps for a lecture or for reading on your own. Each has a figure you can change, and a link "
            "to the page where you can explore further. The numbers come from the calibrated simulation of the trial.")

figs = published_figures()
med_c, med_i, hr = figs["median_days_control"], figs["median_days_intervention"], figs["hazard_ratio"]
scenario = current_scenario()

st.markdown(f"""
**The trial in one paragraph.** WalkBack (Pocovi et al., Lancet 2024) randomised {figs['n_randomised'].value} adults
who had just recovered from low back pain to a walking programme with education, or to no treatment, and waited for
the back pain to come back (a *recurrence*). Half of the control group had a recurrence within **{med_c.value} days**;
in the walking group this took **{med_i.value} days**. The **hazard ratio** was **{hr.value:.2f}**.
""")

# --------------------------------------------------------------------------- step 1
step("Step 1 · Why 112/208 is not the hazard ratio 0.72")
ratio = med_c.value / med_i.value
st.markdown(f"""
The two medians give **{med_c.value} / {med_i.value} = {ratio:.2f}**, yet the paper reports a hazard ratio of
**{hr.value:.2f}**. Both are right; they answer different questions.

- The **hazard** is the risk of a recurrence *right now*, among people who have not had one yet.
  A hazard ratio of {hr.value:.2f} means: at any moment, walkers have {100 * (1 - hr.value):.0f}% less risk than controls.
- The **median** is a *time*: the day by which half of a group has had a recurrence.

How much a lower risk delays the median depends on how the risk changes over time. In WalkBack the risk was
**highest just after recovery and fell over time**. When risk falls, the people still waiting are at ever lower risk,
so a delay early on grows into a much longer wait: the median moves further than the hazard ratio suggests.
""")
shape_now = round(float(baseline_scenario().outcome.shape), 2)  # the calibrated WalkBack fit, whatever is current
row = st.container(horizontal=True, gap="large")  # side by side at 1400 px, the chart under the slider at 800 px
c1, c2 = row.container(width=300), row.container(width="stretch")
with c1:
    shape = st.slider("How the risk changes over time (Weibull shape)", 0.3, 2.0, shape_now, 0.01,
                      key="lesson_shape",
                      help="Below 1: the risk falls over time. 1: constant risk. Above 1: the risk rises.")
    curves = weibull_ph_curves(med_c.value, hr.value, shape)
    constant = weibull_ph_curves(med_c.value, hr.value, 1.0)
    st.metric("Median, walking + education", f"{curves.attrs['median_intervention']:.0f} days",
              help="Implied by the hazard ratio 0.72 at every moment and the control median of 112 days.")
    st.caption(f"With a **constant** risk (shape 1) the walking median would be only "
               f"**{constant.attrs['median_intervention']:.0f} days** (112 / 0.72). With the shape the simulation "
               f"fitted to the published results ({shape_now:.2f}, falling risk) it is "
               f"**{med_c.value * median_ratio_under_proportional_hazards(hr.value, shape_now):.0f} days**, close to the "
               f"published {med_i.value}.")
with c2:
    lines = [("control", "Control", curves.day.to_numpy(), curves.control.to_numpy(), "solid"),
             ("intervention", "Walking + education, HR 0.72", curves.day.to_numpy(), curves.intervention.to_numpy(), "solid"),
             ("control", "Control, constant risk", constant.day.to_numpy(), constant.control.to_numpy(), "dash"),
             ("intervention", "Walking + education, constant risk", constant.day.to_numpy(), constant.intervention.to_numpy(),
              "dash")]
    plot_keyed(("lesson_shape", med_c.value, hr.value, shape), F.expected_curves_figure, lines, height=380,
               max_days=730.5, title="Same hazard ratio, different medians: where each curve crosses 50%",
               key="lesson_median_fig")
st.caption("Solid: the shape you chose. Dashed: constant risk. Both pairs have the same hazard ratio (0.72) and the "
           "same control median (112 days).")
explore("adherence.py", "Explore: how adherence and walking dose move the curves")

# --------------------------------------------------------------------------- step 2
step("Step 2 · What a Kaplan-Meier curve shows, and what a censored participant is")
st.markdown("""
Not everyone is followed until their back pain returns. Some people reach the end of the study, or stop answering,
while still recurrence-free. We know only that their recurrence had *not happened yet*: they are **censored**.
Dropping them would throw away information; counting them as "no recurrence" would pretend we know more than we do.

The **Kaplan-Meier curve** uses everyone: each time someone has a recurrence, the curve steps down by the share of
the people *still being followed* at that moment. A censored person simply leaves the group still being followed,
marked by a small tick. Below is a small trial of 40 people, so you can see every step and every tick.
""")
small_seed = st.columns([0.25, 0.75])[0].number_input("Trial number", 1, 1000, LESSON_DEFAULTS["small_seed"], key="lesson_small_seed",
                                                      help="Another number gives another small trial of 40 people.")
small = guarded(lambda: small_trial(scenario, LESSON_DEFAULTS["small_n"], int(small_seed)), "The small trial")
if small is not None:
    cohort, km_small = small
    # A wrapping row, not st.columns: at 800 px columns squeezed the chart to ~240 px and its day labels ran into
    # each other; here the table moves under the chart when there is no room beside it.
    row = st.container(horizontal=True, gap="medium")
    left, right = row.container(width=480), row.container(width=400)
    with left:
        plot_keyed(("lesson_small", scenario, int(small_seed)), F.km_figure, F.arm_curves_from_km(km_small),
                   show_bands=False, show_censors=True, height=420,
                   title="A trial of 40 people: steps are recurrences, ticks are censored people", key="lesson_small_km")
    with right:
        shown = cohort[["arm", "time_days", "recurrence", "censor_reason"]].head(10).copy()
        shown["arm"] = shown["arm"].map({"intervention": "Walking + education", "control": "Control"})  # as everywhere
        shown["time_days"] = shown["time_days"].round(0).astype(int)
        shown["recurrence"] = shown["recurrence"].map({1: "recurrence", 0: "censored"})
        shown["censor_reason"] = shown["censor_reason"].astype(str).map(
            {"none": "–", "end_of_study": "study ended", "max_followup": "36 months reached",
             "lost_to_follow_up": "lost to follow-up"})
        show_table(shown.rename(columns={"arm": "Arm", "time_days": "Days", "recurrence": "Outcome",
                                           "censor_reason": "Why censored"}), hide_index=True)
        st.caption("The first 10 of the 40 people. 'Days' is the time to the recurrence, or to the last day the "
                   "person was followed if censored. Censored people still count in the curve until that day.")
explore("survival.py", "Explore: the full survival analysis of a simulated trial")

# --------------------------------------------------------------------------- step 3
step("Step 3 · One trial varies around the truth")
st.markdown("""
The simulation knows the **truth** of its scenario: the curves and hazard ratio you would see with endless
participants (dashed). A real trial has 701 people, so chance moves its results around that truth. Press the button
to run the same trial again with new participants, and watch the hazard ratio change.
""")
if LESSON_SEED_KEY not in st.session_state:
    st.session_state[LESSON_SEED_KEY] = int(scenario.seed)
if st.button("Draw another trial", icon=":material/casino:", key="lesson_draw", type="primary"):
    st.session_state[LESSON_SEED_KEY] += 1
draw = int(st.session_state[LESSON_SEED_KEY])
trial = guarded(lambda: one_trial(scenario, draw), "The simulated trial")
expected = guarded(lambda: cached_expected(scenario), "The scenario's truth")
if trial is not None and expected is not None:
    km_trial, cox_trial = trial
    cards = st.container(horizontal=True, gap="small")  # three across at 1400 px, two per line at 800 px
    a, b, c = (cards.container(width=215) for _ in range(3))
    a.metric("Hazard ratio, this trial", f"{cox_trial.hr:.2f}",
             delta=f"{cox_trial.hr - expected.cox_hr:+.2f} from the truth", delta_color="off")
    a.caption(f"95% CI {format_ci(cox_trial.lower, cox_trial.upper, 2)} · {format_p(cox_trial.p)}")
    b.metric("Hazard ratio, truth", f"{expected.cox_hr:.2f}")
    b.caption("The scenario's value with endless participants")
    curves_now = {cv.level: cv for cv in km_trial.curves}
    c.metric("Medians (days)", f"{curves_now['intervention'].median:.0f} / {curves_now['control'].median:.0f}"
             if math.isfinite(curves_now["intervention"].median) and math.isfinite(curves_now["control"].median)
             else "not reached", help="Walking + education / control, in this trial.")
    c.caption(f"truth {expected.median_intervention:.0f} / {expected.median_control:.0f} days · "
              f"trial {draw - int(scenario.seed) + 1} of this lesson")
    plot_keyed(("lesson_trial", scenario, draw), F.km_figure, F.arm_curves_from_km(km_trial), show_censors=False,
               height=440, overlay=[("intervention", expected.times, expected.survival_intervention),
                                    ("control", expected.times, expected.survival_control)],
               title="This trial (solid, with 95% bands) and the truth (dashed, 'expected' in the legend)",
               key="lesson_trial_km")
    st.caption("Does the 95% confidence interval of this trial's hazard ratio contain the truth? It should in about "
               "95 trials out of 100.")
explore("replicates.py", "Explore: hundreds of trials at once")

# --------------------------------------------------------------------------- step 4
step("Step 4 · Why per-protocol analyses mislead")
st.markdown("""
It is tempting to compare only the people who **did** the walking (the *adherent*) with the controls: surely that
shows the "real" effect? The trouble is that people who stick to a programme often differ from those who do not:
they may be healthier, more motivated or less busy, and would have done better **anyway**. This is
**healthy-adherer confounding**. Randomisation protects the **intention-to-treat (ITT)** comparison (everyone as
randomised), but not a comparison that picks people by what they did after randomisation.

The simulation can measure this, because it knows each person's outcome with *and* without the programme. Below is one
very large trial (20,000 people, so chance is small and what remains is bias) in which people differ in their
underlying risk. Increase how strongly adherence goes with low risk, and compare each estimate with its truth.
""")
rho = st.select_slider("How strongly adherence goes with low risk (healthy-adherer correlation)",
                       [0.0, 0.3, 0.6, 0.9], LESSON_DEFAULTS["correlation"],
                key="lesson_rho", help="0: adherers are like everyone else. 0.9: adherers were at much lower risk anyway.")
bias = guarded(lambda: adherence_bias(scenario, float(rho), int(scenario.seed)), "The per-protocol example")
if bias is not None:
    rows = bias.summary.set_index("estimand")
    cards = st.container(horizontal=True, gap="small")
    a, b, c = (cards.container(width=215) for _ in range(3))
    a.metric("ITT HR", f"{rows.loc['itt_hr', 'estimate']:.2f}",
             help="Intention-to-treat hazard ratio: everyone as randomised.")
    a.caption(f"truth {rows.loc['itt_hr', 'truth']:.2f} · randomisation keeps it honest")
    b.metric("Per-protocol HR", f"{rows.loc['per_protocol_hr', 'estimate']:.2f}",
             help="Per-protocol hazard ratio: adherent walkers (at least 60% of the walking target) against all controls.")
    b.caption(f"truth {rows.loc['per_protocol_hr', 'truth']:.2f} · the programme's effect among adherers")
    c.metric("As-treated HR", f"{rows.loc['as_treated_hr', 'estimate']:.2f}",
             help="As-treated hazard ratio: everyone walking at least 120 min/week at week 12 against everyone walking less, arms pooled.")
    c.caption(f"truth {rows.loc['as_treated_hr', 'truth']:.2f} · the effect of walking that much")
    forest = pd.DataFrame([
        {"label": f"{name}, {what}", "estimate": rows.loc[key, column], "kind": kind,
         "lower": rows.loc[key, "lower"] if column == "estimate" else math.nan,
         "upper": rows.loc[key, "upper"] if column == "estimate" else math.nan}
        for key, name in (("itt_hr", "ITT"), ("per_protocol_hr", "Per-protocol"), ("as_treated_hr", "As-treated"))
        for column, what, kind in (("estimate", "estimate", "simulated"), ("truth", "truth", "expected"))])
    plot_keyed(("lesson_bias", scenario, float(rho)), F.estimate_forest_figure, forest, x_title="Hazard ratio (log scale)",
               title="Each estimate (dot, 95% CI) against its truth (cross)", key="lesson_estimands")
    st.caption("The truths here differ from 0.72 because this example adds differences in underlying risk between "
               "people, which the published trial could not measure.")
    st.caption("With a correlation of 0 every estimate lands near its own truth. As the correlation grows, the "
               "per-protocol and as-treated hazard ratios fall below their truths, making walking look better than it "
               "is: part of the apparent benefit is that adherers were at lower risk to begin with. The ITT estimate "
               "does not move.")
explore("estimands.py", "Explore: ITT, per-protocol, as-treated and CACE estimands")

# --------------------------------------------------------------------------- step 5
step("Step 5 · What power means")
st.markdown("""
Step 3 showed that a trial's result varies by chance. **Power** is the chance that a trial *detects* an effect
that really exists: the share of trials, all run the same way, whose test reaches p < 0.05. Power grows with the
number of participants, or more exactly with the number of **recurrences** observed, because each recurrence carries
the information. Trials are usually planned for 80% or 90% power.
""")
effect = st.select_slider("If the true hazard ratio were", [0.6, 0.65, 0.72, 0.8, 0.85, 0.9],
                          LESSON_DEFAULTS["hazard_ratio"],
                          key="lesson_hr", help="0.72 is WalkBack's. Closer to 1 means a smaller effect.")
curve = guarded(lambda: analytic_power_curve(scenario, float(effect)), "The power curve")
if curve is not None:
    row = curve.summary.set_index("n_total").loc[scenario.design.n_total] \
        if scenario.design.n_total in set(curve.summary.n_total) else None
    if row is not None:
        st.markdown(f"With a hazard ratio of {row.hr:.2f} and about {row.events_expected:.0f} recurrences, a trial "
                    f"of {scenario.design.n_total} people like WalkBack has about "
                    f"**{100 * row.power_schoenfeld:.0f}% power**: about {100 * (1 - row.power_schoenfeld):.0f} such "
                    "trials in 100 would miss the effect (p ≥ 0.05) even though it is real. Choose a smaller effect "
                    "and see how many more people a trial would need to reach the 90% line.")
    plot_keyed(("lesson_power", scenario, float(effect)), power_curve_figure, curve.summary, x_title="Participants",
               target_power=0.9, height=380,
               title="Power of the log-rank test against the number of participants (formulas)", key="lesson_power")
    st.caption("Schoenfeld's and Freedman's formulas. The Design page adds simulated trials, which count how often "
               "p < 0.05 happens, and shows how lower adherence reduces power.")
explore("design_trial.py", "Explore: design your own trial")

st.divider()
st.markdown("**Teaching with this?** The Class set page gives every student their own simulated trial, a worksheet "
            "and you an answer key.")
explore("classroom.py", "Make a class set", ":material/school:")
