"""Methods: the model's equations, what is published, derived or assumed, and the references."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis.trial.published import not_published, published_figures, published_sources
from analysis.trial.scenario import ASSUMPTIONS
from analysis.trial.sharing import describe_value, field_label
from analysis.formats import format_cell
from app_support.tables import show_table
from app_support.calibration_view import event_range_section
from app_support.shared import current_scenario, page_header

page_header("Methods", "How the simulator works, where every number comes from, and what the analyses compute.")

scenario = current_scenario()
figs = published_figures()

pages_tab, model_tab, sources_tab, analysis_tab, estimands_tab, power_tab, refs_tab = st.tabs(
    ["The pages", "The model", "Published, derived, assumed", "The analyses", "Estimands", "Power and sample size",
     "References"])

with pages_tab:
    st.markdown(
        "- **The trial**: what WalkBack published, beside one simulated trial of the current scenario and the "
        "scenario's *expected* values (what it gives on average, without chance).\n"
        "- **Survival curves**: the full time-to-event analysis of one simulated trial (tab *The analyses*).\n"
        "- **Outcomes**: every published outcome (any and care-seeking recurrences, recovery, worst pain, all "
        "episodes, harms) beside one simulated trial and the scenario's expected values; the episodes follow the "
        "episode model (tab *The model*).\n"
        "- **Adherence and walking dose**: exact expected results when fewer people start, adhere or keep walking; "
        "nothing is simulated, so the differences are the model's, not chance's (tab *The model*).\n"
        "- **Replicates**: the same trial many times with fresh chance: how far one trial can land from the "
        "expected values, how often it reaches p < 0.05, and whether its confidence intervals cover.\n"
        "- **Estimands**: which effect each analysis estimates, checked against the truth only a simulator knows "
        "(tab *Estimands*).\n"
        "- **Design a trial**: power and sample size by formula and by simulation (tab *Power and sample size*).\n"
        "- **Cost-effectiveness**: the trial's economic evaluation redone on a simulated trial: costs and QALYs per "
        "participant, the ICER, a stratified bootstrap, the acceptability and net-benefit curves and a one-way "
        "sensitivity analysis; unit costs and utilities not found in the published sources are labelled "
        "assumptions.\n"
        "- **Guided lesson**: five short steps for a lecture (why 112/208 is not the hazard ratio, censoring, chance, "
        "per-protocol bias, power), each with a figure and a link to the page that explores it.\n"
        "- **Scenario**: every number the simulator uses, the calibration to the published trial, the link.\n"
        "- **Data**: download the simulated trial, or analyse your own two-arm file with the same methods.\n"
        "- **Class set**: for teachers, a different simulated trial for each student, a worksheet and an answer key "
        "computed exactly as `walkback analyze` does.\n\n"
        "One seed and one scenario serve every page; both travel in the link in the address bar.")


with model_tab:
    st.markdown("## Recurrence hazard")
    st.markdown("Participant *i*'s hazard of a first activity-limiting recurrence on day *t* after randomisation is")
    st.latex(r"h_i(t) = h_0(t)\; e^{\sigma z_i}\; \mathrm{HR}_{\mathrm{hist}}^{\,\mathrm{hist}_i}\; E_i\; RR\big(x_i(t)\big)")
    st.markdown(
        "- $h_0$ is the baseline hazard of a control participant: Weibull "
        r"$h_0(t) = \frac{k}{\lambda}\left(\frac{t}{\lambda}\right)^{k-1}$ (default), exponential or piecewise exponential;"
        "\n- $z_i$ is a standard-normal frailty with SD $\\sigma$ (default 0: no unexplained heterogeneity);"
        "\n- $\\mathrm{hist}_i$ = 1 for more than two previous episodes (a stratification factor);"
        "\n- $E_i$ is the education hazard ratio for participants who start the programme (default 1);"
        "\n- $x_i(t)$ is the participant's *extra* walking (minutes per week above their own baseline), and $RR$ the "
        "dose-response curve.")
    st.markdown("## Dose-response (assumed)")
    st.latex(r"RR_{\text{log-linear}}(x) = e^{-\beta x / 100} \qquad RR_{\text{Emax}}(x) = 1 - E_{\max}\,\frac{x}{ED_{50} + x}")
    st.markdown("## Walking dose over time")
    st.markdown("A participant who starts walks "
                r"$x_i(t) = a_i\,(\text{target} - b_i)^{+}\, f(t)$ extra minutes per week, where $a_i$ is their "
                "adherence, $b_i$ their baseline walking and $f$ the programme's trajectory: rising evenly to 1 over "
                f"the first {scenario.walking.ramp_weeks} weeks, 1 until week {scenario.walking.programme_weeks}, then")
    st.latex(r"f(t) = m + (1 - m)\, 2^{-(t - T)/h} \quad (t > T)")
    st.markdown("with $m$ the share kept long-term and $h$ the half-life. Adherence among starters is logit-normal, "
                r"$a_i = \operatorname{expit}(\mu + s\,\Phi^{-1}(q_i))$, with $\mu$ solved so the mean equals the chosen "
                "mean adherence. Control participants and never-starters keep a constant spontaneous extra walking "
                "(exponential, mean "
                f"{scenario.walking.control_extra_minutes:.0f} min/week). Walking is a weekly step function, so the "
                "cumulative hazard has a closed form and event times are drawn exactly by inverting it.")
    st.markdown("## Time in whole days")
    st.markdown(
        "WalkBack recorded days to recurrence (from monthly self-report), so every simulated time is a whole number "
        r"of days: a time $u$ days after randomisation is recorded as day $\lfloor u \rfloor + 1$, the randomisation "
        r"day being day 1 (as $\text{AVAL} = \text{ADT} - \text{STARTDT} + 1$ in the ADTTE export). Events and "
        "censorings go through the same map, so an event and a censoring on the same day are tied; the Kaplan-Meier "
        "and Cox (Efron) analyses treat ties as R's survival package does (events before censorings). Follow-up ends "
        "on the study end date (counted inclusively) or on the day the maximum follow-up is completed (by default 36 "
        "months, 1,095.75 days: day 1,096). Recovery from the first recurrence counts the onset day as day 1 (recovery day - onset day + 1), so "
        "no duration is zero.")
    st.markdown("## Calibration")
    st.markdown(
        "For any choice of the assumptions, the free parameters (Weibull scale and shape, the strength of the walking "
        "effect, the annual loss to follow-up) are solved so that, *on expectation*, the control median is "
        f"{figs['median_days_control'].value} days, the intervention median {figs['median_days_intervention'].value} "
        f"days, the ITT Cox hazard ratio {figs['hazard_ratio'].value} and the number of recurrences about "
        f"{figs['events_total'].value}. Expectations are exact: survival curves are averages over a fixed "
        "quasi-random sample of participants, and the hazard ratio is the large-sample limit of the Cox estimate "
        "under the trial's recruitment and follow-up. The published figures were computed on whole days, so the "
        "targets are expected *whole-day* figures: the whole-day median is the first day on which survival is at or "
        "below one half, so the model's continuous median is aimed at the middle of the published day (111.5 days "
        "for 112); the hazard ratio's target is the limit of Efron's estimate on whole-day data. For the recurrence "
        "endpoints that equals the continuous-time limit to within 0.001%, which is used; for recovery, with medians "
        "of 3 and 4 days, most times are tied and the calibration uses Efron's whole-day limit.")
    event_range_section(scenario)  # the derived ~506 and the loss to follow-up it needs
    st.info(f"**Why the hazard must fall over time.** Under proportional hazards, $S_1 = S_0^{{0.72}}$. With a Weibull "
            f"baseline the two medians then give a shape of about {figs['weibull_shape_ph'].value} (derived: "
            f"{figs['weibull_shape_ph'].method}). A constant hazard (exponential) matching both medians would imply "
            f"HR = 112/208 = {figs['hr_exponential_from_medians'].value}, not 0.72, so an exponential scenario cannot "
            "reproduce all three published figures; the Scenario page says so when you try.", icon=":material/info:")

def _shown(value) -> str:
    """A published figure's value as read: lists as "4, 6 and 8" (not "[4, 6, 8]"), numbers as written."""
    if isinstance(value, (list, tuple)):
        items = [format_cell(v) for v in value]
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
    return format_cell(value) if isinstance(value, float) else str(value)


with sources_tab:
    st.markdown("## Published (Lancet 2024 and protocol)")
    published = pd.DataFrame([
        {"Figure": f.label, "Value": _shown(f.value), "95% CI": f"{f.ci[0]} to {f.ci[1]}" if f.ci else "",
         "Unit": f.unit, "Source": f.source}
        for f in figs.values() if not f.derived])
    show_table(published, hide_index=True, column_config={"Figure": st.column_config.TextColumn(width="large")})
    st.markdown("## Derived (computed here from published figures; never published)")
    derived = pd.DataFrame([{"Figure": f.label, "Value": _shown(f.value), "How": f.method}
                            for f in figs.values() if f.derived])
    show_table(derived, hide_index=True, column_config={"How": st.column_config.TextColumn(width="large")})
    st.markdown("## Not published: adjustable assumptions")
    st.markdown("\n".join(f"- {item}" for item in not_published()))

    def current(path: str) -> str:
        section, name = path.split(".")
        return describe_value(path, getattr(getattr(scenario, section), name))

    show_table(pd.DataFrame([{"Assumption": field_label(path), "Current value": current(path),
                                "Why it is an assumption": why}
                               for path, why in ASSUMPTIONS.items()]),
                 hide_index=True, column_config={"Why it is an assumption": st.column_config.TextColumn(width="large")})

with analysis_tab:
    st.markdown(
        "Every analysis follows the trial's statistical analysis plan and is checked against R's survival package:\n"
        "- **Kaplan-Meier** per arm with log-log 95% pointwise intervals; median and its CI as R's `print(survfit)`;\n"
        "- **Landmark survival** at chosen times (`summary(fit, times =)`);\n"
        "- **Risk table** (KMunicate style): number at risk, cumulative events and cumulative censored;\n"
        "- **Log-rank test**, plain and stratified by the randomisation factors (`survdiff`);\n"
        "- **Cox model** with Efron ties: unadjusted, stratified, adjusted for baseline covariates (`coxph`);\n"
        "- **Proportional hazards**: Schoenfeld-residual test (`cox.zph`) and log-minus-log curves;\n"
        "- **Restricted mean survival time** to a horizon, per arm and the difference;\n"
        "- **Median follow-up** by reverse Kaplan-Meier.\n\n"
        "The **number needed to treat** at a time point is 1 / (difference in recurrence-free proportions). "
        "**Replicates** re-run the whole trial many times from independent seeds (replicate *i* uses child *i* "
        "of the scenario seed's SeedSequence), so the spread shows what chance alone does to one trial.")

with estimands_tab:
    st.markdown(
        "An **estimand** is the effect a question asks about; an analysis *estimates* it. In the simulator every "
        "participant has an outcome under both arms, so each estimand's true value is known.\n"
        "- **ITT (intention to treat)**: everyone analysed in the arm they were randomised to, whatever they did. "
        "Estimates the effect of *offering* the programme (hazard ratio, difference in recurrence-free proportion at "
        "a landmark, difference in restricted mean time).\n"
        "- **Per-protocol (naive)**: adherent walking + education participants against all controls. Not randomised: "
        "if people who adhere would have done better anyway (healthy-adherer correlation above 0), it is biased.\n"
        "- **As-treated**: everyone by the walking they actually did at week 12, whatever their arm. Also not "
        "randomised, and confounded the same way.\n"
        "- **CACE (complier average causal effect)**: the effect among *compliers*, people who would take up the "
        "programme if offered. With randomisation as an instrument, CACE = ITT difference / share of compliers "
        "(delta-method CI). It is unbiased when only compliers can benefit (complier = *started*); when starters "
        "below the adherence threshold also benefit (complier = *adherent*) the instrument's exclusion restriction "
        "fails and the page shows the bias.")
    st.latex(r"\widehat{\mathrm{CACE}} = \frac{\hat\Delta_{\mathrm{ITT}}}{\hat\pi_{\mathrm{compliers}}}")
    st.markdown("Hazard-ratio truths are the large-sample Cox hazard ratio comparing the group's outcomes with and "
                "without the programme under the trial's censoring; difference truths are computed from 200,000 "
                "simulated participants.")

with power_tab:
    st.markdown("Events $D$ needed for a two-sided log-rank test at level $\\alpha$ with power $1-\\beta$, allocation "
                "share $p$ to walking + education (ratio $r = n_1/n_0$):")
    st.latex(r"\text{Schoenfeld: } D = \frac{(z_{1-\alpha/2} + z_{1-\beta})^2}{p(1-p)\,(\log \mathrm{HR})^2}"
             r"\qquad \text{Freedman: } D = \frac{(z_{1-\alpha/2} + z_{1-\beta})^2\,(1 + r\,\mathrm{HR})^2}"
             r"{r\,(1-\mathrm{HR})^2}")
    st.markdown("Participants = events / probability of an observed recurrence (from the scenario's expected curves, "
                "recruitment and loss to follow-up). Power for given events inverts the same formulas. Simulated power "
                "is the share of simulated trials whose log-rank p is below $\\alpha$, with Monte Carlo SE "
                "$\\sqrt{\\hat P(1-\\hat P)/n_{\\text{sims}}}$.")
    st.markdown("**Dilution by never-starters** (share $p$ who never start, $\\mathrm{HR}_s$ the effect in starters): "
                "the textbook shortcut $\\mathrm{HR} = \\mathrm{HR}_s^{\\,1-p}$ (the log hazard ratio diluted in "
                "proportion) inflates the events needed by about $1/(1-p)^2$; the Design page also recomputes the "
                "expected Cox hazard ratio from the model with the walking effect per minute held fixed.")

with refs_tab:
    for key, citation in published_sources().items():
        st.markdown(f"- **{key}**: {citation}")

with power_tab:  # tests for an effect that wanes (issue 20)
    st.markdown(
        "**Tests for an effect that wanes.** The Fleming-Harrington test FH($\\rho$, $\\gamma$) weights each "
        "recurrence time by $\\hat S(t-)^{\\rho}\\,(1-\\hat S(t-))^{\\gamma}$, with $\\hat S$ the pooled Kaplan-Meier "
        "curve just before $t$ (within each stratum; strata are summed): $U = \\sum w(t)\\,(d_1 - d\\,n_1/n)$, "
        "$V = \\sum w(t)^2\\, d\\,(n_1/n)(1-n_1/n)(n-d)/(n-1)$, chi-square $U^2/V$. FH(0,0) is the log-rank test, "
        "FH(1,0) weights early differences, FH(0,1) late ones; FH($\\rho$, 0) equals R's `survdiff(rho = )`. "
        "**MaxCombo** takes the largest $|Z|$ of FH(0,0), FH(0,1) and FH(1,0); its p-value is the probability that "
        "the largest of three correlated normal statistics exceeds it, with the correlation estimated from the same "
        "sums. Because $1 = \\hat S + (1-\\hat S)$, $U_{00} = U_{10} + U_{01}$ exactly, so the three statistics lie "
        "in a plane and the probability is a two-dimensional normal integral over a hexagon, computed by "
        "Gauss-Legendre quadrature to about $10^{-11}$. The **RMST difference** compares the areas under the two "
        "Kaplan-Meier curves up to a horizon. The Design page applies every test to the same simulated trials: "
        "because the walking effect ramps up and fades, the hazard ratio is not constant and the most powerful "
        "test is the one whose weights follow where the effect is (Fleming and Harrington 1991; Lin et al. 2020, "
        "Statistics in Biopharmaceutical Research 12:187-198).")

with power_tab:  # appended here (not inside the block above) so other sections can grow without conflicts
    st.markdown("**Group-sequential designs.** A trial with interim analyses looks at its data $K$ times and may stop "
                "early for efficacy (the log-rank $z$ crosses an upper boundary) or for futility (it falls below a "
                "lower one). Each look is placed by its *information fraction* $t_k$, the share of the final "
                "recurrences seen by then: for the log-rank test the information is about $p(1-p)D$, so a look "
                "at $t_k$ happens when $t_k D_{\\max}$ recurrences have been observed.")
    st.markdown("An *alpha-spending function* $\\alpha(t)$ says how much of the type I error may be spent by "
                "information $t$ (Lan and DeMets): the O'Brien-Fleming type $2 - 2\\Phi(z_{1-\\alpha/2}/\\sqrt t)$ "
                "spends almost nothing early, so its first boundaries are very high and the last is close to the "
                "fixed design's; the Pocock type $\\alpha \\log(1 + (e-1)t)$ spends evenly; Kim-DeMets ($\\alpha "
                "t^\\gamma$) and Hwang-Shih-DeCani families sit in between. Each boundary solves "
                "$P(\\text{cross first at look } k \\mid H_0) = \\alpha(t_k) - \\alpha(t_{k-1})$, computed exactly by "
                "recursive numerical integration over the joint normal distribution of the $z$ statistics "
                "(Armitage, McPherson and Rowe; Jennison and Turnbull, ch. 19), as rpact does. Futility bounds "
                "come from a beta-spending function or fixed $z$ values; *non-binding* ones leave the efficacy "
                "bounds as if futility were never obeyed, so ignoring them cannot inflate the type I error. Looking "
                "more often costs information: the *inflation factor* is $D_{\\max}$ over the fixed design's events.")
    st.markdown("**Event-driven looks on the model.** The Design page's simulation cuts each simulated trial on "
                "the calendar day its $k$-th target number of recurrences is observed (or on a chosen date), with "
                "recruitment still running: participants not yet randomised are not in the analysis, and everyone "
                "else's follow-up ends that day. The one-sided log-rank $z$ (positive when walking + education has "
                "fewer recurrences than expected) is compared with the boundaries; the type I error comes from the "
                "same trials with the walking and education effects removed. The analytic column assumes "
                "proportional hazards at the scenario's expected hazard ratio; under the calibrated model the "
                "hazard falls over time and the walking effect builds up over 12 weeks and fades after the "
                "26-week programme, so early looks see a weaker effect than the final one and stop less often for "
                "efficacy (and more often for futility) than the analytic design promises. The hazard ratio "
                "estimated when a trial stops early for efficacy is biased away from 1, as in any "
                "group-sequential trial; the page shows by how much.")

st.header("Clinics, and how sure we are")
st.markdown(
    "**Clinics (assumptions).** WalkBack recruited through 25 physiotherapy clinics; clinic sizes and clustering "
    "were not published, and the published analysis ignored clinics, so the calibrated scenario has no clinic "
    "effect (ICC 0) and reproduces the published figures. A scenario can give clinics equal sizes or gamma-distributed "
    "sizes with a stated coefficient of variation, and a shared clinic frailty: every participant of clinic $k$ has "
    "their hazard multiplied by $e^{b_k}$, $b_k \\sim N(-\\sigma^2/2, \\sigma^2)$ (mean frailty 1). The intraclass "
    "correlation is defined on the log-hazard scale, $\\mathrm{ICC} = \\sigma^2 / (\\sigma^2 + \\pi^2/6)$, "
    "$\\pi^2/6$ being the variance of the log of a unit exponential (the error of a proportional-hazards model "
    "written for the log cumulative hazard). Clinic labels and frailties come from a third random stream of each "
    "trial's seed, so for a given seed every other column is unchanged. Randomisation is by participant (the "
    "published stratified blocks, with the arms balanced within every clinic as stratifying by clinic does) or by "
    "clinic (whole clinics in the design's ratio). With a clinic effect the expected curves average over the frailty "
    "(Gauss-Hermite quadrature): they are the population curves an analysis that ignores clinics estimates, so "
    "their hazard ratio is closer to 1 than the hazard ratio within a clinic.")
st.markdown(
    "**Cluster-robust Cox.** With a cluster column (clinic), the Cox model's standard error is the sandwich "
    "estimate of R's `coxph(... + cluster(clinic))`: the dfbeta residuals (score residuals, Efron-weighted for tied "
    "recurrences, times the model variance) summed within clinics, $V = D^\\top D$. It equals R's to $10^{-6}$ "
    "with and without strata (tests/r_reference/clinics_cox.R). With few clinics it tends to be too small.")
st.markdown(
    "**Design effect.** Randomising $K$ clinics of mean size $m$ instead of participants multiplies the variance "
    "of the log hazard ratio by the design effect; the Design page simulates both designs with the same clinics "
    "and participants (ratio of the variances of the estimates, delta-method Monte Carlo SE) and shows beside it "
    "the formula for clinics of unequal size (Eldridge, Ashby and Kerry 2006), "
    "$\\mathrm{DE} = 1 + ((1 + \\mathrm{CV}^2)\\,m - 1)\\,\\mathrm{ICC}$ ($1 + (m-1)\\,\\mathrm{ICC}$ for equal "
    "sizes), derived for continuous outcomes and used here as an approximation with the log-hazard ICC; its power "
    "is Schoenfeld's with the expected recurrences divided by DE.")
st.markdown(
    "**How sure are we.** The published HR 0.72 (0.60 to 0.85) is read as a normal likelihood for the log hazard "
    "ratio $\\theta$: mean $\\log 0.72$, standard error $(\\log 0.85 - \\log 0.60)/(2 \\times 1.96) = 0.089$. A normal "
    "prior $N(\\mu_0, s_0^2)$ gives the posterior with precision $1/s_0^2 + 1/\\mathrm{se}^2$ and the "
    "precision-weighted mean (Spiegelhalter, Abrams and Myles 2004). A prior is set by its median hazard ratio "
    "$m$ and the probability $q$ it gives to a benefit beyond the minimal important hazard ratio (MID, 0.85 by "
    "default, an assumption): $s_0 = (\\log \\mathrm{MID} - \\log m)/\\Phi^{-1}(q)$. The sceptical prior is centred "
    "on no effect with 5% beyond the MID; the enthusiastic one on HR 0.70 with 80% beyond it; the flat prior returns "
    "the published result (0.605 to 0.857, the published bounds being rounded). The test suite reproduces the "
    "GREAT-trial example of Pocock and Spiegelhalter (1992): posterior odds ratio 0.73 (0.58 to 0.93).")
st.markdown(
    "**Assurance** (O'Hagan, Stevens and Campbell 2005) is the probability that a follow-up trial succeeds (two-sided "
    "log-rank $p < \\alpha$ with the estimated HR below 1), averaged over the posterior: "
    "$\\int \\Phi\\big(-\\theta\\sqrt{D(\\theta)\\,p(1-p)} - z_{1-\\alpha/2}\\big)\\,\\pi(\\theta \\mid \\text{data})\\,d\\theta$, "
    "$D(\\theta)$ the scenario's expected recurrences at that hazard ratio, computed by Gauss-Hermite quadrature. By "
    "simulation, the posterior is cut into 20 equal-probability slices; at each slice's median the calibrated "
    "model's walking effect is rescaled to that hazard ratio and whole trials are simulated. Assurance is below "
    "the power at the posterior median because a smaller true effect costs more power than a larger one gains.")
