"""The benchmark scripts' shared table writer (rows from runs with other columns land under the right headers) and the
logit-drift tables."""
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from tidy import append_rows  # noqa: E402


def test_append_rows_aligns_columns(tmp_path):
    out = tmp_path / "table.csv"
    append_rows(pd.DataFrame({"seed": [0], "model": ["a"], "pd": [0.9], "pd_interacting": [0.8]}), out)
    append_rows(pd.DataFrame({"model": ["b"], "seed": [1], "pd": [0.7]}), out)          # other order, one fewer
    append_rows(pd.DataFrame({"seed": [2], "model": ["c"], "pd": [0.5], "wall_s": [3.0]}), out)  # one more
    table = pd.read_csv(out)
    assert list(table["model"]) == ["a", "b", "c"]
    assert list(table["seed"]) == [0, 1, 2]
    assert table.loc[1, "pd"] == 0.7 and pd.isna(table.loc[1, "pd_interacting"])
    assert table.loc[2, "wall_s"] == 3.0 and pd.isna(table.loc[0, "wall_s"])


def test_widening_keeps_earlier_rows_as_written(tmp_path):
    out = tmp_path / "table.csv"
    append_rows(pd.DataFrame({"seed": [0], "pd": [0.21066869082083145]}), out)  # the fast parser reads it one ulp off
    before = out.read_text().splitlines()
    append_rows(pd.DataFrame({"seed": [1], "pd": [0.5], "wall_s": [3.0]}), out)
    after = out.read_text().splitlines()
    assert after[1] == before[1] + ","                                          # the earlier row, one empty field more


def test_drift_rows_bin_genes_and_sort_target_shifts():
    from logit_drift import drift_rows
    shifts = pd.DataFrame([[0.5, -1.0, 2.0], [-0.2, 0.1, -0.3]], index=["A", "B"], columns=["g1", "g2", "g3"])
    rows = pd.DataFrame(drift_rows(shifts, np.array([0.0, 0.05, 3.0]), {"A": "g3", "B": "g1"}, ["A+B"])).set_index(["kind", "group"])
    assert rows.loc[("expression", "(-0.001, 0.005]"), "mean"] == (0.5 - 0.2) / 2      # g1, in both perturbations
    assert rows.loc[("expression", "(1.0, inf]"), "n"] == 2
    assert rows.loc[("target", "own"), "mean"] == (2.0 - 0.2) / 2                     # A at g3, B at g1
    assert rows.loc[("target", "partner"), "mean"] == (0.5 - 0.3) / 2                 # A at B's target, B at A's
    assert ("target", "other") not in rows.index                                       # no third perturbation


def test_error_rows_split_the_error_into_a_shared_and_an_own_part():
    from logit_drift import error_rows, pair_share_rows
    genes = ["g1", "g2", "g3"]
    truth = pd.DataFrame([[0.0, 0.0, 1.0], [0.0, 0.5, 0.0], [0.0, 0.5, 1.0]], index=["A", "B", "A+B"], columns=genes)
    shares = pd.DataFrame([[-1.0, 0.0, 3.0], [-3.0, 0.5, -1.0]], index=["A", "B"], columns=genes)
    rows = pd.DataFrame(error_rows(shares, truth, np.array([0.0, 3.0, 3.0]), {"A": "g3", "B": "g2"})).set_index(["kind", "group"])
    rare = rows.loc[("error", "(-0.001, 0.005]")]                  # g1: errors -1 and -3, shared -2, own +1 and -1
    assert rare["mean"] == -2.0 and rare["shared_rms"] == 2.0 and rare["own_rms"] == 1.0
    assert np.isclose(rare["rms"], np.sqrt((1 + 9) / 2)) and rare["truth_rms"] == 0.0
    common = rows.loc[("error", "(1.0, inf]")]                     # g2 (A's error 0) and g3 (B's error -1); own targets left out
    assert common["mean"] == -0.5 and common["n"] == 2
    assert rows.loc[("error", "own target"), "mean"] == (2.0 + 0.0) / 2      # A at g3: 3 - 1; B at g2: 0.5 - 0.5
    assert rows.loc[("error", "other targets"), "mean"] == (0.0 - 1.0) / 2   # A at g2: 0 - 0; B at g3: -1 - 0
    pairs = pd.DataFrame(pair_share_rows(shares, pd.DataFrame([[0.0, 0.2, 1.5]], index=["A+B"], columns=genes), truth,
                                         {"A": "g3", "B": "g2"})).set_index("group")
    assert pairs.loc["A+B:A", ["model_member", "model_pair", "true_member", "true_pair"]].tolist() == [3.0, 1.5, 1.0, 1.0]
    assert pairs.loc["A+B:B", "model_pair"] == 0.2 and pairs.loc["A+B:B", "true_pair"] == 0.5


def test_screen_settings_change_only_the_controls():
    from combinations import screen_settings
    label, settings = screen_settings("shallow")
    assert label == "shallow" and settings["n_cells"] == 3500
    label, more = screen_settings("shallow", controls=1000)
    assert label == "shallow-1000-controls"
    assert more["n_cells"] == 3400 + 1000 and np.isclose(more["control_fraction"] * more["n_cells"], 1000)
    assert {k: v for k, v in more.items() if k not in ("n_cells", "control_fraction")} == \
        {k: v for k, v in settings.items() if k not in ("n_cells", "control_fraction")}
    _, demo = screen_settings("demo", controls=100)                      # the simulator's defaults: 6,000 cells, 15 % controls
    assert demo["n_cells"] == 5100 + 100
