"""Write tests/r_reference/data/sim_cox.csv: the simulated cohort of the exact-Cox R references.

Run from the repository root (before ``Rscript tests/r_reference/make_reference.R``):
    python tests/r_reference/make_sim_cox.py
10,000 rows, 3 strata of unequal size, whole-day times (many ties), three covariates (binary
arm, age with one decimal, a count) and case weights with two decimals: every value is
written exactly, so R and Python fit byte-identical data.
"""

from pathlib import Path

import numpy as np
import pandas as pd


def sim_cox(n: int = 10_000, seed: int = 20240611) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    stratum = rng.choice(3, size=n, p=[0.6, 0.3, 0.1])
    arm = rng.integers(0, 2, n)
    age = np.round(rng.normal(60, 10, n), 1)
    prio = rng.poisson(2, n)
    lp = -0.4 * arm + 0.02 * (age - 60) + 0.1 * prio + np.array([0.0, 0.5, -0.3])[stratum]
    t_event = -np.log(rng.random(n)) / (0.0015 * np.exp(lp))
    t_cens = rng.uniform(30, 1500, n)
    time = np.ceil(np.minimum(t_event, t_cens))
    return pd.DataFrame({"time": time.astype(int), "status": (t_event <= t_cens).astype(int),
                         "arm": arm, "age": age, "prio": prio, "stratum": stratum,
                         "w": np.round(rng.uniform(0.5, 2.0, n), 2)})


if __name__ == "__main__":
    out = Path(__file__).resolve().parent / "data" / "sim_cox.csv"
    sim_cox().to_csv(out, index=False)
    print("wrote", out)
