"""`walkback cea`: ICER, probabilities at each threshold, the curve, exports; one-line errors, exit 2."""

import json

import pandas as pd
import pytest

from analysis.cli import main
from analysis.model.costs import COST_TABLE_COLUMNS


def test_json_has_the_published_threshold_and_the_requested_ones(capsys):
    assert main(["cea", "--bootstrap", "400", "--wtp", "10000", "50000", "--seed", "1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["bootstrap"] == 400 and data["trial_seed"] == 1 and data["bootstrap_seed"] == 20240619
    assert [row["wtp"] for row in data["thresholds"]] == [10000, 28000, 50000]
    probs = [row["probability"] for row in data["thresholds"]]
    assert probs == sorted(probs)  # the acceptability curve of an NE result rises with the threshold
    assert data["published"] == {"icer_aud_per_qaly": 7802, "prob_cost_effective": 0.94, "wtp": 28000}
    assert data["statement"] and data["episodes"] == "episode_engine"
    assert len(data["acceptability"]) >= 101


def test_text_output_is_reproducible_and_exports_the_cost_table(capsys, tmp_path):
    out = tmp_path / "costs.csv"
    assert main(["cea", "--bootstrap", "300", "--seed", "2", "--out", str(out)]) == 0
    first = capsys.readouterr().out
    assert "ICER:" in first and "AU$28,000" in first and "Acceptability curve" in first and "simulated episodes" in first
    assert main(["cea", "--bootstrap", "300", "--seed", "2"]) == 0
    assert capsys.readouterr().out == first.split("\n\nwrote ")[0] + "\n"
    table = pd.read_csv(out)
    assert list(table.columns) == list(COST_TABLE_COLUMNS) and len(table) == 701
    dictionary = json.loads((tmp_path / "costs.dictionary.json").read_text())
    assert dictionary["columns"] == COST_TABLE_COLUMNS and "overlapping episodes merged" in dictionary["episodes"]


def test_economics_section_of_a_scenario_file_changes_the_costs(capsys, tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"economics": {"sessions": 3}}))
    assert main(["cea", "--scenario", str(path), "--bootstrap", "50", "--json"]) == 0
    cheap = json.loads(capsys.readouterr().out)
    assert cheap["economics"]["sessions"] == 3
    assert main(["cea", "--bootstrap", "50", "--json"]) == 0
    default = json.loads(capsys.readouterr().out)
    # same trial and episodes: only the sessions' cost moves, in the intervention arm only
    assert cheap["mean_cost"]["intervention"] < default["mean_cost"]["intervention"]
    assert cheap["mean_cost"]["control"] == default["mean_cost"]["control"]
    path.write_text(json.dumps({"adherence": {"never_start": 0.9}}))
    assert main(["cea", "--scenario", str(path), "--bootstrap", "50", "--json"]) == 0
    few_start = json.loads(capsys.readouterr().out)
    # the scenario section is read too: with 90% never starting, far fewer sessions are paid for
    assert few_start["mean_cost"]["intervention"] != default["mean_cost"]["intervention"]


def _exit_code(argv):
    try:
        return main(argv)
    except SystemExit as exc:  # argparse's own one-line errors
        return exc.code


@pytest.mark.parametrize("args, message", [
    (["--bootstrap", "0"], "at least 1"),
    (["--bootstrap", "2000000"], "between 1 and"),
    (["--wtp", "abc"], "not a number"),
    (["--wtp", "-5"], "at least 0"),
    (["--out", "x.txt"], "must end in .csv"),
    (["--out", "/no/such/dir/x.csv"], "does not exist"),
    (["--scenario", "/no/such.json"], "does not exist"),
])
def test_bad_input_is_one_line_and_exit_2(args, message, capsys):
    assert _exit_code(["cea", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err


def test_bad_economics_in_scenario_file(tmp_path, capsys):
    path = tmp_path / "s.json"
    for economics, message in (({"session_price": -1}, "session_price"), ({"sesions": 1}, "unknown field"),
                               ({"sessions": "six"}, "whole number"), ("x", "object")):
        path.write_text(json.dumps({"economics": economics}))
        assert main(["cea", "--scenario", str(path)]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
