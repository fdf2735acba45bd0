"""Server entry point for `make app`: the same app as `streamlit run app.py`, warmed up first.

Streamlit runs a script's imports in the first browser session, so the first visitor would wait
for pandas, scipy, lifelines and plotly to import and for the default trial to be simulated. As an
``st.App`` with a lifespan hook, this does that work before the server accepts connections.
Run: ``streamlit run app_support/serve.py``. Tests and AppTest use ``app.py`` directly.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

import streamlit as st

ROUTER = Path(__file__).resolve().parent.parent / "app.py"


def warm_up() -> None:
    """Import the analysis stack and fill the library's own caches for the default scenario."""
    import plotly.graph_objects  # noqa: F401

    from analysis.stats import survival as estimate  # noqa: F401
    from analysis.plots import figures as figures  # noqa: F401
    from analysis.model.calibration import default_scenario, expected_trial
    from analysis.simulate.engine import simulate_trial

    scenario = default_scenario()
    expected_trial(scenario)
    cohort = simulate_trial(scenario)
    estimate.kaplan_meier(cohort, landmarks=())
    estimate.cox(cohort)


@asynccontextmanager
async def lifespan(_app):
    warm_up()
    yield


app = st.App(str(ROUTER), lifespan=lifespan)
