# Normal-approximation Bayesian reading of WalkBack's HR 0.72 (0.60 to 0.85), in base R.
# Run from the repository root:  Rscript tests/r_reference/bayes_normal.R   (writes bayes_normal.json)
# Priors on the log HR set by a median HR and P(HR < MID): sd = (log(MID) - log(median)) / qnorm(p).
mid <- 0.85
est <- log(0.72); se <- (log(0.85) - log(0.60)) / (2 * qnorm(0.975))
priors <- list(flat = c(1, NA), sceptical = c(1, 0.05), enthusiastic = c(0.70, 0.80))
out <- list()
for (name in names(priors)) {
  m0 <- log(priors[[name]][1]); q <- priors[[name]][2]
  w0 <- if (is.na(q)) 0 else 1 / ((log(mid) - m0) / qnorm(q))^2
  w1 <- 1 / se^2
  m <- (w0 * m0 + w1 * est) / (w0 + w1); s <- 1 / sqrt(w0 + w1)
  out[[name]] <- list(median_hr = exp(m), lower = exp(m - qnorm(0.975) * s), upper = exp(m + qnorm(0.975) * s),
                      p_hr_below_1 = pnorm(0, m, s), p_hr_below_mid = pnorm(log(mid), m, s))
}
writeLines(jsonlite::toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "tests/r_reference/bayes_normal.json")
