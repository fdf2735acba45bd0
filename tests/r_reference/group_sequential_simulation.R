# Reference values for tests/test_sequential.py: rpact's simulation (getSimulationSurvival) and analytic
# power (getPowerSurvival) of group-sequential survival designs on exponential proportional-hazards trials.
#
# Run from the repository root (R 4.2, Debian's r-cran-rpact 3.3.4):
#     Rscript tests/r_reference/group_sequential_simulation.R
# Writes tests/r_reference/group_sequential_simulation.json. The tests read the JSON only; one slow test
# reruns this script and checks R still writes the same numbers (rpact's simulation is seeded).
#
# The trial, in days (the Python test builds the same Scenario): 701 participants 1:1, uniform accrual over
# 720 days, control hazard 1/600 per day (exponential), hazard ratio 0.7 (or 1 for H0), loss to follow-up
# 5% a year (exponential: dropoutRate 0.05 at dropoutTime 365.25 days), follow-up until the planned events.
# Looks at 100, 200 and 300 events; one-sided alpha 0.025, log-rank test in the direction of benefit
# (directionUpper = FALSE: HR < 1 is good). What the Python simulation must reproduce within 4 Monte Carlo
# SEs: overallReject, rejectPerStage, futilityPerStage (simulated and analytic) and the analysis times.
suppressPackageStartupMessages(library(rpact))
library(jsonlite)

iterations <- 20000L
events <- c(100, 200, 300)
trial <- list(n = 701, accrual_days = 720, lambda_control = 1 / 600, annual_loss = 0.05, events = events)

designs <- list(
  asOF_futility0 = getDesignGroupSequential(kMax = 3, alpha = 0.025, typeOfDesign = "asOF",
                                            futilityBounds = c(0, 0), bindingFutility = FALSE),
  asP = getDesignGroupSequential(kMax = 3, alpha = 0.025, typeOfDesign = "asP")
)

out <- list(trial = trial, iterations = iterations, rpact_version = as.character(packageVersion("rpact")),
            designs = list())
for (name in names(designs)) {
  d <- designs[[name]]
  entry <- list(efficacy_z = as.numeric(d$criticalValues),
                futility_z = c(as.numeric(d$futilityBounds), NA), hypotheses = list())
  for (hr in c(0.7, 1.0)) {
    args <- list(design = d, hazardRatio = hr, lambda2 = trial$lambda_control,
                 accrualTime = c(0, trial$accrual_days), maxNumberOfSubjects = trial$n,
                 dropoutRate1 = trial$annual_loss, dropoutRate2 = trial$annual_loss, dropoutTime = 365.25,
                 directionUpper = FALSE)
    sim <- do.call(getSimulationSurvival, c(args, list(plannedEvents = events,
                                                        maxNumberOfIterations = iterations, seed = 20261205)))
    h <- list(hazard_ratio = hr,
              simulated = list(overall_reject = sim$overallReject,
                               reject_per_stage = as.numeric(sim$rejectPerStage),
                               futility_per_stage = as.numeric(sim$futilityPerStage),
                               analysis_time = as.numeric(sim$analysisTime),
                               expected_events = sim$expectedNumberOfEvents,
                               expected_subjects = sim$expectedNumberOfSubjects,
                               study_duration = sim$studyDuration))
    if (hr != 1) {  # getPowerSurvival needs an effect
      pw <- do.call(getPowerSurvival, c(args, list(maxNumberOfEvents = max(events))))
      h$analytic <- list(overall_reject = pw$overallReject,
                         reject_per_stage = as.numeric(pw$rejectPerStage),
                         futility_per_stage = as.numeric(pw$futilityPerStage),
                         analysis_time = as.numeric(pw$analysisTime),
                         expected_events = as.numeric(pw$expectedNumberOfEvents))
    }
    entry$hypotheses[[sprintf("hr_%g", hr)]] <- h
  }
  out$designs[[name]] <- entry
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"),
           "tests/r_reference/group_sequential_simulation.json")
