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
