# Reference values for tests/test_economics.py, computed with R's boot package (independent of Python).
#
# Run from the repository root:
#     Rscript tests/r_reference/economics.R
# Data: tests/r_reference/data/cea_table.csv, one row per participant (arm, cost, qaly, recurrence):
# the interim cost table of simulate_trial(default_scenario(), seed = 1) costed with Economics() at
# commit e967324 (written by Python:
#   trial_cost_effectiveness(default_scenario(), seed=1)[0][["participant_id","arm","cost","qaly","recurrence"]]
#   .to_csv(..., float_format="%.17g")). Fixed data from now on.
# Writes tests/r_reference/economics.json. The tests read the JSON only (no R in CI).
#
# What is compared and how (boot's RNG differs from numpy's, so the bootstrap is compared in law):
#   point estimates (arm means, increments, variances, ICER, Fieller limits, INMB) -> exactly (1e-9)
#   bootstrap SDs, percentile limits, P(INMB > 0), quadrant shares           -> within Monte Carlo error
suppressPackageStartupMessages(library(boot))
library(jsonlite)

d <- read.csv("tests/r_reference/data/cea_table.csv", stringsAsFactors = FALSE)
d$treat <- as.integer(d$arm == "intervention")
B <- 20000L
wtp <- c(0, 10000, 20000, 28000, 50000, 100000)
z <- qnorm(0.975)

incr <- function(data, idx) {
  x <- data[idx, ]
  i <- x$treat == 1
  c(mean(x$cost[i]) - mean(x$cost[!i]), mean(x$qaly[i]) - mean(x$qaly[!i]),
    mean(x$recurrence[!i]) - mean(x$recurrence[i]))
}

set.seed(20240619)
b <- boot(d, incr, R = B, strata = d$treat)
dc <- b$t0[1]; de <- b$t0[2]
i <- d$treat == 1
vc <- var(d$cost[i]) / sum(i) + var(d$cost[!i]) / sum(!i)
ve <- var(d$qaly[i]) / sum(i) + var(d$qaly[!i]) / sum(!i)
cv <- cov(d$cost[i], d$qaly[i]) / sum(i) + cov(d$cost[!i], d$qaly[!i]) / sum(!i)
# Fieller: (dc - l de)^2 <= z^2 (vc - 2 l cv + l^2 ve), solved for l
a <- de^2 - z^2 * ve; bb <- de * dc - z^2 * cv; cc <- dc^2 - z^2 * vc
fieller <- c((bb - sqrt(bb^2 - a * cc)) / a, (bb + sqrt(bb^2 - a * cc)) / a)
perc <- function(k) boot.ci(b, type = "perc", index = k)$percent[4:5]
nmb <- sapply(wtp, function(l) mean(l * b$t[, 2] - b$t[, 1] > 0))
quad <- c(NE = mean(b$t[, 2] > 0 & b$t[, 1] > 0), SE = mean(b$t[, 2] > 0 & b$t[, 1] <= 0),
          SW = mean(b$t[, 2] <= 0 & b$t[, 1] <= 0), NW = mean(b$t[, 2] <= 0 & b$t[, 1] > 0))
out <- list(
  n = list(intervention = sum(i), control = sum(!i)), replicates = B,
  r_version = R.version.string, boot_version = as.character(packageVersion("boot")),
  mean_cost = list(intervention = mean(d$cost[i]), control = mean(d$cost[!i])),
  mean_qaly = list(intervention = mean(d$qaly[i]), control = mean(d$qaly[!i])),
  delta_cost = dc, delta_qaly = de, recurrences_prevented = b$t0[3], icer = dc / de,
  var_cost = vc, var_qaly = ve, cov = cv, fieller = fieller,
  boot_sd = apply(b$t, 2, sd), boot_perc_cost = perc(1), boot_perc_qaly = perc(2), boot_perc_recurrence = perc(3),
  wtp = wtp, inmb = wtp * de - dc, ceac_boot = nmb,
  ceac_normal = pnorm((wtp * de - dc) / sqrt(wtp^2 * ve + vc - 2 * wtp * cv)),
  quadrant_shares = as.list(quad)
)
write_json(out, "tests/r_reference/economics.json", auto_unbox = TRUE, digits = NA, pretty = TRUE)
cat("wrote tests/r_reference/economics.json\n")
