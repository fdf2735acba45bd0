"""Data: download the simulated cohort and the scenario; upload your own two-arm file and analyse it."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from analysis.io import export as export
from analysis.io.cohort_files import guess_columns, read_cohort_file, time_unit_of, validate_two_arm
from analysis.io.upload_checks import choose_arms, drop_incomplete, missing_report
from analysis.errors import CohortFileError
from analysis.simulate.engine import COHORT_COLUMNS
from app_support.tables import show_table, wide_grid
from app_support.shared import cached_cohort, current_scenario, guarded, page_header
from app_support.survival_view import analysis_options, render_analysis, uploaded_analysis
from app_support.test_view import render_test_result, test_picker, uploaded_test

page_header(
    "Data",
    "Take the simulated trial away, or bring your own: a two-arm time-to-event file (CSV or Parquet, up to 20 MB) "
    "gets the same analyses as the simulated trial.")

scenario = current_scenario()
download_tab, upload_tab = st.tabs([":material/download: Download the simulated trial",
                                    ":material/upload: Analyse your own file"])

# --------------------------------------------------------------------------- downloads
with download_tab:
    cohort = guarded(lambda: cached_cohort(scenario, scenario.seed), "Simulating the trial")
    if cohort is not None:
        stem = re.sub(r"[^A-Za-z0-9_-]+", "-", scenario.name).strip("-").lower() or "walkback"
        stem = f"{stem}-seed{scenario.seed}"
        st.markdown(f"**{len(cohort)} participants**, one row each, simulated from the current scenario with seed "
                    f"{scenario.seed}. The same scenario and seed always give the same file.")
        # A wrapping row of buttons as wide as their labels (four fixed columns cut them to "Cohort…" at 800 px)
        buttons = st.container(horizontal=True, gap="small")
        buttons.download_button("Cohort (CSV)", data=lambda: export.cohort_to_bytes(cohort, "csv"),
                                file_name=f"{stem}.csv", mime="text/csv", icon=":material/table:", on_click="ignore",
                                key="dl_csv", width="content")
        buttons.download_button("Cohort (Parquet)", data=lambda: export.cohort_to_bytes(cohort, "parquet"),
                                file_name=f"{stem}.parquet", mime="application/octet-stream", icon=":material/table:",
                                on_click="ignore", key="dl_parquet", width="content")
        buttons.download_button("Scenario (JSON)", data=scenario.to_json(), file_name=f"{stem}-scenario.json",
                                mime="application/json", icon=":material/data_object:", on_click="ignore", key="dl_json",
                                width="content")
        if hasattr(export, "export_bundle"):
            buttons.download_button("ADaM ADTTE + R script (zip)",
                                    data=lambda: export.export_bundle(cohort, scenario, scenario.seed, "adtte"),
                                    file_name=f"{stem}-adtte.zip", mime="application/zip", icon=":material/folder_zip:",
                                    on_click="ignore", key="dl_adtte", width="content",
                                    help="CDISC ADaM ADTTE-style table, data dictionary, provenance and an R re-analysis "
                                         "script (survival package).")
        wide_grid(cohort.head(50), hide_index=True, height=300, key="cohort_preview",
                     column_config={"enrol_date": st.column_config.DateColumn("enrol_date", format="YYYY-MM-DD")})
        with st.expander("Data dictionary"):
            show_table(pd.DataFrame({"column": list(COHORT_COLUMNS), "description": list(COHORT_COLUMNS.values())}),
                         hide_index=True, column_config={"description": st.column_config.TextColumn(width="large")})

# --------------------------------------------------------------------------- uploads
with upload_tab:
    st.markdown("One row per participant with a **time** column (days or any unit, 0 or more), an **event** column "
                "(1/0 or true/false; 1 = recurrence observed, 0 = censored) and a **group** column with exactly two "
                "arms. Other columns can be used for stratification or adjustment.")
    upload = st.file_uploader("Cohort file", type=["csv", "txt", "parquet", "pq"], key="upload_file",
                              help="CSV (comma- or semicolon-separated, UTF-8) or Parquet, up to 20 MB.")
    if upload is None:
        st.caption("Tip: download the simulated cohort above and upload it here to see the round trip.")
    else:
        frame = guarded(lambda: read_cohort_file(upload.getvalue(), upload.name), "This file cannot be used",
                        untrusted=True)
        if frame is not None:
            columns = [str(c) for c in frame.columns]
            if len(columns) < 3:
                st.error(f"{upload.name}: found {len(columns)} column(s) ({', '.join(columns)}); a time, an event and "
                         "a group column are needed.", icon=":material/error:")
                st.stop()
            st.caption(f"{upload.name}: {len(frame):,} rows, {len(columns)} columns.")
            guess = guess_columns(columns)
            a, b, c, d = st.columns(4)
            time_col = a.selectbox("Time column", columns, index=guess.time, key="map_time")
            event_col = b.selectbox("Event column (1 = event)", columns, index=guess.event, key="map_event")
            group_col = c.selectbox("Group column", columns, index=guess.group, key="map_group")
            levels = sorted({str(v).strip() for v in frame[group_col].dropna().unique()[:50]})
            arms, dropping = None, False  # what the page did to the file (the script does the same)
            if len(levels) > 2 and len({time_col, event_col, group_col}) == 3:
                # Three or more groups: the user picks the two to compare instead of meeting a refusal.
                arms = st.multiselect(f"{group_col} has {len(levels)} groups: compare these two", levels,
                                      default=levels[:2], max_selections=2, key=f"map_arms_{group_col}")
                if len(arms) != 2:
                    st.info("Choose two groups to compare.", icon=":material/info:")
                    st.stop()
                frame = guarded(lambda: choose_arms(frame, group_col, arms), "Choosing two arms", untrusted=True)
                if frame is None:
                    st.stop()
                levels = sorted(arms)
            default_ref = levels.index("control") if "control" in levels else 0
            reference = d.selectbox("Reference (comparison) arm", levels or ["–"], index=default_ref if levels else 0,
                                    key=f"map_ref_{group_col}")
            others = [col for col in columns if col not in (time_col, event_col, group_col)]
            unit = time_unit_of(time_col)
            max_time = pd.to_numeric(frame[time_col], errors="coerce").max()
            options = analysis_options(key_prefix="up", strata_choices=others, covariate_choices=others,
                                       max_time=float(max_time) if pd.notna(max_time) else 1.0, time_unit=unit,
                                       cluster_choices=others)
            used = [c for c in (time_col, event_col, group_col, *options["strata"], *options["covariates"],
                                   *([options["cluster"]] if options.get("cluster") else []))]
            gaps = missing_report(frame, used if len(set(used[:3])) == 3 else [])
            if not gaps.empty:  # every problem at once, and a way on
                st.warning("Missing values: " + "; ".join(
                    f"**{g.column}** {g.missing:,} (first at row {g.first_row:,})" for g in gaps.itertuples())
                    + ".", icon=":material/warning:")
                dropping = st.checkbox(f"Drop incomplete rows ({int(gaps.rows_affected.iloc[0]):,} of {len(frame):,})",
                                       key="upload_drop_incomplete")
                if dropping:
                    frame, _ = drop_incomplete(frame, used)

            def check():
                if len({time_col, event_col, group_col}) < 3:
                    raise CohortFileError("choose three different columns for time, event and group")
                return validate_two_arm(frame, time=time_col, event=event_col, group=group_col, reference=reference,
                                        strata=options["strata"], covariates=options["covariates"])

            clean = guarded(check, "These columns cannot be analysed", untrusted=True)
            if clean is not None:
                result = guarded(lambda: uploaded_analysis(
                    frame, time_col, event_col, group_col, reference, options["strata"], options["covariates"],
                    options["tau"], options["landmarks"], options.get("cluster")), "Analysing the file", untrusted=True)
                if result is not None:
                    render_analysis(result, key_prefix="up", time_unit=unit,
                                    title=f"{upload.name}: {group_col} (reference: {reference})")
                    st.header("Test the two arms")
                    choice = guarded(lambda: test_picker(key_prefix="up", max_tau=float(max_time), time_unit=unit,
                                                         default_tau=result.rmst.tau), "This test")
                    tested = None if choice is None else guarded(lambda: uploaded_test(
                        frame, time_col, event_col, group_col, reference, choice, options["strata"]),
                        "Running the test", untrusted=True)
                    if tested is not None:
                        render_test_result(tested, time_unit=unit)
                    from app_support.scripts import script_button  # the code behind this analysis, with the file
                    script_button("uploaded", None, file_name=upload.name, file_bytes=upload.getvalue(), time=time_col,
                                  event=event_col, group=group_col, reference=reference,
                                  arms=None if arms is None else tuple(arms), drop_incomplete=bool(dropping),
                                  strata=tuple(options["strata"]), covariates=tuple(options["covariates"]),
                                  tau=options["tau"], landmarks=tuple(options["landmarks"]),
                                  cluster=options.get("cluster") or None, test=choice if tested is not None else None)
