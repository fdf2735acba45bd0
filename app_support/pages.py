"""The one place pages are registered: the router (app.py) builds its navigation from :data:`PAGES`.

A new page is one :class:`PageSpec` line here (file in ``app_pages/``, title, icon, URL path, section);
the router, the load harness (which discovers pages from the navigation) and the smoke tests pick it up.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

PAGES_DIR = Path(__file__).resolve().parent.parent / "app_pages"
SESSION_KEY = "walkback_pages"


@dataclass(frozen=True)
class PageSpec:
    """One page of the app: its script in ``app_pages/`` and how the navigation shows it."""

    file: str
    title: str
    icon: str
    url_path: str
    section: str
    default: bool = False


EXPLORE, SETUP = "Explore", "Set up and share"

#: Every page, in navigation order within its section.
PAGES: tuple[PageSpec, ...] = (
    PageSpec("trial.py", "The trial", ":material/science:", "trial", EXPLORE, default=True),
    PageSpec("survival.py", "Survival curves", ":material/show_chart:", "survival", EXPLORE),
    PageSpec("outcomes.py", "Outcomes", ":material/assignment:", "outcomes", EXPLORE),
    PageSpec("adherence.py", "Adherence and walking dose", ":material/directions_walk:", "adherence", EXPLORE),
    PageSpec("replicates.py", "Replicates", ":material/stacked_line_chart:", "replicates", EXPLORE),
    PageSpec("estimands.py", "Estimands", ":material/target:", "estimands", EXPLORE),
    PageSpec("design_trial.py", "Design a trial", ":material/calculate:", "design", EXPLORE),
    PageSpec("how_sure.py", "How sure are we", ":material/balance:", "how-sure", EXPLORE),
    PageSpec("cost_effectiveness.py", "Cost-effectiveness", ":material/payments:", "cost-effectiveness", EXPLORE),
    PageSpec("lesson.py", "Guided lesson", ":material/cast_for_education:", "lesson", EXPLORE),
    PageSpec("scenario_editor.py", "Scenario", ":material/tune:", "scenario", SETUP),
    PageSpec("data_files.py", "Data", ":material/table_view:", "data", SETUP),
    PageSpec("methods.py", "Methods", ":material/menu_book:", "methods", SETUP),
    PageSpec("classroom.py", "Class set", ":material/school:", "classroom", SETUP),
    PageSpec("live_class.py", "Live class", ":material/groups:", "live-class", SETUP),
)


def navigation_pages() -> dict[str, list]:
    """``st.Page`` objects by section, built once per session, plus (section "") one alias page per default page.

    The default page lives at the root URL; its alias answers its own path (``/trial``), which people type and
    which the navigation's links use, instead of "Page not found". Building a page resolves its file on disk;
    under load that costs more than some pages' whole run, so each session keeps its own (pages carry per-run
    state, so they are never shared between sessions).
    """
    built = st.session_state.get(SESSION_KEY)
    if built is None:
        built = {}
        for spec in PAGES:
            # The default page still reserves its url_path although it is served at the root: "home", so that the
            # alias can answer the path people type.
            page = st.Page(str(PAGES_DIR / spec.file), title=spec.title, icon=spec.icon,
                           url_path="home" if spec.default else spec.url_path, default=spec.default)
            built.setdefault(spec.section, []).append(page)
            if spec.default:
                built.setdefault("", []).append(
                    st.Page(lambda target=page: st.switch_page(target), title=spec.title, icon=spec.icon,
                            url_path=spec.url_path))
        st.session_state[SESSION_KEY] = built
    return built


def draw_navigation(pages: dict[str, list]) -> None:
    """The sidebar's links, every page visible (no "View N more") and the current one highlighted.

    Drawn with ``st.page_link`` rather than Streamlit's own navigation list, which hides pages past ten behind a
    toggle without a focus ring and marks up its items as a list whose structure accessibility checkers reject.
    """
    for section, section_pages in pages.items():
        if not section:  # aliases
            continue
        st.markdown(f"<p style='margin:0.6rem 0 0.1rem 0;font-size:0.82rem;font-weight:600;color:#3E4C59'>"
                    f"{section}</p>", unsafe_allow_html=True)
        for page in section_pages:
            st.page_link(page, width="stretch")
