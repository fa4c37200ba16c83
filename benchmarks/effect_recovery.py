"""Does `CradleVAE.effect_recovery` name the effects a model did not learn? On simulated screens whose truth is known:
CRADLE-VAE trained with the CLI's defaults (as `combinations.py` trains it), each trained single's `recovered` share
and `unlearned` call (read off its training cells, as `cradle-nb train` reads them) against the slope of its predicted
effect on its true effect.

    python benchmarks/effect_recovery.py --regimes shallow demo --seeds 0 1 2 --folder runs/

Runs already in `--folder` (`{regime}-{seed}.h5ad` and `{regime}-{seed}-cradle-vae/`, the names `combinations.py`
keeps) are loaded, not trained again. Prints per run the trained singles, those whose predicted effect is under half
the true one (`short`), those called unlearned, and how many of those are short; appends one row per single to
`--out`.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

from cradle_nb.cli import main as cli
from cradle_nb.evaluate import true_ate
from cradle_nb.registry import parse_perturbation
from cradle_nb.simulate import REGIMES, simulate_perturbseq
from cradle_nb.vae import CradleVAE
from tidy import append_rows

RESULTS = Path(__file__).parent / "results" / "effect_recovery.csv"


def trained_run(regime: str, seed: int, folder: Path) -> tuple[CradleVAE, ad.AnnData]:
    "The run of one regime and seed, trained with the CLI's defaults unless the folder holds it."
    path, run = folder / f"{regime}-{seed}.h5ad", folder / f"{regime}-{seed}-cradle-vae"
    if not path.exists():
        simulate_perturbseq(**REGIMES[regime], seed=seed).write_h5ad(path)
    if not run.exists():
        cli(["train", str(path), "--perturbation-key", "perturbation", "--control", "control", "--out", str(run), "--seed", str(seed)])
    adata = ad.read_h5ad(path)
    return CradleVAE.load(run, adata), adata


def single_rows(model: CradleVAE, adata: ad.AnnData) -> pd.DataFrame:
    "Each trained single: `snr`, `recovered`, `clear`, `unlearned` (`effect_recovery`) and `true_slope` (its predicted effect on the truth)."
    recovery = model.effect_recovery()
    singles = [p for p in recovery.index if len(parse_perturbation(p)) == 1]
    draws = model.effect_draws(singles, n_particles=500, seed=0)
    predicted, truth = draws.frame(draws.point), true_ate(adata).loc[singles]
    slope = (predicted.to_numpy() * truth.to_numpy()).sum(1) / (truth.to_numpy() ** 2).sum(1)
    return recovery.loc[singles].assign(true_slope=slope).rename_axis("perturbation").reset_index()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--regimes", nargs="+", default=["shallow", "demo"], choices=list(REGIMES))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--folder", required=True, help="where the screens and runs are kept (and looked for)")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    folder = Path(args.folder); folder.mkdir(parents=True, exist_ok=True)
    rows = pd.concat([single_rows(*trained_run(regime, seed, folder)).assign(regime=regime, seed=seed)
                      for regime in args.regimes for seed in args.seeds], ignore_index=True)
    append_rows(rows, args.out)
    rows["short"] = rows["true_slope"] < 0.5
    rows["named_short"] = rows["unlearned"] & rows["short"]
    print(rows.groupby(["regime", "seed"])[["short", "unlearned", "named_short"]].sum().assign(
        singles=rows.groupby(["regime", "seed"]).size()).to_string())
    clear = rows["clear"]
    print(f"{len(rows)} singles: {rows['short'].sum()} short of half their true effect, {rows['unlearned'].sum()} called "
          f"unlearned, {rows['named_short'].sum()} of them short; below 0.15 of the truth: "
          f"{(rows['true_slope'] < 0.15).sum()}, called {(rows['unlearned'] & (rows['true_slope'] < 0.15)).sum()}; "
          f"Pearson r of recovered and true slope where clear: {np.corrcoef(rows.loc[clear, 'recovered'], rows.loc[clear, 'true_slope'])[0, 1]:.2f}")


if __name__ == "__main__":
    main()
