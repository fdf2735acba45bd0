"""Simulate one WalkBack-like trial: scenario -> one row per participant.

Second stage of the pipeline. Enrolment, stratified permuted-block randomisation, participant
traits, adherence, walking dose, exact recurrence times (see :mod:`analysis.model.hazard`), loss to
follow-up and administrative censoring. Times are recorded in whole days, as the trial recorded
them (:func:`_in_whole_days`: latent time ``u`` days after randomisation is day ``floor(u) + 1``,
the randomisation day being day 1, as ``AVAL = ADT - STARTDT + 1`` in ADaM). Everything random comes from one
``numpy.random.Generator`` seeded from ``SeedSequence(seed)``, in a fixed order, so the same
scenario and seed give identical data on every run and platform.

There is one simulator, batch-capable: :func:`_draw` makes every random draw of R trials (each
from its own generator, the only loop over trials) and :func:`_realise` computes the allocation,
traits, event times and censoring of all R trials at once. :func:`simulate_trial` is that core
with one seed; :func:`simulate_trials` (the Monte Carlo arrays, used by
:mod:`analysis.replicates`) and :func:`simulate_cohorts` (stacked cohorts, used by the export)
are the same code, so row r of a batch is exactly ``simulate_trial(scenario, seed=seeds[r])``.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from ..errors import ScenarioError
from ..model.episodes import (
    adverse_event_rates,
    care_probability,
    nonlimiting_per_limiting,
    recovery_durations,
    severity_given_limiting,
    worst_pain,
)
from ..model.hazard import (
    N_LATENT_COLUMNS,
    BaselineHazard,
    StarterHazard,
    dose_pieces,
    event_times_constant,
    event_times_piecewise,
    latent_from_uniforms,
    relative_hazard,
    week12_fraction,
)
from ..trial.published import published_value
from .seeds import check_seed, check_trial_seeds
from ..trial.scenario import MAX_PARTICIPANTS, Scenario, clinic_frailty, with_changes

if TYPE_CHECKING:  # pandas is imported where a table is built: Monte Carlo workers never load it
    import pandas as pd

__all__ = ["ARMS", "CENSOR_REASONS", "COHORT_COLUMNS", "EPISODE_COLUMNS", "ENDPOINTS", "TrialBatch", "scenario_for_size",
           "simulate_cohorts", "simulate_cohorts_with_episodes", "simulate_episodes", "simulate_trial", "simulate_trials"]

ARMS = ("control", "intervention")
CENSOR_REASONS = ("none", "end_of_study", "max_followup", "lost_to_follow_up")
REFERRALS = ("self_referred", "clinician")

#: Column -> description and unit; the data dictionary of every export is built from this.
COHORT_COLUMNS: dict[str, str] = {
    "participant_id": "Participant number, 1..n in order of enrolment",
    "arm": "Randomised arm: 'intervention' (walking and education) or 'control'",
    "history_gt2_episodes": "Stratification factor: more than two previous episodes of low back pain (1 yes, 0 no)",
    "referral": "Stratification factor: 'clinician' (referred by a health professional) or 'self_referred'",
    "stratum": "Randomisation stratum: history and referral combined",
    "block_id": "Permuted block the participant was randomised in (unique across strata; 0 under clinic randomisation)",
    "block_size": "Planned size of that block (4, 6 or 8 by default; 0 under clinic randomisation)",
    "enrol_date": "Date of randomisation (ISO 8601)",
    "age_years": "Age at randomisation in years",
    "sex": "'female' or 'male'",
    "baseline_walking_minutes": "Walking before randomisation, minutes per week",
    "started_programme": "Intervention participant attended the programme (1) or never started (0); 0 in control",
    "adherence": "Share of the weekly walking target reached at the plateau (0..1); empty (NaN) in control",
    "walking_minutes_week12": "Walking achieved in week 12 after randomisation, minutes per week",
    "time_days": "Days from randomisation to first activity-limiting recurrence or censoring (whole days; the randomisation day is day 1)",
    "recurrence": "1 = activity-limiting recurrence observed at time_days, 0 = censored",
    "censor_reason": "'none' (recurrence), 'end_of_study' (follow-up ended 30 Jun 2023), 'max_followup' (36 months reached) or 'lost_to_follow_up'",
    "time_any_days": "Days from randomisation to the first recurrence of any kind or censoring (never later than time_days or time_care_days)",
    "recurrence_any": "1 = a recurrence of any kind observed at time_any_days, 0 = censored",
    "time_care_days": "Days from randomisation to the first care-seeking recurrence or censoring",
    "recurrence_care": "1 = a care-seeking recurrence observed at time_care_days, 0 = censored",
    "n_episodes": "Episodes of low back pain (recurrences of any kind) starting during follow-up",
    "recovery_days_first": "Days from the onset of the first recurrence to recovery or censoring, the onset day counted as day 1 (recovery or censoring day - onset day + 1); empty (NaN) without a recurrence",
    "recovered_first": "1 = recovered from the first recurrence at recovery_days_first, 0 = censored (also 0 without a recurrence)",
    "worst_pain_first": "Worst pain (0-10) in the first recurrence; empty (NaN) without a recurrence",
    "adverse_event_12m": "1 = at least one adverse event in the first 12 months, 0 = none",
    "lower_extremity_ae_12m": "Number of lower-extremity adverse events in the first 12 months",
    "followup_days": "Days from randomisation to the end of the participant's follow-up (the last day of follow-up, the randomisation day being day 1)",
    "followup_end": "Why the participant's follow-up ended (every endpoint still open then is censored there): 'end_of_study', 'max_followup' or 'lost_to_follow_up'",
    "clinic": "Clinic the participant was recruited and treated at, 1..K (an assumption: clinic sizes and clustering were not published; under clinic randomisation the arm is the clinic's)",
}
FOLLOWUP_END_REASONS = CENSOR_REASONS[1:]

#: One row per episode (``walkback simulate --episodes``); the basis for costs, productivity and utilities.
EPISODE_COLUMNS: dict[str, str] = {
    "participant_id": "Participant number (as in the participant file; with replicates, within its replicate)",
    "arm": "Randomised arm: 'intervention' or 'control'",
    "episode": "Episode number within the participant, 1, 2, ... in order of onset",
    "onset_day": "Day of the onset of the episode (whole days; the randomisation day is day 1)",
    "recovery_day": "Day of recovery (whole days, as onset_day); empty (NaN) if not recovered by the end of the participant's follow-up",
    "activity_limiting": "1 = the episode limited activity (the primary endpoint's kind), 0 = not",
    "care_seeking": "1 = care was sought for the episode, 0 = not",
    "worst_pain": "Worst pain in the episode, 0-10 numeric rating scale (whole points)",
}

#: Time-to-event endpoints of a participant file: name -> (time column, event column, description).
ENDPOINTS: dict[str, tuple[str, str, str]] = {
    "primary": ("time_days", "recurrence", "first activity-limiting recurrence (primary)"),
    "any": ("time_any_days", "recurrence_any", "first recurrence of any kind"),
    "care": ("time_care_days", "recurrence_care", "first care-seeking recurrence"),
    "recovery": ("recovery_days_first", "recovered_first", "recovery from the first recurrence (participants with one)"),
}

POTENTIAL_OUTCOME_COLUMNS: dict[str, str] = {
    "recurrence_day_if_control": "Potential outcome: day of first recurrence had this participant been in control (uncensored; whole days, inf if never)",
    "recurrence_day_if_intervention": "Potential outcome: day of first recurrence had this participant been offered the programme (uncensored; whole days, inf if never)",
    "would_start": "Potential: would start the programme if offered (1/0)",
    "latent_adherence": "Potential: adherence if offered the programme (0 for would-be never-starters)",
    "admin_censor_days": "Days of follow-up the study dates and the maximum follow-up allow this participant (whole days)",
}


def scenario_for_size(scenario: Scenario, n_total: int) -> Scenario:
    """The scenario with ``n_total`` participants allocated in the design's ratio.

    Examples
    --------
    >>> s = scenario_for_size(Scenario(), 1001)
    >>> s.design.n_intervention, s.design.n_control
    (501, 500)
    """
    if isinstance(n_total, bool) or not isinstance(n_total, (int, np.integer)) or not 2 <= n_total <= MAX_PARTICIPANTS:
        raise ScenarioError(f"number of participants = {n_total!r} must be a whole number from 2 to {MAX_PARTICIPANTS:,}")
    d = scenario.design
    if abs(d.n_intervention - d.n_control) <= 1:
        # 1:1 allocation; an odd participant goes to the arm that had it in the design.
        n1 = (n_total + (1 if d.n_intervention >= d.n_control else 0)) // 2
    else:
        n1 = int(round(n_total * d.n_intervention / d.n_total))
    n1 = min(max(n1, 1), int(n_total) - 1)
    return with_changes(scenario, {"design.n_intervention": n1, "design.n_control": int(n_total) - n1})


# --------------------------------------------------------------------------- the simulator core
#: Participants x trials realised at once by :func:`simulate_trials` (bounds memory at ~100 MB).
_MAX_CELLS = 400_000
# Within a block, members are ranked by the first _RANK_BITS bits of their uniform (a tie, with
# probability 2^-40 per pair, goes to the earlier enrolment); the block number sits in the bits
# above, so one stable sort of integer keys ranks every block of every trial at once. Exact
# integers: a participant's rank depends only on their own trial, never on the batch.
_RANK_BITS = 40
STRATUM_LABELS = ("history<=2|self_referred", "history<=2|clinician", "history>2|self_referred",
                  "history>2|clinician")


@dataclass(frozen=True)
class TrialBatch:
    """Observed outcomes of several simulated trials, one row per trial.

    Attributes
    ----------
    trial_seeds : ndarray, shape (R,)
        The seed of each trial (``simulate_trial(scenario, seed=trial_seeds[r])`` reproduces row r).
    intervention : ndarray of bool, shape (R, n)
        Randomised to the intervention arm (enrolment order, as in ``simulate_trial``).
    time_days : ndarray of float, shape (R, n)
        Days to recurrence or censoring (whole days, at least 1).
    recurrence : ndarray of bool, shape (R, n)
        Recurrence observed.
    stratum : ndarray of int8, shape (R, n)
        Randomisation stratum code (history * 2 + referral), as ``simulate_trial``'s ``stratum`` codes.
    endpoint : str
        Which endpoint ``time_days``/``recurrence`` hold: "primary", "any" or "care" (see :data:`ENDPOINTS`).
    clinic : ndarray of int, shape (R, n), or None
        Clinic of each participant, 0..K-1 (``simulate_trial``'s ``clinic`` minus 1), when asked for.
    enrol_day : ndarray of int64, shape (R, n)
        Calendar day of randomisation, days since the first possible randomisation (day 0 is
        ``design.recruitment_start``; ``simulate_trial``'s ``enrol_date`` minus that date). With
        ``time_days`` it places every recurrence on the calendar: day ``enrol_day + time_days - 1``
        (:mod:`analysis.simulate.cuts` cuts the data at a look with it).
    """

    trial_seeds: np.ndarray
    intervention: np.ndarray
    time_days: np.ndarray
    recurrence: np.ndarray
    stratum: np.ndarray
    endpoint: str = "primary"
    clinic: np.ndarray | None = None
    enrol_day: np.ndarray | None = None

    @property
    def n_replicates(self) -> int:
        return int(self.time_days.shape[0])


@dataclass(frozen=True)
class _Draws:
    """Every random number of R trials (trial r from its own generator), in enrolment order.

    Groups are (trial, stratum) pairs, numbered ``4 * trial + stratum``; empty strata are groups
    with no blocks.
    """

    seeds: np.ndarray          # (R,) int64
    enrol_day: np.ndarray      # (R, n) int64, sorted
    u: np.ndarray              # (R, n, N_LATENT_COLUMNS) uniforms for the participants' traits
    stratum: np.ndarray        # (R, n) int8, history * 2 + referral
    block_sizes: np.ndarray    # planned sizes of the blocks used, group by group, in enrolment order
    group_blocks: np.ndarray   # (4R,) blocks used by each group
    group_pooled: np.ndarray   # (4R,) blocks, counted from the end of the group, whose seats are pooled
    block_u: np.ndarray        # (R * n,) within-block uniforms, group by group, in enrolment order
    pool_perm: np.ndarray      # each trial's permutation of its pool, concatenated
    pool_size: np.ndarray      # (R,) participants in each trial's pool
    need: np.ndarray           # (R,) intervention places the pool must fill
    target: np.ndarray         # (R, n) Exp(1): cumulative hazard at which the recurrence happens
    dropout_draw: np.ndarray   # (R, n) Exp(1): loss to follow-up
    age_draw: np.ndarray | None  # (R, n) standard normal (only when the cohort details are wanted)
    sex_draw: np.ndarray | None  # (R, n) uniform


def _intervention_per_block(design) -> np.ndarray:
    """Intervention places in a complete block of each size: ``rint(size * n_intervention / n)``."""
    ratio = design.n_intervention / design.n_total
    return np.rint(np.arange(max(design.block_sizes) + 1) * ratio).astype(np.int64)


def _draw(scenario: Scenario, seeds: np.ndarray, details: bool) -> _Draws:
    """Make every random draw of the trials ``seeds``; the only loop over trials.

    Per trial, from ``Generator(PCG64(SeedSequence(seed)))`` and in this order: enrolment days,
    the participants' uniforms, per non-empty stratum the block sizes and the within-block
    uniforms, the permutation of the pool, the event and loss-to-follow-up draws, and (with
    ``details``) age and sex. Apart from the draws the loop only does scalar bookkeeping: which
    blocks form the pool that makes the arm sizes exact (permuted-block randomisation, below).

    Permuted blocks: in each stratum, participants in enrolment order fill blocks of randomly
    drawn sizes; ``rint(size * ratio)`` of each complete block get the intervention. The
    incomplete final block of each stratum is pooled, and a random ``need`` of the pool get the
    intervention so the arms have exactly the requested sizes. If that is impossible (unusual
    ratios or tiny trials), complete blocks are added to the pool one at a time from the end of
    the stratum with the most unpooled blocks, until it is possible.
    """
    design = scenario.design
    n1, n = design.n_intervention, design.n_total
    reps = len(seeds)
    sizes = np.asarray(design.block_sizes, dtype=np.int64)
    min_size = int(sizes.min())
    per_block = _intervention_per_block(design)
    days = design.recruitment_days + 1
    day_index = np.arange(days)
    day_p = np.full(days, 1.0 / days)
    day_counts = np.empty((reps, days), dtype=np.int64)
    u = np.empty((reps, n, N_LATENT_COLUMNS))
    stratum = np.empty((reps, n), dtype=np.int8)
    block_u = np.empty(reps * n)
    target = np.empty((reps, n))
    dropout_draw = np.empty((reps, n))
    age_draw = np.empty((reps, n)) if details else None
    sex_draw = np.empty((reps, n)) if details else None
    group_m = np.zeros(4 * reps, dtype=np.int64)  # participants in each (trial, stratum) group
    drawn: list[np.ndarray] = []  # block sizes drawn for each non-empty group, in group order
    rngs = []
    offset = 0
    # Pass 1, per trial in its stream's order: enrolment, traits, and per non-empty stratum the
    # block sizes and the within-block uniforms.
    for r, seed in enumerate(seeds):
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(seed))))
        rngs.append(rng)
        # Enrolment spread evenly over the recruitment window (day 0 = first randomisation):
        # sorted uniform days, drawn as multinomial counts per day (no O(n log n) sort).
        day_counts[r] = rng.multinomial(n, day_p)
        rng.random(out=u[r])
        st = (u[r, :, 0] < design.share_history_gt2).astype(np.int8) * 2 \
            + (u[r, :, 1] < design.share_referred_by_clinician).astype(np.int8)
        stratum[r] = st
        counts = np.bincount(st, minlength=4)
        group_m[4 * r:4 * r + 4] = counts
        for m in counts.tolist():
            if m == 0:
                continue
            # = rng.choice(sizes, size=...): choice draws integers(0, len(sizes)) itself; the same
            # stream without choice's per-call overhead.
            drawn.append(sizes[rng.integers(0, len(sizes), size=m // min_size + 1)])
            rng.random(out=block_u[offset:offset + m])
            offset += m
    enrol = np.repeat(np.tile(day_index, reps), day_counts.ravel()).reshape(reps, n)

    # The blocks each group fills, for all groups at once: a group of m participants uses its drawn
    # blocks up to the first whose end reaches m; if that block is incomplete its participants are
    # pooled. ``fixed`` counts intervention places in unpooled blocks, ``pool`` pooled participants.
    groups = np.flatnonzero(group_m)
    lengths = group_m[groups] // min_size + 1
    all_drawn = np.concatenate(drawn) if drawn else np.empty(0, dtype=np.int64)
    seg = np.repeat(np.arange(len(groups)), lengths)
    seg_start = np.cumsum(lengths) - lengths
    running = np.cumsum(all_drawn)
    ends = running - (running - all_drawn)[seg_start][seg]  # block ends within the group
    last = np.bincount(seg, weights=ends < group_m[groups][seg], minlength=len(groups)).astype(np.int64)
    last_at = seg_start + last
    used = np.arange(len(all_drawn)) <= last_at[seg]
    blocks = all_drawn[used]
    k_all = per_block[all_drawn]
    incomplete = ends[last_at] != group_m[groups]
    fixed_g = np.bincount(seg[used], weights=k_all[used], minlength=len(groups)).astype(np.int64)
    fixed_g -= np.where(incomplete, k_all[last_at], 0)
    pool_g = np.where(incomplete, group_m[groups] - (ends[last_at] - all_drawn[last_at]), 0)
    group_blocks = np.zeros(4 * reps, dtype=np.int64)
    group_pooled = np.zeros(4 * reps, dtype=np.int64)
    group_blocks[groups] = last + 1
    group_pooled[groups] = incomplete
    trial_of = groups // 4
    fixed = np.bincount(trial_of, weights=fixed_g, minlength=reps).astype(np.int64)
    pool_size = np.bincount(trial_of, weights=pool_g, minlength=reps).astype(np.int64)
    # Rarely (unusual ratios, tiny trials) the pool cannot make the arm sizes exact: complete blocks
    # are pooled one at a time from the end of the stratum with the most unpooled blocks.
    for r in np.flatnonzero(~((0 <= n1 - fixed) & (n1 - fixed <= pool_size))).tolist():
        mine = [(int(groups[i]), k_all[seg_start[i]:last_at[i] + 1], all_drawn[seg_start[i]:last_at[i] + 1])
                for i in np.flatnonzero(trial_of == r).tolist()]
        f, pool = int(fixed[r]), int(pool_size[r])
        while not 0 <= n1 - f <= pool:  # (ends when everyone is pooled)
            g, k, blk = max(mine, key=lambda x: group_blocks[x[0]] - group_pooled[x[0]])
            j = int(group_blocks[g] - 1 - group_pooled[g])
            f -= int(k[j])
            pool += int(blk[j])
            group_pooled[g] += 1
        fixed[r], pool_size[r] = f, pool
    need = n1 - fixed

    # Pass 2, per trial, continuing its stream: the permutation of the pool, event and
    # loss-to-follow-up draws, and (with ``details``) age and sex.
    perms: list[np.ndarray] = []
    for r, rng in enumerate(rngs):
        perms.append(rng.permutation(int(pool_size[r])))
        rng.standard_exponential(out=target[r])
        rng.standard_exponential(out=dropout_draw[r])
        if details:
            rng.standard_normal(out=age_draw[r])
            rng.random(out=sex_draw[r])
    return _Draws(seeds, enrol, u, stratum, blocks, group_blocks, group_pooled, block_u,
                  np.concatenate(perms) if perms else np.empty(0, np.int64), pool_size, need, target, dropout_draw,
                  age_draw, sex_draw)


def _allocate(design, draws: _Draws, details: bool) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Permuted-block allocation of all the trials at once, from their draws (see :func:`_draw`).

    Returns flat (R * n,) arrays in enrolment order: is_intervention, and with ``details``
    block_id (numbered per trial, stratum by stratum) and block_size.
    """
    reps, n = draws.stratum.shape
    # Participants grouped by (trial, stratum), enrolment order kept (radix sort of int8 codes).
    order = np.argsort(draws.stratum, axis=1, kind="stable")
    order += (np.arange(reps, dtype=np.int64) * n)[:, None]
    order = order.ravel()
    drawn = draws.block_sizes
    n_groups = 4 * reps
    group_m = np.bincount((np.arange(reps)[:, None] * 4 + draws.stratum).ravel(), minlength=n_groups)
    # Per block (small arrays): its group, first seat in the group, seats filled, and whether pooled.
    first_block = np.cumsum(draws.group_blocks) - draws.group_blocks
    block_group = np.repeat(np.arange(n_groups), draws.group_blocks)
    local_block = np.arange(len(drawn)) - first_block[block_group]
    block_end = np.cumsum(drawn)
    block_start = block_end - drawn - (block_end - drawn)[first_block[block_group]]  # seat offset in its group
    filled = np.minimum(drawn, group_m[block_group] - block_start)  # only a final block is partly filled
    block_pooled = local_block >= (draws.group_blocks - draws.group_pooled)[block_group]
    per_block = _intervention_per_block(design)[drawn]
    # One seat per participant, in the order of ``order``: group, block, enrolment.
    seat_block = np.repeat(np.arange(len(drawn)), filled)
    first_seat = np.cumsum(filled) - filled
    # Rank within the block by the participant's uniform: the sort permutes seats only within
    # blocks, so the seat at sorted position j has rank j - first_seat[block], and the block's
    # first ``per_block`` ranks get the intervention.
    key = seat_block << _RANK_BITS
    key |= (draws.block_u * float(1 << _RANK_BITS)).astype(np.int64)
    by_rank = order[np.argsort(key, kind="stable")]
    is_int = np.empty(reps * n, dtype=bool)
    is_int[by_rank] = np.arange(len(key)) < np.repeat(first_seat + per_block, filled)
    in_pool = np.zeros(reps * n, dtype=bool)
    in_pool[order] = np.repeat(block_pooled, filled)
    pool_index = np.flatnonzero(in_pool)  # trial by trial, in enrolment order
    is_int[pool_index] = draws.pool_perm < np.repeat(draws.need, draws.pool_size)
    if not details:
        return is_int, None, None
    block_id = np.empty(reps * n, dtype=np.int64)
    block_id[order] = np.repeat(np.arange(len(drawn)) - first_block[(block_group // 4) * 4], filled)
    block_size = np.empty(reps * n, dtype=np.int16)
    block_size[order] = np.repeat(drawn.astype(np.int16), filled)
    return is_int, block_id, block_size


def _realise(scenario: Scenario, draws: _Draws, *, details: bool = False, potential_outcomes: bool = False,
             episodes: bool = False, with_clinic: bool = False) -> dict:
    """Turn the draws of R trials into their cohorts, all trials at once (flat (R * n,) arrays)."""
    design, walking, dose = scenario.design, scenario.walking, scenario.dose_response
    reps, n = draws.stratum.shape
    is_int, block_id, block_size = _allocate(design, draws, details)
    latent = latent_from_uniforms(scenario, draws.u.reshape(reps * n, N_LATENT_COLUMNS))
    clinics = scenario.clinics
    clinic = None
    if details or clinics.icc > 0 or clinics.randomise == "cluster" or with_clinic:
        clinic, frailty, clinic_arm = _clinic_draws(scenario, draws.seeds, n, is_int.reshape(reps, n))
        if clinics.icc > 0:
            latent = replace(latent, risk=latent.risk * frailty[clinic])
        if clinics.randomise == "cluster":
            is_int = clinic_arm[clinic]
            if details:
                block_id = np.zeros_like(block_id)
                block_size = np.zeros_like(block_size)
        clinic = clinic - (np.repeat(np.arange(reps), n) * clinics.n_clinics)  # 0..K-1 within each trial

    # Follow-up allowed by the dates, and loss to follow-up.
    admin = np.minimum(design.max_followup_days, (design.study_days - draws.enrol_day.ravel()).astype(float))
    target = draws.target.ravel()
    dropout_rate = -np.log1p(-design.annual_loss_to_followup) / 365.25
    if dropout_rate > 0:
        with np.errstate(over="ignore"):  # a vanishing rate means nobody is lost: inf is right
            dropout = draws.dropout_draw.ravel() / dropout_rate
    else:
        dropout = np.full(reps * n, np.inf)

    baseline = BaselineHazard.from_outcome(scenario.outcome)
    pieces = dose_pieces(walking)
    off_programme_mult = latent.risk * relative_hazard(latent.spontaneous_extra, dose)
    started = is_int & latent.starts
    censor_at = np.minimum(admin, dropout)

    event = np.empty(reps * n)
    no_prog = ~started
    event[no_prog] = event_times_constant(target[no_prog], off_programme_mult[no_prog], baseline)
    out: dict = {}
    if potential_outcomes:
        time_if_control = event_times_constant(target, off_programme_mult, baseline)
        time_if_int = time_if_control.copy()
        s = latent.starts
        time_if_int[s] = event_times_piecewise(target[s], latent.risk[s], latent.plateau_extra[s], dose.education_hr,
                                               dose, pieces, baseline)
        event[started] = time_if_int[started]
        out.update(time_if_control=time_if_control, time_if_int=time_if_int)
    else:
        event[started] = event_times_piecewise(target[started], latent.risk[started], latent.plateau_extra[started],
                                               dose.education_hr, dose, pieces, baseline)
    observed = event <= censor_at
    time_days = np.where(observed, event, censor_at)
    out.update(is_int=is_int, time_days=time_days, observed=observed, stratum=draws.stratum.ravel(),
               censor_at=censor_at, clinic=clinic)
    if episodes:
        out.update(_realise_episodes(scenario, draws.seeds, n, is_int, started, latent, target, event, observed,
                                     censor_at, off_programme_mult, baseline, pieces))
    if not details:
        return _in_whole_days(out)

    # Why follow-up ended (codes of CENSOR_REASONS); the primary's censor reason is that, or 0 for a recurrence.
    end_reason = np.where(dropout < admin, 3, np.where(admin >= design.max_followup_days, 2, 1)).astype(np.int8)
    reason = np.where(observed, 0, end_reason).astype(np.int8)
    walking12 = latent.baseline_minutes + np.where(started, latent.plateau_extra * week12_fraction(pieces),
                                                   latent.spontaneous_extra)
    age = np.clip(published_value("age_mean") + published_value("age_sd") * draws.age_draw.ravel(),
                  published_value("age_min"), published_value("age_max"))
    female = draws.sex_draw.ravel() < published_value("female_share")
    out.update(latent=latent, block_id=block_id, block_size=block_size, enrol_day=draws.enrol_day.ravel(),
               admin=admin, started=started, reason=reason, end_reason=end_reason, walking12=walking12, age=age, female=female)
    return _in_whole_days(out)


def _day(latent: np.ndarray) -> np.ndarray:
    """Day of the trial of a latent time ``u`` (days since randomisation): ``floor(u) + 1``; inf stays inf."""
    return np.floor(latent) + 1.0


#: Latent times of :func:`_realise`'s output recorded as days (the episode table's onsets and recoveries too).
_TIME_KEYS = ("time_days", "censor_at", "time_any", "time_care", "time_if_control", "time_if_int", "admin")


def _in_whole_days(out: dict) -> dict:
    """Record every time of a realised batch in whole days: the one place the simulator rounds time.

    The trial recorded days, not instants. A latent time ``u`` (days since randomisation, exact)
    becomes day ``floor(u) + 1``: a recurrence on the randomisation day is day 1 and no time is
    zero, as ``AVAL = ADT - STARTDT + 1`` in an ADaM ADTTE. The same increasing map is applied to
    events and censorings alike, so every comparison the latent times satisfy still holds
    (``time_any <= time_days``, ``time_any <= time_care``, onsets and recoveries no later than
    the end of follow-up); an event and a censoring on the same day become a tie, which the Cox
    and Kaplan-Meier estimators of record resolve as R's survival does (events first).

    Follow-up ends on the study end date (day ``study_days - enrol_day + 1``, i.e. that date
    counted inclusively) or on the day the maximum follow-up is completed:
    ``floor(max_followup_days) + 1`` (day 1096 for 36 months of 365.25 / 12 days).

    Recovery from the first recurrence counts the onset day as day 1: ``recovery (or censoring)
    day - onset day + 1``, so a recovery on the day of onset lasts 1 day (never 0), and for the
    first episode ``recovery_days_first == recovery_day - onset_day + 1`` in the episode file.
    """
    if "recovery_first" in out:
        table = out["episode_table"]
        first = table["episode"] == 1
        pid = table["pid"][first]
        onset = table["onset"][first]
        end = np.where(out["recovered_first"][pid], table["recovery"][first], out["censor_at"][pid])
        out["recovery_first"] = out["recovery_first"].copy()
        out["recovery_first"][pid] = _day(end) - _day(onset) + 1.0
        out["episode_table"] = {**table, "onset": _day(table["onset"]),
                                "recovery": _day(table["recovery"])}
    for key in _TIME_KEYS:
        if key in out:
            out[key] = _day(out[key])
    return out


#: Third stream of each trial (``SeedSequence(seed, spawn_key=(2,))``): clinic labels, clinic frailties and the
#: clinic randomisation, so adding clinics left every earlier draw, and so every column of a trial, unchanged.
_CLINIC_STREAM = (2,)


def _clinic_draws(scenario: Scenario, seeds: np.ndarray, n: int,
                  is_int: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Clinic of every participant, frailty and arm of every clinic, for the trials ``seeds``.

    Per trial, from its clinic stream and in this order (always all of them, so changing the ICC or
    the randomisation unit never changes the sizes, frailties or clinic arms): the clinic sizes
    (equal: a random permutation of ``0, 1, ..., K-1`` repeated; gamma: K Gamma shares, then one
    uniform per participant, counted per clinic), K standard normals for the log-frailties, a
    permutation of the clinics whose first ``rint(K * ratio)`` get the intervention under clinic
    randomisation, and two permutations that seat each arm's participants in the clinics.

    Under participant randomisation the arms are balanced within every clinic, as randomising
    stratified by clinic does: clinic k's ``m_k`` seats are split between the arms in the trial's
    ratio (largest remainders, so each clinic is within one participant of it and the arm totals
    stay those of the published strata's blocks), and each arm's participants fill their arm's
    seats in random order. Under clinic randomisation a participant's clinic is the seat drawn for
    them (``is_int`` is then replaced by the clinic's arm by the caller).

    Returns flat (R * n,) clinic indices numbered across trials (trial r's clinics are
    ``r * K .. r * K + K - 1``), and (R * K,) frailties (mean 1) and intervention flags.
    """
    c, design = scenario.clinics, scenario.design
    k = c.n_clinics
    sigma = c.sigma
    k1 = min(max(int(np.rint(k * design.n_intervention / design.n_total)), 1), k - 1)
    labels = np.empty((len(seeds), n), dtype=np.int64)
    frailty = np.empty((len(seeds), k))
    arm = np.empty((len(seeds), k), dtype=bool)
    for r, seed in enumerate(seeds):
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(seed), spawn_key=_CLINIC_STREAM)))
        if c.size_distribution == "equal" or c.size_cv == 0:
            labels[r] = rng.permutation(n) % k
        else:
            shares = np.cumsum(rng.gamma(1.0 / c.size_cv ** 2, size=k))
            labels[r] = np.minimum(np.searchsorted(shares / shares[-1], rng.random(n), side="right"), k - 1)
        frailty[r] = clinic_frailty(sigma, rng.standard_normal(k))
        arm[r] = rng.permutation(k) < k1
        if c.randomise == "participant":
            labels[r] = _clinics_balanced_by_arm(labels[r], is_int[r], k, rng)
    labels += (np.arange(len(seeds)) * k)[:, None]
    return labels.ravel(), frailty.ravel(), arm.ravel()


def _clinics_balanced_by_arm(labels: np.ndarray, is_int: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Clinic labels with the same clinic sizes as ``labels`` and each clinic's seats split between the arms.

    Clinic j's intervention seats are its share ``m_j * n1 / n`` of the ``n1`` intervention
    participants, rounded by largest remainders (ties to the lower clinic index), so they sum to
    ``n1`` and no clinic gets more seats than it has; the intervention participants take the
    intervention seats in a random order, the control participants the rest.

    >>> rng = np.random.default_rng(1)
    >>> arm = np.array([True, False] * 5)
    >>> out = _clinics_balanced_by_arm(np.repeat([0, 1], 5), arm, 2, rng)
    >>> np.bincount(out[arm]).tolist(), np.bincount(out[~arm]).tolist()
    ([3, 2], [2, 3])
    """
    n, n1 = len(labels), int(is_int.sum())
    sizes = np.bincount(labels, minlength=k)
    quota = sizes * (n1 / n) if n else np.zeros(k)
    seats1 = np.floor(quota).astype(np.int64)
    spare = n1 - int(seats1.sum())
    if spare > 0:
        seats1[np.argsort(-(quota - seats1), kind="stable")[:spare]] += 1
    out = np.empty(n, dtype=np.int64)
    out[is_int] = rng.permutation(np.repeat(np.arange(k), seats1))
    out[~is_int] = rng.permutation(np.repeat(np.arange(k), sizes - seats1))
    return out


#: Second stream of each trial (``SeedSequence(seed, spawn_key=(1,))``, independent of the first): the episodes and
#: adverse events draw from it, so adding them left every primary draw, and so every primary result, unchanged.
_EPISODE_STREAM = (1,)


#: At most this many episodes in one call (each costs about 100 bytes while it is realised, so about 5 GB).
#: WalkBack's default has about 3.4 per participant: 10 million participants fit.
MAX_EPISODES_PER_CALL = 50_000_000


def _check_episode_load(scenario: Scenario, expected: float, participants: int) -> None:
    """Refuse, with one message, a run whose expected number of episodes cannot be held in memory."""
    if expected <= MAX_EPISODES_PER_CALL:
        return
    per_participant = expected / max(participants, 1)
    o = scenario.outcome
    which = (f"Weibull scale {o.scale_days:g} days, shape {o.shape:g}" if o.baseline == "weibull" else
             f"exponential scale {o.scale_days:g} days" if o.baseline == "exponential" else
             "piecewise-exponential hazards")
    raise ScenarioError(
        f"this run would simulate about {expected:,.0f} back-pain episodes ({per_participant:,.0f} per participant "
        f"over follow-up; WalkBack's is about 3), more than the {MAX_EPISODES_PER_CALL:,} that fit in memory at "
        f"once: lower the episode rate (baseline hazard: {which}; non-limiting episodes) or simulate fewer "
        "participants or trials per call")


def _realise_episodes(scenario: Scenario, seeds: np.ndarray, n: int, is_int: np.ndarray, started: np.ndarray, latent,
                      target: np.ndarray, event: np.ndarray, observed: np.ndarray, censor_at: np.ndarray,
                      off_mult: np.ndarray, baseline: BaselineHazard, pieces) -> dict:
    """Every participant's episodes and adverse events (see :mod:`analysis.model.episodes`), all trials at once.

    Given the participant, activity-limiting episodes are the Poisson process of the primary hazard
    (its first event is the primary recurrence, already drawn) and non-limiting episodes an
    independent Poisson process at ``q_i`` times that hazard. Over follow-up ``[0, C_i]`` the
    number of further limiting episodes is Poisson with mean ``Lambda_i(C_i) - Lambda_i(T_i)`` and
    their cumulative hazards uniform on that interval; likewise the non-limiting episodes with
    mean ``q_i Lambda_i(C_i)``; each onset is ``Lambda_i^-1`` of its cumulative hazard (exact).

    Per trial, from its episode stream, in this order: adverse-event counts (lower-extremity, then
    other), further limiting and non-limiting episode counts, then per episode (first limiting
    episodes, further limiting, non-limiting; participants in enrolment order) an onset uniform,
    a severity uniform, a care uniform and an Exp(1) for the duration.
    """
    ep, dose = scenario.episodes, scenario.dose_response
    total = len(is_int)
    cum_end = np.empty(total)
    off = ~started
    cum_end[off] = off_mult[off] * baseline.cumulative(censor_at[off])
    starter_rows = np.flatnonzero(started)
    table = StarterHazard.build(latent.risk[started], latent.plateau_extra[started], dose.education_hr, dose, pieces,
                                baseline)
    row_in_table = np.full(total, -1, dtype=np.int64)
    row_in_table[starter_rows] = np.arange(len(starter_rows))
    cum_end[started] = table.cumulative(np.arange(len(starter_rows)), censor_at[started])
    further_mean = np.where(observed, np.maximum(cum_end - target, 0.0), 0.0)
    q = nonlimiting_per_limiting(ep, started)
    nonlimiting_mean = q * cum_end
    _check_episode_load(scenario, float(observed.sum() + further_mean.sum() + nonlimiting_mean.sum()), total)
    le_rate, other_rate = adverse_event_rates(ep, is_int)
    k_further = np.empty(total, dtype=np.int64)
    k_non = np.empty(total, dtype=np.int64)
    n_le = np.empty(total, dtype=np.int64)
    n_other = np.empty(total, dtype=np.int64)
    uniforms, exp_draws = [], []
    for r, seed in enumerate(seeds):
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(seed), spawn_key=_EPISODE_STREAM)))
        rows = slice(r * n, (r + 1) * n)
        n_le[rows] = rng.poisson(le_rate[rows])
        n_other[rows] = rng.poisson(other_rate[rows])
        k_further[rows] = rng.poisson(further_mean[rows])
        k_non[rows] = rng.poisson(nonlimiting_mean[rows])
        m = int(observed[rows].sum() + k_further[rows].sum() + k_non[rows].sum())
        uniforms.append(rng.random((m, 3)))
        exp_draws.append(rng.standard_exponential(m))
    # Episodes in the order their draws were made: per trial, first limiting, further limiting, non-limiting.
    first_pid = np.flatnonzero(observed)
    further_pid = np.repeat(np.arange(total), k_further)
    non_pid = np.repeat(np.arange(total), k_non)
    pid = np.concatenate([first_pid, further_pid, non_pid])
    kind = np.repeat(np.array([0, 1, 2], dtype=np.int64), [len(first_pid), len(further_pid), len(non_pid)])
    if len(seeds) > 1:  # one trial: already in that order (the sort would be the identity)
        order = np.argsort((pid // n) * 3 + kind, kind="stable")
        pid, kind = pid[order], kind[order]
    u = (uniforms[0] if len(uniforms) == 1 else np.concatenate(uniforms)) if uniforms else np.empty((0, 3))
    exp_draw = (exp_draws[0] if len(exp_draws) == 1 else np.concatenate(exp_draws)) if exp_draws else np.empty(0)

    # Onsets: the cumulative primary hazard at which each episode happens, then its inverse.
    # (Each branch is computed only where it applies: the same arithmetic per episode, fewer gathers.)
    further = kind == 1
    cum = u[:, 0].copy()
    cum[further] = target[pid[further]] + cum[further] * further_mean[pid[further]]
    rest = ~further
    cum[rest] *= cum_end[pid[rest]]
    onset = np.empty(len(pid))
    first = kind == 0
    onset[first] = event[pid[first]]
    st = started[pid]
    on = ~first & st
    offp = ~first & ~st
    onset[offp] = event_times_constant(cum[offp], off_mult[pid[offp]], baseline)
    onset[on] = table.inverse(row_in_table[pid[on]], cum[on])
    np.minimum(onset, censor_at[pid], out=onset)  # rounding in H^-1(H(C)) must not leave follow-up

    # Marks.
    limiting = kind < 2
    severity = severity_given_limiting(ep, st, limiting, u[:, 1])
    care = u[:, 2] < care_probability(ep, severity, st)
    pain = worst_pain(ep, severity)
    recovery = onset + recovery_durations(ep, severity, st, exp_draw)
    recovered = recovery <= censor_at[pid]

    # Each participant's episodes in order of onset.
    # One float sort on participant + onset / span (exact order: spans are whole days, so the keys
    # of different participants never interleave; within one participant the onset order is kept).
    span = float(np.ceil(censor_at.max())) + 1.0 if total else 1.0
    by_time = _argsort_keys(pid * span + onset)
    pid, onset, recovery, recovered = pid[by_time], onset[by_time], recovery[by_time], recovered[by_time]
    limiting, care, pain = limiting[by_time], care[by_time], pain[by_time]
    n_episodes = np.bincount(pid, minlength=total)
    starts_at = np.cumsum(n_episodes) - n_episodes
    number = np.arange(len(pid)) - starts_at[pid] + 1
    has = n_episodes > 0
    first_row = starts_at[has]
    time_any = censor_at.copy()
    time_any[has] = onset[first_row]
    time_care = censor_at.copy()
    care_rows = np.flatnonzero(care)
    if care_rows.size:
        new_participant = np.ones(care_rows.size, dtype=bool)
        new_participant[1:] = pid[care_rows[1:]] != pid[care_rows[:-1]]
        first_care = care_rows[new_participant]
        time_care[pid[first_care]] = onset[first_care]
    has_care = np.zeros(total, dtype=bool)
    if care_rows.size:
        has_care[pid[first_care]] = True
    recovery_first = np.full(total, np.nan)
    recovered_first = np.zeros(total, dtype=bool)
    pain_first = np.full(total, np.nan)
    recovered_first[has] = recovered[first_row]
    recovery_first[has] = np.where(recovered[first_row], recovery[first_row], censor_at[has]) - onset[first_row]
    pain_first[has] = pain[first_row]
    return {
        "time_any": time_any, "observed_any": has, "time_care": time_care, "observed_care": has_care,
        "n_episodes": n_episodes, "recovery_first": recovery_first, "recovered_first": recovered_first,
        "pain_first": pain_first, "adverse_event": (n_le + n_other) > 0, "n_lower_extremity": n_le,
        "episode_table": {"pid": pid, "episode": number, "onset": onset,
                          "recovery": np.where(recovered, recovery, np.nan), "limiting": limiting, "care": care,
                          "pain": pain},
    }


def _argsort_keys(key: np.ndarray) -> np.ndarray:
    """``np.argsort(key)``, faster on keys made of a few sorted runs (the episodes' participant order).

    A stable merge sort exploits the runs; when the keys are distinct and finite the sorting
    permutation is unique, so it is exactly ``np.argsort(key)``'s. Otherwise (tied keys, whose order
    the default sort decides) the default sort itself runs.
    """
    order = np.argsort(key, kind="stable")
    ranked = key[order]
    if ranked.size and np.isfinite(ranked[[0, -1]]).all() and not (ranked[1:] == ranked[:-1]).any():
        return order
    return np.argsort(key)


_BATCH_ENDPOINTS = {"primary": ("time_days", "observed"), "any": ("time_any", "observed_any"),
                    "care": ("time_care", "observed_care")}


def simulate_trials(scenario: Scenario, trial_seeds, endpoint: str = "primary", *,
                    with_clinic: bool = False) -> TrialBatch:
    """Simulate one trial per seed: the arrays the Monte Carlo studies analyse.

    Row r is exactly the trial ``simulate_trial(scenario, seed=trial_seeds[r])`` (same draws,
    same arithmetic: it is the same code), whatever the other seeds in the call.

    Parameters
    ----------
    endpoint : {"primary", "any", "care"}
        The time-to-event endpoint returned in ``time_days``/``recurrence``: the first
        activity-limiting recurrence, the first of any kind, or the first care-seeking one (the
        columns ``time_days``, ``time_any_days`` or ``time_care_days`` of ``simulate_trial``).
    with_clinic : bool
        Also return each participant's clinic (``TrialBatch.clinic``), for cluster analyses.

    Examples
    --------
    >>> batch = simulate_trials(Scenario(), [11, 12])
    >>> cohort = simulate_trial(Scenario(), seed=12)
    >>> bool(np.array_equal(batch.time_days[1], cohort.time_days.to_numpy()))
    True
    >>> care = simulate_trials(Scenario(), [12], endpoint="care")
    >>> bool(np.array_equal(care.time_days[0], cohort.time_care_days.to_numpy()))
    True
    """
    if endpoint not in _BATCH_ENDPOINTS:
        raise ScenarioError(f"endpoint = {endpoint!r} is not allowed: choose one of {', '.join(_BATCH_ENDPOINTS)}")
    seeds = check_trial_seeds(trial_seeds, error=ScenarioError)
    n = scenario.design.n_total
    per_call = max(1, _MAX_CELLS // n)
    time_key, event_key = _BATCH_ENDPOINTS[endpoint]
    parts = []
    for lo in range(0, len(seeds), per_call):
        chunk = seeds[lo:lo + per_call]
        draws = _draw(scenario, chunk, details=False)
        got = _realise(scenario, draws, episodes=endpoint != "primary", with_clinic=with_clinic)
        parts.append([got[k].reshape(len(chunk), n) for k in ("is_int", time_key, event_key, "stratum")]
                     + [draws.enrol_day] + ([got["clinic"].reshape(len(chunk), n)] if with_clinic else []))
    if not parts:
        return TrialBatch(seeds, np.zeros((0, n), bool), np.zeros((0, n)), np.zeros((0, n), bool),
                          np.zeros((0, n), np.int8), endpoint, np.zeros((0, n), np.int64) if with_clinic else None,
                          np.zeros((0, n), np.int64))
    columns = parts[0] if len(parts) == 1 else [np.concatenate([p[i] for p in parts]) for i in range(len(parts[0]))]
    return TrialBatch(seeds, *columns[:4], endpoint, columns[5] if with_clinic else None, columns[4])


def simulate_cohorts(scenario: Scenario, trial_seeds, *, potential_outcomes: bool = False) -> pd.DataFrame:
    """The cohorts of the trials ``trial_seeds``, stacked: rows ``r * n .. (r + 1) * n - 1`` are trial r.

    Each block of rows equals ``simulate_trial(scenario, seed=trial_seeds[r], ...)``.

    Examples
    --------
    >>> stacked = simulate_cohorts(Scenario(), [4, 5])
    >>> one = simulate_trial(Scenario(), seed=5)
    >>> stacked.iloc[701:].reset_index(drop=True).equals(one)
    True
    """
    return _cohorts(scenario, trial_seeds, potential_outcomes)[0]


def simulate_cohorts_with_episodes(scenario: Scenario, trial_seeds) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The stacked cohorts of :func:`simulate_cohorts` and their episodes, one row per episode.

    The episode table has the columns of :data:`EPISODE_COLUMNS`, preceded by ``replicate`` (1..K,
    the trial's position in ``trial_seeds``) when there is more than one trial; rows are in
    trial and participant order, then by onset.

    Examples
    --------
    >>> cohort, episodes = simulate_cohorts_with_episodes(Scenario(), [3])
    >>> bool((episodes.groupby("participant_id").size() == cohort.set_index("participant_id").n_episodes[
    ...     lambda n: n > 0]).all())
    True
    """
    return _cohorts(scenario, trial_seeds, False, episodes=True)


def simulate_episodes(scenario: Scenario, seed: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One trial: its participants (as :func:`simulate_trial`) and their episodes (:data:`EPISODE_COLUMNS`).

    Examples
    --------
    >>> cohort, episodes = simulate_episodes(Scenario(), seed=1)
    >>> cohort.equals(simulate_trial(Scenario(), seed=1)), list(episodes.columns) == list(EPISODE_COLUMNS)
    (True, True)
    """
    return _cohorts(scenario, [_check_seed(scenario, seed)], False, episodes=True)


def _cohorts(scenario: Scenario, trial_seeds, potential_outcomes: bool, episodes: bool = False):
    import pandas as pd

    seeds = check_trial_seeds(trial_seeds, error=ScenarioError)
    design = scenario.design
    n, reps = design.n_total, len(seeds)
    got = _realise(scenario, _draw(scenario, seeds, details=True), details=True, potential_outcomes=potential_outcomes,
                   episodes=True)
    latent, is_int, started, observed = got["latent"], got["is_int"], got["started"], got["observed"]
    start_date = np.datetime64(_dt.date.fromisoformat(design.recruitment_start), "D")
    cohort = pd.DataFrame({
        "participant_id": np.tile(np.arange(1, n + 1, dtype=np.int64), reps),
        "arm": pd.Categorical.from_codes(is_int.astype(np.int8), categories=list(ARMS)),
        "history_gt2_episodes": latent.history.astype(np.int8),
        "referral": pd.Categorical.from_codes(latent.referral_clinician.astype(np.int8), categories=list(REFERRALS)),
        "stratum": pd.Categorical.from_codes(got["stratum"], categories=list(STRATUM_LABELS)),
        "block_id": got["block_id"],
        "block_size": got["block_size"],
        "enrol_date": (start_date + got["enrol_day"].astype("timedelta64[D]")).astype("datetime64[s]"),
        "age_years": np.round(got["age"], 1),
        "sex": pd.Categorical.from_codes(got["female"].astype(np.int8), categories=["male", "female"]),
        "baseline_walking_minutes": np.round(latent.baseline_minutes, 2),
        "started_programme": started.astype(np.int8),
        "adherence": np.where(is_int, latent.adherence, np.nan),
        "walking_minutes_week12": np.round(got["walking12"], 2),
        "time_days": got["time_days"],
        "recurrence": observed.astype(np.int8),
        "censor_reason": pd.Categorical.from_codes(got["reason"], categories=list(CENSOR_REASONS)),
        "time_any_days": got["time_any"],
        "recurrence_any": got["observed_any"].astype(np.int8),
        "time_care_days": got["time_care"],
        "recurrence_care": got["observed_care"].astype(np.int8),
        "n_episodes": got["n_episodes"],
        "recovery_days_first": got["recovery_first"],
        "recovered_first": got["recovered_first"].astype(np.int8),
        "worst_pain_first": got["pain_first"],
        "adverse_event_12m": got["adverse_event"].astype(np.int8),
        "lower_extremity_ae_12m": got["n_lower_extremity"],
        "followup_days": got["censor_at"],
        "followup_end": pd.Categorical.from_codes(got["end_reason"] - 1, categories=list(FOLLOWUP_END_REASONS)),
        "clinic": (got["clinic"] + 1).astype(np.int32),
    })
    if potential_outcomes:
        cohort["recurrence_day_if_control"] = got["time_if_control"]
        cohort["recurrence_day_if_intervention"] = got["time_if_int"]
        cohort["would_start"] = latent.starts.astype(np.int8)
        cohort["latent_adherence"] = latent.adherence
        cohort["admin_censor_days"] = got["admin"]
    if not episodes:
        return cohort, None
    table = got["episode_table"]
    pid = table["pid"]
    frame = {"replicate": (pid // n + 1).astype(np.int32)} if reps > 1 else {}
    frame.update({
        "participant_id": pid % n + 1,
        "arm": pd.Categorical.from_codes(is_int[pid].astype(np.int8), categories=list(ARMS)),
        "episode": table["episode"],
        "onset_day": table["onset"],
        "recovery_day": table["recovery"],
        "activity_limiting": table["limiting"].astype(np.int8),
        "care_seeking": table["care"].astype(np.int8),
        "worst_pain": table["pain"],
    })
    return cohort, pd.DataFrame(frame)

def simulate_trial(scenario: Scenario, seed: int | None = None, *, potential_outcomes: bool = False) -> pd.DataFrame:
    """Simulate one trial of ``scenario``.

    Parameters
    ----------
    scenario : Scenario
        Usually :func:`analysis.model.default.default_scenario` or a variation of it.
    seed : int, optional
        Defaults to ``scenario.seed``. Same scenario and seed give identical data.
    potential_outcomes : bool
        Also return each participant's uncensored recurrence day under both arms (from the same
        random draws), their would-be adherence and the follow-up the dates allow; used to compute
        true estimands.

    Returns
    -------
    pandas.DataFrame
        One row per participant, in enrolment order, with the columns of :data:`COHORT_COLUMNS`
        (and :data:`POTENTIAL_OUTCOME_COLUMNS` when asked).

    Examples
    --------
    >>> cohort = simulate_trial(Scenario(), seed=1)
    >>> len(cohort), int((cohort.arm == "intervention").sum())
    (701, 351)
    >>> bool(cohort.time_days.le(1096).all())  # whole days: 36 months (1095.75 days) are completed on day 1096
    True
    >>> bool((cohort.time_days == np.floor(cohort.time_days)).all() and cohort.time_days.min() >= 1)
    True
    """
    return simulate_cohorts(scenario, [_check_seed(scenario, seed)], potential_outcomes=potential_outcomes)


def _check_seed(scenario: Scenario, seed) -> int:
    return check_seed(scenario.seed if seed is None else seed, error=ScenarioError)
