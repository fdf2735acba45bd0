"""What `walkback analyze FILE --json` computes, with pandas + lifelines only (the baseline).

Kaplan-Meier per arm (median and its CI), the log-rank test, the Cox model (Efron ties), its
proportional-hazards test (lifelines' own, with the KM time transform), RMST to the default tau
and the reverse-KM median follow-up. Usage: python benchmarks/analyze_same_in_lifelines.py FILE.csv
"""

import sys
import warnings

import pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import logrank_test, proportional_hazard_test
from lifelines.utils import median_survival_times, restricted_mean_survival_time

warnings.simplefilter("ignore")
d = pd.read_csv(sys.argv[1])
x = (d["arm"] == "intervention").astype(int)
t, e = d["time_days"], d["recurrence"]
tau = min(t[x == 0].max(), t[x == 1].max())
medians, rmst, followup = [], [], []
for arm in (0, 1):
    kmf = KaplanMeierFitter().fit(t[x == arm], e[x == arm])
    medians.append(kmf.median_survival_time_)
    median_survival_times(kmf.confidence_interval_)
    rmst.append(restricted_mean_survival_time(kmf, t=tau))
    followup.append(KaplanMeierFitter().fit(t[x == arm], 1 - e[x == arm]).median_survival_time_)
lr = logrank_test(t[x == 0], t[x == 1], e[x == 0], e[x == 1])
data = pd.DataFrame({"time_days": t, "recurrence": e, "intervention": x})
cph = CoxPHFitter().fit(data, "time_days", "recurrence")
zph = proportional_hazard_test(cph, data, time_transform="km")
print(f"median {medians[0]:.6f} {medians[1]:.6f}\nlogrank {lr.test_statistic:.6f}\n"
      f"hr {float(cph.hazard_ratios_['intervention']):.10f}\nrmst {rmst[0]:.6f} {rmst[1]:.6f}\n"
      f"zph {float(zph.test_statistic[0]):.6f}\nfollowup {followup[0]:.6f} {followup[1]:.6f}")
