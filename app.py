"""WalkBack Explorer: the Streamlit router (``streamlit run app.py``).

Router only: registers the pages with ``st.navigation``, keeps the current scenario in step
with the URL, and draws the shared sidebar. Every page lives in ``app_pages/``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # pages import app_support whatever the working directory
    sys.path.insert(0, str(HERE))

from app_support.shared import (  # noqa: E402
    describe_changes,
    is_default,
    reset_scenario,
    sync_scenario_with_url,
)

st.set_page_config(page_title="WalkBack Explorer", page_icon=":material/directions_walk:", layout="wide",
                   initial_sidebar_state="expanded")

PAGES = HERE / "app_pages"


def _page(file: str, title: str, icon: str, url_path: str, default: bool = False):
    return st.Page(str(PAGES / file), title=title, icon=icon, url_path=url_path, default=default)


explore = [
    _page("trial.py", "The trial", ":material/science:", "trial", default=True),
    _page("survival.py", "Survival curves", ":material/show_chart:", "survival"),
    _page("outcomes.py", "Outcomes", ":material/assignment:", "outcomes"),
    _page("adherence.py", "Adherence and walking dose", ":material/directions_walk:", "adherence"),
    _page("replicates.py", "Replicates", ":material/stacked_line_chart:", "replicates"),
    _page("estimands.py", "Estimands", ":material/target:", "estimands"),
    _page("design_trial.py", "Design a trial", ":material/calculate:", "design"),
    _page("cost_effectiveness.py", "Cost-effectiveness", ":material/payments:", "cost-effectiveness"),
    _page("lesson.py", "Guided lesson", ":material/cast_for_education:", "lesson"),
]
setup = [
    _page("scenario_editor.py", "Scenario", ":material/tune:", "scenario"),
    _page("data_files.py", "Data", ":material/table_view:", "data"),
    _page("methods.py", "Methods", ":material/menu_book:", "methods"),
    _page("classroom.py", "Class set", ":material/school:", "classroom"),
]

navigation = st.navigation({"Explore": explore, "Set up and share": setup})
scenario = sync_scenario_with_url()

with st.sidebar:
    st.markdown("### WalkBack Explorer")
    st.caption("Walking + education vs control for preventing low back pain recurrence "
               "(Pocovi et al., Lancet 2024; 701 adults).")
    if is_default(scenario):
        st.markdown(":material/verified: **Scenario:** calibrated WalkBack default")
    else:
        changes = describe_changes(scenario)
        st.markdown(":material/edit_note: **Scenario:** modified")
        st.caption("; ".join(changes[:8]) + (" ..." if len(changes) > 8 else ""))
        st.button("Reset to the WalkBack default", on_click=reset_scenario, icon=":material/restart_alt:",
                  key="sidebar_reset", width="stretch")
    st.caption("The address bar holds the current scenario: copy the link to share this exact view.")

navigation.run()
