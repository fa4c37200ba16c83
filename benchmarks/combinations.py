"""Unseen combinations on simulated screens whose truth is known: CRADLE-VAE and SAMS-VAE trained with the CLI's
defaults (no budget flags), the additive baseline and the data itself, several seeds per regime.

    python benchmarks/combinations.py --regimes demo shallow --seeds 0 1 2 --out benchmarks/results/combinations.csv

Each regime is one setting of `simulate_perturbseq` (`cradle_nb.simulate.REGIMES`); with `--controls N` a screen holds
about N control cells beside the regime's perturbed cells (rows `<regime>-<N>-controls`: how far the controls' own
depth limits the pairs). Per seed: the screen is written to
an h5ad, each model is trained with `cradle-nb train` (its defaults: the training plan it prints), loaded, and its
predicted effects of the test split's unseen pairs are scored. Rows:

- `cradle-vae`, `sams-vae`: the models, effects predicted at the screen's depth (`predict_ate`'s default);
- with `--models ... cradle-vae-paper sams-vae-paper`: the same with the paper's objective (no basal-independence
  term), its single learning rate of 3e-4 for every parameter, every mask logit starting at 0 and pairs decoded from
  the sum of their offsets, on the same step budget (before these changes);
- with `--models ... cradle-vae-unbalanced cradle-vae-beta0 cradle-vae-offset-only`: CRADLE-VAE without the
  class-balanced reconstruction weights, without the counterfactual term, and without both (SAMS-VAE plus the
  artifact offset): what each part it adds to SAMS-VAE costs or buys;
- with `--models ... cradle-vae-shared-dispersion cradle-vae-fixed-dispersion`: one dispersion for all genes to the
  end of training, or the dispersion held at `dispersion_value` (2); the defaults give the genes one common value in
  the warm-up and each its own after it;
- `additive`: the sum of the training split's observed single effects (against the training controls);
- `data`: the test split's own observed effects (against its own controls): what observing the pairs gives.

Columns, against the simulator's true effects: `pearson_delta`, `mse_top20`, `effect_slope`, `target_ratio` (and
`target_ratio_moved`, on the pairs whose targets move by 0.1 at least: `cradle_nb.evaluate.MOVED_TARGET`), the
first two on interacting and additive pairs apart, `interaction_pearson`, `members_slope` (the `effect_slope` of the
pairs' members) and `composition_slope` (the pairs on the sums of their members, within one prediction); against the observed test effects (their
own controls; the additive baseline's come from the training controls): `pearson_delta_obs`, `mse_top20_obs`; for the
models, `mask_mid` (fraction of mask probabilities in (0.2, 0.8)), `mask_on` (fraction above 0.8), the coverage of
their calibrated 90% bands on the test pairs (`effect_band_truth`: the effect band against the true effects;
`predictive_band_obs`: the predictive band against the observed ones; `band_scale_unseen`, the factor the validation
combinations asked for) and the training `wall_s`. Tidy rows are appended to `--out`; the summary (mean and range over seeds) is printed.
"""
from __future__ import annotations

import argparse
import inspect
import tempfile
import time
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import torch
import yaml

from cradle_nb.bands import band_coverage, band_scales, calibrate_bands
from cradle_nb.cli import main as cli
from cradle_nb.effects import additive_prediction, ate_metrics, data_ate
from cradle_nb.evaluate import true_ate, truth_metrics
from cradle_nb.registry import parse_perturbation
from cradle_nb.simulate import REGIMES, simulate_perturbseq
from cradle_nb.vae import COUNTERFACTUAL_OBJECTIVE, CradleVAE
from tidy import append_rows

MODELS = {"cradle-vae": {}, "sams-vae": {"model": {"artifact_model": False}}}
OBJECTIVE = dict(COUNTERFACTUAL_OBJECTIVE)          # the paper's objective: our defaults until the per-flag offsets
PAPER = {"model": {**OBJECTIVE, "basal_independence": 0.0, "mask_start_dims": 0, "composition": "latent", "artifact_composition": "input"}, "train": {"lr": 3e-4, "mask_lr": 3e-4, "global_lr": 3e-4}}
VARIANTS = {**MODELS, "cradle-vae-counterfactual": {"model": OBJECTIVE},
            # how the artifact offset and the perturbation act together (the model chapter): decoded apart is the default
            "cradle-vae-artifact-input": {"model": {"artifact_composition": "input"}},     # the paper's
            "cradle-vae-artifact-hidden": {"model": {"artifact_composition": "hidden"}},
            "cradle-vae-paper": PAPER,                                  # before: the paper's objective and learning rate
            "sams-vae-paper": {"model": {"basal_independence": 0.0, "artifact_model": False, "mask_start_dims": 0, "composition": "latent"}, "train": PAPER["train"]},
            # ablations of the paper's objective: what each of its terms costs
            "cradle-vae-unbalanced": {"model": {**OBJECTIVE, "balanced_reconstruction": False}},
            "cradle-vae-beta0": {"model": {**OBJECTIVE, "beta": 0.0}},
            "cradle-vae-offset-only": {"model": {**OBJECTIVE, "balanced_reconstruction": False, "beta": 0.0}},
            "cradle-vae-flag-dispersions": {"model": {"artifact_dispersion": True}},     # the defaults, failing cells' own dispersion
            "cradle-vae-shared-dispersion": {"model": {"dispersion": "shared"}},        # one dispersion for all genes to the end
            "cradle-vae-fixed-dispersion": {"model": {"dispersion": "fixed"}}}          # the dispersion held at 2
SHOWN = ["pearson_delta_truth", "mse_top20_truth", "effect_slope_truth", "target_ratio_truth", "target_ratio_truth_moved",
         "pearson_delta_truth_interacting", "mse_top20_truth_interacting", "pearson_delta_truth_additive",
         "interaction_pearson_truth", "members_slope_truth", "composition_slope",
         "pearson_delta_obs", "mse_top20_obs", "effect_band_truth", "predictive_band_obs", "mask_mid", "mask_on", "wall_s"]


def observed_metrics(pred: pd.DataFrame, observed: pd.DataFrame) -> dict:
    "A prediction against the observed test effects (taken against the test split's own controls)."
    metrics = ate_metrics(pred, observed)
    return {"pearson_delta_obs": metrics["pearson_delta"], "mse_top20_obs": metrics["mse_top20"]}


def mask_summary(model) -> dict:
    "How decided the masks are: the fractions of q(M = 1) in (0.2, 0.8) and above 0.8."
    probs = torch.sigmoid(model.module.guide.mask.logits).detach().cpu().numpy()
    return {"mask_mid": float(((probs > 0.2) & (probs < 0.8)).mean()), "mask_on": float((probs >= 0.8).mean())}


def band_summary(model, adata, draws, test, n_particles: int, seed: int) -> dict:
    """The test pairs' 90% bands, calibrated as `cradle-nb predict` calibrates them (`calibrate_bands`): the `effect`
    band's coverage of the true effects, the `predictive` band's of the observed ones, and the factor for unseen pairs."""
    scale = calibrate_bands(model, adata, n_particles=n_particles, seed=seed)
    coverage = band_coverage(draws, adata, data_ate(adata, "test"), "test", true_ate(adata), band_scales(adata, test, scale))
    return {"effect_band_truth": coverage["ate_interval_coverage90"],
            "predictive_band_obs": coverage["predictive_interval_coverage90_observed"],
            "band_scale_unseen": np.nan if scale.unseen is None else scale.unseen}


def train_variant(path: Path, name: str, seed: int, folder: Path):
    "Train the variant `name` on the screen at `path` with `cradle-nb train`: the loaded model, its AnnData and the wall time."
    run, config = folder / f"{path.stem}-{name}", folder / f"{name}.yaml"
    config.write_text(yaml.safe_dump(VARIANTS[name]))
    start = time.perf_counter()
    cli(["train", str(path), "--perturbation-key", "perturbation", "--control", "control", "--out", str(run),
         "--seed", str(seed), "--config", str(config)])
    wall = time.perf_counter() - start
    adata = ad.read_h5ad(path)
    return CradleVAE.load(run, adata), adata, wall          # the raw file: load restores the run's set-up


def screen_settings(regime: str, controls: int | None = None) -> tuple[str, dict]:
    """The label and `simulate_perturbseq` settings of `regime`; with `controls`, about that many control cells beside
    the regime's perturbed cells, labelled `<regime>-<controls>-controls`."""
    settings = dict(REGIMES[regime])
    if controls is None:
        return regime, settings
    if controls < 1:
        raise ValueError(f"controls must be a positive number of cells, got {controls}")
    defaults = inspect.signature(simulate_perturbseq).parameters
    cells = settings.get("n_cells", defaults["n_cells"].default)
    perturbed = round(cells * (1 - settings.get("control_fraction", defaults["control_fraction"].default)))
    settings.update(n_cells=perturbed + controls, control_fraction=controls / (perturbed + controls))
    return f"{regime}-{controls}-controls", settings


def write_screen(regime: str, seed: int, folder: Path, controls: int | None = None) -> tuple[Path, str]:
    "Simulate the screen of `regime` (with `controls`, as `screen_settings` sets it) at `seed` into `folder`: its path and label."
    label, settings = screen_settings(regime, controls)
    path = folder / f"{label}-{seed}.h5ad"
    simulate_perturbseq(**settings, seed=seed).write_h5ad(path)
    return path, label


def run_seed(regime: str, seed: int, folder: Path, n_particles: int, models: list[str], controls: int | None = None) -> list[dict]:
    "Every row of one regime (with `controls`: `screen_settings`) and seed."
    path, label = write_screen(regime, seed, folder, controls)
    records, predictions = [], {}
    for name in models:
        model, adata, wall = train_variant(path, name, seed, folder)
        test = sorted(data_ate(adata, "test").index)
        draws = model.effect_draws(test + _members(test), n_particles=n_particles, seed=seed)
        predictions[name] = draws.frame(draws.point)
        records.append({"model": name, **mask_summary(model), **band_summary(model, adata, draws, test, n_particles, seed),
                        "wall_s": wall, "epochs": len(model.history)})
    observed = data_ate(adata, "test")
    train = data_ate(adata, "train")
    singles = train.loc[[p for p in train.index if len(parse_perturbation(p)) == 1]]
    predictions["additive"] = additive_prediction(test + _members(test), singles)
    rows = []
    for name, pred in predictions.items():
        extra = next((r for r in records if r["model"] == name), {"model": name})
        rows.append({**extra, **truth_metrics(pred, adata, test), **observed_metrics(pred, observed)})
    data = pd.concat([observed, predictions["additive"].loc[_members(test)]])    # singles as the additive baseline sees them
    rows.append({"model": "data", **truth_metrics(data, adata, test), **observed_metrics(observed, observed)})
    return [{"regime": label, "seed": seed, **r} for r in rows]


def _members(perturbations) -> list[str]:
    "The single perturbations that make up `perturbations`."
    return sorted({m for p in perturbations for m in parse_perturbation(p)})


def summary(table: pd.DataFrame) -> pd.DataFrame:
    "Mean over seeds, with the range, per regime and model (the baselines' rows once per seed, however many runs added them)."
    table = table.drop_duplicates(["regime", "seed", "model"], keep="last")
    shown = [c for c in SHOWN if c in table]
    grouped = table.groupby(["regime", "model"], sort=False)[shown]
    mean, low, high = grouped.mean(), grouped.min(), grouped.max()
    return mean.round(3).astype(str) + " [" + low.round(2).astype(str) + ", " + high.round(2).astype(str) + "]"


def markdown(frame: pd.DataFrame) -> str:
    "A summary as a markdown table (index levels first)."
    lines = ["| " + " | ".join([*frame.index.names, *frame.columns]) + " |", "|" + "---|" * (frame.index.nlevels + frame.shape[1])]
    lines += ["| " + " | ".join([*map(str, key), *map(str, row)]) + " |" for key, row in zip(frame.index, frame.to_numpy())]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--regimes", nargs="+", default=["demo", "shallow", "deep"], choices=list(REGIMES))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--n-particles", type=int, default=2500)
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(VARIANTS),
                        help="models to train (the `-paper` variants: the paper's objective and single learning rate)")
    parser.add_argument("--out", required=True)
    parser.add_argument("--controls", type=int, help="about this many control cells per screen, the regime's perturbed cells "
                        "kept (rows labelled <regime>-<controls>-controls)")
    parser.add_argument("--table", action="store_true", help="print the summary of the rows already in --out as markdown; train nothing")
    args = parser.parse_args(argv)
    out = Path(args.out)
    labels = [screen_settings(regime, args.controls)[0] for regime in args.regimes]
    if args.table:
        table = pd.read_csv(out)
        print(markdown(summary(table[table["regime"].isin(labels)])))
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        for regime in args.regimes:
            for seed in args.seeds:
                rows = pd.DataFrame(run_seed(regime, seed, Path(folder), args.n_particles, args.models, args.controls))
                append_rows(rows, out)
                print(rows.set_index("model")[[c for c in SHOWN if c in rows]].round(3).to_string(), flush=True)
    table = pd.read_csv(out)
    print(summary(table[table["regime"].isin(labels)]).to_string())


if __name__ == "__main__":
    main()
