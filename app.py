"""WalkBack Explorer: the Streamlit router (``streamlit run app.py``).

Router only: registers the pages of ``app_support.pages.PAGES`` with ``st.navigation``, keeps the current scenario in step
with the URL, and draws the shared sidebar. Every page lives in ``app_pages/``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # pages import app_support whatever the working directory
    sys.path.insert(0, str(HERE))

from app_support.pages import draw_navigation, navigation_pages  # noqa: E402
from app_support.widgets import apply_style  # noqa: E402
from app_support.shared import (  # noqa: E402
    describe_changes,
    is_default,
    reset_scenario,
    sync_scenario_with_url,
)

st.set_page_config(page_title="WalkBack Explorer", page_icon=":material/directions_walk:", layout="wide",
                   initial_sidebar_state="auto")

apply_style()
pages = navigation_pages()
navigation = st.navigation(pages, position="hidden")  # drawn below: every page visible
scenario = sync_scenario_with_url()

with st.sidebar:
    draw_navigation(pages)
    st.divider()
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
