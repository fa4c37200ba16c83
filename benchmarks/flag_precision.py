"""How well each QC flag finds the simulated artifacts: per metric flag (the `k`-MAD cut `annotate_qc` makes), the
share of clean cells it flags, the share of artifact cells (damaged cells and doublets, the simulator's `is_artifact`)
it flags, and its precision (artifacts among the flagged cells), averaged over the seeds whose screen the metric's MAD
cuts at all (`seeds_with_a_cut`), on the shallow and demo regimes of the first
simulator and on the knockdown simulator. A flag that flags clean cells as often as artifacts carries no information
about artifacts, only about the cells' own variation (at 130 UMIs, mostly sampling noise). `--alpha` adds, for the
proportion flags (`pct_*`), a candidate that is not the default (`binomial_flags`): a cell fails only where its count
of the group is above the upper `alpha` tail of Binomial(its library, the k-MAD cut), that is where its own fraction
lies above the cut beyond its sampling noise.

    python benchmarks/flag_precision.py --screens shallow --seeds 0 1 2 3 4 5 --alpha 0.05
    python benchmarks/flag_precision.py --screens demo knockdown --seeds 0 1 2 --alpha 0.05
    python benchmarks/flag_precision.py --screens shallow --seeds 0 1 2 3 4 5 --alpha 0.001
"""
from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from scipy.stats import binom

from cradle_nb.qc import LOG_SCALE, TAILS, flag_outliers, mad_threshold, screen_qc_metrics
from cradle_nb.simulate import REGIMES, simulate_knockdown_screen, simulate_perturbseq

SCREENS = {"shallow": lambda seed: simulate_perturbseq(**REGIMES["shallow"], seed=seed),
           "demo": lambda seed: simulate_perturbseq(**REGIMES["demo"], seed=seed),
           "knockdown": lambda seed: simulate_knockdown_screen(seed=seed)}


def binomial_flags(percent, library, threshold: dict, alpha: float) -> np.ndarray:
    "Cells whose count of a gene group (`percent` of `library`) is above Binomial(library, the cut)'s upper `alpha` tail."
    counts = np.round(np.asarray(percent, dtype=float) / 100 * library)
    return binom.sf(counts - 1, library, min(threshold["threshold"] / 100, 1.0)) < alpha


def flag_precision(adata, k: float = 3.0, alpha: float | None = None) -> pd.DataFrame:
    """One row per metric flag of a simulated screen (and with `alpha`, per proportion flag its `binomial_flags`
    candidate): clean cells flagged, artifact cells flagged, precision."""
    metrics = screen_qc_metrics(adata)
    artifact = adata.obs["is_artifact"].to_numpy().astype(bool)
    rows = []
    for metric, tail in TAILS.items():
        if metric not in metrics:
            continue
        threshold = mad_threshold(metrics[metric], k, tail, log=metric in LOG_SCALE)
        cut = threshold["threshold"] is not None                   # a MAD of 0 makes no cut (as annotate_qc skips it)
        rules = {"k-MAD": flag_outliers(metrics[metric], threshold)}
        if alpha is not None and metric.startswith("pct_") and cut:
            rules[f"binomial {alpha}"] = binomial_flags(metrics[metric], metrics["total_counts"].to_numpy(), threshold, alpha)
        for rule, flagged in rules.items():
            rows.append({"metric": metric, "rule": rule, "seeds_with_a_cut": int(cut),
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
    parser.add_argument("--alpha", type=float, help="add the proportion flags' binomial candidate at this tail")
    args = parser.parse_args(argv)
    table = pd.concat([flag_precision(SCREENS[screen](seed), args.k, args.alpha).assign(screen=screen, seed=seed)
                       for screen in args.screens for seed in args.seeds])
    grouped = table.groupby(["screen", "metric", "rule"], sort=False)
    summary = grouped.mean(numeric_only=True).drop(columns="seed").assign(seeds_with_a_cut=grouped["seeds_with_a_cut"].sum())
    print(summary.round(3).to_string())


if __name__ == "__main__":
    main()
