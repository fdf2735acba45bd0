"""Live class: every student analyses their own trial; the projector shows the class's hazard ratios build up.

Three views from one page, chosen by the link: no code (an instructor starts a class), ``?class=CODE`` (a
student), ``?class=CODE&teach=TOKEN`` (the instructor's dashboard). The database work is the library's
:class:`~analysis.io.live_class.ClassStore`; the page never writes SQL and never computes a statistic.
"""

from __future__ import annotations

import math
import urllib.parse

import streamlit as st

from analysis.errors import ClassStoreUnavailable, LiveClassError, WalkBackInputError
from analysis.plots.live_class import caterpillar_figure, class_histogram_figure, variant_split_figure
from analysis.studies.live_class import (DEFAULT_QUESTION, MAX_ANSWER_CHARS, MAX_NAME_CHARS, MAX_QUESTION_CHARS,
                                         PUBLISHED_HR, LiveClassPlan, Submission, summarise_class)
from app_support import live_class as live
from app_support.shared import current_scenario, is_default, page_header, plot_keyed

TEACH_KEY = "live_class_teacher"  # (code, token) of the class this session started
SEAT_KEY = "live_class_seat"  # (code, seat token) of this session's seat

# Large type for the projector; only constant CSS, never anything a user typed.
PROJECTOR_CSS = """<style>
[data-testid="stMetricValue"] {font-size: clamp(1.8rem, 3.4vw, 3.6rem); line-height: 1.1;}
[data-testid="stMetricLabel"] p {font-size: clamp(0.85rem, 1.3vw, 1.4rem);}
[data-testid="stCode"] code {font-size: clamp(1rem, 1.6vw, 1.6rem);}
</style>"""


def _link(code: str, teach: str | None = None) -> str:
    """The class link (absolute when the browser told us its address)."""
    query = urllib.parse.urlencode({"class": code, **({"teach": teach} if teach else {})})
    base = (st.context.url or "").split("?", 1)[0] or "live-class"
    return f"{base}?{query}"


def _fail(exc: Exception) -> None:
    if isinstance(exc, ClassStoreUnavailable):
        st.error(live.unavailable_message(exc), icon=":material/cloud_off:")
    else:
        st.error(f"{str(exc)[:1].upper()}{str(exc)[1:]}.", icon=":material/link_off:")
    st.stop()


def _number(value: float | None) -> str:
    return "not reached" if value is None or not math.isfinite(value) else f"{value:.0f}"


# --------------------------------------------------------------------------- instructor: start a class
def start_view(store) -> None:
    page_header("Live class", "Every student opens one link, gets their own simulated WalkBack trial (student i of "
                "the class seed, as in the Class set), analyses it and submits their hazard ratio. Your dashboard "
                "shows the class's estimates gather around the truth, live.")
    scenario = current_scenario()
    st.caption("Scenario: " + ("the calibrated WalkBack trial" if is_default(scenario) else
                               "your modified scenario (change it on the Scenario page)"))
    field = st.selectbox("Let students differ in", list(live.VARIABLE), format_func=live.VARIABLE.get,
                         key="live_vary", help="Students get the values in turn; the dashboard pools by value.")
    with st.form("live_start"):
        a, b = st.columns(2)
        seed = a.number_input("Class seed", min_value=0, max_value=(1 << 53) - 1,
                              value=min(int(scenario.seed), (1 << 53) - 1), step=1)
        values = b.text_input("Values, comma-separated", value=live.EXAMPLE_VALUES[field],
                              key=f"live_values_{field}") if field else ""
        question = st.text_input("Question for the students", value=DEFAULT_QUESTION, max_chars=MAX_QUESTION_CHARS)
        started = st.form_submit_button("Start the class", type="primary", icon=":material/play_arrow:")
    if started:
        from analysis.studies.classroom import parse_vary

        try:
            vary = parse_vary(f"{field}={values}") if field else None
            new = store.create_class(LiveClassPlan(scenario, int(seed), vary, question))
        except WalkBackInputError as exc:
            st.error(f"The class could not be started: {exc}", icon=":material/error:")
            return
        except ClassStoreUnavailable as exc:
            _fail(exc)
        st.session_state[TEACH_KEY] = (new.code, new.instructor_token)
        st.query_params.update({"class": new.code, "teach": new.instructor_token})
        st.rerun()


# --------------------------------------------------------------------------- instructor: the dashboard
def dashboard_view(store, code: str, token: str) -> None:
    try:
        current = store.instructor_class(code, token)
    except (LiveClassError, ClassStoreUnavailable) as exc:
        _fail(exc)
    st.markdown(PROJECTOR_CSS, unsafe_allow_html=True)
    plan = current.plan
    live.prepare_seats(code, plan)
    title, actions = st.columns([3, 2], vertical_alignment="bottom")
    title.title("Live class" + (" (closed)" if current.closed else ""))
    st.markdown("Students open:")
    st.code(_link(code), language=None, wrap_lines=True)
    with st.expander("Instructor link (keep it private: it opens this dashboard)"):
        st.code(_link(code, token), language=None, wrap_lines=True)
    reveal, close, export, delete = actions.columns(4)
    if reveal.button("Hide truth" if current.revealed else "Reveal truth", key="live_reveal",
                     icon=":material/visibility:", width="stretch"):
        _act(store.set_revealed, code, token, not current.revealed)
    if close.button("Reopen" if current.closed else "Close", key="live_close", icon=":material/lock:",
                    width="stretch"):
        _act(store.set_closed, code, token, not current.closed)
    export.download_button("Export", data=lambda: store.export(code, token), file_name=f"live-class-{code}.zip",
                           mime="application/zip", icon=":material/download:", key="live_export", width="stretch",
                           on_click="ignore")
    with delete.popover("Delete", icon=":material/delete:", width="stretch"):
        st.write("Delete this class and every submission? This cannot be undone.")
        if st.button("Delete for good", key="live_delete", type="primary"):
            _act(store.delete_class, code, token)
            for key in (TEACH_KEY,):
                st.session_state.pop(key, None)
            st.query_params.clear()
            st.rerun()
    if plan.question:
        st.caption("Question: " + live.plain(plan.question))
    class_board(store, code, token)


def _act(action, *args) -> None:
    try:
        action(*args)
    except (LiveClassError, ClassStoreUnavailable) as exc:
        _fail(exc)
    st.rerun()


@st.fragment(run_every=live.REFRESH_SECONDS)
def class_board(store, code: str, token: str) -> None:
    """The part of the dashboard that refreshes by itself: counts, figures and answers."""
    try:
        current = store.instructor_class(code, token)
        table = store.submissions(code, token)
    except (LiveClassError, ClassStoreUnavailable) as exc:
        _fail(exc)
    plan = current.plan
    summary = summarise_class(plan, table, live.class_truths(code, plan))
    overall = summary.overall
    truths = []
    if current.revealed:
        for r in summary.by_variant.itertuples():
            if r.variant != "all" or plan.vary is None:
                truths.append(("Truth" if plan.vary is None else f"Truth for {r.variant}", r.truth))
    n = summary.n
    m = st.columns(4)
    m[0].metric("Submitted", f"{n}", help="Closed: no new students or submissions." if current.closed else None)
    m[1].metric("Pooled HR", "-" if not n else f"{overall['pooled_hr']:.2f}",
                help="Inverse-variance pooled hazard ratio (fixed effect, log scale) of every submitted trial.")
    m[2].metric("Significant", "-" if not n else f"{overall['share_significant']:.0%}",
                help="Share of students whose log-rank p is below 0.05.")
    m[3].metric("Cover truth", "hidden" if not current.revealed else "-" if not n else
                f"{overall['coverage']:.0%}", help="Share of 95% intervals that contain the truth of their trial.")
    if not n:
        st.info("Waiting for the first submission. This view refreshes by itself.", icon=":material/hourglass_top:")
        return
    version = (code, n, float(table.submitted_at.max()), int(table.revision.sum()), current.revealed)
    row = st.container(horizontal=True, gap="medium")  # side by side at 1400 px, one under the other at 800 px
    left, right = row.container(width=440), row.container(width=440)
    with left:
        plot_keyed(("live-hist", version), class_histogram_figure, summary.rows, key="live_hist", truths=truths,
                   published=PUBLISHED_HR)
    with right:
        plot_keyed(("live-cat", version), caterpillar_figure, summary.rows, key="live_cat", revealed=current.revealed,
                   truths=truths, published=PUBLISHED_HR)
    if plan.vary is not None:
        label = live.VARIABLE.get(plan.vary_name, plan.vary_name)
        plot_keyed(("live-split", version), variant_split_figure, summary.by_variant, label[:1].lower() + label[1:],
                   key="live_split", revealed=current.revealed)
    answers = summary.rows.loc[summary.rows.answer != "", ["seat", "name", "answer"]].sort_values("seat")
    if len(answers):
        st.header("Answers")
        # A data grid shows text as text: a name or answer with HTML or Markdown in it is never rendered.
        st.dataframe(answers, hide_index=True, width="stretch",
                     column_config={"seat": st.column_config.NumberColumn("Student", width="small"),
                                    "name": st.column_config.TextColumn("Name", width="small"),
                                    "answer": st.column_config.TextColumn("Answer", width="large")})


# --------------------------------------------------------------------------- student
def student_view(store, code: str, seat_token: str | None) -> None:
    try:
        current = store.student_class(code)
        held = st.session_state.get(SEAT_KEY)
        if seat_token:
            seat = store.seat(code, seat_token)
        elif held is not None and held[0] == code:
            seat = store.seat(code, held[1])
        else:
            seat = store.join(code)
    except (LiveClassError, ClassStoreUnavailable) as exc:
        _fail(exc)
    st.session_state[SEAT_KEY] = (code, seat.token)
    if st.query_params.get("seat") != seat.token:  # a reload (or a bookmark) keeps the same trial
        st.query_params["seat"] = seat.token
    plan = current.plan
    trial = plan.student(seat.seat)
    st.title(f"Live class: you are student {seat.seat}")
    about = "Your own simulated WalkBack trial: walking + education vs control, time to the first recurrence."
    if plan.vary is not None:
        about += f" In your trial, {live.VARIABLE.get(plan.vary_name, plan.vary_name).lower()} is {trial.variant}."
    st.caption(about)
    _cohort, result = live.seat_analysis(trial.scenario, trial.trial_seed)
    curves = {c.level: c for c in result.km.curves}
    cache_key, builder, args, options = live.seat_figure(trial, result)
    plot_keyed(cache_key, builder, *args, key="live_km", **options)
    # A wrapping row (two per line at 800 px beside the sidebar, where four columns cut the labels to 'Control me…').
    row = st.container(horizontal=True, gap="small")
    c = [row.container(width=150) for _ in range(4)]
    c[0].metric("Control median", _number(curves["control"].median), help="Kaplan-Meier median, days")
    c[1].metric("Walking median", _number(curves["intervention"].median), help="Kaplan-Meier median, days")
    c[2].metric("Log-rank p", f"{result.logrank.p:.3g}", help=f"chi-square {result.logrank.chisq:.2f}")
    c[3].metric("Cox HR", f"{result.cox.hr:.2f}", help="hazard ratio, walking vs control")
    st.caption(f"95% CI of the hazard ratio: {result.cox.lower:.2f} to {result.cox.upper:.2f}. These are the "
               "numbers `walkback analyze` gives for your trial; if you analysed the data yourself, enter yours.")
    suggested = Submission.from_analysis(result)
    mine = _own(store, code, seat.token)
    with st.form("live_submit_form"):
        name = st.text_input("Your name (optional, shown to the class)", max_chars=MAX_NAME_CHARS,
                             value=(mine or {}).get("name", ""))
        n = st.columns(4)
        hr = n[0].number_input("Hazard ratio", min_value=0.0, value=suggested.hr, format="%.3f")
        lower = n[1].number_input("95% CI, lower", min_value=0.0, value=suggested.hr_lower, format="%.3f")
        upper = n[2].number_input("95% CI, upper", min_value=0.0, value=suggested.hr_upper, format="%.3f")
        p = n[3].number_input("Log-rank p", min_value=0.0, max_value=1.0, value=suggested.logrank_p, format="%.4f")
        st.markdown("**Question:** " + live.plain(plan.question or "any comment?"))
        answer = st.text_area("Your answer", max_chars=MAX_ANSWER_CHARS, value=(mine or {}).get("answer", ""),
                              height=90)
        sent = st.form_submit_button("Submit my numbers", type="primary", icon=":material/send:", key="live_submit")
    if sent:
        try:
            revision = store.submit(code, seat.token, Submission(
                hr, lower, upper, p, suggested.median_control, suggested.median_intervention, name=name,
                answer=answer))
        except WalkBackInputError as exc:
            st.error(f"Not submitted: {exc}.", icon=":material/error:")
        except ClassStoreUnavailable as exc:
            _fail(exc)
        else:
            st.success("Submitted: look at the screen." if revision == 1 else
                       f"Submitted again (your latest numbers replace the earlier ones; {revision} submissions).",
                       icon=":material/check_circle:")
    elif mine is not None:
        st.info("You have submitted. You can change your numbers and submit again.", icon=":material/check_circle:")
    truth_box(store, code, seat.seat)


def _own(store, code: str, token: str) -> dict | None:
    try:
        return store.own_submission(code, token)
    except (LiveClassError, ClassStoreUnavailable) as exc:
        _fail(exc)


@st.fragment(run_every=live.REFRESH_SECONDS * 2)
def truth_box(store, code: str, seat: int) -> None:
    """Shows the truth of the student's own trial once the instructor reveals it (nobody else's numbers)."""
    try:
        current = store.student_class(code)
    except (LiveClassError, ClassStoreUnavailable):
        return
    if current.revealed:
        plan = current.plan
        truth = live.class_truths(code, plan)[plan.student(seat).variant]
        st.success(f"The truth of your trial: hazard ratio {truth:.2f}. Does your 95% interval contain it?",
                   icon=":material/visibility:")


# --------------------------------------------------------------------------- which view
try:
    class_store = live.class_store()
except ClassStoreUnavailable as exc:
    _fail(exc)
code_param = st.query_params.get("class")
teach_param = st.query_params.get("teach")
if code_param is None:
    start_view(class_store)
else:
    try:
        from analysis.io.live_class import check_code

        code_param = check_code(code_param)
    except LiveClassError as exc:
        _fail(exc)
    if teach_param:
        dashboard_view(class_store, code_param, teach_param)
    else:
        student_view(class_store, code_param, st.query_params.get("seat"))
