"""Server entry point for `make app`: the same app as `streamlit run app.py`, warmed up first.

Streamlit runs a script's imports in the first browser session, so the first visitor would wait
for pandas, scipy, lifelines and plotly to import and for every default page to be computed. As an
``st.App`` with a lifespan hook, this does that work before the server accepts connections.
Run: ``streamlit run app_support/serve.py``. Tests and AppTest use ``app.py`` directly.
"""

from __future__ import annotations

import gc
import sys
from contextlib import asynccontextmanager
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
ROUTER = ROOT / "app.py"
if str(ROOT) not in sys.path:  # `streamlit run app_support/serve.py` puts app_support/, not the repository, on the path
    sys.path.insert(0, str(ROOT))


def warm_up() -> None:
    """Compute every page's default results once, before the server accepts connections.

    The caches are ``st.cache_resource`` caches, shared by every session of the process: the first
    visitors (or a whole class arriving at once) then find the default trial, its analyses, the study
    pages' results and the default replicate run already computed instead of queueing behind them.
    """
    import time
    import warnings

    from analysis.model.costs import Economics
    from analysis.studies.power import CURVE_PARAMETERS
    from analysis.trial.scenario import with_changes
    from app_support import design_tests, shared, studies_cache as sc, survival_view as sv
    from app_support.jobs import registry

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "no script run context": expected outside a session
        scenario = shared.baseline_scenario()
        seed = scenario.seed
        replicates = registry().start(scenario, 200, seed)  # the Replicates page's first run, in the background
        shared.cached_expected(scenario)
        shared.cached_walking(scenario)
        shared.fit_report(scenario)
        shared.cached_event_range(scenario)  # Scenario and Methods: the loss to follow-up across the event range
        headline = sv.simulated_headline(scenario, seed)
        cache_key, builder, args, options = sv.trial_km_figure_args(scenario, headline)
        shared.prebuild_keyed(cache_key, builder, *args, **options)  # the landing page's main figure
        survival = sv.survival_defaults(scenario.design.max_followup_days)
        sv.simulated_analysis(scenario, seed, **sv.without_models(survival))  # what the Survival page shows first
        sv.simulated_analysis(scenario, seed, **survival)  # and behind its models' tabs
        d = sc.DESIGN_DEFAULTS
        parameter = next(iter(CURVE_PARAMETERS))
        sc.cached_sample_size(scenario, d["power"], d["alpha"])
        sc.cached_curve(scenario, parameter, tuple(sc.POWER_GRIDS[parameter]), d["n_sims"], seed, d["alpha"])
        sc.cached_dilution(scenario, sc.DILUTION_SHARES, d["alpha"], d["power"])
        design_tests.warm_up_panel(scenario, alpha=d["alpha"], seed=seed)
        from app_support import design_sequential as ds  # the Design page's group-sequential section

        ds.cached_group_sequential(scenario, ds.default_sequential_design(), ds.SEQUENTIAL_DEFAULTS["n_trials"], seed,
                                   None)
        sc.one_estimand_trial(scenario, seed, sc.estimand_settings(scenario, **sc.ESTIMAND_DEFAULTS))
        sc.cached_outcomes(scenario, seed)
        lesson = sc.LESSON_DEFAULTS  # the guided lesson's four studies (its 20,000-person trial takes seconds)
        sc.one_trial(scenario, seed)
        sc.small_trial(scenario, lesson["small_n"], lesson["small_seed"])
        sc.adherence_bias(scenario, lesson["correlation"], seed)
        sc.analytic_power_curve(scenario, lesson["hazard_ratio"])
        sc.cached_cea_study(scenario, Economics(), seed, sc.CEA_DEFAULTS["bootstrap"])
        for shape in ("log_linear", "emax", "none"):  # the Adherence page recalibrates each dose-response shape
            if shape != scenario.dose_response.shape:
                shared.cached_calibration(with_changes(scenario, {"dose_response.shape": shape}), False)
        deadline = time.monotonic() + 300
        while replicates.running and time.monotonic() < deadline:
            time.sleep(0.1)
    # Streamlit runs a full garbage collection after every script run (runner.postScriptGC). Over the heap that the
    # imports and the warm-up leave (pandas, scipy, lifelines, plotly, the default results) that alone took ~0.11 s
    # of every page run. Moving that long-lived heap out of the collector's generations keeps the per-run collection
    # (and its memory bound for what runs create) while it only walks objects made since.
    gc.collect()
    gc.freeze()


@asynccontextmanager
async def lifespan(_app):
    warm_up()
    yield


app = st.App(str(ROUTER), lifespan=lifespan)
