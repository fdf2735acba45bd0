# Reference values for tests/test_two_arm_tests.py: Fleming-Harrington G(rho) tests from R's survdiff.
#
# Run from the repository root:
#     Rscript tests/r_reference/make_fh_reference.R
# It reads the CSVs under tests/r_reference/data/ (written by make_reference.R; R and Python analyse
# byte-identical files) and writes tests/r_reference/fh_reference.json. CI without R reads the JSON only;
# tests/test_r_reference.py reruns this script (marker r) and compares what it writes with the committed JSON.
#
# For each data set, rho in {0, 0.5, 1, 2}, unstratified and stratified:
#   fit <- survdiff(Surv(time, event) ~ group [+ strata(s)], rho = rho)
#   chisq = fit$chisq; observed = rowSums of fit$obs (weighted, summed over strata); expected = rowSums of fit$exp;
#   variance = fit$var[2, 2] (of the second level's O - E)
# survdiff's weight is the pooled Kaplan-Meier S(t-)^rho computed within each stratum, i.e. FH(rho, 0).
suppressPackageStartupMessages(library(survival))
library(jsonlite)

args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
datadir <- file.path(here, "data")

cfgs <- list(
  list(name = "aml", file = "aml.csv", time = "time", event = "status", group = "x", strata = NULL),
  list(name = "ovarian", file = "ovarian.csv", time = "futime", event = "fustat", group = "rx", strata = "resid_ds"),
  list(name = "veteran_tied", file = "veteran_tied.csv", time = "months", event = "status", group = "trt",
       strata = "celltype"),
  list(name = "rossi", file = "rossi.csv", time = "week", event = "arrest", group = "fin", strata = "wexp"),
  list(name = "walkback_seed1", file = "walkback_seed1.csv", time = "time_days", event = "recurrence",
       group = "arm", strata = "stratum")
)

one <- function(d, rho, strata) {
  f <- if (is.null(strata)) Surv(time, event) ~ group else Surv(time, event) ~ group + strata(s)
  fit <- survdiff(f, data = d, rho = rho)
  obs <- if (is.matrix(fit$obs)) rowSums(fit$obs) else fit$obs
  ex <- if (is.matrix(fit$exp)) rowSums(fit$exp) else fit$exp
  lv <- levels(d$group)
  list(rho = rho, stratified = !is.null(strata), chisq = fit$chisq,
       observed = setNames(as.list(unname(obs)), lv), expected = setNames(as.list(unname(ex)), lv),
       variance = fit$var[2, 2])
}

out <- list(R = R.version.string, survival = as.character(packageVersion("survival")), sets = list())
for (cfg in cfgs) {
  raw <- read.csv(file.path(datadir, cfg$file), stringsAsFactors = FALSE)
  d <- data.frame(time = raw[[cfg$time]], event = raw[[cfg$event]], group = factor(as.character(raw[[cfg$group]])))
  if (!is.null(cfg$strata)) d$s <- as.character(raw[[cfg$strata]])
  fits <- list()
  for (rho in c(0, 0.5, 1, 2)) {
    fits[[length(fits) + 1]] <- one(d, rho, NULL)
    if (!is.null(cfg$strata)) fits[[length(fits) + 1]] <- one(d, rho, cfg$strata)
  }
  out$sets[[cfg$name]] <- list(file = cfg$file, time = cfg$time, event = cfg$event, group = cfg$group,
                               strata = if (is.null(cfg$strata)) NA else cfg$strata, fits = fits)
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"), file.path(here, "fh_reference.json"))
