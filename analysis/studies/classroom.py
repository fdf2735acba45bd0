"""Class sets for teaching: the plan (one trial per student, seeds and variants) and the worksheets.

Place in the pipeline: scenario -> **plan and worksheets** -> :mod:`analysis.io.class_set`, which
simulates each student's trial, writes the files and the instructor's answer key, and zips them.

Seeds
-----
Student ``i`` (1-based) analyses ``simulate_trial(scenario_i, seed=replicate_seed(class_seed, i - 1))``:
the replicate seed rule of :mod:`analysis.simulate.seeds`, so student ``i``'s data do not depend
on how many students the class has, and a class set is rebuilt byte for byte from its scenario,
class seed and variants.

Variants
--------
``vary=("adherence.mean_adherence", (0.4, 0.87))`` gives student ``i`` the value ``values[(i - 1) % k]``
(round robin), every other field as in ``scenario``. The dose-response is not re-fitted, so lower
adherence weakens the effect, as it would in a real trial; pooling the class's hazard ratios by
variant shows the effect of adherence emerge from sampling variability.

The answer key (:mod:`analysis.io.class_set`) is what ``walkback analyze FILE --json`` prints for each file.
"""

from __future__ import annotations

import html
import math
from typing import Any, Sequence

import pandas as pd

from ..errors import WalkBackInputError
from ..trial.scenario import Scenario, with_changes
from ..trial.sharing import describe_value, field_label
from .limits import MAX_STUDENTS  # a module without imports, so the CLI parser can show it cheaply
from ..simulate.seeds import check_seed, replicate_seed
from ..stats.time_units import landmarks, month_length

__all__ = [
    "MAX_STUDENTS",
    "ANALYZE_DEFAULTS",
    "parse_vary",
    "student_plan",
    "worksheet_markdown",
    "worksheet_html",
    "median_ratio_under_proportional_hazards",
    "weibull_ph_curves",
]

#: The arguments ``walkback analyze`` passes to :func:`analyze_two_arm` by default; the key uses the same.
ANALYZE_DEFAULTS: dict[str, Any] = {"time": "time_days", "event": "recurrence", "group": "arm",
                                    "reference": "control", "strata": (), "tau": None}
DATA_FILE = "trial.csv"
DICTIONARY_FILE = "data_dictionary.json"


# --------------------------------------------------------------------------- inputs
def parse_vary(text: str) -> tuple[str, tuple[Any, ...]]:
    """``"FIELD=V1,V2,..."`` -> ``(FIELD, (V1, V2, ...))``; numbers become numbers.

    Examples
    --------
    >>> parse_vary("adherence.mean_adherence=0.4,0.87")
    ('adherence.mean_adherence', (0.4, 0.87))
    >>> parse_vary("design.n_control=300,350")
    ('design.n_control', (300, 350))
    """
    if not isinstance(text, str) or "=" not in text:
        raise WalkBackInputError(f"--vary {text!r} must look like FIELD=V1,V2 (e.g. adherence.mean_adherence=0.4,0.87)")
    name, _, raw = text.partition("=")
    name = name.strip()
    parts = [p.strip() for p in raw.split(",")]
    if not name or not parts or any(not p for p in parts):
        raise WalkBackInputError(f"--vary {text!r} must look like FIELD=V1,V2 with no empty values")
    values: list[Any] = []
    for p in parts:
        try:
            values.append(int(p))
        except ValueError:
            try:
                number = float(p)
            except ValueError:
                values.append(p)
            else:
                if not math.isfinite(number):
                    raise WalkBackInputError(f"--vary {name}: {p!r} is not a finite number") from None
                values.append(number)
    if len(set(map(repr, values))) != len(values):
        raise WalkBackInputError(f"--vary {name}: each value may appear only once")
    return name, tuple(values)


def _coerce(scenario: Scenario, name: str, value: Any) -> Any:
    """Whole numbers given for a float field stay exact floats (0 -> 0.0), so the scenario JSON is tidy."""
    section, _, field_name = name.partition(".")
    current = getattr(getattr(scenario, section, None), field_name, None) if field_name else getattr(scenario, name, None)
    if isinstance(current, float) and isinstance(value, int):
        return float(value)
    return value


def student_plan(scenario: Scenario, n_students: int, seed: int,
                 vary: tuple[str, Sequence[Any]] | None = None) -> list[tuple[int, int, Any, Scenario]]:
    """``(student, trial seed, variant value or None, scenario)`` for each student, checked.

    Examples
    --------
    >>> plan = student_plan(Scenario(), 3, 5, ("adherence.never_start", (0.0, 0.3)))
    >>> [(s, v, sc.adherence.never_start) for s, _, v, sc in plan]
    [(1, 0.0, 0.0), (2, 0.3, 0.3), (3, 0.0, 0.0)]
    >>> plan[1][1] == replicate_seed(5, 1)
    True
    """
    if isinstance(n_students, bool) or not isinstance(n_students, int) or not 1 <= n_students <= MAX_STUDENTS:
        raise WalkBackInputError(f"students = {n_students!r} must be a whole number from 1 to {MAX_STUDENTS}")
    seed = check_seed(seed)
    variants: list[tuple[Any, Scenario]] = [(None, scenario)]
    if vary is not None:
        name, values = vary
        values = tuple(values)
        if not values:
            raise WalkBackInputError(f"--vary {name}: give at least one value")
        if len(values) > n_students:
            raise WalkBackInputError(f"--vary {name} has {len(values)} values but the class has only {n_students} "
                                     "students; give fewer values or more students")
        variants = []
        for value in values:
            try:
                variants.append((value, with_changes(scenario, {name: _coerce(scenario, name, value)})))
            except WalkBackInputError as exc:
                raise WalkBackInputError(f"--vary {name}={value}: {exc}") from None
            except TypeError:
                raise WalkBackInputError(f"--vary {name}={value!r}: wrong kind of value for this field") from None
    return [(i + 1, replicate_seed(seed, i), *variants[i % len(variants)]) for i in range(n_students)]


# --------------------------------------------------------------------------- teaching helpers
def median_ratio_under_proportional_hazards(hazard_ratio: float, weibull_shape: float) -> float:
    """Ratio of median times (intervention / control) implied by a hazard ratio under a Weibull hazard.

    With proportional hazards ``S1 = S0 ** HR``; for a Weibull baseline of shape ``k`` the median
    scales by ``HR ** (-1 / k)``. Only for ``k = 1`` (constant hazard) is the median ratio ``1 / HR``.

    Examples
    --------
    >>> round(median_ratio_under_proportional_hazards(0.72, 1.0), 3)
    1.389
    >>> round(median_ratio_under_proportional_hazards(0.72, 0.55), 2)
    1.82
    """
    if not 0 < hazard_ratio < math.inf or not 0 < weibull_shape < math.inf:
        raise WalkBackInputError("the hazard ratio and the Weibull shape must be positive numbers")
    return hazard_ratio ** (-1.0 / weibull_shape)


def weibull_ph_curves(median_control: float, hazard_ratio: float, weibull_shape: float,
                      max_days: float = 1095.75, points: int = 400) -> pd.DataFrame:
    """Recurrence-free curves of two arms with a Weibull hazard and a constant hazard ratio (for teaching).

    Control: ``S0(t) = 2 ** -((t / median_control) ** shape)``; intervention: ``S0(t) ** hazard_ratio``.

    Returns
    -------
    DataFrame
        ``day``, ``control``, ``intervention`` (survival, 0..1), and in ``attrs`` the two medians
        (``median_control``, ``median_intervention``).

    Examples
    --------
    >>> c = weibull_ph_curves(112, 0.72, 1.0)
    >>> round(c.attrs["median_intervention"], 1)
    155.6
    """
    import numpy as np

    if not 0 < median_control < math.inf or not 0 < max_days < math.inf:
        raise WalkBackInputError("the control median and the time span must be positive numbers")
    ratio = median_ratio_under_proportional_hazards(hazard_ratio, weibull_shape)
    day = np.linspace(0.0, float(max_days), int(points))
    control = np.exp2(-((day / median_control) ** weibull_shape))
    frame = pd.DataFrame({"day": day, "control": control, "intervention": control ** hazard_ratio})
    frame.attrs.update({"median_control": float(median_control), "median_intervention": float(median_control * ratio)})
    return frame


# --------------------------------------------------------------------------- the worksheet
def _worksheet_sections(student: int, variant: tuple[str, Any] | None, n_participants: int,
                        max_followup_days: float = 1095.75) -> list[tuple[str, list]]:
    """(heading, blocks) with blocks ``("p", text)`` or ``("code", language, text)``: one source, two renderings."""
    about = (f"Your file `{DATA_FILE}` is one simulated trial of {n_participants} adults who had recently recovered "
             "from low back pain, randomised to a walking programme with education (`arm = intervention`) or to no "
             "treatment (`arm = control`), as in the WalkBack trial (Pocovi et al., Lancet 2024). Each student has a "
             "different trial, so your numbers will differ from your neighbour's. The columns are described in "
             f"`{DICTIONARY_FILE}`.")
    if variant is not None:
        about += (f" In your trial, {field_label(variant[0]).lower()} is **{describe_value(variant[0], variant[1])}**; "
                  "other students may have another value. Report it with your results.")
    marks = landmarks(max_followup_days, "days")
    return [
        (f"WalkBack class exercise: student {student:02d}", [("p", about)]),
        ("1. Read the data", [
            ("p", "Each row is one participant. `time_days` is the time from randomisation to the first "
                  "activity-limiting recurrence, or to the end of that person's follow-up; `recurrence` is 1 if the "
                  "recurrence was observed and 0 if the person was **censored** (still recurrence-free when we lost "
                  "sight of them)."),
            ("code", "r", f'trial <- read.csv("{DATA_FILE}")\ntable(trial$arm, trial$recurrence)'),
            ("code", "python", f'import pandas as pd\ntrial = pd.read_csv("{DATA_FILE}")\n'
                               'print(pd.crosstab(trial.arm, trial.recurrence))'),
            ("p", "Spreadsheet: open the CSV and count the rows with `recurrence = 1` in each arm (COUNTIFS)."),
        ]),
        ("2. Count recurrences per arm", [
            ("p", "How many participants are in each arm, and how many had a recurrence? Why is the share with a "
                  "recurrence a poor summary when follow-up differs between people?"),
        ]),
        ("3. Kaplan-Meier curves and medians", [
            ("p", "Estimate the recurrence-free curve of each arm with the Kaplan-Meier method and read off the "
                  "median days to recurrence with its 95% confidence interval (log-log interval, as in R)."),
            ("code", "r", "library(survival)\n"
                          'km <- survfit(Surv(time_days, recurrence) ~ arm, data = trial, conf.type = "log-log")\n'
                          "print(km)   # n, events, median, 0.95LCL, 0.95UCL\nplot(km, col = 1:2)"),
            ("code", "python", "from lifelines import KaplanMeierFitter\n"
                               "for arm, d in trial.groupby('arm'):\n"
                               "    km = KaplanMeierFitter().fit(d.time_days, d.recurrence, label=arm)\n"
                               "    print(arm, km.median_survival_time_)"),
            ("p", "Spreadsheet: take one arm and sort it by `time_days`. Going down the rows, the number at risk is "
                  "the number of rows from this one to the end; on each row with `recurrence = 1` multiply the running "
                  "recurrence-free proportion (starting at 1) by (1 - 1 / at risk). The median is the first "
                  "`time_days` at which it reaches 0.5 or less."),
            ("p", "Python users: lifelines gives the same medians; its confidence interval for a median can differ "
                  "slightly from R's log-log interval, which the answer key uses."),
            *([("p", f"Then read each arm's recurrence-free proportion at {_months_text(marks)} (days "
                     f"{', '.join(f'{d:g}' for d in marks)}; a month is 365.25 / 12 days): the answer key's landmarks."),
               ("code", "r", f"summary(km, times = c({', '.join(f'{d:g}' for d in marks)}))")] if marks else []),
        ]),
        ("4. Log-rank test", [
            ("p", "Do the two curves differ by more than chance would explain? Report the chi-square and the p-value."),
            ("code", "r", "survdiff(Surv(time_days, recurrence) ~ arm, data = trial)"),
            ("code", "python", "from lifelines.statistics import logrank_test\n"
                               "a, b = trial[trial.arm == 'intervention'], trial[trial.arm == 'control']\n"
                               "print(logrank_test(a.time_days, b.time_days, a.recurrence, b.recurrence).p_value)"),
        ]),
        ("5. Cox hazard ratio", [
            ("p", "Fit a Cox model with the arm as the only term (control as reference) and report the hazard ratio "
                  "of walking vs control with its 95% confidence interval."),
            ("code", "r", 'trial$arm <- factor(trial$arm, levels = c("control", "intervention"))\n'
                          "fit <- coxph(Surv(time_days, recurrence) ~ arm, data = trial)\n"
                          "summary(fit)$conf.int"),
            ("code", "python", "from lifelines import CoxPHFitter\n"
                               "d = trial.assign(walking=(trial.arm == 'intervention').astype(int))\n"
                               "cph = CoxPHFitter().fit(d[['time_days', 'recurrence', 'walking']], "
                               "'time_days', 'recurrence')\ncph.print_summary()"),
        ]),
        ("6. Interpret and pool", [
            ("p", "The published trial found medians of 208 days (walking) and 112 days (control) and a hazard ratio "
                  "of 0.72 (95% CI 0.60 to 0.85). Is your trial close? Why is 112/208 not 0.72? Hand in your medians, "
                  "hazard ratio, confidence interval and p-value: pooled over the class, they show how much one trial "
                  "varies by chance" + (" and how the setting that differs between students changes the effect."
                                        if variant is not None else ".")),
        ]),
    ]


def _months_text(days) -> str:
    months = [f"{d / month_length('days'):g}" for d in days]
    return (", ".join(months[:-1]) + " and " + months[-1] if len(months) > 1 else months[0]) + " months"


def worksheet_markdown(student: int, variant: tuple[str, Any] | None = None, n_participants: int = 701,
                       max_followup_days: float = 1095.75) -> str:
    """The worksheet as Markdown.

    Examples
    --------
    >>> worksheet_markdown(3).splitlines()[0]
    '# WalkBack class exercise: student 03'
    """
    out = []
    for i, (heading, blocks) in enumerate(_worksheet_sections(student, variant, n_participants,
                                                                        max_followup_days)):
        out.append(("# " if i == 0 else "## ") + heading + "\n")
        for block in blocks:
            if block[0] == "p":
                out.append(block[1] + "\n")
            else:
                out.append(f"```{block[1]}\n{block[2]}\n```\n")
    return "\n".join(out)


def _inline_html(text: str) -> str:
    """Escape, then render the two inline marks the worksheet uses: `code` and **bold**."""
    parts = html.escape(text).split("`")
    text = "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))
    parts = text.split("**")
    return "".join(f"<strong>{p}</strong>" if i % 2 else p for i, p in enumerate(parts))


def worksheet_html(student: int, variant: tuple[str, Any] | None = None, n_participants: int = 701,
                   max_followup_days: float = 1095.75) -> str:
    """The worksheet as a standalone HTML page (the same text as :func:`worksheet_markdown`).

    Examples
    --------
    >>> "<h1>WalkBack class exercise: student 03</h1>" in worksheet_html(3)
    True
    """
    sections = _worksheet_sections(student, variant, n_participants, max_followup_days)
    body = []
    for i, (heading, blocks) in enumerate(sections):
        tag = "h1" if i == 0 else "h2"
        body.append(f"<{tag}>{html.escape(heading)}</{tag}>")
        for block in blocks:
            if block[0] == "p":
                body.append(f"<p>{_inline_html(block[1])}</p>")
            else:
                label = {"r": "R", "python": "Python"}.get(block[1], block[1])
                body.append(f"<p class='lang'>{label}</p><pre><code class='language-{block[1]}'>"
                            f"{html.escape(block[2])}</code></pre>")
    title = html.escape(sections[0][0])
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>{title}</title><style>body{{font-family:sans-serif;max-width:46em;margin:2em auto;"
            "line-height:1.5;padding:0 1em}pre{background:#f4f4f4;padding:.6em;overflow-x:auto}"
            ".lang{font-size:.8em;color:#666;margin-bottom:-.6em}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


# --------------------------------------------------------------------------- the answer key
