"""The CDISC ADaM ADTTE-style table of a cohort, and the R script (survival package) that re-analyses it.

One record per participant per parameter (``TTALREC``, time to first activity-limiting recurrence, the
primary; ``TTANYREC``, ``TTCAREC`` and ``TTRECOV`` for any, care-seeking and recovery). Written by
:func:`analysis.io.export.export_files` with ``fmt="adtte"``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import WalkBackInputError
from .layout import DATA_FILE, R_FILE, package_version

__all__ = ["ADTTE_COLUMNS", "ADTTE_PARAMETERS", "CNSR_CODES", "STUDY_ID", "PRIMARY_PARAMCD", "PRIMARY_PARAM",
           "cohort_to_adtte", "r_reanalysis_script"]

STUDY_ID = "WALKBACK"
PRIMARY_PARAMCD = "TTALREC"
PRIMARY_PARAM = "Time to First Activity-Limiting LBP Recurrence (days)"

#: ADaM CNSR: 0 = event; each censoring reason its own positive integer.
CNSR_CODES: dict[str, int] = {"none": 0, "end_of_study": 1, "max_followup": 2, "lost_to_follow_up": 3}
_EVNTDESC = {
    "none": "ACTIVITY-LIMITING LBP RECURRENCE",
    "end_of_study": "CENSORED: STUDY FOLLOW-UP ENDED",
    "max_followup": "CENSORED: MAXIMUM FOLLOW-UP REACHED",
    "lost_to_follow_up": "CENSORED: LOST TO FOLLOW-UP",
}
_CNSDTDSC = {
    "none": "",
    "end_of_study": "END OF STUDY FOLLOW-UP DATE",
    "max_followup": "DATE MAXIMUM FOLLOW-UP (36 MONTHS BY DEFAULT) REACHED",
    "lost_to_follow_up": "DATE OF LAST CONTACT BEFORE LOSS TO FOLLOW-UP",
}
_TRTP = {"control": "CONTROL", "intervention": "WALKING AND EDUCATION"}
_TRTPN = {"control": 0, "intervention": 1}

#: ADTTE variable -> (type, label). Types: text, integer, number, date (ISO 8601 text in CSV).
ADTTE_COLUMNS: dict[str, tuple[str, str]] = {
    "STUDYID": ("text", "Study Identifier"),
    "USUBJID": ("text", "Unique Subject Identifier (STUDYID-[R<replicate>-]SUBJID)"),
    "SUBJID": ("text", "Subject Identifier for the Study (participant_id, zero-padded)"),
    "REPLICATE": ("integer", "Simulated trial replicate (only in multi-replicate exports)"),
    "PARAMCD": ("text", "Parameter Code: TTALREC (primary), TTANYREC (any recurrence), TTCAREC (care-seeking "
                        "recurrence), TTRECOV (recovery from the first recurrence)"),
    "PARAM": ("text", "Parameter"),
    "AVAL": ("number", "Analysis Value: days from STARTDT to recurrence (recovery for TTRECOV) or censoring, whole days "
                       "counted as ADT - STARTDT + 1 (an event on STARTDT is day 1)"),
    "AVALU": ("text", "Analysis Value Unit (DAYS)"),
    "CNSR": ("integer", "Censor: 0 = event; 1 = study follow-up ended; 2 = maximum follow-up reached; "
                        "3 = lost to follow-up"),
    "STARTDT": ("date", "Time-to-Event Origin Date: date of randomisation; for TTRECOV the date of onset of the first "
                        "recurrence, randomisation + (onset day - 1) (ISO 8601)"),
    "ADT": ("date", "Analysis Date: date of the event or censoring, STARTDT + AVAL - 1 days (ISO 8601)"),
    "EVNTDESC": ("text", "Event or Censoring Description"),
    "CNSDTDSC": ("text", "Censor Date Description (empty for events)"),
    "TRTP": ("text", "Planned Treatment: WALKING AND EDUCATION or CONTROL"),
    "TRTPN": ("integer", "Planned Treatment (N): 1 = WALKING AND EDUCATION, 0 = CONTROL"),
    "ITTFL": ("text", "Intent-To-Treat Population Flag (Y for every randomised participant)"),
    "STRAT1R": ("text", "Stratification factor 1 as randomised: >2 PREVIOUS EPISODES or <=2 PREVIOUS EPISODES"),
    "STRAT2R": ("text", "Stratification factor 2 as randomised: CLINICIAN REFERRED or SELF-REFERRED"),
    "STRATAR": ("text", "Randomisation stratum (factor 1 / factor 2)"),
    "AGE": ("number", "Age at randomisation (years)"),
    "SEX": ("text", "Sex: F or M"),
    "SITEID": ("text", "Study Site Identifier: the clinic (C01..CK; an assumption of the simulation, not published)"),
}


_ADTTE_SOURCE_COLUMNS = ("participant_id", "arm", "enrol_date", "time_days", "censor_reason",
                         "history_gt2_episodes", "referral", "age_years", "sex")


#: ADTTE parameters: PARAMCD -> (PARAM, AVAL column, event column, event description). The primary first; the
#: others are written when the cohort has their columns (every simulated cohort does; uploads may not).
ADTTE_PARAMETERS: dict[str, tuple[str, str, str, str]] = {
    PRIMARY_PARAMCD: (PRIMARY_PARAM, "time_days", "recurrence", "ACTIVITY-LIMITING LBP RECURRENCE"),
    "TTANYREC": ("Time to First LBP Recurrence of Any Kind (days)", "time_any_days", "recurrence_any",
                 "LBP RECURRENCE (ANY)"),
    "TTCAREC": ("Time to First Care-Seeking LBP Recurrence (days)", "time_care_days", "recurrence_care",
                "CARE-SEEKING LBP RECURRENCE"),
    "TTRECOV": ("Time from Onset of the First Recurrence to Recovery (days)", "recovery_days_first", "recovered_first",
                "RECOVERY FROM THE FIRST RECURRENCE"),
}


def _check_whole_days(column: str, values: np.ndarray) -> None:
    """ADTTE dates need whole days counted from day 1 (``AVAL = ADT - STARTDT + 1``), as the simulator writes them."""
    if values.size and ((values < 1).any() or (values != np.floor(values)).any()):
        raise WalkBackInputError(
            f"{column} must be whole days from 1 (day 1 = the origin date) for an ADTTE export, as the simulator "
            "writes them; found fractional or zero values")


def cohort_to_adtte(cohort: pd.DataFrame, study_id: str = STUDY_ID) -> pd.DataFrame:
    """ADaM ADTTE-style table: one record per participant per parameter (:data:`ADTTE_PARAMETERS`).

    ``TTALREC`` (time to first activity-limiting recurrence, the primary) for every participant;
    with the simulator's episode columns also ``TTANYREC`` (any recurrence) and ``TTCAREC``
    (care-seeking recurrence) for every participant, and ``TTRECOV`` (recovery, from the onset of
    the first recurrence) for participants with a first recurrence. Records are grouped by
    parameter, participants in order within each.

    ``AVAL`` is the time in whole days as simulated (and as the trial recorded it), so a
    re-analysis of the ADTTE gives the same numbers as one of the cohort, and ``AVAL = ADT -
    STARTDT + 1`` exactly on every record (an event on ``STARTDT`` is day 1). ``STARTDT`` is
    randomisation, or for ``TTRECOV`` the onset date of the first recurrence (randomisation +
    ``time_any_days - 1``), so ``ADT`` is the recovery or censoring date.
    ``CNSR`` follows ADaM: 0 for an event, a positive code per censoring reason
    (:data:`CNSR_CODES`; for the secondary parameters, why the participant's follow-up ended).
    Dates are ISO 8601 text. Columns and types: :data:`ADTTE_COLUMNS`.

    Examples
    --------
    >>> from analysis.trial.scenario import Scenario
    >>> from analysis.simulate.engine import simulate_trial
    >>> adtte = cohort_to_adtte(simulate_trial(Scenario(), seed=1))
    >>> adtte.loc[0, ["USUBJID", "PARAMCD", "AVALU", "ITTFL"]].tolist()
    ['WALKBACK-0001', 'TTALREC', 'DAYS', 'Y']
    >>> sorted(adtte.CNSR.unique().tolist())
    [0, 1, 2, 3]
    >>> adtte.PARAMCD.unique().tolist()
    ['TTALREC', 'TTANYREC', 'TTCAREC', 'TTRECOV']
    """
    missing = [c for c in _ADTTE_SOURCE_COLUMNS if c not in cohort.columns]
    if missing:
        raise WalkBackInputError(f"an ADTTE export needs the simulator's columns; missing: {', '.join(missing)}")
    n = len(cohort)
    pid = cohort["participant_id"].to_numpy(dtype=np.int64)
    width = max(4, len(str(int(pid.max())))) if n else 4
    subjid = pd.Series(pid).astype(str).str.zfill(width)
    has_replicates = "replicate" in cohort.columns
    if has_replicates:
        rep = cohort["replicate"].to_numpy(dtype=np.int64)
        rep_width = max(4, len(str(int(rep.max())))) if n else 4
        usubjid = study_id + "-R" + pd.Series(rep).astype(str).str.zfill(rep_width) + "-" + subjid
    else:
        usubjid = study_id + "-" + subjid
    reason = cohort["censor_reason"].astype(str)
    unknown = set(reason.unique()) - set(CNSR_CODES)
    if unknown:
        raise WalkBackInputError(f"censor_reason has unknown value(s) {sorted(unknown)}; expected {list(CNSR_CODES)}")
    arm = cohort["arm"].astype(str)
    if not arm.isin(list(_TRTPN)).all():
        raise WalkBackInputError(f"arm must be 'control' or 'intervention'; found {sorted(set(arm) - set(_TRTPN))[:3]}")
    try:
        start = pd.to_datetime(cohort["enrol_date"]).to_numpy().astype("datetime64[D]")
        time_days = cohort["time_days"].to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise WalkBackInputError(f"enrol_date must be dates and time_days numbers: {str(exc).splitlines()[0]}") from None
    if np.isnat(start).any() or not np.isfinite(time_days).all() or (time_days < 0).any():
        raise WalkBackInputError("an ADTTE export needs an enrol_date and a finite, non-negative time_days on every row")
    _check_whole_days("time_days", time_days)
    history = cohort["history_gt2_episodes"].to_numpy(dtype=np.int64)
    primary_cnsr = reason.map(CNSR_CODES).to_numpy(dtype=np.int64)
    trtpn = arm.map(_TRTPN).to_numpy(dtype=np.int64)
    is_history = history == 1
    is_clinician = cohort["referral"].astype(str).to_numpy() == "clinician"
    reasons = list(CNSR_CODES)  # in code order, so the codes index the categories
    strat1_labels = ["<=2 PREVIOUS EPISODES", ">2 PREVIOUS EPISODES"]
    strat2_labels = ["SELF-REFERRED", "CLINICIAN REFERRED"]
    secondary = [code for code, (_, t, e, _) in ADTTE_PARAMETERS.items()
                 if code != PRIMARY_PARAMCD and {t, e, "followup_end", "time_any_days", "recurrence_any"} <= set(cohort.columns)]
    if secondary:
        end = cohort["followup_end"].astype(str)
        if not end.isin(reasons[1:]).all():
            raise WalkBackInputError(f"followup_end must be one of {reasons[1:]}")
        end_cnsr = end.map(CNSR_CODES).to_numpy(dtype=np.int64)

    parts = []
    for code in [PRIMARY_PARAMCD, *secondary]:
        param, time_col, event_col, event_text = ADTTE_PARAMETERS[code]
        rows = np.arange(n)
        origin = start
        if code == PRIMARY_PARAMCD:
            aval, cnsr = time_days, primary_cnsr
        else:
            try:
                aval = cohort[time_col].to_numpy(dtype=float)
                event = cohort[event_col].to_numpy(dtype=float) == 1
            except (TypeError, ValueError):
                raise WalkBackInputError(f"{time_col} and {event_col} must be numbers") from None
            if code == "TTRECOV":  # only participants with a first recurrence; origin = its onset
                rows = np.flatnonzero(cohort["recurrence_any"].to_numpy(dtype=float) == 1)
                onset = cohort["time_any_days"].to_numpy(dtype=float)[rows]
                _check_whole_days("time_any_days", onset)
                origin = start[rows] + (onset.astype(np.int64) - 1).astype("timedelta64[D]")
                aval, event = aval[rows], event[rows]
            if not np.isfinite(aval).all() or (aval < 0).any():
                raise WalkBackInputError(f"{time_col} must be finite and non-negative for every {code} record")
            _check_whole_days(time_col, aval)
            cnsr = np.where(event, 0, end_cnsr[rows])
        adt = origin + (aval.astype(np.int64) - 1).astype("timedelta64[D]")  # AVAL = ADT - STARTDT + 1
        columns: dict[str, Any] = {"STUDYID": study_id, "USUBJID": usubjid.to_numpy(dtype=object)[rows],
                                   "SUBJID": subjid.to_numpy(dtype=object)[rows]}
        if has_replicates:
            columns["REPLICATE"] = rep[rows]
        columns.update({
            "PARAMCD": code,
            "PARAM": param,
            "AVAL": aval,
            "AVALU": "DAYS",
            "CNSR": cnsr,
            "STARTDT": np.datetime_as_string(origin, unit="D").astype(object),
            "ADT": np.datetime_as_string(adt, unit="D").astype(object),
            "EVNTDESC": np.array([event_text] + [_EVNTDESC[r] for r in reasons[1:]], dtype=object)[cnsr],
            "CNSDTDSC": np.array([_CNSDTDSC[r] for r in reasons], dtype=object)[cnsr],
            "TRTP": np.array([_TRTP["control"], _TRTP["intervention"]], dtype=object)[trtpn[rows]],
            "TRTPN": trtpn[rows],
            "ITTFL": "Y",
            "STRAT1R": np.array(strat1_labels, dtype=object)[is_history[rows].astype(np.int64)],
            "STRAT2R": np.array(strat2_labels, dtype=object)[is_clinician[rows].astype(np.int64)],
            "STRATAR": np.array([f"{a} / {b}" for a in strat1_labels for b in strat2_labels], dtype=object)[
                (2 * is_history + is_clinician)[rows].astype(np.int64)],
            "AGE": cohort["age_years"].to_numpy(dtype=float)[rows],
            "SEX": np.array(["M", "F"], dtype=object)[(cohort["sex"].astype(str).to_numpy() == "female")[rows].astype(np.int64)],
        })
        if "clinic" in cohort.columns:  # simulated cohorts have it; an uploaded file may not
            columns["SITEID"] = cohort["clinic"].astype(np.int64).map("C{:02d}".format).to_numpy(dtype=object)[rows]
        parts.append(pd.DataFrame(columns, index=pd.RangeIndex(len(rows))))
    table = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    # Low-cardinality text as categoricals: far less memory and faster CSV for large exports.
    for col in ("STUDYID", "PARAMCD", "PARAM", "AVALU", "EVNTDESC", "CNSDTDSC", "TRTP", "ITTFL", "STRAT1R", "STRAT2R",
                "STRATAR", "SEX", "SITEID"):
        if col in table:
            table[col] = table[col].astype("category")
    return table


def r_reanalysis_script(data_file: str = DATA_FILE["adtte"], version: str | None = None) -> str:
    """R script (survival package) that re-analyses an ADTTE export the way the trial's SAP did."""
    version = version or package_version()
    return f"""# Re-analysis of a WalkBack Explorer ADTTE export with R's survival package.
# Made by walkback-explorer {version}. Run it in the folder that holds {data_file}:
#     Rscript {R_FILE}
# Kaplan-Meier medians (log-log CIs), log-rank test and Cox hazard ratio (Efron ties), as in the
# WalkBack statistical analysis plan; the numbers match the app's (lifelines) to rounding.
library(survival)

adtte <- read.csv("{data_file}", stringsAsFactors = FALSE, na.strings = "")
tte <- adtte[adtte$PARAMCD == "{PRIMARY_PARAMCD}", ]
tte$EVENT <- as.integer(tte$CNSR == 0)  # ADaM: CNSR 0 = event, > 0 = censored (reason code)
tte$TRTP <- factor(tte$TRTP, levels = c("CONTROL", "WALKING AND EDUCATION"))
tte$STARTDT <- as.Date(tte$STARTDT)
tte$ADT <- as.Date(tte$ADT)

analyse <- function(d, verbose = TRUE) {{
  km <- survfit(Surv(AVAL, EVENT) ~ TRTP, data = d, conf.type = "log-log")
  cox <- coxph(Surv(AVAL, EVENT) ~ TRTP, data = d, ties = "efron")
  cox_strat <- coxph(Surv(AVAL, EVENT) ~ TRTP + strata(STRAT1R, STRAT2R), data = d, ties = "efron")
  if (verbose) {{
    print(km)                                            # events, median days and 95% CI per arm
    print(survdiff(Surv(AVAL, EVENT) ~ TRTP, data = d))  # log-rank test
    cat("\\nCox hazard ratio, walking and education vs control (95% CI):\\n")
    print(summary(cox)$conf.int[, c(1, 3, 4), drop = FALSE])
    cat("\\nStratified by the randomisation factors:\\n")
    print(summary(cox_strat)$conf.int[, c(1, 3, 4), drop = FALSE])
  }}
  medians <- summary(km)$table[, "median"]
  c(hr = unname(exp(coef(cox))), median_control = unname(medians[1]),
    median_intervention = unname(medians[2]), events = sum(d$EVENT))
}}

if ("REPLICATE" %in% names(tte)) {{
  # One row per simulated trial; then the spread of the estimates across replicates.
  per_replicate <- t(sapply(split(tte, tte$REPLICATE), analyse, verbose = FALSE))
  print(head(per_replicate))
  print(summary(per_replicate))
}} else {{
  invisible(analyse(tte))
}}
"""
