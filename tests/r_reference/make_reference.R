# Reference values for tests/test_estimate.py, computed with R's survival package.
#
# Run from the repository root:
#     Rscript tests/r_reference/make_reference.R
# It (re)writes the CSVs of R's built-in data sets under tests/r_reference/data/, reads every
# data set back from CSV (so R and Python analyse byte-identical files) and writes
# tests/r_reference/reference.json. CI has no R: the tests read the JSON only.
#
# Data sets (different shapes on purpose):
#   aml            R survival::aml, 23 rows, small, some ties, no strata.
#   ovarian        R survival::ovarian, 26 rows, small, heavily censored (12 events).
#   veteran_tied   R survival::veteran with time rounded UP to whole 30-day months:
#                  137 rows, heavy ties, 4-level strata (celltype).
#   rossi          lifelines.datasets.load_rossi() (Rossi et al. 1980 recidivism; written by
#                  Python: load_rossi()[['week','arrest','fin','age','prio','wexp']]), 432 rows,
#                  74% censored, weekly times (heavy ties), administrative censoring at 52.
#   walkback_seed1 simulate_trial(Scenario(), seed=1) of this repository at commit 38e19a4
#                  (columns time_days, recurrence, arm, stratum, age_years, sex; written by
#                  Python). 701 rows, exact times, 4 randomisation strata: the shape the app
#                  analyses. Fixed data now: the simulator has changed since.
#
# Calls whose results are stored (per data set):
#   survfit(Surv(time, event) ~ group, conf.type = "log-log")           -> km (full curves)
#   print(fit, rmean = tau) table (summary(fit, rmean = tau)$table)      -> table
#   summary(fit, times = landmarks, extend = FALSE)                      -> landmarks
#   survdiff(Surv(time, event) ~ group)                                  -> logrank
#   survdiff(Surv(time, event) ~ group + strata(s))                      -> logrank_strat
#   coxph(Surv(time, event) ~ group, ties = "efron")                     -> cox
#   coxph(Surv(time, event) ~ group + strata(s), ties = "efron")         -> cox_strat
#   coxph(Surv(time, event) ~ group + covariates, ties = "efron")        -> cox_adj
#   cox.zph(fit) (transform = "km", terms = TRUE, the survival >= 3.0 score test) and
#   cox.zph(fit, transform = "identity") for cox and cox_adj             -> zph_*
#   survfit(Surv(time, 1 - event) ~ group) and ~ 1, median              -> followup
# It also writes tests/r_reference/cox_exact.json: numeric-design coxph fits for
# analysis/cox_exact.py (see the section "exact Cox fits" below; data set sim_cox.csv from
# tests/r_reference/make_sim_cox.py).
suppressPackageStartupMessages(library(survival))
library(jsonlite)

args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
datadir <- file.path(here, "data")
dir.create(datadir, showWarnings = FALSE)

# ---------------------------------------------------------------- export R's data sets
write.csv(data.frame(time = aml$time, status = aml$status, x = as.character(aml$x)),
          file.path(datadir, "aml.csv"), row.names = FALSE)
write.csv(data.frame(futime = ovarian$futime, fustat = ovarian$fustat,
                     rx = ifelse(ovarian$rx == 1, "A", "B"), resid_ds = ovarian$resid.ds,
                     age = ovarian$age, ecog_ps = ovarian$ecog.ps),
          file.path(datadir, "ovarian.csv"), row.names = FALSE)
write.csv(data.frame(months = ceiling(veteran$time / 30), status = veteran$status,
                     trt = ifelse(veteran$trt == 1, "standard", "test"),
                     celltype = as.character(veteran$celltype), karno = veteran$karno,
                     age = veteran$age, prior = veteran$prior),
          file.path(datadir, "veteran_tied.csv"), row.names = FALSE)

# ---------------------------------------------------------------- configurations
cfgs <- list(
  list(name = "aml", file = "aml.csv", time = "time", event = "status", group = "x",
       reference = "Maintained", strata = NULL, covariates = NULL, landmarks = c(10, 20, 40)),
  list(name = "ovarian", file = "ovarian.csv", time = "futime", event = "fustat", group = "rx",
       reference = "A", strata = "resid_ds", covariates = c("age", "ecog_ps"),
       landmarks = c(180, 365, 730)),
  list(name = "veteran_tied", file = "veteran_tied.csv", time = "months", event = "status",
       group = "trt", reference = "standard", strata = "celltype",
       covariates = c("karno", "age", "prior"), landmarks = c(3, 6, 12)),
  list(name = "rossi", file = "rossi.csv", time = "week", event = "arrest", group = "fin",
       reference = "0", strata = "wexp", covariates = c("age", "prio"),
       landmarks = c(13, 26, 52)),
  list(name = "walkback_seed1", file = "walkback_seed1.csv", time = "time_days",
       event = "recurrence", group = "arm", reference = "control", strata = "stratum",
       covariates = c("age_years", "sex"), landmarks = c(182.625, 365.25, 730.5))
)

na2null <- function(v) { v <- as.numeric(v); lapply(v, function(z) if (is.na(z)) NULL else z) }

zph_out <- function(z) {
  tab <- z$table
  list(terms = rownames(tab), chisq = unname(tab[, "chisq"]), df = unname(tab[, "df"]),
       p = unname(tab[, "p"]))
}

cox_out <- function(fit, term) {
  s <- summary(fit)
  co <- s$coefficients
  ci <- s$conf.int
  list(coef = unname(co[term, "coef"]), se = unname(co[term, "se(coef)"]),
       hr = unname(ci[term, "exp(coef)"]), lower = unname(ci[term, "lower .95"]),
       upper = unname(ci[term, "upper .95"]), p = unname(co[term, "Pr(>|z|)"]),
       loglik = unname(fit$loglik), all_coef = as.list(coef(fit)))
}

out <- list(meta = list(R = R.version.string,
                        survival = as.character(packageVersion("survival"))))
for (cfg in cfgs) {
  d <- read.csv(file.path(datadir, cfg$file), stringsAsFactors = FALSE,
                colClasses = setNames("character", cfg$group))
  d$time <- as.numeric(d[[cfg$time]])
  d$event <- as.integer(d[[cfg$event]])
  levs <- c(cfg$reference, setdiff(sort(unique(d[[cfg$group]])), cfg$reference))
  d$group <- factor(d[[cfg$group]], levels = levs)
  term <- paste0("group", levs[2])
  res <- list(config = list(time = cfg$time, event = cfg$event, group = cfg$group,
                            reference = cfg$reference, levels = levs,
                            strata = cfg$strata, covariates = cfg$covariates,
                            landmarks = cfg$landmarks))
  tau <- min(tapply(d$time, d$group, max))
  res$tau <- tau

  fit <- survfit(Surv(time, event) ~ group, data = d, conf.type = "log-log")
  km <- list()
  for (i in seq_along(levs)) {
    f <- fit[i]
    km[[levs[i]]] <- list(time = f$time, n_risk = f$n.risk, n_event = f$n.event,
                          n_censor = f$n.censor, surv = f$surv, std_err = na2null(f$std.err),
                          lower = na2null(f$lower), upper = na2null(f$upper))
  }
  res$km <- km
  tab <- summary(fit, rmean = tau)$table
  res$table <- list(levels = levs, records = unname(tab[, "records"]),
                    events = unname(tab[, "events"]), median = na2null(tab[, "median"]),
                    lcl = na2null(tab[, "0.95LCL"]), ucl = na2null(tab[, "0.95UCL"]),
                    rmean = unname(tab[, "rmean"]), se_rmean = unname(tab[, "se(rmean)"]))
  lm <- list()
  for (i in seq_along(levs)) {
    s <- summary(fit[i], times = cfg$landmarks, extend = FALSE)
    lm[[levs[i]]] <- list(time = s$time, surv = s$surv, lower = na2null(s$lower),
                          upper = na2null(s$upper), n_risk = s$n.risk)
  }
  res$landmarks <- lm

  sd <- survdiff(Surv(time, event) ~ group, data = d)
  res$logrank <- list(chisq = unname(sd$chisq), p = pchisq(sd$chisq, 1, lower.tail = FALSE),
                      obs = as.numeric(sd$obs), exp = as.numeric(sd$exp))
  cx <- coxph(Surv(time, event) ~ group, data = d, ties = "efron")
  res$cox <- cox_out(cx, term)
  res$zph_cox_km <- zph_out(cox.zph(cx))
  res$zph_cox_identity <- zph_out(cox.zph(cx, transform = "identity"))

  if (!is.null(cfg$strata)) {
    d$s <- as.character(d[[cfg$strata]])
    sds <- survdiff(Surv(time, event) ~ group + strata(s), data = d)
    res$logrank_strat <- list(chisq = unname(sds$chisq),
                              p = pchisq(sds$chisq, 1, lower.tail = FALSE))
    cxs <- coxph(Surv(time, event) ~ group + strata(s), data = d, ties = "efron")
    res$cox_strat <- cox_out(cxs, term)
  }
  if (!is.null(cfg$covariates)) {
    fml <- as.formula(paste("Surv(time, event) ~ group +", paste(cfg$covariates, collapse = " + ")))
    cxa <- coxph(fml, data = d, ties = "efron")
    res$cox_adj <- cox_out(cxa, term)
    res$zph_adj_km <- zph_out(cox.zph(cxa))
    res$zph_adj_identity <- zph_out(cox.zph(cxa, transform = "identity"))
  }

  rf <- survfit(Surv(time, 1 - event) ~ group, data = d)
  rt <- summary(rf)$table
  r1 <- summary(survfit(Surv(time, 1 - event) ~ 1, data = d))$table
  res$followup <- list(levels = levs, median = na2null(rt[, "median"]),
                       lcl = na2null(rt[, "0.95LCL"]), ucl = na2null(rt[, "0.95UCL"]),
                       overall = na2null(r1["median"]))
  out[[cfg$name]] <- res
}

# ---------------------------------------------------------------- exact Cox fits (cox_exact)
# Numeric designs for analysis/cox_exact.py (tests/test_cox_exact.py). A term is a numeric
# column, or "column==level" (indicator). Every model is fitted twice: converged tightly
# (eps = 1e-12, toler.chol = 1e-15, iter.max = 100: the values the tests compare with) and
# with R's default control (what a user sees; iterations, for information). robust = FALSE:
# with non-integer case weights R would otherwise report the robust (sandwich) variance.
# sim_cox.csv is written by Python (tests/r_reference/make_sim_cox.py): 10,000 rows, whole-day
# times, 3 strata, case weights.
xcases <- list(
  list(name = "aml_x", file = "aml.csv", time = "time", event = "status",
       terms = c("x==Nonmaintained")),
  list(name = "aml_x_breslow", file = "aml.csv", time = "time", event = "status",
       terms = c("x==Nonmaintained"), ties = "breslow"),
  list(name = "ovarian_rx", file = "ovarian.csv", time = "futime", event = "fustat",
       terms = c("rx==B")),
  list(name = "ovarian_rx_age", file = "ovarian.csv", time = "futime", event = "fustat",
       terms = c("rx==B", "age")),
  list(name = "ovarian_rx_age_ecog", file = "ovarian.csv", time = "futime", event = "fustat",
       terms = c("rx==B", "age", "ecog_ps")),
  list(name = "ovarian_rx_age_breslow", file = "ovarian.csv", time = "futime",
       event = "fustat", terms = c("rx==B", "age"), ties = "breslow"),
  list(name = "ovarian_rx_strat", file = "ovarian.csv", time = "futime", event = "fustat",
       terms = c("rx==B"), strata = "resid_ds"),
  list(name = "ovarian_rx_age_strat", file = "ovarian.csv", time = "futime", event = "fustat",
       terms = c("rx==B", "age"), strata = "resid_ds"),
  list(name = "veteran_trt", file = "veteran_tied.csv", time = "months", event = "status",
       terms = c("trt==test")),
  list(name = "veteran_trt_karno_age", file = "veteran_tied.csv", time = "months",
       event = "status", terms = c("trt==test", "karno", "age")),
  list(name = "veteran_trt_karno_age_prior", file = "veteran_tied.csv", time = "months",
       event = "status", terms = c("trt==test", "karno", "age", "prior")),
  list(name = "veteran_trt_karno_age_breslow", file = "veteran_tied.csv", time = "months",
       event = "status", terms = c("trt==test", "karno", "age"), ties = "breslow"),
  list(name = "veteran_trt_strat", file = "veteran_tied.csv", time = "months",
       event = "status", terms = c("trt==test"), strata = "celltype"),
  list(name = "veteran_trt_karno_strat", file = "veteran_tied.csv", time = "months",
       event = "status", terms = c("trt==test", "karno"), strata = "celltype"),
  list(name = "veteran_trt_strat_breslow", file = "veteran_tied.csv", time = "months",
       event = "status", terms = c("trt==test"), strata = "celltype", ties = "breslow"),
  list(name = "rossi_fin_age_prio", file = "rossi.csv", time = "week", event = "arrest",
       terms = c("fin", "age", "prio")),
  list(name = "rossi_fin_age_prio_wexp", file = "rossi.csv", time = "week", event = "arrest",
       terms = c("fin", "age", "prio", "wexp")),
  list(name = "rossi_fin_age_prio_wexp_breslow", file = "rossi.csv", time = "week",
       event = "arrest", terms = c("fin", "age", "prio", "wexp"), ties = "breslow"),
  list(name = "rossi_fin_age_prio_strat", file = "rossi.csv", time = "week", event = "arrest",
       terms = c("fin", "age", "prio"), strata = "wexp"),
  list(name = "walkback_seed1_adj_strat", file = "walkback_seed1.csv", time = "time_days",
       event = "recurrence", terms = c("arm==intervention", "age_years", "sex==male"),
       strata = "stratum"),
  list(name = "sim_cox", file = "sim_cox.csv", time = "time", event = "status",
       terms = c("arm", "age", "prio")),
  list(name = "sim_cox_strat", file = "sim_cox.csv", time = "time", event = "status",
       terms = c("arm", "age", "prio"), strata = "stratum"),
  list(name = "sim_cox_strat_breslow", file = "sim_cox.csv", time = "time", event = "status",
       terms = c("arm", "age", "prio"), strata = "stratum", ties = "breslow"),
  list(name = "sim_cox_strat_weighted", file = "sim_cox.csv", time = "time",
       event = "status", terms = c("arm", "age", "prio"), strata = "stratum", weights = "w")
)
xfit <- function(d, cs, control) {
  X <- sapply(cs$terms, function(tm) {
    if (grepl("==", tm, fixed = TRUE)) {
      pr <- strsplit(tm, "==", fixed = TRUE)[[1]]
      as.numeric(as.character(d[[pr[1]]]) == pr[2])
    } else as.numeric(d[[tm]])
  })
  X <- matrix(X, nrow = nrow(d))
  time <- as.numeric(d[[cs$time]]); event <- as.integer(d[[cs$event]])
  ties <- if (is.null(cs$ties)) "efron" else cs$ties
  w <- if (is.null(cs$weights)) NULL else as.numeric(d[[cs$weights]])
  if (is.null(cs$strata)) {
    fit <- coxph(Surv(time, event) ~ X, ties = ties, weights = w,
                 robust = FALSE, control = control)
  } else {
    s <- as.character(d[[cs$strata]])
    fit <- coxph(Surv(time, event) ~ X + strata(s), ties = ties, weights = w,
                 robust = FALSE, control = control)
  }
  fit
}
xout <- list()
for (cs in xcases) {
  d <- read.csv(file.path(datadir, cs$file), stringsAsFactors = FALSE)
  f <- xfit(d, cs, coxph.control(eps = 1e-12, toler.chol = 1e-15, iter.max = 100))
  f0 <- xfit(d, cs, coxph.control())
  xout[[cs$name]] <- list(
    file = cs$file, time = cs$time, event = cs$event, terms = as.list(cs$terms),
    strata = cs$strata, weights = cs$weights,
    ties = if (is.null(cs$ties)) "efron" else cs$ties,
    coef = as.numeric(coef(f)), se = as.numeric(sqrt(diag(f$var))),
    var = unname(f$var), loglik = as.numeric(f$loglik), iter = f$iter,
    score = as.numeric(f$score), wald = as.numeric(f$wald.test),
    lr = 2 * diff(as.numeric(f$loglik)), n = f$n, nevent = f$nevent,
    default = list(coef = as.numeric(coef(f0)), se = as.numeric(sqrt(diag(f0$var))),
                   loglik = as.numeric(f0$loglik), iter = f0$iter))
}

writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE),
           file.path(here, "reference.json"))
cat("wrote", file.path(here, "reference.json"), "\n")
# a file of its own: tests/test_estimate.py takes every key of reference.json as a data set
writeLines(toJSON(list(meta = out$meta, cox_exact = xout), auto_unbox = TRUE, digits = NA,
                  null = "null", pretty = TRUE),
           file.path(here, "cox_exact.json"))
cat("wrote", file.path(here, "cox_exact.json"), "\n")
