"""A live class: every student analyses their own trial, the class pools what they submit.

Place in the pipeline: the class set's seeds (:mod:`analysis.studies.classroom`) -> simulate -> stats (each
student's analysis, exactly as the answer key computes it) -> here, the pooled view of the submitted numbers.
Storage (the database) lives in :mod:`analysis.io.live_class`; this module never touches it.

Seeds
-----
Seat ``i`` (1-based, in the order students join) is student ``i`` of ``walkback classroom`` with the same
scenario, class seed and ``--vary``: ``simulate_trial(scenario_i, seed=replicate_seed(class_seed, i - 1))`` with
``values[(i - 1) % k]`` of the varied setting. The truth of each seat is the expected hazard ratio of its scenario
(:func:`analysis.model.calibration.expected_trial`, the answer key's ``true_cox_hr``).
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..errors import WalkBackInputError
from ..trial.scenario import Scenario, scenario_from_dict
from .classroom import student_plan
from ..simulate.seeds import check_seed, replicate_seed

__all__ = ["MAX_NAME_CHARS", "MAX_ANSWER_CHARS", "MAX_QUESTION_CHARS", "DEFAULT_QUESTION", "PUBLISHED_HR",
           "LiveClassPlan", "StudentTrial", "Submission", "ClassSummary", "summarise_class", "SUBMISSION_COLUMNS",
           "clean_text", "variant_label"]

MAX_NAME_CHARS = 40
MAX_ANSWER_CHARS = 500
MAX_QUESTION_CHARS = 300
#: Seats per class: a lecture hall, with room for students who join twice.
MAX_SEATS = 2000
DEFAULT_QUESTION = "Is your hazard ratio close to the published 0.72? Why might it differ?"
#: The published Cox hazard ratio of WalkBack (Pocovi et al., Lancet 2024), drawn on every class histogram.
PUBLISHED_HR = 0.72
_Z = 1.959963984540054  # the normal 97.5% quantile: submitted CIs are 95% intervals

#: What each submitted column means (the export's data dictionary uses the same words).
SUBMISSION_COLUMNS: dict[str, str] = {
    "seat": "the student's seat: student i of the class seed, in the order students joined",
    "name": "display name the student typed (plain text, at most 40 characters; may be empty)",
    "variant": "the value of the varied setting in this student's trial (empty when nothing varies)",
    "hr": "hazard ratio, walking + education vs control (Cox model, control as reference)",
    "hr_lower": "lower end of the 95% confidence interval of the hazard ratio",
    "hr_upper": "upper end of the 95% confidence interval of the hazard ratio",
    "logrank_p": "two-sided p-value of the log-rank test",
    "median_control": "Kaplan-Meier median days to recurrence, control (empty: not reached)",
    "median_intervention": "Kaplan-Meier median days to recurrence, walking + education (empty: not reached)",
    "answer": "the student's answer to the instructor's question (plain text)",
    "submitted_at": "when the latest submission arrived (UTC, ISO 8601)",
    "revision": "how many times the student submitted (the latest replaces the earlier ones)",
}


def clean_text(text: Any, limit: int, what: str) -> str:
    """Plain text of at most ``limit`` characters: trimmed, control characters removed (never interpreted).

    Examples
    --------
    >>> clean_text("  <b>Ann</b>\\n ", 40, "name")
    '<b>Ann</b>'
    """
    if text is None:
        return ""
    if not isinstance(text, str):
        raise WalkBackInputError(f"the {what} must be text")
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") and ch not in "\n" else ch
                   for ch in text).strip()
    if limit <= 60:  # a name is one line
        text = " ".join(text.split())
    if len(text) > limit:
        raise WalkBackInputError(f"the {what} has {len(text)} characters; at most {limit} are allowed")
    return text


@dataclass(frozen=True)
class StudentTrial:
    """One seat's trial: its number, trial seed, value of the varied setting (or None) and scenario."""

    seat: int
    trial_seed: int
    variant: Any
    scenario: Scenario = field(repr=False)


@dataclass(frozen=True)
class LiveClassPlan:
    """What a live class simulates: scenario, class seed, the varied setting and the instructor's question.

    Parameters
    ----------
    scenario : Scenario
        The class's scenario (before any variant).
    seed : int
        Class seed: seat ``i`` gets ``replicate_seed(seed, i - 1)``, as student ``i`` of a class set.
    vary : (str, tuple), optional
        A dotted scenario field and the values seats get in turn (as ``walkback classroom --vary``).
    question : str
        Asked of every student; their answers are shown as plain text.

    Examples
    --------
    >>> plan = LiveClassPlan(Scenario(), 7, ("adherence.never_start", (0.0, 0.3)))
    >>> [plan.student(i).variant for i in (1, 2, 3)]
    [0.0, 0.3, 0.0]
    >>> plan.student(2).trial_seed == replicate_seed(7, 1)
    True
    >>> LiveClassPlan.from_dict(plan.to_dict()) == plan
    True
    """

    scenario: Scenario
    seed: int
    vary: tuple[str, tuple[Any, ...]] | None = None
    question: str = DEFAULT_QUESTION

    def __post_init__(self) -> None:
        if not isinstance(self.scenario, Scenario):
            raise WalkBackInputError("a live class needs a Scenario")
        object.__setattr__(self, "seed", check_seed(self.seed))
        if self.vary is not None:
            name, values = self.vary
            object.__setattr__(self, "vary", (str(name), tuple(values)))
        object.__setattr__(self, "question", clean_text(self.question, MAX_QUESTION_CHARS, "question"))
        # The class set's own checks (field exists, values fit it), once for every variant.
        object.__setattr__(self, "_variants", tuple(
            (value, sc) for _, _, value, sc in
            student_plan(self.scenario, len(self.vary[1]) if self.vary else 1, self.seed, self.vary)))

    @property
    def vary_name(self) -> str | None:
        return None if self.vary is None else self.vary[0]

    @property
    def variants(self) -> tuple[Any, ...]:
        """The values of the varied setting, in seat order (``(None,)`` when nothing varies)."""
        return tuple(v for v, _ in self._variants)  # type: ignore[attr-defined]

    def student(self, seat: int) -> StudentTrial:
        """Seat ``seat``'s trial: student ``seat`` of ``walkback classroom`` with this seed and ``--vary``."""
        if isinstance(seat, bool) or not isinstance(seat, int) or not 1 <= seat <= MAX_SEATS:
            raise WalkBackInputError(f"seat {seat!r} must be a whole number from 1 to {MAX_SEATS}")
        value, scenario = self._variants[(seat - 1) % len(self._variants)]  # type: ignore[attr-defined]
        return StudentTrial(seat, replicate_seed(self.seed, seat - 1), value, scenario)

    def truths(self) -> dict[Any, float]:
        """Variant value -> the expected hazard ratio of its scenario (no sampling error)."""
        from ..model.expectation import expected_trial

        return {value: float(expected_trial(sc).cox_hr) for value, sc in self._variants}  # type: ignore[attr-defined]

    def to_dict(self) -> dict:
        return {"scenario": self.scenario.to_dict(), "seed": self.seed, "question": self.question,
                "vary": None if self.vary is None else {"field": self.vary[0], "values": list(self.vary[1])}}

    @classmethod
    def from_dict(cls, data: dict) -> "LiveClassPlan":
        vary = data.get("vary")
        return cls(scenario_from_dict(data["scenario"]), data["seed"],
                   None if vary is None else (vary["field"], tuple(vary["values"])), data.get("question", ""))


def _number(value: Any, what: str, *, positive: bool = False, optional: bool = False) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise WalkBackInputError(f"the {what} must be a number")
    value = float(value)
    if not math.isfinite(value):
        if optional and value == math.inf:  # a median not reached
            return None
        raise WalkBackInputError(f"the {what} must be a finite number")
    if positive and value <= 0:
        raise WalkBackInputError(f"the {what} must be above 0")
    return value


@dataclass(frozen=True)
class Submission:
    """What a student hands in: their hazard ratio with its 95% CI, the log-rank p, the medians and an answer.

    Validated: finite numbers, a hazard ratio inside its interval (``lower < upper``), ``0 <= p <= 1``, positive
    medians (None when not reached), a name of at most 40 characters and an answer of at most 500, kept as plain
    text.

    Examples
    --------
    >>> Submission(0.7, 0.55, 0.9, 0.01, 112.0, 190.0, name="Ann").hr
    0.7
    >>> Submission(0.7, 0.75, 0.9, 0.01, 112.0, 190.0)
    Traceback (most recent call last):
    ...
    analysis.errors.WalkBackInputError: the confidence interval 0.75 to 0.9 must contain the hazard ratio 0.7
    """

    hr: float
    hr_lower: float
    hr_upper: float
    logrank_p: float
    median_control: float | None = None
    median_intervention: float | None = None
    name: str = ""
    answer: str = ""

    def __post_init__(self) -> None:
        for attr, what in (("hr", "hazard ratio"), ("hr_lower", "lower end of the CI"),
                           ("hr_upper", "upper end of the CI")):
            object.__setattr__(self, attr, _number(getattr(self, attr), what, positive=True))
        if not self.hr_lower < self.hr_upper:
            raise WalkBackInputError(f"the lower end of the CI ({self.hr_lower:g}) must be below the upper end "
                                     f"({self.hr_upper:g})")
        if not self.hr_lower <= self.hr <= self.hr_upper:
            raise WalkBackInputError(f"the confidence interval {self.hr_lower:g} to {self.hr_upper:g} must contain the "
                                     f"hazard ratio {self.hr:g}")
        object.__setattr__(self, "logrank_p", _number(self.logrank_p, "log-rank p-value"))
        if not 0.0 <= self.logrank_p <= 1.0:
            raise WalkBackInputError(f"the log-rank p-value {self.logrank_p:g} must be between 0 and 1")
        for attr, what in (("median_control", "control median"), ("median_intervention", "walking median")):
            object.__setattr__(self, attr, _number(getattr(self, attr), what, positive=True, optional=True))
        object.__setattr__(self, "name", clean_text(self.name, MAX_NAME_CHARS, "name"))
        object.__setattr__(self, "answer", clean_text(self.answer, MAX_ANSWER_CHARS, "answer"))

    @classmethod
    def from_analysis(cls, result, name: str = "", answer: str = "") -> "Submission":
        """The numbers of a :class:`~analysis.stats.survival.TwoArmAnalysis` (control as reference)."""
        medians = {c.level: c.median for c in result.km.curves}
        return cls(result.cox.hr, result.cox.lower, result.cox.upper, result.logrank.p,
                   medians.get("control"), medians.get("intervention"), name, answer)

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("hr", "hr_lower", "hr_upper", "logrank_p", "median_control",
                                              "median_intervention", "name", "answer")}


@dataclass(frozen=True)
class ClassSummary:
    """The class's pooled view (see :func:`summarise_class`).

    Attributes
    ----------
    rows : DataFrame
        The submissions with ``variant``, ``truth`` (expected HR of the seat's scenario), ``covers`` (the CI
        contains the truth) and ``significant`` (log-rank p < 0.05), sorted by hazard ratio.
    by_variant : DataFrame
        Per value of the varied setting and ``"all"``: ``variant``, ``n``, ``pooled_hr``, ``pooled_lower``,
        ``pooled_upper`` (inverse-variance on the log scale, fixed effect), ``share_significant``, ``coverage``,
        ``truth`` (NaN for "all" when variants differ), ``median_hr``.
    """

    rows: pd.DataFrame = field(repr=False)
    by_variant: pd.DataFrame = field(repr=False)
    vary_name: str | None = None

    @property
    def summary(self) -> pd.DataFrame:
        return self.by_variant

    @property
    def overall(self) -> dict:
        return self.by_variant.iloc[-1].to_dict()

    @property
    def n(self) -> int:
        return int(len(self.rows))

    def to_dict(self) -> dict:
        def plain(v):
            return None if isinstance(v, float) and not math.isfinite(v) else v
        return {"vary": self.vary_name, "n": self.n,
                "by_variant": [{k: plain(v) for k, v in r.items()} for r in self.by_variant.to_dict("records")]}


def _pool(rows: pd.DataFrame) -> dict:
    nan = math.nan
    if rows.empty:
        return {"n": 0, "pooled_hr": nan, "pooled_lower": nan, "pooled_upper": nan, "share_significant": nan,
                "coverage": nan, "median_hr": nan}
    import numpy as np

    log_hr = np.log(rows["hr"].to_numpy(float))
    se = (np.log(rows["hr_upper"].to_numpy(float)) - np.log(rows["hr_lower"].to_numpy(float))) / (2 * _Z)
    weight = 1.0 / se ** 2
    pooled = float(np.sum(weight * log_hr) / np.sum(weight))
    pooled_se = float(1.0 / math.sqrt(np.sum(weight)))
    return {"n": int(len(rows)), "pooled_hr": math.exp(pooled), "pooled_lower": math.exp(pooled - _Z * pooled_se),
            "pooled_upper": math.exp(pooled + _Z * pooled_se),
            "share_significant": float(rows["significant"].mean()), "coverage": float(rows["covers"].mean()),
            "median_hr": float(np.median(rows["hr"]))}


def summarise_class(plan: LiveClassPlan, submissions: pd.DataFrame,
                    truths: dict[Any, float] | None = None) -> ClassSummary:
    """Pool a class's submissions: coverage of the truth, share significant, inverse-variance pooled HR.

    Parameters
    ----------
    plan : LiveClassPlan
        The class (each seat's variant and truth follow from it).
    submissions : DataFrame
        At least ``seat``, ``hr``, ``hr_lower``, ``hr_upper``, ``logrank_p`` (as stored).
    truths : dict, optional
        :meth:`LiveClassPlan.truths`, when the caller has it cached.

    Each interval's standard error on the log scale is ``(log upper - log lower) / (2 * 1.96)``; the pooled log
    hazard ratio weights each by ``1 / se**2`` (a fixed-effect meta-analysis of the class's trials).

    Examples
    --------
    >>> plan = LiveClassPlan(Scenario(), 1)
    >>> subs = pd.DataFrame({"seat": [1, 2], "hr": [0.7, 0.8], "hr_lower": [0.5, 0.6], "hr_upper": [0.98, 1.07],
    ...                      "logrank_p": [0.04, 0.13]})
    >>> s = summarise_class(plan, subs, truths={None: 0.75})
    >>> s.overall["n"], round(s.overall["pooled_hr"], 3), s.overall["share_significant"], s.overall["coverage"]
    (2, 0.756, 0.5, 1.0)
    """
    truths = plan.truths() if truths is None else truths
    frame = submissions.copy()
    if "seat" not in frame:
        frame["seat"] = pd.Series(dtype=int)
    frame["variant"] = [plan.student(int(seat)).variant for seat in frame["seat"]]
    frame["truth"] = [truths[v] for v in frame["variant"]]
    frame["covers"] = (frame["hr_lower"] <= frame["truth"]) & (frame["truth"] <= frame["hr_upper"])
    frame["significant"] = frame["logrank_p"] < 0.05
    frame = frame.sort_values(["hr", "seat"], kind="stable").reset_index(drop=True)
    groups = []
    if plan.vary is not None:
        for value in plan.variants:
            groups.append({"variant": value, **_pool(frame[frame["variant"] == value]), "truth": truths[value]})
    distinct = set(truths.values())
    groups.append({"variant": "all", **_pool(frame), "truth": distinct.pop() if len(distinct) == 1 else math.nan})
    return ClassSummary(rows=frame, by_variant=pd.DataFrame(groups), vary_name=plan.vary_name)


def variant_label(vary_name: str | None, value: Any) -> str:
    """``"adherence.never_start = 0.3"``, or ``""`` when nothing varies (text for tables and legends)."""
    return "" if vary_name is None or value is None else f"{vary_name} = {value}"

