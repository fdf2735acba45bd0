"""WalkBack Explorer: simulate, analyse and explore the WalkBack trial (Lancet 2024)."""
from .errors import CohortFileError, ScenarioError, WalkBackInputError
from .trial.scenario import Adherence, Design, DoseResponse, Outcome, Scenario, Walking, scenario_from_dict, scenario_from_json, with_changes
from .simulate.engine import simulate_trial, scenario_for_size

__all__ = [
    "Adherence", "Design", "DoseResponse", "Outcome", "Scenario", "Walking",
    "scenario_from_dict", "scenario_from_json", "with_changes",
    "simulate_trial", "scenario_for_size",
    "WalkBackInputError", "ScenarioError", "CohortFileError",
]
