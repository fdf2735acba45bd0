"""Group-sequential boundaries: classical (O'Brien-Fleming, Pocock, Wang-Tsiatis) and alpha-spending designs,
with futility by beta spending (binding or not) or at fixed z values, computed as rpact computes them.

Place in the pipeline: a pure computation beside power (no simulator, no model). :class:`GroupSequentialDesign`
says what is wanted, :func:`compute_boundaries` solves it by exact recursive integration
(:mod:`analysis.design.integration`), :func:`sequential_probabilities` gives the stopping probabilities of the
solved design at any drift (e.g. the hazard ratio and events of :mod:`analysis.design.events`).

Conventions (rpact's): z statistics are oriented so that large z favours the intervention; ``alpha`` is the total
type I error (one-sided, or split equally between the two sides when ``sided = 2``); the drift is the mean of
the final z under H1 (``theta sqrt(I_max)``), and the inflation factor is ``drift^2 / (z_{alpha/sided} + z_beta)^2``,
the maximum information relative to the fixed design. Efficacy bounds of a non-binding futility design ignore
futility; stopping probabilities always assume futility is obeyed.

Examples
--------
>>> b = compute_boundaries(GroupSequentialDesign("asOF", (1/3, 2/3, 1.0)))
>>> [round(z, 4) for z in b.efficacy_z], round(b.inflation_factor, 4)
([3.7103, 2.5114, 1.993], 1.0128)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import special

from ..errors import WalkBackInputError
from .integration import advance, crossing_probabilities, cross_lower, cross_upper, find_root, start
from .spending import GAMMA_RANGE, SPENDING_KINDS, spent

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DESIGN_KINDS", "MAX_LOOKS", "GroupSequentialDesign", "GroupSequentialBoundaries",
           "SequentialProbabilities", "compute_boundaries", "sequential_probabilities"]

#: Classical designs (one constant c solved for alpha) and the spending families.
DESIGN_KINDS = ("OF", "P", "WT") + SPENDING_KINDS
MAX_LOOKS = 10
#: Smallest information between looks: the recursion's kernel has width sqrt(step / t), and below 0.01 the grid
#: no longer resolves it to 1e-6 (0.005 at t = 0.9: 4e-6 off; 0.01: 3e-7).
MIN_INFORMATION_STEP = 0.01
#: rpact's "no futility bound at this look" (a z below it is treated as none).
NO_FUTILITY = -6.0
#: rpact's search ranges for efficacy bounds, futility bounds and the beta-spending drift.
_EFFICACY_RANGE, _FUTILITY_RANGE, _DRIFT_RANGE = (0.0, 8.0), (-6.0, 5.0), (-4.0, 10.0)


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(float(value)):
        raise WalkBackInputError(f"{name} = {value!r} must be a finite number")
    return float(value)


@dataclass(frozen=True)
class GroupSequentialDesign:
    """A group-sequential design as rpact's ``getDesignGroupSequential`` takes it.

    Parameters
    ----------
    kind : {"OF", "P", "WT", "asOF", "asP", "asKD", "asHSD"}
        Classical O'Brien-Fleming, Pocock, Wang-Tsiatis (with ``delta``), or alpha spending.
    information_rates : tuple of float
        Cumulative information fractions of the looks, increasing, the last 1 (at most 10 looks).
    alpha : float
        Total type I error in (0, 0.5): one-sided, or both sides together when ``sided = 2``.
    beta : float
        Type II error in (0, 0.5); power ``1 - beta`` fixes the drift.
    sided : {1, 2}
    gamma : float, optional
        Kim-DeMets (0.4 to 8) or Hwang-Shih-DeCani (-10 to 5) parameter of the alpha spending.
    delta : float, optional
        Wang-Tsiatis Delta (-0.5 to 1; 0 is O'Brien-Fleming, 0.5 Pocock).
    futility : None, str or tuple of float
        None; a beta-spending family ("asOF", "asP", "asKD", "asHSD"; alpha-spending one-sided designs only); or
        K - 1 fixed z values (one-sided only; a value <= -6 means none at that look).
    futility_gamma : float, optional
        The beta-spending family's gamma.
    binding_futility : bool
        Whether efficacy bounds count on futility stops (binding) or ignore them (non-binding).

    Examples
    --------
    >>> GroupSequentialDesign("asOF", (0.5, 0.4, 1.0))
    Traceback (most recent call last):
    ...
    analysis.errors.WalkBackInputError: information rates (0.5, 0.4, 1.0) must increase strictly from above 0 to exactly 1
    """

    kind: str
    information_rates: tuple = (1 / 3, 2 / 3, 1.0)
    alpha: float = 0.025
    beta: float = 0.2
    sided: int = 1
    gamma: float | None = None
    delta: float | None = None
    futility: Any = None
    futility_gamma: float | None = None
    binding_futility: bool = False

    def __post_init__(self) -> None:
        if self.kind not in DESIGN_KINDS:
            raise WalkBackInputError(f"design type {self.kind!r} must be one of {', '.join(DESIGN_KINDS)}")
        try:
            rates = tuple(_number("information rate", r) for r in self.information_rates)
        except TypeError:
            raise WalkBackInputError(f"information rates {self.information_rates!r} must be a list of numbers") \
                from None
        if not 1 <= len(rates) <= MAX_LOOKS:
            raise WalkBackInputError(f"a design has 1 to {MAX_LOOKS} looks; {len(rates)} information rates given")
        if rates[0] <= 0 or any(b <= a for a, b in zip(rates, rates[1:])) or abs(rates[-1] - 1) > 1e-12:
            raise WalkBackInputError(f"information rates {self.information_rates!r} must increase strictly from "
                                     "above 0 to exactly 1")
        if any(b - a < MIN_INFORMATION_STEP for a, b in zip((0.0,) + rates, rates)):
            raise WalkBackInputError(f"information rates {self.information_rates!r}: looks must be at least "
                                     f"{MIN_INFORMATION_STEP:g} apart (closer looks are one look in practice)")
        object.__setattr__(self, "information_rates", rates[:-1] + (1.0,))
        for name in ("alpha", "beta"):
            value = _number(name, getattr(self, name))
            if not 0 < value < 0.5:
                raise WalkBackInputError(f"{name} = {value!r} must be between 0 and 0.5")
            object.__setattr__(self, name, value)
        if self.sided not in (1, 2) or isinstance(self.sided, bool):
            raise WalkBackInputError(f"sided = {self.sided!r} must be 1 or 2")
        object.__setattr__(self, "gamma", _gamma(self.kind, self.gamma, "gamma"))
        if self.kind == "WT":
            if self.delta is None:
                raise WalkBackInputError("a Wang-Tsiatis design (WT) needs delta (from -0.5 to 1)")
            delta = _number("delta", self.delta)
            if not -0.5 <= delta <= 1:
                raise WalkBackInputError(f"delta = {delta!r} must be from -0.5 to 1")
            object.__setattr__(self, "delta", delta)
        elif self.delta is not None:
            raise WalkBackInputError(f"delta is the Wang-Tsiatis parameter; design type {self.kind} takes none")
        if not isinstance(self.binding_futility, (bool, np.bool_)):
            raise WalkBackInputError(f"binding_futility = {self.binding_futility!r} must be true or false")
        self._check_futility()

    def _check_futility(self) -> None:
        futility, k = self.futility, len(self.information_rates)
        if futility is None:
            if self.futility_gamma is not None:
                raise WalkBackInputError("futility_gamma is given but the design has no beta-spending futility")
            return
        if k == 1:
            raise WalkBackInputError("a design with one look has no futility bounds")
        if self.sided != 1:
            raise WalkBackInputError("futility bounds are for one-sided designs (rpact calls two-sided beta "
                                     "spending experimental)")
        if isinstance(futility, str):
            if futility not in SPENDING_KINDS:
                raise WalkBackInputError(f"futility {futility!r} must be a beta-spending function "
                                         f"({', '.join(SPENDING_KINDS)}) or {k - 1} z values")
            if self.kind not in SPENDING_KINDS:
                raise WalkBackInputError(f"beta-spending futility needs an alpha-spending design "
                                         f"({', '.join(SPENDING_KINDS)}), not {self.kind}")
            object.__setattr__(self, "futility_gamma", _gamma(futility, self.futility_gamma, "futility gamma"))
            return
        if self.futility_gamma is not None:
            raise WalkBackInputError("futility_gamma is for beta-spending futility, not fixed z values")
        try:
            values = tuple(_number("futility z", z) for z in futility)
        except TypeError:
            raise WalkBackInputError(f"futility {futility!r} must be a beta-spending function or z values") \
                from None
        if len(values) != k - 1:
            raise WalkBackInputError(f"fixed futility needs {k - 1} z values (one per interim look); "
                                     f"{len(values)} given")
        object.__setattr__(self, "futility", values)

    @property
    def looks(self) -> int:
        return len(self.information_rates)

    @property
    def beta_spending(self) -> bool:
        return isinstance(self.futility, str)


def _gamma(kind: str, gamma: Any, name: str) -> float | None:
    if kind not in GAMMA_RANGE:
        if gamma is not None:
            raise WalkBackInputError(f"{name} is for asKD and asHSD spending; {kind} takes none")
        return None
    if gamma is None:
        raise WalkBackInputError(f"{kind} spending needs {name} (from {GAMMA_RANGE[kind][0]:g} to "
                                 f"{GAMMA_RANGE[kind][1]:g})")
    value = _number(name, gamma)
    lo, hi = GAMMA_RANGE[kind]
    if not lo <= value <= hi:
        raise WalkBackInputError(f"{name} = {value!r} for {kind} must be from {lo:g} to {hi:g}")
    return value


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class SequentialProbabilities:
    """Stopping probabilities of a solved design at one drift (mean of the final z).

    ``reject`` is the upper (efficacy) crossing per look; ``reject_lower`` the lower crossing of a two-sided
    design; ``futility`` the futility stop per look (0 where there is no bound).
    """

    drift: float
    information_rates: tuple
    reject: np.ndarray
    reject_lower: np.ndarray
    futility: np.ndarray

    @property
    def power(self) -> float:
        """P(rejecting H0 in favour of the intervention) at any look."""
        return float(self.reject.sum())

    @property
    def stop(self) -> np.ndarray:
        """P(stopping at each look); the last look takes whatever mass is left."""
        out = self.reject + self.reject_lower + self.futility
        out[-1] = 1 - out[:-1].sum()
        return out

    @property
    def expected_information(self) -> float:
        """Expected information at stopping, as a fraction of the maximum."""
        return float(self.stop @ np.asarray(self.information_rates))

    def to_dict(self) -> dict:
        return {"drift": self.drift, "power": self.power, "expected_information": self.expected_information,
                "reject": self.reject.tolist(), "reject_lower": self.reject_lower.tolist(),
                "futility": self.futility.tolist()}


@dataclass(frozen=True)
class GroupSequentialBoundaries:
    """A solved design: one-sided z boundaries per look and the design's operating characteristics.

    ``efficacy_z`` (upper; the lower of a two-sided design is its mirror), ``futility_z`` (NaN where none, always
    NaN at the last look), ``cumulative_alpha_spent`` (rpact's alphaSpent), ``stagewise_alpha`` (nominal one-sided
    p value per look), ``cumulative_beta_spent`` (beta spending only), ``drift`` (mean of the final z giving
    power 1 - beta), ``inflation_factor``, ``h0``/``h1`` stopping probabilities (futility obeyed), and the expected
    information at stopping under H0, half-way and H1 as fractions of the maximum (``asn_*`` in units of the
    fixed design, rpact's averageSampleNumber0/01/1).
    """

    design: GroupSequentialDesign
    efficacy_z: tuple
    futility_z: tuple
    cumulative_alpha_spent: tuple
    cumulative_beta_spent: tuple
    drift: float
    h0: SequentialProbabilities = field(repr=False)
    h1: SequentialProbabilities = field(repr=False)
    expected_information_h01: float = field(repr=False)

    @property
    def information_rates(self) -> tuple:
        return self.design.information_rates

    @property
    def stagewise_alpha(self) -> tuple:
        return tuple(float(special.ndtr(-z)) for z in self.efficacy_z)

    @property
    def fixed_drift(self) -> float:
        """Mean of the z of a single final analysis with the same alpha and power."""
        d = self.design
        return float(-special.ndtri(d.alpha / d.sided) - special.ndtri(d.beta))

    @property
    def inflation_factor(self) -> float:
        return (self.drift / self.fixed_drift) ** 2

    @property
    def expected_information_h0(self) -> float:
        return self.h0.expected_information

    @property
    def expected_information_h1(self) -> float:
        return self.h1.expected_information

    @property
    def asn(self) -> dict:
        """Expected information relative to the fixed design under H0, half-way (H01) and H1."""
        f = self.inflation_factor
        return {"h0": f * self.expected_information_h0, "h01": f * self.expected_information_h01,
                "h1": f * self.expected_information_h1}

    @property
    def summary(self) -> pd.DataFrame:
        """One row per look: boundaries, spending and stopping probabilities under H0 and H1."""
        import pandas as pd

        d = self.design
        return pd.DataFrame({
            "look": np.arange(1, d.looks + 1),
            "information_rate": d.information_rates,
            "efficacy_z": self.efficacy_z,
            "futility_z": self.futility_z,
            "stagewise_alpha": self.stagewise_alpha,
            "cumulative_alpha_spent": self.cumulative_alpha_spent,
            "reject_h0": self.h0.reject + self.h0.reject_lower,
            "futility_stop_h0": self.h0.futility,
            "reject_h1": self.h1.reject,
            "futility_stop_h1": self.h1.futility,
            "cumulative_power": np.cumsum(self.h1.reject),
        }).set_index("look")

    def to_dict(self) -> dict:
        d = self.design
        return {
            "design": {"kind": d.kind, "information_rates": list(d.information_rates), "alpha": d.alpha,
                       "beta": d.beta, "sided": d.sided, "gamma": d.gamma, "delta": d.delta,
                       "futility": list(d.futility) if isinstance(d.futility, tuple) else d.futility,
                       "futility_gamma": d.futility_gamma, "binding_futility": bool(d.binding_futility)},
            "information_rates": list(d.information_rates),
            "efficacy_z": list(self.efficacy_z),
            "futility_z": [None if math.isnan(z) else z for z in self.futility_z],
            "stagewise_alpha": list(self.stagewise_alpha),
            "cumulative_alpha_spent": list(self.cumulative_alpha_spent),
            "cumulative_beta_spent": None if not self.cumulative_beta_spent else list(self.cumulative_beta_spent),
            "drift": self.drift,
            "inflation_factor": self.inflation_factor,
            "power": self.h1.power,
            "h0": self.h0.to_dict(),
            "h1": self.h1.to_dict(),
            "expected_information": {"h0": self.expected_information_h0, "h01": self.expected_information_h01,
                                     "h1": self.expected_information_h1},
            "asn_relative_to_fixed": self.asn,
        }


# --------------------------------------------------------------------------- solving
def _lower(design: GroupSequentialDesign, efficacy, futility, for_alpha: bool) -> list[float]:
    """Lower boundary per look: the mirror of a two-sided design, or the futility bound where it counts."""
    k = design.looks
    if design.sided == 2:
        return [-b for b in efficacy]
    if for_alpha and not design.binding_futility:
        return [-math.inf] * k
    return [(f if f > NO_FUTILITY else -math.inf) for f in futility] + [-math.inf] * (k - len(futility))


def _type_one(design, efficacy, futility, for_alpha=True):
    up, low = crossing_probabilities(design.information_rates, _lower(design, efficacy, futility, for_alpha),
                                     efficacy, 0.0)
    return up + low if design.sided == 2 else up


def _classical(design: GroupSequentialDesign, futility) -> list[float]:
    delta = {"OF": 0.0, "P": 0.5}.get(design.kind, design.delta)
    shape = [t ** (delta - 0.5) for t in design.information_rates]
    # c lies between the fixed design's z (the last bound, t = 1, spends less than alpha alone) and Bonferroni's
    # bound on every look: a narrow bracket saves Brent half its evaluations (each one a whole recursion).
    binding = design.binding_futility and any(f > NO_FUTILITY for f in futility)
    lo = _EFFICACY_RANGE[0] if binding else float(-special.ndtri(design.alpha / design.sided))  # futility lowers c
    hi = min(float(-special.ndtri(design.alpha / (design.sided * design.looks))) / min(shape), _EFFICACY_RANGE[1])
    c = find_root(lambda c: _type_one(design, [c * s for s in shape], futility).sum() - design.alpha,
                  lo, max(hi, lo), what="the efficacy boundary")
    return [c * s for s in shape]


def _efficacy_bound(design, carry, t, target) -> float:
    """The bound at a look whose crossing (both sides if two-sided) from ``carry`` under H0 is ``target``."""
    if carry.t == 0:
        return float(-special.ndtri(target / design.sided))

    def excess(b):
        out = cross_upper(carry, t, 0.0, b)
        if design.sided == 2:
            out += cross_lower(carry, t, 0.0, -b)
        return out - target

    return find_root(excess, *_EFFICACY_RANGE, what="an efficacy boundary")


def _spending(design: GroupSequentialDesign, futility) -> list[float]:
    """Alpha-spending efficacy bounds, look by look (futility counted only when binding)."""
    alpha = spent(design.kind, design.alpha, design.information_rates, design.sided, design.gamma)
    lower = _lower(design, [0.0] * design.looks, futility, for_alpha=True)
    bounds, carry, used = [], start(), 0.0
    for k, t in enumerate(design.information_rates):
        b = _efficacy_bound(design, carry, t, alpha[k] - used)
        bounds.append(b)
        lo = -b if design.sided == 2 else lower[k]
        used += cross_upper(carry, t, 0.0, b) + (cross_lower(carry, t, 0.0, lo) if design.sided == 2 else 0.0)
        carry = advance(carry, t, 0.0, lo, b)
    return bounds


def _futility_bound(carry, t, drift, target) -> float:
    if carry.t == 0:
        return float(special.ndtri(target) + math.sqrt(t) * drift)
    return find_root(lambda a: target - cross_lower(carry, t, drift, a), *_FUTILITY_RANGE,
                     what="a futility boundary")


def _beta_spending(design: GroupSequentialDesign, efficacy: list[float]):
    """rpact's beta spending: futility bounds spend beta under the drift at which they meet the efficacy bound
    at the last look; with binding futility the efficacy bounds are re-solved under each trial drift."""
    rates = design.information_rates
    beta = spent(design.futility, design.beta, rates, 1, design.futility_gamma)
    alpha = spent(design.kind, design.alpha, rates, 1, design.gamma)
    solved = {}

    def gap(drift):
        eff = list(efficacy)
        fut = []
        h0, h1, used0, used1 = start(), start(), 0.0, 0.0
        for k, t in enumerate(rates):
            if design.binding_futility:
                eff[k] = _efficacy_bound(design, h0, t, alpha[k] - used0)
                used0 += cross_upper(h0, t, 0.0, eff[k])
            a = _futility_bound(h1, t, drift, beta[k] - used1)
            used1 += cross_lower(h1, t, drift, a)
            fut.append(a)
            if k + 1 < len(rates) and a >= eff[k]:
                # Futility overtook efficacy before the last look: the drift is past the root. Saying so keeps
                # the gap's sign monotone (beyond this point the recursion degenerates and the gap turns negative).
                return 1.0 + a - eff[k]
            if k + 1 < len(rates):
                if design.binding_futility:
                    h0 = advance(h0, t, 0.0, a, eff[k])
                h1 = advance(h1, t, drift, a, eff[k])
        solved[drift] = (eff, fut)
        return fut[-1] - eff[-1]

    # Bracket the root by stepping up from the fixed design's drift (a narrow bracket saves whole recursions).
    step = float(-special.ndtri(design.alpha) - special.ndtri(design.beta))
    lo, hi = _DRIFT_RANGE[0], step
    while gap(hi) < 0 and hi < _DRIFT_RANGE[1]:
        lo, hi = hi, min(hi + step / 4, _DRIFT_RANGE[1])
    drift = find_root(gap, lo, hi, tol=1e-10, what="the beta-spending drift")
    if drift not in solved:
        gap(drift)
    if drift not in solved:
        raise WalkBackInputError(f"{design.futility} beta spending cannot meet the efficacy bound at the last look "
                                 "without crossing it earlier: choose another beta-spending function")
    eff, fut = solved[drift]
    return eff, fut[:-1], drift, tuple(float(b) for b in np.cumsum(
        crossing_probabilities(rates, fut + [-math.inf], eff, drift)[1]))


def sequential_probabilities(boundaries: GroupSequentialBoundaries, drift: float) -> SequentialProbabilities:
    """Rejection and stopping probabilities per look of a solved design when the final z has mean ``drift``.

    Futility bounds are obeyed. For a hazard ratio ``hr`` and ``events`` at the last look with allocation share
    ``p``, ``drift = -log(hr) sqrt(p (1 - p) events)`` (:func:`analysis.design.events.drift_for`).

    Examples
    --------
    >>> b = compute_boundaries(GroupSequentialDesign("OF", (0.5, 1.0)))
    >>> round(sequential_probabilities(b, b.drift).power, 6)
    0.8
    >>> round(sequential_probabilities(b, 0.0).power, 6)
    0.025
    """
    drift = _number("drift", drift)
    d = boundaries.design
    efficacy = list(boundaries.efficacy_z)
    futility = [f for f in boundaries.futility_z[:-1]]
    lower = [-b for b in efficacy] if d.sided == 2 else \
        [(-math.inf if math.isnan(f) else f) for f in futility] + [-math.inf]
    up, low = crossing_probabilities(d.information_rates, lower, efficacy, drift)
    zeros = np.zeros(d.looks)
    if d.sided == 2:
        return SequentialProbabilities(drift, d.information_rates, up, low, zeros)
    return SequentialProbabilities(drift, d.information_rates, up, zeros, low)


def compute_boundaries(design: GroupSequentialDesign) -> GroupSequentialBoundaries:
    """Solve a design: boundaries, alpha (and beta) spent, the drift for power 1 - beta, stopping probabilities.

    Examples
    --------
    >>> b = compute_boundaries(GroupSequentialDesign("asOF", (0.5, 1.0), futility="asOF"))
    >>> [round(z, 4) for z in b.efficacy_z], [round(z, 4) for z in b.futility_z[:-1]]
    ([2.9626, 1.9686], [0.5594])
    """
    if not isinstance(design, GroupSequentialDesign):
        raise WalkBackInputError("compute_boundaries needs a GroupSequentialDesign")
    k = design.looks
    fixed = [] if design.futility is None or design.beta_spending else list(design.futility)
    efficacy = _classical(design, fixed) if design.kind in ("OF", "P", "WT") else _spending(design, fixed)
    beta_spent: tuple = ()
    drift = None
    if design.beta_spending:
        efficacy, fixed, drift, beta_spent = _beta_spending(design, efficacy)
    futility = tuple([(float(f) if f > NO_FUTILITY else math.nan) for f in fixed] + [math.nan] * (k - len(fixed)))
    for look, (a, b) in enumerate(zip(futility, efficacy), start=1):
        if a > b - 0.01:  # rpact's check
            fix = (f"choose another beta-spending function than {design.futility} or other information rates"
                   if design.beta_spending else "lower it")
            raise WalkBackInputError(f"the futility bound at look {look} (z = {a:.3f}) is not below the efficacy "
                                     f"bound (z = {b:.3f}); {fix}")
    alpha_spent = tuple(float(a) for a in np.cumsum(_type_one(design, efficacy, fixed)))
    draft = GroupSequentialBoundaries(design, tuple(float(b) for b in efficacy), futility, alpha_spent, beta_spent,
                                      0.0, None, None, math.nan)  # type: ignore[arg-type]
    if drift is None:
        target = 1 - design.beta
        z_sum = -special.ndtri(design.alpha / design.sided) - special.ndtri(design.beta)
        # Power at the fixed design's drift is at most 1 - beta (a group-sequential design needs more
        # information), and inflation factors above 1.5 are rare: start there, widen to rpact's range if needed.
        def shortfall(th):
            return sequential_probabilities(draft, th).power - target

        lo, hi = z_sum, 1.25 * z_sum
        while lo > 1e-3 and shortfall(lo) > 0:  # binding futility's lower efficacy bounds can need less
            lo, hi = lo / 1.5, lo
        while shortfall(hi) < 0:  # strong futility or late-spending bounds need more information
            lo, hi = hi, 1.5 * hi
            if hi > 10 * z_sum:
                raise WalkBackInputError(f"power {target:g} needs over 100 times the fixed design's information "
                                         "with these bounds: relax the futility bounds or the spending")
        drift = find_root(shortfall, lo, hi, tol=1e-10, what="the drift")
    h0 = sequential_probabilities(draft, 0.0)
    h1 = sequential_probabilities(draft, drift)
    h01 = sequential_probabilities(draft, drift / 2).expected_information
    return GroupSequentialBoundaries(design, draft.efficacy_z, futility, alpha_spent, beta_spent, float(drift),
                                     h0, h1, h01)
