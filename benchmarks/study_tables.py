"""The README's study tables, printed from the saved results of `artifact_study.py` (mean ± sd over seeds).

    python benchmarks/study_tables.py [--basal controls]
"""
import argparse
from pathlib import Path

import pandas as pd

RESULTS = Path(__file__).parent / "results"
COLUMNS = [("generated", "paper_qc_pass_rate_k3", "paper QC pass k=3"), ("generated", "qc_pass_rate_k3", "our QC pass k=3"),
           ("test", "basal_qc_probe_auroc", "QC probe on z (AUROC)"),
           ("corrected-failing", "qc_pass_rate_k3", "failing cells pass after correction"),
           ("test", "pearson_delta", "test pearson_delta"), ("test", "mse_top20", "test mse_top20"),
           ("test", "energy_distance", "test energy distance")]
REFERENCES = ["additive", "no-change", "ceiling"]


def cell(values: pd.Series) -> str:
    if values.empty or values.isna().all():
        return ""
    return f"{values.mean():.3f}" + (f" ± {values.std():.3f}" if values.nunique() > 1 else "")


def table(results: pd.DataFrame, basal: str) -> str:
    rows = results[results["basal"] == basal]
    runs = rows.groupby("variant").agg(seeds=("seed", "nunique"), epochs=("epochs", "mean"), best=("best_epoch", "mean"))
    pick = lambda model, split, metric: rows[(rows["model"] == model) & (rows["split"] == split) & (rows["metric"] == metric)]["value"]
    lines = ["| model | " + " | ".join(label for *_, label in COLUMNS) + " | seeds, epochs (best) |",
             "|---" * (len(COLUMNS) + 2) + "|"]
    real = ["| real cells | " + " | ".join(cell(pick("data", "real", m)) if s == "generated" else "" for s, m, _ in COLUMNS) + " |  |"]
    order = ["sams-vae"] + sorted(v for v in runs.index if v != "sams-vae" and v != "cradle-vae") + ["cradle-vae"]
    for variant in [v for v in order if v in runs.index]:
        r = runs.loc[variant]
        lines.append(f"| {variant} | " + " | ".join(cell(pick(variant, s, m)) for s, m, _ in COLUMNS)
                     + f" | {int(r.seeds)}, {r.epochs:.0f} ({r.best:.0f}) |")
    for ref in REFERENCES:
        lines.append(f"| {ref} | " + " | ".join(cell(pick(ref, s, m)) for s, m, _ in COLUMNS) + " |  |")
    return "\n".join(lines[:2] + real + lines[2:])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--basal", default="controls", choices=["controls", "prior"])
    args = parser.parse_args()
    for name in ("simulated", "papalexi"):
        path = RESULTS / f"artifact_study_{name}.csv"
        if path.exists():
            print(f"{name}:\n{table(pd.read_csv(path), args.basal)}\n")
