"""How well each QC flag finds the simulated artifacts: per metric flag (the `k`-MAD cut `annotate_qc` makes), the
share of clean cells it flags, the share of artifact cells (damaged cells and doublets, the simulator's `is_artifact`)
it flags, and its precision (artifacts among the flagged cells), averaged over the screens where the metric's MAD
makes a cut at all (`screens_with_a_cut`), on the shallow and demo regimes of the first
simulator and on the knockdown simulator. A flag that flags clean cells as often as artifacts carries no information
about artifacts, only about the cells' own variation (at 130 UMIs, mostly sampling noise).

    python benchmarks/flag_precision.py --seeds 0 1 2 3 4 5
"""
from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from cradle_nb.qc import LOG_SCALE, TAILS, flag_outliers, mad_threshold, screen_qc_metrics
from cradle_nb.simulate import REGIMES, simulate_knockdown_screen, simulate_perturbseq

SCREENS = {"shallow": lambda seed: simulate_perturbseq(**REGIMES["shallow"], seed=seed),
           "demo": lambda seed: simulate_perturbseq(**REGIMES["demo"], seed=seed),
           "knockdown": lambda seed: simulate_knockdown_screen(seed=seed)}


def flag_precision(adata, k: float = 3.0) -> pd.DataFrame:
    "One row per metric flag of a simulated screen: clean cells flagged, artifact cells flagged, precision."
    metrics = screen_qc_metrics(adata)
    artifact = adata.obs["is_artifact"].to_numpy().astype(bool)
    rows = []
    for metric, tail in TAILS.items():
        if metric not in metrics:
            continue
        threshold = mad_threshold(metrics[metric], k, tail, log=metric in LOG_SCALE)
        flagged = flag_outliers(metrics[metric], threshold)
        cut = threshold["threshold"] is not None                   # a MAD of 0 makes no cut (as annotate_qc skips it)
        rows.append({"metric": metric, "screens_with_a_cut": int(cut),
                     "clean_flagged": flagged[~artifact].mean() if cut else np.nan,
                     "artifacts_flagged": flagged[artifact].mean() if cut else np.nan,
                     "precision": (flagged & artifact).sum() / max(flagged.sum(), 1) if cut else np.nan,
                     "artifact_share": artifact.mean(), "median_umis": float(np.median(metrics["total_counts"]))})
    return pd.DataFrame(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--screens", nargs="+", default=list(SCREENS), choices=list(SCREENS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--k", type=float, default=3.0)
    args = parser.parse_args(argv)
    table = pd.concat([flag_precision(SCREENS[screen](seed), args.k).assign(screen=screen, seed=seed)
                       for screen in args.screens for seed in args.seeds])
    grouped = table.groupby(["screen", "metric"], sort=False)
    summary = grouped.mean(numeric_only=True).drop(columns="seed").assign(screens_with_a_cut=grouped["screens_with_a_cut"].sum())
    print(summary.round(3).to_string())


if __name__ == "__main__":
    main()
