"""Which test should the follow-up trial pre-specify? Simulated power of each two-arm test under the model.

Place in the pipeline: scenario -> many simulated trials (:mod:`analysis.studies.replicates`) -> the test family
of :mod:`analysis.stats.two_arm_tests` (log-rank, FH(0,1), FH(1,0), MaxCombo, RMST) -> **power by test**.
Every test is applied to the same simulated trials (replicate i = child i of ``SeedSequence(seed)``), so the
differences between tests are not Monte Carlo noise between runs; each power has its own Monte Carlo SE
``sqrt(p (1 - p) / n_sims)``.

The calibrated model's walking effect ramps up over the first weeks, is strongest during the 26-week programme
and fades after it, so the hazard ratio is not constant. :func:`power_by_test_table` runs the calibrated
scenario and two what-ifs that change how the effect wanes (a longer programme, ``walking.programme_weeks``;
better maintenance of walking after it, ``walking.maintained_fraction``; nothing is recalibrated), with the
analytic (Schoenfeld) log-rank power of each for reference.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import WalkBackInputError
from ..stats.two_arm_tests import POWER_TEST_NAMES, TestChoice, choose_test, two_arm_tests_batch
from ..trial.scenario import Scenario, with_changes

if TYPE_CHECKING:  # pandas only where a table is built: Monte Carlo workers never load it
    import pandas as pd

__all__ = ["DEFAULT_TAU_DAYS", "WHAT_IF_DEFAULTS", "PowerByTest", "simulated_power_by_test", "analyse_tests_chunk", "short_label",
           "what_if_scenarios", "PowerByTestTable", "power_by_test_table"]

#: RMST horizon of power by test: 12 months, which every WalkBack participant could reach (follow-up 12 to 36 months).
DEFAULT_TAU_DAYS = 365.25
#: The what-ifs' settings: a 52-week programme; 90% of the extra walking kept after it (calibrated: 26 weeks, 60%).
WHAT_IF_DEFAULTS = {"programme_weeks": 52, "maintained_fraction": 0.9}


def _tests(tests: Sequence[str | TestChoice], tau: float) -> list[TestChoice]:
    chosen = []
    for test in tests:
        if isinstance(test, TestChoice):
            chosen.append(test)
        elif test == "rmst":
            chosen.append(choose_test("rmst", tau=tau))
        else:
            chosen.append(choose_test(test))
    if not chosen:
        raise WalkBackInputError("give at least one test")
    if len({t.name for t in chosen}) < len(chosen):
        raise WalkBackInputError("each test can be asked for once")
    return chosen


def short_label(test: TestChoice) -> str:
    """A column or axis label: ``Log-rank``, ``FH(0,1)``, ``MaxCombo``, ``RMST, 12 months``.

    Examples
    --------
    >>> short_label(choose_test("rmst", tau=365.25)), short_label(choose_test("fh10"))
    ('RMST, 12 months', 'FH(1,0)')
    """
    if test.kind == "fh":
        return f"FH({test.rho:g},{test.gamma:g})"
    if test.kind == "rmst":
        months = test.tau / (365.25 / 12)
        return f"RMST, {months:.0f} months" if abs(months - round(months)) < 1e-9 else f"RMST, {test.tau:g} days"
    return {"logrank": "Log-rank", "maxcombo": "MaxCombo"}[test.kind]


def analyse_tests_chunk(scenario: Scenario, seed: int, start: int, count: int, tests: tuple[TestChoice, ...],
                        endpoint: str = "primary") -> dict:
    """Simulate replicates ``start .. start + count - 1`` and run every test on each: p-values and events (arrays)."""
    from .replicates import simulate_replicates

    batch = simulate_replicates(scenario, count, seed, start, endpoint)
    with np.errstate(all="ignore"):
        out = two_arm_tests_batch(batch.time_days, batch.recurrence, batch.intervention, tests)
    return {"p": {name: o.p for name, o in out.items()}, "z": {name: o.z for name, o in out.items()},
            "events": batch.recurrence.sum(axis=1)}


@dataclass(frozen=True)
class PowerByTest:
    """Monte Carlo power of several two-arm tests on the same simulated trials of one scenario.

    Attributes
    ----------
    tests, labels : tuple of str
        Test keys (``logrank``, ``fh_0_1``, ...) and short labels (:func:`short_label`).
    power, mc_se : tuple of float
        Share of trials with two-sided p < alpha, and ``sqrt(power (1 - power) / n_sims)``, per test.
    n_sims, n_total, seed, alpha, tau_days : as run
    events_mean : float
        Mean observed recurrences per trial.
    elapsed_seconds : float
    """

    scenario_name: str
    tests: tuple[str, ...]
    labels: tuple[str, ...]
    power: tuple[float, ...]
    mc_se: tuple[float, ...]
    n_sims: int
    n_total: int
    seed: int
    alpha: float
    tau_days: float
    events_mean: float
    elapsed_seconds: float

    @property
    def summary(self) -> pd.DataFrame:
        """One row per test: ``test``, ``label``, ``power``, ``mc_se``, ``n_sims``, ``n_total``."""
        import pandas as pd

        return pd.DataFrame({"test": self.tests, "label": self.labels, "power": self.power, "mc_se": self.mc_se,
                             "n_sims": self.n_sims, "n_total": self.n_total})

    def to_dict(self) -> dict:
        return {"scenario": self.scenario_name, "n_total": self.n_total, "n_sims": self.n_sims, "seed": self.seed,
                "alpha": self.alpha, "tau_days": self.tau_days, "events_mean": self.events_mean,
                "elapsed_seconds": self.elapsed_seconds,
                "tests": [{"test": t, "label": lb, "power": p, "mc_se": se}
                          for t, lb, p, se in zip(self.tests, self.labels, self.power, self.mc_se)]}


def simulated_power_by_test(scenario: Scenario, n_sims: int, seed: int,
                            tests: Sequence[str | TestChoice] = POWER_TEST_NAMES, *,
                            tau_days: float | None = None, alpha: float = 0.05,
                            executor: Executor | None = None, progress: Callable[[int, int], None] | None = None,
                            chunk_size: int | None = None, endpoint: str = "primary") -> PowerByTest:
    """Simulate ``n_sims`` trials of ``scenario`` and count rejections of each test at two-sided ``alpha``.

    Parameters
    ----------
    tests : sequence of str or TestChoice
        Names from :data:`analysis.stats.two_arm_tests.POWER_TEST_NAMES` (``"rmst"`` uses ``tau_days``) or
        choices made with :func:`~analysis.stats.two_arm_tests.choose_test`.
    tau_days : float, optional
        RMST horizon; at most the scenario's longest follow-up (default 12 months, or the longest follow-up when
        that is shorter).
    executor, progress, chunk_size, endpoint
        As :func:`analysis.studies.power.simulated_power`.

    Examples
    --------
    >>> from analysis.model.default import default_scenario
    >>> r = simulated_power_by_test(default_scenario(), 40, seed=3, tests=["logrank", "maxcombo"])
    >>> r.tests, all(0 <= p <= 1 for p in r.power)
    (('logrank', 'maxcombo'), True)
    """
    from .replicates import DEFAULT_CHUNK, check_replicates, check_seed, map_replicate_chunks

    n_sims = check_replicates(n_sims, "n_sims")
    seed = check_seed(seed)
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise WalkBackInputError(f"alpha = {alpha!r} must be a number strictly between 0 and 1")
    max_days = scenario.design.max_followup_days
    if tau_days is None:
        tau_days = min(DEFAULT_TAU_DAYS, max_days)
    if isinstance(tau_days, bool) or not isinstance(tau_days, (int, float)) or not 0 < tau_days <= max_days:
        raise WalkBackInputError(f"RMST horizon {tau_days!r} days must be above 0 and at most the longest "
                                 f"follow-up, {max_days:g} days")
    chosen = tuple(_tests(tests, float(tau_days)))
    began = time.perf_counter()
    parts = map_replicate_chunks(analyse_tests_chunk, n_sims, chunk_size or DEFAULT_CHUNK, executor, progress,
                                 args=(scenario, seed), kwargs={"tests": chosen, "endpoint": endpoint})
    power = []
    for test in chosen:
        p = np.concatenate([part["p"][test.name] for part in parts])
        power.append(float(np.mean(p < alpha)))  # NaN p (a degenerate trial) is no rejection
    events = np.concatenate([part["events"] for part in parts])
    return PowerByTest(scenario_name=scenario.name, tests=tuple(t.name for t in chosen),
                       labels=tuple(short_label(t) for t in chosen), power=tuple(power),
                       mc_se=tuple(math.sqrt(p * (1 - p) / n_sims) for p in power), n_sims=n_sims,
                       n_total=scenario.design.n_total, seed=seed, alpha=float(alpha), tau_days=float(tau_days),
                       events_mean=float(events.mean()), elapsed_seconds=time.perf_counter() - began)


def what_if_scenarios(scenario: Scenario, *, programme_weeks: int = WHAT_IF_DEFAULTS["programme_weeks"],
                      maintained_fraction: float = WHAT_IF_DEFAULTS["maintained_fraction"]) -> list[tuple[str, Scenario]]:
    """The scenario as it is, with a longer programme, and with better maintenance (labels and scenarios).

    Examples
    --------
    >>> from analysis.model.default import default_scenario
    >>> [label for label, _ in what_if_scenarios(default_scenario())]
    ['As calibrated (26-week programme, 60% kept)', 'Longer programme: 52 weeks', 'Better maintenance: 90% kept']
    """
    w = scenario.walking
    return [
        (f"As calibrated ({w.programme_weeks}-week programme, {100 * w.maintained_fraction:.0f}% kept)", scenario),
        (f"Longer programme: {programme_weeks} weeks", with_changes(scenario, {"walking.programme_weeks": programme_weeks})),
        (f"Better maintenance: {100 * maintained_fraction:.0f}% kept",
         with_changes(scenario, {"walking.maintained_fraction": maintained_fraction})),
    ]


@dataclass(frozen=True)
class PowerByTestTable:
    """Power by test for the calibrated scenario and its what-ifs.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per (what-if, test): ``what_if``, ``test``, ``label``, ``power``, ``mc_se``, ``hr_expected``
        (the scenario's expected Cox HR), ``events_expected``, ``power_logrank_analytic`` (Schoenfeld, from the
        expected HR and events), ``n_total``.
    n_sims, seed, alpha, tau_days : as run
    """

    summary: pd.DataFrame
    n_sims: int
    seed: int
    alpha: float
    tau_days: float

    def wide(self) -> pd.DataFrame:
        """One row per what-if, one column per test (power), with the analytic log-rank power and expected HR."""
        power = self.summary.pivot(index="what_if", columns="label", values="power")
        order = list(dict.fromkeys(self.summary["what_if"]))
        labels = list(dict.fromkeys(self.summary["label"]))
        first = self.summary.drop_duplicates("what_if").set_index("what_if")
        out = power.loc[order, labels]
        out.insert(0, "Expected HR", first.loc[order, "hr_expected"])
        out["Log-rank, Schoenfeld"] = first.loc[order, "power_logrank_analytic"]
        return out.reset_index()

    def to_dict(self) -> dict:
        return {"n_sims": self.n_sims, "seed": self.seed, "alpha": self.alpha, "tau_days": self.tau_days,
                "rows": self.summary.to_dict(orient="records")}


def power_by_test_table(scenario: Scenario, n_sims: int, seed: int, *,
                        tests: Sequence[str] = POWER_TEST_NAMES, tau_days: float | None = None,
                        programme_weeks: int = WHAT_IF_DEFAULTS["programme_weeks"],
                        maintained_fraction: float = WHAT_IF_DEFAULTS["maintained_fraction"], alpha: float = 0.05,
                        n_total: int | None = None, executor: Executor | None = None,
                        progress: Callable[[int, int], None] | None = None) -> PowerByTestTable:
    """Simulated power of each test for the scenario and two what-ifs, the analytic log-rank power beside it.

    Every what-if uses the same ``seed`` (common random numbers). ``n_total`` resizes the trial (default: the
    scenario's size, 701 for WalkBack).

    Examples
    --------
    >>> from analysis.model.default import default_scenario
    >>> t = power_by_test_table(default_scenario(), 20, seed=1, tests=["logrank", "fh01"])
    >>> t.summary.shape[0], list(t.wide().columns[:2])
    (6, ['what_if', 'Expected HR'])
    """
    import pandas as pd

    from ..simulate.engine import scenario_for_size
    from .power import analytic_power

    if n_total is not None:
        if isinstance(n_total, bool) or not isinstance(n_total, (int, np.integer)) or not 4 <= n_total <= 100_000:
            raise WalkBackInputError(f"n_total = {n_total!r} must be a whole number of participants from 4 to 100,000")
        scenario = scenario_for_size(scenario, int(n_total))
    runs = what_if_scenarios(scenario, programme_weeks=programme_weeks, maintained_fraction=maintained_fraction)
    total = n_sims * len(runs)
    rows = []
    for k, (label, s) in enumerate(runs):
        inner = None if progress is None else (lambda done, _n, k=k: progress(k * n_sims + done, total))
        result = simulated_power_by_test(s, n_sims, seed, tests, tau_days=tau_days, alpha=alpha, executor=executor,
                                         progress=inner)
        analytic = analytic_power(s, [s.design.n_total], alpha=alpha).iloc[0]
        for test, test_label, power, se in zip(result.tests, result.labels, result.power, result.mc_se):
            rows.append({"what_if": label, "test": test, "label": test_label, "power": power, "mc_se": se,
                         "hr_expected": float(analytic["hr"]), "events_expected": float(analytic["events_expected"]),
                         "power_logrank_analytic": float(analytic["power_schoenfeld"]), "n_total": s.design.n_total})
    return PowerByTestTable(pd.DataFrame(rows), int(n_sims), int(seed), float(alpha), result.tau_days)
