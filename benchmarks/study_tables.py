"""The artifact study's tables, printed as markdown from the saved results of `artifact_study.py`: the same
`cradle_nb.study.study_table` the chapter 20_artifacts shows (mean ± sd over seeds), and the runs per variant; then
the claims with the defaults from `artifact_claims.py` (`cradle_nb.study.claims_table`), one table per screen.

    python benchmarks/study_tables.py [--basal controls]
"""
import argparse
from pathlib import Path

import pandas as pd

from cradle_nb.study import claims_table, runs_of, study_table

RESULTS = Path(__file__).parent / "results"


def markdown(table: pd.DataFrame) -> str:
    "A DataFrame as a markdown table, its index as the first column."
    header = [table.index.name or ""] + [str(c) for c in table.columns]
    rows = [[str(i)] + [str(v) for v in row] for i, row in zip(table.index, table.to_numpy())]
    return "\n".join("| " + " | ".join(r) + " |" for r in [header, ["---"] * len(header)] + rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--basal", default="controls", choices=["controls", "prior"])
    args = parser.parse_args()
    for name in ("simulated", "papalexi"):
        path = RESULTS / f"artifact_study_{name}.csv"
        if path.exists():
            results = pd.read_csv(path)
            print(f"{name}:\n{markdown(study_table(results, args.basal))}\n\n{markdown(runs_of(results))}\n")
    claims = RESULTS / "artifact_claims.csv"
    if claims.exists():
        table = claims_table(pd.read_csv(claims))
        for dataset in table.index.get_level_values("dataset").unique():
            print(f"claims with the defaults, {dataset}:\n{markdown(table.loc[dataset].T)}\n")
