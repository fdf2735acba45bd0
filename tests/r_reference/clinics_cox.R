# Cluster-robust Cox reference numbers for tests/test_cox_cluster.py (the tests read the JSON; R is not needed).
# Run from the repository root:  Rscript tests/r_reference/clinics_cox.R
# Writes tests/r_reference/data/clinics_cox.csv (simulated: 25 clinics of unequal size, a shared
# clinic frailty, whole-day times so events tie) and tests/r_reference/clinics_cox.json.
suppressPackageStartupMessages(library(survival))
set.seed(20240704)
n <- 400
clinic <- sample(1:25, n, replace = TRUE, prob = rgamma(25, shape = 2))
frailty <- rnorm(25, sd = 0.4)[clinic]
arm <- rbinom(n, 1, 0.5)
history <- rbinom(n, 1, 0.8)
age <- round(rnorm(n, 54, 12))
latent <- rweibull(n, shape = 0.6, scale = 250 / exp((-0.33 * arm + 0.26 * history + frailty) / 0.6))
censor <- runif(n, 100, 1000)
time <- floor(pmin(latent, censor)) + 1
status <- as.integer(latent <= censor)
d <- data.frame(time = time, status = status, arm = ifelse(arm == 1, "intervention", "control"),
                history = history, age = age, clinic = sprintf("clinic%02d", clinic))
dir.create("tests/r_reference/data", showWarnings = FALSE)
write.csv(d, "tests/r_reference/data/clinics_cox.csv", row.names = FALSE, quote = FALSE)
d <- read.csv("tests/r_reference/data/clinics_cox.csv")
d$x <- as.integer(d$arm == "intervention")
ctl <- coxph.control(eps = 1e-12, toler.chol = 1e-15, iter.max = 100)
one <- function(formula, ties) {
  f <- coxph(formula, data = d, ties = ties, control = ctl)
  list(coef = unname(coef(f)), se = unname(sqrt(diag(f$naive.var))), robust_se = unname(sqrt(diag(f$var))),
       robust_var = unname(as.vector(f$var)), n_clusters = length(unique(d$clinic)),
       call = paste(deparse(formula), "ties =", ties))
}
out <- list(
  efron = one(Surv(time, status) ~ x + cluster(clinic), "efron"),
  efron_strata = one(Surv(time, status) ~ x + strata(history) + cluster(clinic), "efron"),
  breslow = one(Surv(time, status) ~ x + cluster(clinic), "breslow"),
  breslow_strata = one(Surv(time, status) ~ x + strata(history) + cluster(clinic), "breslow"),
  efron_age = one(Surv(time, status) ~ x + age + cluster(clinic), "efron"),
  meta = list(r = R.version.string, survival = as.character(packageVersion("survival")),
              ties_in_data = sum(duplicated(d$time[d$status == 1])))
)
writeLines(jsonlite::toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "tests/r_reference/clinics_cox.json")
