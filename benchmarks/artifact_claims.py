"""The artifact claims with the defaults a user gets, on two independent simulators and a real screen: CRADLE-VAE,
SAMS-VAE and CRADLE-VAE with the paper's objective (`cradle-vae-counterfactual`), each trained as `cradle-nb train`
trains it (no budget flags) and scored together as `cradle-nb evaluate RUN RUN RUN` scores them. `--models` with an
ablation of the paper's objective (`cradle-vae-beta0`, `cradle-vae-offset-only`: without its class balance and
counterfactual term; `cradle-vae-per-flag`: with an artifact embedding per flag; `cradle-vae-flag-dispersions`: the defaults with
a dispersion of their own for failing cells; `cradle-vae-artifact-input`, `-hidden`: the defaults with another
`artifact_composition`, the paper's and the last hidden layer) scores it on its own by the same
`evaluate`. Appends tidy rows to a CSV;
`cradle_nb.study.claims_table` (the artifact study chapter) prints them.

    python benchmarks/artifact_claims.py --dataset simulated --seeds 0 1 2
    python benchmarks/artifact_claims.py --dataset knockdown --seeds 0 1 2
    python benchmarks/artifact_claims.py --dataset papalexi --data ../shared/data/papalexi2021_thp1.h5ad --seeds 0 1 2
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import anndata as ad
import pandas as pd

from cradle_nb.evaluate import evaluate, model_name
from cradle_nb.simulate import simulate_knockdown_screen, simulate_perturbseq
from cradle_nb.vae import COUNTERFACTUAL_OBJECTIVE, CradleVAE
from tidy import append_rows

OBJECTIVE = dict(COUNTERFACTUAL_OBJECTIVE)       # the paper's objective: the defaults until the per-flag offsets
VARIANTS = {"cradle-vae": {}, "sams-vae": {"artifact_model": False}, "cradle-vae-counterfactual": OBJECTIVE,
            "cradle-vae-beta0": {**OBJECTIVE, "beta": 0.0},
            "cradle-vae-offset-only": {**OBJECTIVE, "balanced_reconstruction": False, "beta": 0.0},
            "cradle-vae-per-flag": {**OBJECTIVE, "per_flag_artifacts": True},
            "cradle-vae-flag-dispersions": {"artifact_dispersion": True},
            "cradle-vae-artifact-input": {"artifact_composition": "input"},
            "cradle-vae-artifact-hidden": {"artifact_composition": "hidden"}}
DEFAULT_MODELS = ["cradle-vae", "sams-vae", "cradle-vae-counterfactual"]
RESULTS = Path(__file__).parent / "results" / "artifact_claims.csv"


def load_screen(name: str, path: str | None) -> ad.AnnData:
    "One of the two simulated screens (seed 0), or the Papalexi THP-1 screen, set up as `cradle-nb train` does."
    if name == "papalexi":
        adata = ad.read_h5ad(path)
        CradleVAE.setup_anndata(adata, "target", "control")
        return adata
    adata = (simulate_perturbseq if name == "simulated" else simulate_knockdown_screen)(seed=0)
    CradleVAE.setup_anndata(adata, "perturbation", "control")
    return adata


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=["simulated", "knockdown", "papalexi"], default="simulated")
    parser.add_argument("--data", help="h5ad of the Papalexi screen")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--models", nargs="+", default=DEFAULT_MODELS, choices=list(VARIANTS))
    args = parser.parse_args(argv)
    adata = load_screen(args.dataset, args.data)
    print(f"{args.dataset}: {adata.n_obs} cells x {adata.n_vars} genes, {adata.obs['qc_fail'].mean():.1%} fail QC", flush=True)
    out = Path(args.out)
    done = pd.read_csv(out) if out.exists() else pd.DataFrame(columns=["dataset", "seed", "model"])
    for seed in args.seeds:
        if ((done["dataset"] == args.dataset) & (done["seed"] == seed) & done["model"].isin(args.models)).any():
            continue
        models, runs = {}, {}
        for name in args.models:
            start = time.time()
            models[name] = CradleVAE(adata, seed=seed, **VARIANTS[name]).train(seed=seed, progress=False)
            runs[name] = {"epochs": len(models[name].history), "train_seconds": round(time.time() - start, 1)}
            print(f"  seed {seed} {name}: {runs[name]['epochs']} epochs in {runs[name]['train_seconds']:.0f} s", flush=True)
        start = time.time()
        first, *rest = models
        metrics = evaluate(models[first], adata, others={name: models[name] for name in rest}, seed=seed)
        print(f"  seed {seed}: evaluated in {time.time() - start:.0f} s", flush=True)
        derived = model_name(models[first])                        # evaluate names the first model from its config
        metrics["model"] = metrics["model"].map(lambda m: _renamed(m, derived, first))
        if not set(DEFAULT_MODELS) <= set(models):                 # an added variant: its rows only, the baselines are there
            metrics = metrics[metrics["model"].str.partition(":")[0].isin(list(models))]
        for name, run in runs.items():
            for key, value in run.items():
                metrics.loc[metrics["model"] == name, key] = value
        append_rows(metrics.assign(dataset=args.dataset, seed=seed, basal="controls", variant=metrics["model"]), out)


def _renamed(label: str, derived: str, name: str) -> str:
    "`label` (a model, or `model:artifact-branch`) with the name `evaluate` derived for the first model replaced by its variant's."
    base, colon, rest = label.partition(":")
    return (name if base == derived else base) + colon + rest


if __name__ == "__main__":
    main()
