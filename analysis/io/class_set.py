"""The class set as files: one simulated trial per student, its data dictionary and worksheet, and the
instructor's answer key, built in memory as ``name -> bytes``.

Place in the pipeline: :mod:`analysis.studies.classroom` plans the class (seeds, variants) and writes
the worksheets; this module simulates each student's trial, writes it with the export functions
(CSV + data dictionary), reads the CSV back as ``walkback analyze`` would and analyses it for the key,
and zips the lot. The CLI writes the zip atomically, the app offers it as a download.

Answer key
----------
Computed by :func:`analysis.stats.survival.analyze_two_arm` on the student's CSV read back with
:func:`analysis.io.cohort_files.read_cohort_file`, with the defaults of ``walkback analyze``: exactly
what ``walkback analyze FILE --json`` prints for that file. The true values are
:func:`analysis.model.expectation.expected_trial` of the student's scenario (no sampling error).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import pandas as pd

from ..model.expectation import expected_trial
from ..simulate.engine import simulate_trial
from ..stats.survival import analyze_two_arm
from ..stats.time_units import analysis_defaults, unit_or_days
from ..studies.classroom import (ANALYZE_DEFAULTS, DATA_FILE, DICTIONARY_FILE, student_plan, worksheet_html,
                                 worksheet_markdown)
from ..trial.scenario import Scenario
from ..trial.sharing import describe_value, field_label
from .cohort_files import read_cohort_file
from .export import cohort_to_bytes, data_dictionary, zip_files

__all__ = ["ClassSet", "build_class_set", "student_trial_analysis"]


def _json(obj: Any) -> bytes:
    return (json.dumps(obj, indent=2, allow_nan=False) + "\n").encode("utf-8")


def _key_row(student: int, seed: int, variant: Any, analysis: dict, truth) -> dict:
    groups = {g["level"]: g for g in analysis["groups"]}
    control, walking = groups["control"], groups["intervention"]
    return {
        "student": student, "seed": seed, "variant": variant,
        "n_control": control["n"], "n_intervention": walking["n"],
        "events_control": control["events"], "events_intervention": walking["events"],
        "median_control": control["median"], "median_control_lower": control["median_ci"][0],
        "median_control_upper": control["median_ci"][1],
        "median_intervention": walking["median"], "median_intervention_lower": walking["median_ci"][0],
        "median_intervention_upper": walking["median_ci"][1],
        "logrank_chisq": analysis["logrank"]["chisq"], "logrank_p": analysis["logrank"]["p"],
        "cox_hr": analysis["cox"]["hr"], "cox_hr_lower": analysis["cox"]["ci"][0],
        "cox_hr_upper": analysis["cox"]["ci"][1], "cox_p": analysis["cox"]["p"],
        "true_median_control": truth.median_control, "true_median_intervention": truth.median_intervention,
        "true_cox_hr": truth.cox_hr, "true_events_control": truth.events_control,
        "true_events_intervention": truth.events_intervention,
    }


def _plain(row: dict) -> dict:
    """A key row for JSON: non-finite numbers (a median not reached) become null, exact floats otherwise."""
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}


def _fmt(value: Any, digits: int) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "NR"
    return f"{value:.{digits}f}"


def _days(value: Any) -> str:
    """A median in days: whole days as whole numbers (the trial's times are whole days), else one decimal."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "NR"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _key_markdown(key: pd.DataFrame, vary_name: str | None, scenario: Scenario, seed: int) -> str:
    lines = ["# Answer key (instructor only)", "",
             f"Scenario '{scenario.name}', class seed {seed}. Every number comes from `walkback analyze trial.csv` "
             "(Kaplan-Meier medians with log-log 95% CIs, log-rank test, Cox model with Efron ties); the 'true' columns "
             "are the scenario's expected values without sampling error. NR = not reached.", ""]
    variant_col = f" {field_label(vary_name)} |" if vary_name else ""
    lines.append(f"| student |{variant_col} events C / W | median C, days (95% CI) | median W, days (95% CI) | "
                 "log-rank chi-square | log-rank p | HR (95% CI) | true medians C / W | true HR |")
    lines.append("|---|" + ("---|" if vary_name else "") + "---|---|---|---|---|---|---|---|")
    for r in key.itertuples():
        variant = f" {describe_value(vary_name, r.variant)} |" if vary_name else ""
        lines.append(
            f"| {r.student:02d} |{variant} {r.events_control} / {r.events_intervention} | "
            f"{_days(r.median_control)} ({_days(r.median_control_lower)} to {_days(r.median_control_upper)}) | "
            f"{_days(r.median_intervention)} ({_days(r.median_intervention_lower)} to "
            f"{_days(r.median_intervention_upper)}) | {r.logrank_chisq:.2f} | {r.logrank_p:.3g} | "
            f"{r.cox_hr:.3f} ({r.cox_hr_lower:.3f} to {r.cox_hr_upper:.3f}) | "
            f"{_fmt(r.true_median_control, 0)} / {_fmt(r.true_median_intervention, 0)} | {r.true_cox_hr:.3f} |")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class ClassSet:
    """A class set (see :func:`build_class_set`).

    Attributes
    ----------
    scenario : Scenario
        The class's scenario (before any variant).
    seed : int
        The class seed; student ``i`` uses ``replicate_seed(seed, i - 1)``.
    vary : tuple or None
        ``(field, values)`` of the variants, if any.
    answer_key : DataFrame
        One row per student: ``student``, ``seed``, ``variant``, ``n_*``, ``events_*``, ``median_*`` (with
        ``_lower``/``_upper``), ``logrank_chisq``, ``logrank_p``, ``cox_hr`` (with ``_lower``/``_upper``),
        ``cox_p`` and the ``true_*`` values of the student's scenario.
    analyses : tuple of dict
        Per student, exactly ``walkback analyze trial.csv --json`` (``TwoArmAnalysis.to_dict()``).
    files : dict of str -> bytes
        Every file of the zip, in a fixed order.
    """

    scenario: Scenario
    seed: int
    vary: tuple[str, tuple[Any, ...]] | None
    answer_key: pd.DataFrame = field(repr=False)
    analyses: tuple[dict, ...] = field(repr=False)
    files: dict[str, bytes] = field(repr=False)

    @property
    def summary(self) -> pd.DataFrame:
        return self.answer_key

    @property
    def n_students(self) -> int:
        return len(self.answer_key)

    def to_dict(self) -> dict:
        return {"scenario": self.scenario.to_dict(), "seed": self.seed,
                "vary": None if self.vary is None else {"field": self.vary[0], "values": list(self.vary[1])},
                "students": [{**_plain(row), "analysis": a} for row, a in
                             zip(self.answer_key.to_dict(orient="records"), self.analyses)]}

    def to_zip(self) -> bytes:
        """The whole class set as zip bytes (fixed dates: same inputs, same bytes)."""
        return zip_files(self.files)


def _readme(n_students: int, seed: int, vary_name: str | None) -> str:
    lines = [
        "# WalkBack class set", "",
        f"{n_students} students, class seed {seed}. Give each student their own folder `student_NN/` "
        f"({DATA_FILE}, {DICTIONARY_FILE}, worksheet.md and worksheet.html). Keep `instructor/` to yourself: it holds "
        "the answer key (answer_key.md to read, answer_key.csv / .json to pool the class's results) and class.json "
        "(scenario, seeds and variants, enough to rebuild this set).", "",
        "The answer key is what `walkback analyze student_NN/trial.csv --json` prints for each file.",
    ]
    if vary_name:
        lines += ["", f"Students differ in one setting: {field_label(vary_name)}, scenario field `{vary_name}`. Each "
                      "worksheet says its student's value; the answer key's `variant` column gives them all."]
    return "\n".join(lines) + "\n"


def student_trial_analysis(scenario: Scenario, trial_seed: int):
    """One student's trial: ``(cohort, CSV bytes, TwoArmAnalysis)``, analysed as the answer key analyses it.

    The analysis reads back the CSV the student gets, as ``walkback analyze trial.csv`` reads it, so the key, the
    live class and the student's own R or Python agree to the last digit.

    Examples
    --------
    >>> from analysis.simulate.seeds import replicate_seed
    >>> cohort, data, result = student_trial_analysis(Scenario(), replicate_seed(7, 0))
    >>> data[:9], bool(result.cox.hr == build_class_set(Scenario(), 1, seed=7).answer_key.cox_hr[0])
    (b'participa', True)
    """
    cohort = simulate_trial(scenario, seed=trial_seed)
    data = cohort_to_bytes(cohort, "csv")
    frame = read_cohort_file(data, DATA_FILE)
    longest = float(frame[ANALYZE_DEFAULTS["time"]].max())
    return cohort, data, analyze_two_arm(frame, **ANALYZE_DEFAULTS,
                                         **analysis_defaults(longest, unit_or_days(ANALYZE_DEFAULTS["time"])))


def build_class_set(scenario: Scenario, n_students: int, seed: int | None = None,
                    vary: tuple[str, Sequence[Any]] | None = None) -> ClassSet:
    """Build a class set: per student a simulated trial, its data dictionary and a worksheet; an answer key.

    Parameters
    ----------
    scenario : Scenario
        The trial every student's data come from (the calibrated WalkBack scenario in the app and CLI).
    n_students : int
        1 to :data:`MAX_STUDENTS`.
    seed : int, optional
        Class seed (default: the scenario's seed).
    vary : (str, sequence), optional
        A dotted scenario field and the values students get in turn (see the module docstring).

    Returns
    -------
    ClassSet
        Files: ``README.md``; ``student_NN/trial.csv``, ``student_NN/data_dictionary.json``,
        ``student_NN/worksheet.md``, ``student_NN/worksheet.html``; ``instructor/answer_key.md``,
        ``instructor/answer_key.csv``, ``instructor/answer_key.json``, ``instructor/class.json``.

    Examples
    --------
    >>> cs = build_class_set(Scenario(), 2, seed=7)
    >>> sorted(cs.files)[:3]
    ['README.md', 'instructor/answer_key.csv', 'instructor/answer_key.json']
    >>> cs.answer_key.student.tolist()
    [1, 2]
    """
    seed = scenario.seed if seed is None else seed
    if vary is not None:
        vary = (vary[0], tuple(vary[1]))
    plan = student_plan(scenario, n_students, seed, vary)
    vary_name = vary[0] if vary is not None else None
    truths: dict[Scenario, Any] = {}
    student_files: dict[str, bytes] = {}
    rows, analyses, manifest = [], [], []
    for student, trial_seed, value, student_scenario in plan:
        folder = f"student_{student:02d}/"
        cohort, data, result = student_trial_analysis(student_scenario, trial_seed)
        analysis = result.to_dict()
        if student_scenario not in truths:
            truths[student_scenario] = expected_trial(student_scenario)
        variant = None if vary_name is None else (vary_name, value)
        n = student_scenario.design.n_total
        student_files[folder + DATA_FILE] = data
        student_files[folder + DICTIONARY_FILE] = _json(data_dictionary(cohort, "csv"))
        follow_up = student_scenario.design.max_followup_days
        student_files[folder + "worksheet.md"] = worksheet_markdown(student, variant, n, follow_up).encode("utf-8")
        student_files[folder + "worksheet.html"] = worksheet_html(student, variant, n, follow_up).encode("utf-8")
        rows.append(_key_row(student, trial_seed, value, analysis, truths[student_scenario]))
        analyses.append(analysis)
        manifest.append({"student": student, "seed": trial_seed, "variant": value, "folder": folder})
    key = pd.DataFrame(rows)
    class_record = {
        "generator": "walkback-explorer", "class_seed": int(seed), "n_students": n_students,
        "seed_rule": "student i (1-based) is simulate_trial(scenario_i, seed=analysis.simulate.seeds."
                     "replicate_seed(class_seed, i - 1))",
        "vary": None if vary is None else {"field": vary[0], "values": list(vary[1]),
                                           "rule": "student i gets values[(i - 1) % len(values)]"},
        "analysis": "analysis.stats.survival.analyze_two_arm with walkback analyze's defaults (landmarks and risk "
                    "times from analysis.stats.time_units)",
        "students": manifest, "scenario": scenario.to_dict(),
    }
    files = {"README.md": _readme(n_students, int(seed), vary_name).encode("utf-8"),
             "instructor/answer_key.md": _key_markdown(key, vary_name, scenario, int(seed)).encode("utf-8"),
             "instructor/answer_key.csv": cohort_to_bytes(key if vary else key.drop(columns="variant"), "csv"),
             "instructor/answer_key.json": _json([{**_plain(row), "analysis": a} for row, a in zip(rows, analyses)]),
             "instructor/class.json": _json(class_record),
             **student_files}
    return ClassSet(scenario=scenario, seed=int(seed), vary=vary, answer_key=key, analyses=tuple(analyses),
                    files=files)
