# Group-sequential boundaries and survival sample sizes from rpact, the reference for analysis.design.
#
#   Rscript tests/r_reference/make_design_reference.R [out.json]   (default: tests/r_reference/design_reference.json)
#
# Each design is getDesignGroupSequential(...) with the arguments listed under "args" (rpact's names), its
# getDesignCharacteristics(...), and for the survival cases getSampleSizeSurvival(...) / getPowerSurvival(...).
suppressPackageStartupMessages({library(rpact); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "tests/r_reference/design_reference.json"

designs <- list(
  list(name = "OF_K2", args = list(kMax = 2, typeOfDesign = "OF")),
  list(name = "OF_K4_unequal", args = list(informationRates = c(0.2, 0.45, 0.7, 1), typeOfDesign = "OF")),
  list(name = "P_K3", args = list(kMax = 3, typeOfDesign = "P")),
  list(name = "P_K5_two_sided", args = list(kMax = 5, typeOfDesign = "P", alpha = 0.05, sided = 2)),
  list(name = "WT_K3_delta025", args = list(kMax = 3, typeOfDesign = "WT", deltaWT = 0.25)),
  list(name = "WT_K6_unequal", args = list(informationRates = c(0.1, 0.25, 0.4, 0.6, 0.8, 1), typeOfDesign = "WT",
                                           deltaWT = 0.1, beta = 0.1)),
  list(name = "asOF_K2", args = list(kMax = 2, typeOfDesign = "asOF")),
  list(name = "asOF_K3", args = list(kMax = 3, typeOfDesign = "asOF")),
  list(name = "asOF_K5_unequal", args = list(informationRates = c(0.15, 0.3, 0.5, 0.75, 1), typeOfDesign = "asOF")),
  list(name = "asOF_K4_two_sided", args = list(kMax = 4, typeOfDesign = "asOF", alpha = 0.05, sided = 2, beta = 0.1)),
  list(name = "asP_K4", args = list(kMax = 4, typeOfDesign = "asP")),
  list(name = "asP_K6_alpha05", args = list(kMax = 6, typeOfDesign = "asP", alpha = 0.05)),
  list(name = "asKD_K3_gamma2", args = list(kMax = 3, typeOfDesign = "asKD", gammaA = 2)),
  list(name = "asKD_K5_gamma3_unequal", args = list(informationRates = c(0.3, 0.5, 0.6, 0.8, 1), typeOfDesign = "asKD",
                                                    gammaA = 3)),
  list(name = "asHSD_K3_gamma_m4", args = list(kMax = 3, typeOfDesign = "asHSD", gammaA = -4)),
  list(name = "asHSD_K4_gamma0", args = list(kMax = 4, typeOfDesign = "asHSD", gammaA = 0)),
  list(name = "asHSD_K2_gamma1_two_sided", args = list(kMax = 2, typeOfDesign = "asHSD", gammaA = 1, alpha = 0.05,
                                                       sided = 2)),
  list(name = "asOF_bsOF_K3_nonbinding", args = list(kMax = 3, typeOfDesign = "asOF", typeBetaSpending = "bsOF")),
  list(name = "asOF_bsOF_K3_binding", args = list(kMax = 3, typeOfDesign = "asOF", typeBetaSpending = "bsOF",
                                                  bindingFutility = TRUE)),
  list(name = "asP_bsP_K4_nonbinding", args = list(kMax = 4, typeOfDesign = "asP", typeBetaSpending = "bsP")),
  list(name = "asKD_bsKD_K3_binding_unequal", args = list(informationRates = c(0.4, 0.7, 1), typeOfDesign = "asKD",
                                                          gammaA = 3, typeBetaSpending = "bsKD", gammaB = 2,
                                                          bindingFutility = TRUE)),
  list(name = "asHSD_bsHSD_K5_nonbinding", args = list(kMax = 5, typeOfDesign = "asHSD", gammaA = -2,
                                                       typeBetaSpending = "bsHSD", gammaB = -2, beta = 0.1)),
  list(name = "asOF_bsP_K2_binding", args = list(kMax = 2, typeOfDesign = "asOF", typeBetaSpending = "bsP",
                                                 bindingFutility = TRUE)),
  # the drift search must not step past the window where futility meets efficacy only at the last look
  list(name = "asP_bsP_K3_binding_alpha01", args = list(informationRates = c(0.5234, 0.8285, 1), typeOfDesign = "asP",
                                                        typeBetaSpending = "bsP", alpha = 0.01,
                                                        bindingFutility = TRUE)),
  list(name = "asP_bsHSD_K3_binding_late", args = list(informationRates = c(0.3892, 0.9563, 1), typeOfDesign = "asP",
                                                       typeBetaSpending = "bsHSD", gammaB = -4.3, alpha = 0.05,
                                                       beta = 0.1, bindingFutility = TRUE)),
  list(name = "asOF_fixed_futility_K3_nonbinding", args = list(kMax = 3, typeOfDesign = "asOF",
                                                              futilityBounds = c(0, 0.5))),
  list(name = "asP_fixed_futility_K3_binding", args = list(kMax = 3, typeOfDesign = "asP", futilityBounds = c(-0.5, 0.5),
                                                          bindingFutility = TRUE)),
  list(name = "OF_fixed_futility_K4_binding", args = list(kMax = 4, typeOfDesign = "OF", futilityBounds = c(-6, 0, 0.5),
                                                         bindingFutility = TRUE)),
  list(name = "WT_fixed_futility_K3_nonbinding", args = list(kMax = 3, typeOfDesign = "WT", deltaWT = 0.3,
                                                            futilityBounds = c(0.2, 0.6)))
)

fix <- function(x) { x[is.infinite(x)] <- NA; x }

design_entry <- function(d) {
  design <- suppressWarnings(do.call(getDesignGroupSequential, d$args))
  ch <- getDesignCharacteristics(design)
  list(name = d$name, args = d$args,
       informationRates = design$informationRates,
       criticalValues = fix(design$criticalValues),
       futilityBounds = if (design$kMax > 1) fix(design$futilityBounds) else NULL,
       alphaSpent = design$alphaSpent, stageLevels = design$stageLevels,
       betaSpent = if (all(is.na(design$betaSpent))) NULL else design$betaSpent,
       shift = ch$shift, inflationFactor = ch$inflationFactor,
       rejectionProbabilities = ch$rejectionProbabilities, futilityProbabilities = ch$futilityProbabilities,
       power = ch$power,
       averageSampleNumber0 = ch$averageSampleNumber0, averageSampleNumber01 = ch$averageSampleNumber01,
       averageSampleNumber1 = ch$averageSampleNumber1)
}

survival <- list(
  list(name = "exp_asOF_K3_dropout", design = list(kMax = 3, typeOfDesign = "asOF"), fn = "sampleSize",
       args = list(lambda2 = log(2) / 12, hazardRatio = 0.7, accrualTime = c(0, 24), followUpTime = 12,
                   dropoutRate1 = 0.05, dropoutRate2 = 0.05, dropoutTime = 12)),
  list(name = "exp_OF_K2_allocation2", design = list(kMax = 2, typeOfDesign = "OF"), fn = "sampleSize",
       args = list(median2 = 18, hazardRatio = 0.75, accrualTime = c(0, 30), followUpTime = 18,
                   allocationRatioPlanned = 2)),
  list(name = "pwexp_asP_K4_bsP", design = list(kMax = 4, typeOfDesign = "asP", typeBetaSpending = "bsP"),
       fn = "sampleSize",
       args = list(piecewiseSurvivalTime = c(0, 6, 12), lambda2 = c(0.06, 0.04, 0.02), hazardRatio = 0.65,
                   accrualTime = c(0, 18), followUpTime = 24, dropoutRate1 = 0.1, dropoutRate2 = 0.1,
                   dropoutTime = 12)),
  list(name = "exp_asKD_K3_maxN", design = list(kMax = 3, typeOfDesign = "asKD", gammaA = 2,
                                                informationRates = c(0.4, 0.7, 1)), fn = "sampleSize",
       args = list(lambda2 = 0.03, hazardRatio = 0.7, accrualTime = c(0, 24), maxNumberOfSubjects = 700,
                   dropoutRate1 = 0.05, dropoutRate2 = 0.05, dropoutTime = 12)),
  list(name = "pwexp_WT_K3_two_sided", design = list(kMax = 3, typeOfDesign = "WT", deltaWT = 0.2, alpha = 0.05,
                                                     sided = 2, beta = 0.1), fn = "sampleSize",
       args = list(piecewiseSurvivalTime = c(0, 12), lambda2 = c(0.04, 0.02), hazardRatio = 0.7,
                   accrualTime = c(0, 24), followUpTime = 24, allocationRatioPlanned = 1.5)),
  list(name = "exp_asOF_K3_piecewise_accrual_relative", design = list(kMax = 3, typeOfDesign = "asOF"),
       fn = "sampleSize",
       args = list(lambda2 = log(2) / 12, hazardRatio = 0.7, accrualTime = c(0, 6, 24), accrualIntensity = c(0.1, 0.3),
                   followUpTime = 12)),
  list(name = "pwexp_asOF_bsOF_K3_piecewise_accrual_absolute",
       design = list(kMax = 3, typeOfDesign = "asOF", typeBetaSpending = "bsOF"), fn = "sampleSize",
       args = list(piecewiseSurvivalTime = c(0, 12), lambda2 = c(0.06, 0.03), hazardRatio = 0.7,
                   accrualTime = c(0, 6, 24), accrualIntensity = c(10, 30), dropoutRate1 = 0.05,
                   dropoutRate2 = 0.05, dropoutTime = 12)),
  list(name = "power_exp_asOF_K3", design = list(kMax = 3, typeOfDesign = "asOF"), fn = "power",
       args = list(lambda2 = log(2) / 20, hazardRatio = 0.72, accrualTime = c(0, 24), maxNumberOfSubjects = 701,
                   maxNumberOfEvents = 300, directionUpper = FALSE, dropoutRate1 = 0.05, dropoutRate2 = 0.05, dropoutTime = 12)),
  list(name = "power_pwexp_asHSD_bsHSD_K4", design = list(kMax = 4, typeOfDesign = "asHSD", gammaA = -4,
                                                         typeBetaSpending = "bsHSD", gammaB = -2), fn = "power",
       args = list(piecewiseSurvivalTime = c(0, 6), lambda2 = c(0.05, 0.025), hazardRatio = 0.75,
                   accrualTime = c(0, 20), maxNumberOfSubjects = 800, maxNumberOfEvents = 350,
                   directionUpper = FALSE))
)

survival_entry <- function(s) {
  design <- suppressWarnings(do.call(getDesignGroupSequential, s$design))
  if (s$fn == "sampleSize") {
    r <- suppressWarnings(do.call(getSampleSizeSurvival, c(list(design = design), s$args)))
    extra <- list(eventsFixed = r$eventsFixed, nFixed = if (length(r$nFixed)) r$nFixed else NULL,
                  expectedEventsH0 = r$expectedEventsH0, expectedEventsH01 = r$expectedEventsH01,
                  expectedEventsH1 = r$expectedEventsH1, maxNumberOfSubjects = r$maxNumberOfSubjects,
                  expectedNumberOfSubjectsH1 = r$expectedNumberOfSubjectsH1)
  } else {
    r <- suppressWarnings(do.call(getPowerSurvival, c(list(design = design), s$args)))
    extra <- list(overallReject = r$overallReject, rejectPerStage = as.vector(r$rejectPerStage),
                  futilityPerStage = if (design$kMax > 1) as.vector(r$futilityPerStage) else NULL,
                  expectedNumberOfEvents = r$expectedNumberOfEvents,
                  expectedNumberOfSubjects = r$expectedNumberOfSubjects)
  }
  c(list(name = s$name, fn = s$fn, design = s$design, args = s$args,
         maxNumberOfEvents = r$maxNumberOfEvents, eventsPerStage = as.vector(r$eventsPerStage),
         analysisTime = as.vector(r$analysisTime), numberOfSubjects = as.vector(r$numberOfSubjects),
         studyDuration = r$studyDuration, followUpTime = r$followUpTime,
         criticalValuesEffectScale = fix(as.vector(if (design$sided == 2) r$criticalValuesEffectScaleLower
                                                   else r$criticalValuesEffectScale))), extra)
}

reference <- list(
  rpact = as.character(packageVersion("rpact")), R = R.version.string,
  designs = lapply(designs, design_entry),
  survival = lapply(survival, survival_entry))
writeLines(toJSON(reference, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null", null = "null"), out)
