"""Data cuts: what a simulated trial shows at a look, on a calendar day or at the k-th recurrence.

A stage of its own after simulation (simtrial's ``cut_data_by_date`` / ``cut_data_by_event``): the
simulator makes whole trials, with calendar times (:attr:`TrialBatch.enrol_day` and
``time_days``), and knows nothing of looks; a cut returns the analysable data at one. Interim
analyses of group-sequential designs (:mod:`analysis.studies.sequential`) call it.

Calendar days count from the first possible randomisation (day 0, ``design.recruitment_start``).
A participant randomised on day ``e`` is on follow-up day ``d`` (the randomisation day being day 1)
on calendar day ``e + d - 1``. A cut on calendar day ``c`` sees everything recorded up to and
including day ``c``:

- participants randomised after ``c`` are not yet in the trial (``enrolled`` False; their
  ``time_days`` is 0 and ``recurrence`` False, so no risk set ever holds them: every recurrence is
  on day 1 or later);
- a participant randomised on ``e <= c`` has follow-up up to day ``c - e + 1``: a recurrence on or
  before it is observed, otherwise they are censored there (or earlier, if they were lost or their
  follow-up ended before).

Everything is vectorised across trials (the cut day may differ per trial): no loop over trials or
participants.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import WalkBackInputError
from .engine import TrialBatch

__all__ = ["DataCut", "recurrence_calendar_days", "last_data_day", "day_of_recurrence", "cut_at_day",
           "cut_at_events"]


@dataclass(frozen=True)
class DataCut:
    """The analysable data of R trials at one look each.

    Attributes
    ----------
    day : ndarray of float, shape (R,)
        Calendar day of the cut (days since the first possible randomisation).
    time_days : ndarray of float, shape (R, n)
        Follow-up at the cut: day of the recurrence or of censoring (whole days, >= 1), 0 for
        participants not yet randomised.
    recurrence : ndarray of bool, shape (R, n)
        Recurrence observed by the cut.
    enrolled : ndarray of bool, shape (R, n)
        Randomised on or before the cut day.
    intervention : ndarray of bool, shape (R, n)
        Randomised to the intervention (as in the batch).
    """

    day: np.ndarray
    time_days: np.ndarray
    recurrence: np.ndarray
    enrolled: np.ndarray
    intervention: np.ndarray

    @property
    def recurrences(self) -> np.ndarray:
        """Recurrences observed by the cut, per trial."""
        return self.recurrence.sum(axis=1)

    @property
    def participants(self) -> np.ndarray:
        """Participants randomised by the cut, per trial."""
        return self.enrolled.sum(axis=1)


def _enrol(batch: TrialBatch) -> np.ndarray:
    if batch.enrol_day is None:
        raise WalkBackInputError("this batch has no enrolment days: simulate it with simulate_trials to cut it")
    return batch.enrol_day


def recurrence_calendar_days(batch: TrialBatch) -> np.ndarray:
    """Calendar day each recurrence is observed (``enrol_day + time_days - 1``); inf without one.

    Examples
    --------
    >>> from analysis.simulate.engine import simulate_trials
    >>> from analysis.trial.scenario import Scenario
    >>> batch = simulate_trials(Scenario(), [1])
    >>> days = recurrence_calendar_days(batch)
    >>> bool((np.isfinite(days) == batch.recurrence).all())
    True
    """
    return np.where(batch.recurrence, _enrol(batch) + batch.time_days - 1.0, np.inf)


def last_data_day(batch: TrialBatch) -> np.ndarray:
    """Calendar day the last participant's follow-up ends, per trial: a cut then sees all the data."""
    return (_enrol(batch) + batch.time_days - 1.0).max(axis=1, initial=0.0)


def day_of_recurrence(batch: TrialBatch, counts) -> np.ndarray:
    """Calendar day on which the k-th recurrence of each trial is observed, for each k in ``counts``.

    Parameters
    ----------
    counts : int or sequence of int
        Recurrence numbers k (1 or more); one sort of each trial serves them all.

    Returns
    -------
    ndarray of float, shape (R,) for one k, (R, K) for a sequence
        The day; ``inf`` when the trial never has k recurrences.

    Examples
    --------
    >>> from analysis.simulate.engine import simulate_trials
    >>> from analysis.trial.scenario import Scenario
    >>> batch = simulate_trials(Scenario(), [1, 2])
    >>> d = day_of_recurrence(batch, [100, 200])
    >>> d.shape, bool((d[:, 0] <= d[:, 1]).all())
    ((2, 2), True)
    """
    ks = np.asarray(counts)
    if ks.dtype == bool or not np.issubdtype(ks.dtype, np.integer) or (ks < 1).any():
        raise WalkBackInputError(f"recurrence numbers {counts!r} must be whole numbers of at least 1")
    days = recurrence_calendar_days(batch)
    flat = np.atleast_1d(ks).astype(np.int64)
    n = days.shape[1]
    if flat.max(initial=0) <= n and flat.size == 1:
        out = np.partition(days, flat[0] - 1, axis=1)[:, flat[0] - 1]
    else:
        ordered = np.sort(days, axis=1)
        padded = np.concatenate([ordered, np.full((days.shape[0], 1), np.inf)], axis=1)
        out = padded[:, np.minimum(flat, n + 1) - 1]
    return out if ks.ndim else out.reshape(-1)


def cut_at_day(batch: TrialBatch, day) -> DataCut:
    """The data of each trial as recorded on calendar day ``day`` (one day for all, or one per trial).

    Examples
    --------
    >>> from analysis.simulate.engine import simulate_trials
    >>> from analysis.trial.scenario import Scenario
    >>> batch = simulate_trials(Scenario(), [1])
    >>> early, late = cut_at_day(batch, 200), cut_at_day(batch, 5000)
    >>> bool(early.recurrences[0] < late.recurrences[0] == batch.recurrence.sum())
    True
    >>> int(late.participants[0]), bool(early.participants[0] < 701)
    (701, True)
    """
    enrol = _enrol(batch)
    reps = enrol.shape[0]
    try:
        cut = np.broadcast_to(np.asarray(day, dtype=float), (reps,)).copy()
    except (TypeError, ValueError):
        raise WalkBackInputError(f"cut day {day!r} must be one day or one day per trial ({reps})") from None
    if np.isnan(cut).any() or (cut < 0).any():
        raise WalkBackInputError("cut days must be 0 or later (days since the first randomisation)")
    cut = np.floor(cut)  # a look happens on a day: everything recorded that day is in it
    followup = cut[:, None] - enrol + 1.0  # last follow-up day each participant has had by the cut
    enrolled = followup >= 1.0
    observed = batch.recurrence & (batch.time_days <= followup)
    time = np.where(enrolled, np.minimum(batch.time_days, followup), 0.0)
    return DataCut(day=cut, time_days=time, recurrence=observed, enrolled=enrolled, intervention=batch.intervention)


def cut_at_events(batch: TrialBatch, recurrences: int) -> DataCut:
    """The data of each trial on the day its ``recurrences``-th recurrence is observed.

    Every recurrence recorded that day is in the cut, so a tie can give a few more than asked. A
    trial that never reaches that many is cut on its last data day (:func:`last_data_day`: all its
    data, fewer recurrences).

    Examples
    --------
    >>> from analysis.simulate.engine import simulate_trials
    >>> from analysis.trial.scenario import Scenario
    >>> cut = cut_at_events(simulate_trials(Scenario(), [1, 2, 3]), 250)
    >>> bool((cut.recurrences >= 250).all())
    True
    """
    if isinstance(recurrences, bool) or not isinstance(recurrences, (int, np.integer)) or recurrences < 1:
        raise WalkBackInputError(f"number of recurrences {recurrences!r} must be a whole number of at least 1")
    day = np.minimum(day_of_recurrence(batch, int(recurrences)), last_data_day(batch))
    return cut_at_day(batch, day)
