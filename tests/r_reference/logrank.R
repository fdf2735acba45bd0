# Reference values for tests/test_r_logrank.py: R's log-rank test and Cox model on files large enough
# for the project's own paths (analysis.stats.logrank_test computes the log-rank itself from 5,000
# rows, COX_EXACT_MIN_ROWS; the exact vectorised Cox takes over there too). The small files are in
# reference.json (make_reference.R) already.
#
# Run from anywhere:
#     Rscript tests/r_reference/logrank.R
# Data: tests/r_reference/data/sim_cox.csv (10,000 rows, whole days, heavy ties, 4 strata; written by
# make_sim_cox.py), whole and its first 5,000 rows. Writes tests/r_reference/logrank.json:
#   survdiff(Surv(time, status) ~ arm)                     -> logrank: chisq, obs, exp, var (of arm 1's O - E)
#   survdiff(Surv(time, status) ~ arm + strata(stratum))   -> logrank_strat: chisq, obs, exp, var
#   coxph(Surv(time, status) ~ arm, ties = "efron", eps = 1e-12) -> cox: coef, se, loglik (null, fitted)
suppressPackageStartupMessages(library(survival))
library(jsonlite)

args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
full <- read.csv(file.path(here, "data", "sim_cox.csv"))

survdiff_out <- function(sd) {
  obs <- if (is.matrix(sd$obs)) rowSums(sd$obs) else sd$obs
  exp <- if (is.matrix(sd$exp)) rowSums(sd$exp) else sd$exp
  list(chisq = unname(sd$chisq), obs = unname(obs), exp = unname(exp), var = unname(sd$var[2, 2]))
}

out <- list(meta = list(R = R.version.string, survival = as.character(packageVersion("survival"))))
for (n in c(5000L, 10000L)) {
  d <- full[seq_len(n), ]
  fit <- coxph(Surv(time, status) ~ arm, data = d, ties = "efron",
               control = coxph.control(eps = 1e-12, toler.chol = 1e-14, iter.max = 100))
  out[[paste0("sim_cox_", n)]] <- list(
    n = n,
    logrank = survdiff_out(survdiff(Surv(time, status) ~ arm, data = d)),
    logrank_strat = survdiff_out(survdiff(Surv(time, status) ~ arm + strata(stratum), data = d)),
    cox = list(coef = unname(coef(fit)), se = unname(sqrt(diag(vcov(fit)))), loglik = unname(fit$loglik)))
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), file.path(here, "logrank.json"))
cat("wrote", file.path(here, "logrank.json"), "\n")
