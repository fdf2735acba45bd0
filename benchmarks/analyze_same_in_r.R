# What `walkback analyze FILE --json` computes, in base R + survival (no data.table):
# Kaplan-Meier per arm with log-log CIs (medians, landmarks), log-rank, Cox (Efron) with its
# cox.zph check, RMST to the default tau, reverse-KM median follow-up, and the risk table.
# Usage: Rscript benchmarks/analyze_same_in_r.R FILE.csv   (prints a few numbers to compare)
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
d$arm <- factor(d$arm, levels = c("control", "intervention"))
fit <- survfit(Surv(time_days, recurrence) ~ arm, data = d, conf.type = "log-log")
tau <- min(tapply(d$time_days, d$arm, max))
tab <- summary(fit, rmean = tau)$table
lm <- summary(fit, times = c(182.625, 365.25, 730.5), extend = FALSE)
risk <- summary(fit, times = 182.625 * 0:6, extend = TRUE)
lr <- survdiff(Surv(time_days, recurrence) ~ arm, data = d)
cx <- coxph(Surv(time_days, recurrence) ~ arm, data = d, ties = "efron")
zph <- cox.zph(cx)
fu <- survfit(Surv(time_days, 1 - recurrence) ~ arm, data = d)
fu_tab <- summary(fu)$table
cat(sprintf("median %.6f %.6f\nlogrank %.6f\nhr %.10f\nrmst %.6f %.6f\nzph %.6f\n",
            tab[1, "median"], tab[2, "median"], lr$chisq, exp(coef(cx)), tab[1, "rmean"], tab[2, "rmean"],
            zph$table["GLOBAL", "chisq"]))
