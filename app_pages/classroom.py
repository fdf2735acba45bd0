"""Class sets: one simulated trial and worksheet per student, with the instructor's answer key (a zip)."""

from __future__ import annotations

import streamlit as st

from analysis.io.class_set import build_class_set
from analysis.studies.classroom import MAX_STUDENTS
from app_support.tables import show_table
from app_support.live_class import EXAMPLE_VALUES, VARIABLE  # the same choices as the live class
from app_support.shared import current_scenario, guarded, is_default, page_header


@st.cache_data(max_entries=4, show_spinner="Simulating and analysing every student's trial...")
def class_zip(scenario, n_students: int, seed: int, vary: tuple | None) -> tuple[bytes, object]:
    class_set = build_class_set(scenario, n_students, seed, vary)
    return class_set.to_zip(), class_set.answer_key


page_header("Class set", "For teachers: a different simulated trial for each student (so answers cannot be copied), "
            "a worksheet in Markdown and HTML (R, Python or a spreadsheet), and an answer key computed exactly as "
            "`walkback analyze` does. The same as `walkback classroom` on the command line.")
scenario = current_scenario()
st.caption("Scenario: " + ("the calibrated WalkBack trial" if is_default(scenario) else
                           "your modified scenario (change it on the Scenario page)"))

# Outside the form, so the values box appears (with values that fit the setting) only when students differ in one.
field = st.selectbox("Let students differ in", list(VARIABLE), format_func=VARIABLE.get, key="class_vary",
                     help="Students get the values in turn, so the class can pool its results by value.")
with st.form("classroom_form"):
    a, b = st.columns(2)
    n_students = a.number_input("Students", min_value=1, max_value=MAX_STUDENTS, value=20, step=1)
    seed = b.number_input("Class seed", min_value=0, max_value=(1 << 53) - 1,
                          value=min(int(scenario.seed), (1 << 53) - 1), step=1,
                          help="Student i's trial is seeded from child i of this seed: the same seed rebuilds the set.")
    values_text = st.text_input(f"Values of {VARIABLE[field][0].lower() + VARIABLE[field][1:]}, comma-separated",
                                value=EXAMPLE_VALUES[field], key=f"class_values_{field}",
                                help="Students get these values in turn.") if field else ""
    submitted = st.form_submit_button("Build the class set", type="primary", icon=":material/school:")

if submitted:
    from analysis.studies.classroom import parse_vary

    def build():
        vary = parse_vary(f"{field}={values_text}") if field else None
        return class_zip(scenario, int(n_students), int(seed), vary)

    built = guarded(build, "The class set")
    if built is not None:
        blob, key = built
        st.download_button("Download the class set (zip)", data=blob, file_name=f"walkback-class-seed{int(seed)}.zip",
                           mime="application/zip", icon=":material/download:", type="primary")
        st.caption("Give each student their folder `student_NN/`; keep `instructor/` (answer key) to yourself.")
        with st.expander("Answer key preview (instructor only)"):
            show_table(key, hide_index=True)
