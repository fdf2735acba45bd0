# Reference values for tests/test_recurrent.py (issue 10: episodes, secondary outcomes, harms), computed
# with R's survival and MASS packages.
#
# Run from the repository root:
#     Rscript tests/r_reference/make_episodes_reference.R
# Reads analysis/data/example_cohort.csv (participants; the default scenario, seed 1, whole days),
# tests/r_reference/data/episodes_seed1.csv (its episodes: simulate_episodes(default_scenario(), seed=1)),
# and a whole-day version with heavy ties (episodes_tied.csv, episodes_tied_people.csv: onset and
# follow-up rounded up to whole days, duplicate days within a participant dropped), and writes
# tests/r_reference/episodes.json. The counting-process data are built here independently of Python.
#
# Calls whose results are stored:
#   per endpoint (primary, any, care; recovery among participants with a first recurrence):
#     coxph(Surv(time, event) ~ arm, ties = "efron"), survdiff(...)$chisq, survfit(...) medians
#   survfit(Surv(start, stop, event) ~ arm, data = cp, id = id)  -> time, cumhaz, std.chaz per arm (MCF)
#   coxph(Surv(start, stop, event) ~ arm + cluster(id), data = cp, ties = "efron")
#                                                                -> coef, sqrt(naive.var), sqrt(var)
#   glm.nb(n_episodes ~ arm + offset(log(followup_days)))        -> coef, se, theta
#   fisher.test(table(arm == "intervention", adverse_event_12m)) -> estimate, conf.int, p.value
#   t.test(worst_pain_first ~ arm, var.equal = TRUE)             -> intervention - control, CI, p
suppressPackageStartupMessages({library(survival); library(MASS); library(jsonlite)})

people <- read.csv("analysis/data/example_cohort.csv", stringsAsFactors = FALSE)
people$arm <- factor(people$arm, levels = c("control", "intervention"))
episodes <- read.csv("tests/r_reference/data/episodes_seed1.csv", stringsAsFactors = FALSE)

counting <- function(people, episodes) {
  rows <- lapply(seq_len(nrow(people)), function(i) {
    id <- people$participant_id[i]
    t <- sort(unique(episodes$onset_day[episodes$participant_id == id]))  # whole days: a day with two onsets counts once
    fu <- people$followup_days[i]
    start <- c(0, t); stop <- c(t, fu); event <- c(rep(1, length(t)), 0)
    keep <- stop > start | event == 1
    keep[length(keep)] <- fu > start[length(start)]
    data.frame(id = id, arm = people$arm[i], start = start[keep], stop = stop[keep], event = event[keep])
  })
  do.call(rbind, rows)
}

recurrent <- function(people, episodes) {
  cp <- counting(people, episodes)
  mcf <- survfit(Surv(start, stop, event) ~ arm, data = cp, id = id)
  strata <- rep(c("control", "intervention"), mcf$strata)
  keep <- mcf$n.event > 0
  ag <- coxph(Surv(start, stop, event) ~ arm + cluster(id), data = cp, ties = "efron")
  list(
    n_rows = nrow(cp),
    mcf = list(arm = strata[keep], time = mcf$time[keep], cumhaz = mcf$cumhaz[keep], std_chaz = mcf$std.chaz[keep],
               n_risk = mcf$n.risk[keep], n_event = mcf$n.event[keep]),
    andersen_gill = list(coef = unname(coef(ag)), se_model = sqrt(ag$naive.var[1, 1]), se_robust = sqrt(ag$var[1, 1]))
  )
}

endpoint <- function(d, time, event) {
  f <- as.formula(paste0("Surv(", time, ", ", event, ") ~ arm"))
  cox <- coxph(f, data = d, ties = "efron")
  km <- survfit(f, data = d, conf.type = "log-log")
  list(coef = unname(coef(cox)), se = sqrt(cox$var[1, 1]), logrank_chisq = survdiff(f, data = d)$chisq,
       median = unname(summary(km)$table[, "median"]), events = unname(summary(km)$table[, "events"]))
}

# fisher.test's conditional MLE and CI come from uniroot at its default tolerance (about 1.2e-4), too
# loose for a 1e-6 comparison: the same computation as fisher.test's code, with tol = 1e-13.
fisher_tight <- function(x, conf.level = 0.95, tol = 1e-13) {
  m <- sum(x[, 1L]); n <- sum(x[, 2L]); k <- sum(x[1L, ]); x11 <- x[1L, 1L]
  lo <- max(0L, k - n); hi <- min(k, m); support <- lo:hi
  logdc <- dhyper(support, m, n, k, log = TRUE)
  dnhyper <- function(ncp) { d <- logdc + log(ncp) * support; d <- exp(d - max(d)); d / sum(d) }
  mnhyper <- function(ncp) { if (ncp == 0) return(lo); if (ncp == Inf) return(hi); sum(support * dnhyper(ncp)) }
  pnhyper <- function(q, ncp, upper.tail = FALSE) {
    if (ncp == 0) return(as.numeric(if (upper.tail) q <= lo else q >= lo))
    if (ncp == Inf) return(as.numeric(if (upper.tail) q <= hi else q >= hi))
    if (upper.tail) sum(dnhyper(ncp)[support >= q]) else sum(dnhyper(ncp)[support <= q])
  }
  mu <- mnhyper(1)
  est <- if (mu > x11) uniroot(function(t) mnhyper(t) - x11, c(0, 1), tol = tol)$root else
    1 / uniroot(function(t) mnhyper(1 / t) - x11, c(.Machine$double.eps, 1), tol = tol)$root
  alpha <- (1 - conf.level) / 2
  upper <- { p <- pnhyper(x11, 1); if (p < alpha) uniroot(function(t) pnhyper(x11, t) - alpha, c(0, 1), tol = tol)$root
             else 1 / uniroot(function(t) pnhyper(x11, 1 / t) - alpha, c(.Machine$double.eps, 1), tol = tol)$root }
  lower <- { p <- pnhyper(x11, 1, upper.tail = TRUE); if (p > alpha) uniroot(function(t) pnhyper(x11, t, upper.tail = TRUE) - alpha, c(0, 1), tol = tol)$root
             else 1 / uniroot(function(t) pnhyper(x11, 1 / t, upper.tail = TRUE) - alpha, c(.Machine$double.eps, 1), tol = tol)$root }
  list(odds_ratio = est, ci = c(lower, upper))
}

nb <- glm.nb(n_episodes ~ arm + offset(log(followup_days)), data = people)
fisher <- fisher.test(table(people$arm == "intervention", people$adverse_event_12m))
pain <- t.test(worst_pain_first ~ arm, data = people[!is.na(people$worst_pain_first), ], var.equal = TRUE)

tied_people <- read.csv("tests/r_reference/data/episodes_tied_people.csv", stringsAsFactors = FALSE)
tied_people$arm <- factor(tied_people$arm, levels = c("control", "intervention"))
tied <- read.csv("tests/r_reference/data/episodes_tied.csv")

out <- list(
  about = "Made by tests/r_reference/make_episodes_reference.R",
  r_version = R.version.string,
  survival_version = as.character(packageVersion("survival")),
  mass_version = as.character(packageVersion("MASS")),
  endpoints = list(
    primary = endpoint(people, "time_days", "recurrence"),
    any = endpoint(people, "time_any_days", "recurrence_any"),
    care = endpoint(people, "time_care_days", "recurrence_care"),
    recovery = endpoint(people[people$recurrence_any == 1, ], "recovery_days_first", "recovered_first")
  ),
  recurrent = recurrent(people, episodes),
  recurrent_tied = recurrent(tied_people, tied),
  negative_binomial = list(coef = unname(coef(nb)[2]), se = unname(sqrt(diag(vcov(nb)))[2]),
                           intercept = unname(coef(nb)[1]), theta = nb$theta),
  fisher = list(odds_ratio = unname(fisher$estimate), ci = as.numeric(fisher$conf.int), p = fisher$p.value),
  fisher_tight = fisher_tight(table(people$arm == "intervention", people$adverse_event_12m)),
  worst_pain = list(difference = unname(pain$estimate[2] - pain$estimate[1]), ci = -rev(as.numeric(pain$conf.int)),
                    p = pain$p.value)
)
write_json(out, "tests/r_reference/episodes.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
