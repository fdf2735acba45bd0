"""Simulate one WalkBack-like trial: scenario -> one row per participant.

Second stage of the pipeline. Enrolment, stratified permuted-block randomisation, participant
traits, adherence, walking dose, exact recurrence times (see :mod:`analysis.model.hazard`), loss to
follow-up and administrative censoring. Everything random comes from one
``numpy.random.Generator`` seeded from ``SeedSequence(seed)``, in a fixed order, so the same
scenario and seed give identical data on every run and platform.
"""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pandas as pd

from ..errors import ScenarioError
from ..model.hazard import (
    N_LATENT_COLUMNS,
    BaselineHazard,
    dose_pieces,
    event_times_constant,
    event_times_piecewise,
    latent_from_uniforms,
    relative_hazard,
)
from ..trial.published import published_value
from ..trial.scenario import MAX_PARTICIPANTS, Scenario, with_changes

__all__ = ["simulate_trial", "scenario_for_size", "COHORT_COLUMNS", "ARMS", "CENSOR_REASONS"]

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
    "block_id": "Permuted block the participant was randomised in (unique across strata)",
    "block_size": "Planned size of that block (4, 6 or 8 by default)",
    "enrol_date": "Date of randomisation (ISO 8601)",
    "age_years": "Age at randomisation in years",
    "sex": "'female' or 'male'",
    "baseline_walking_minutes": "Walking before randomisation, minutes per week",
    "started_programme": "Intervention participant attended the programme (1) or never started (0); 0 in control",
    "adherence": "Share of the weekly walking target reached at the plateau (0..1); empty (NaN) in control",
    "walking_minutes_week12": "Walking achieved in week 12 after randomisation, minutes per week",
    "time_days": "Days from randomisation to first activity-limiting recurrence or censoring (exact, fractional)",
    "recurrence": "1 = activity-limiting recurrence observed at time_days, 0 = censored",
    "censor_reason": "'none' (recurrence), 'end_of_study' (follow-up ended 30 Jun 2023), 'max_followup' (36 months reached) or 'lost_to_follow_up'",
}

POTENTIAL_OUTCOME_COLUMNS: dict[str, str] = {
    "recurrence_day_if_control": "Potential outcome: day of first recurrence had this participant been in control (uncensored)",
    "recurrence_day_if_intervention": "Potential outcome: day of first recurrence had this participant been offered the programme (uncensored)",
    "would_start": "Potential: would start the programme if offered (1/0)",
    "latent_adherence": "Potential: adherence if offered the programme (0 for would-be never-starters)",
    "admin_censor_days": "Days of follow-up the study dates allow this participant",
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


def _randomise(stratum: np.ndarray, n_strata: int, n_intervention: int, block_sizes: tuple[int, ...],
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stratified permuted-block allocation in enrolment order.

    Within each complete block exactly half (rounded to the design's ratio) receive the
    intervention. The last block of each stratum is incomplete when recruitment stops; its
    allocations are chosen so the arms have exactly the requested sizes, as the trial's were.

    Returns (is_intervention, block_id, block_size).
    """
    n = len(stratum)
    ratio = n_intervention / n
    sizes = np.asarray(block_sizes)
    is_int = np.zeros(n, dtype=bool)
    block_id = np.empty(n, dtype=np.int64)
    block_size = np.empty(n, dtype=np.int64)
    complete = np.zeros(n, dtype=bool)
    # Participants grouped by stratum, enrolment order kept (stable; radix sort on the small int8 codes).
    order = np.argsort(stratum.astype(np.int8), kind="stable")
    counts = np.bincount(stratum, minlength=n_strata)
    next_block = 0
    pos = 0
    per_stratum_blocks: list[tuple[np.ndarray, np.ndarray, int]] = []
    for s in range(n_strata):
        m = int(counts[s])
        members = order[pos:pos + m]
        pos += m
        if m == 0:
            per_stratum_blocks.append((members, np.empty(0, dtype=np.int64), 0))
            continue
        n_blocks = m // int(sizes.min()) + 1
        drawn = rng.choice(sizes, size=n_blocks)
        ends = np.cumsum(drawn)
        n_used = int(np.searchsorted(ends, m, side="left")) + 1
        drawn = drawn[:n_used]
        starts = np.concatenate([[0], np.cumsum(drawn)[:-1]])
        within_block = np.repeat(np.arange(n_used), drawn)[:m]
        # Random order within each block: rank of a uniform key within the block.
        keys = within_block + rng.random(m)
        # Keys are distinct almost surely (block index + uniform), so an unstable sort gives the same order.
        rank_order = np.argsort(keys)
        rank = np.empty(m, dtype=np.int64)
        rank[rank_order] = np.arange(m) - starts[within_block[rank_order]]
        k_int = np.rint(drawn * ratio).astype(np.int64)
        alloc = rank < k_int[within_block]
        is_int[members] = alloc
        block_id[members] = next_block + within_block
        block_size[members] = drawn[within_block]
        block_filled = np.bincount(within_block, minlength=n_used) == drawn
        complete[members] = block_filled[within_block]
        per_stratum_blocks.append((members, within_block, n_used))
        next_block += n_used
    # Fix-up: reallocate the incomplete final blocks (and, for unusual ratios, more blocks from the
    # end of each stratum) so the arm sizes are exactly as requested.
    pool = np.flatnonzero(~complete)
    # taken[s]: how many blocks, counted from the end of stratum s, are already in the pool.
    taken = [1 if nb and not complete[mem[-1]] else 0 for mem, _, nb in per_stratum_blocks]
    while True:
        fixed_int = int(is_int.sum() - is_int[pool].sum())
        need = n_intervention - fixed_int
        if 0 <= need <= len(pool):
            break
        s = int(np.argmax([nb - t for (_, _, nb), t in zip(per_stratum_blocks, taken)]))
        members, within_block, n_used = per_stratum_blocks[s]
        if taken[s] >= n_used:  # pragma: no cover - every participant already pooled
            break
        pool = np.concatenate([pool, members[within_block == n_used - 1 - taken[s]]])
        taken[s] += 1
    if len(pool):
        chosen = rng.permutation(len(pool)) < need
        is_int[pool] = chosen
    return is_int, block_id, block_size


def simulate_trial(scenario: Scenario, seed: int | None = None, *, potential_outcomes: bool = False) -> pd.DataFrame:
    """Simulate one trial of ``scenario``.

    Parameters
    ----------
    scenario : Scenario
        Usually :func:`analysis.model.calibration.default_scenario` or a variation of it.
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
    >>> bool(cohort.time_days.le(36 * 365.25 / 12).all())
    True
    """
    if seed is None:
        seed = scenario.seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ScenarioError(f"seed = {seed!r} must be a non-negative whole number")
    design, walking, dose = scenario.design, scenario.walking, scenario.dose_response
    n1, n = design.n_intervention, design.n_total
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(seed))))

    # Enrolment: evenly spread over the recruitment window (day 0 = first randomisation).
    # Sorted uniform enrolment days drawn as multinomial counts per day: the same distribution as
    # sorting n uniform integers, without the O(n log n) sort.
    days = design.recruitment_days + 1
    enrol_day = np.repeat(np.arange(days), rng.multinomial(n, np.full(days, 1.0 / days)))
    u = rng.random((n, N_LATENT_COLUMNS))
    latent = latent_from_uniforms(scenario, u)
    stratum = latent.history.astype(np.int64) * 2 + latent.referral_clinician.astype(np.int64)
    is_int, block_id, block_size = _randomise(stratum, 4, n1, design.block_sizes, rng)

    # Follow-up allowed by the dates, and loss to follow-up.
    admin = np.minimum(design.max_followup_days, (design.study_days - enrol_day).astype(float))
    target = rng.standard_exponential(n)
    dropout_draw = rng.standard_exponential(n)
    dropout_rate = -np.log1p(-design.annual_loss_to_followup) / 365.25
    if dropout_rate > 0:
        with np.errstate(over="ignore"):  # a vanishing rate means nobody is lost: inf is right
            dropout = dropout_draw / dropout_rate
    else:
        dropout = np.full(n, np.inf)
    age_draw = rng.standard_normal(n)
    sex_draw = rng.random(n)

    baseline = BaselineHazard.from_outcome(scenario.outcome)
    pieces = dose_pieces(walking)
    off_programme_mult = latent.risk * relative_hazard(latent.spontaneous_extra, dose)
    started = is_int & latent.starts
    censor_at = np.minimum(admin, dropout)

    event = np.empty(n)
    no_prog = ~started
    event[no_prog] = event_times_constant(target[no_prog], off_programme_mult[no_prog], baseline)
    if potential_outcomes:
        time_if_control = event_times_constant(target, off_programme_mult, baseline)
        time_if_int = time_if_control.copy()
        s = latent.starts
        time_if_int[s] = event_times_piecewise(target[s], latent.risk[s], latent.plateau_extra[s], dose.education_hr,
                                               dose, pieces, baseline)
        event[started] = time_if_int[started]
    else:
        event[started] = event_times_piecewise(target[started], latent.risk[started], latent.plateau_extra[started],
                                               dose.education_hr, dose, pieces, baseline)

    observed = event <= censor_at
    time_days = np.where(observed, event, censor_at)
    reason = np.zeros(n, dtype=np.int8)  # 0 none
    cens = ~observed
    lost = cens & (dropout < admin)
    reason[lost] = 3
    at_admin = cens & ~lost
    reason[at_admin & (admin >= design.max_followup_days)] = 2
    reason[at_admin & (admin < design.max_followup_days)] = 1

    week12_fraction = pieces.fraction[pieces.piece_of(11 * 7.0 + 0.5)]
    walking12 = latent.baseline_minutes + np.where(started, latent.plateau_extra * week12_fraction, latent.spontaneous_extra)

    age = np.clip(published_value("age_mean") + published_value("age_sd") * age_draw,
                  published_value("age_min"), published_value("age_max"))
    female = sex_draw < published_value("female_share")
    start_date = np.datetime64(_dt.date.fromisoformat(design.recruitment_start), "D")

    cohort = pd.DataFrame({
        "participant_id": np.arange(1, n + 1, dtype=np.int64),
        "arm": pd.Categorical.from_codes(is_int.astype(np.int8), categories=list(ARMS)),
        "history_gt2_episodes": latent.history.astype(np.int8),
        "referral": pd.Categorical.from_codes(latent.referral_clinician.astype(np.int8), categories=list(REFERRALS)),
        "stratum": pd.Categorical.from_codes(
            stratum.astype(np.int8),
            categories=["history<=2|self_referred", "history<=2|clinician", "history>2|self_referred", "history>2|clinician"]),
        "block_id": block_id,
        "block_size": block_size.astype(np.int16),
        "enrol_date": (start_date + enrol_day.astype("timedelta64[D]")).astype("datetime64[s]"),
        "age_years": np.round(age, 1),
        "sex": pd.Categorical.from_codes(female.astype(np.int8), categories=["male", "female"]),
        "baseline_walking_minutes": np.round(latent.baseline_minutes, 2),
        "started_programme": started.astype(np.int8),
        "adherence": np.where(is_int, latent.adherence, np.nan),
        "walking_minutes_week12": np.round(walking12, 2),
        "time_days": time_days,
        "recurrence": observed.astype(np.int8),
        "censor_reason": pd.Categorical.from_codes(reason, categories=list(CENSOR_REASONS)),
    })
    if potential_outcomes:
        cohort["recurrence_day_if_control"] = time_if_control
        cohort["recurrence_day_if_intervention"] = time_if_int
        cohort["would_start"] = latent.starts.astype(np.int8)
        cohort["latent_adherence"] = latent.adherence
        cohort["admin_censor_days"] = admin
    return cohort
