"""Where a perturbation's logit shifts drift, and what a combination inherits from it. Per regime and seed, each model
(a `combinations.py` variant) is trained with `cradle-nb train` as there; then, for every single perturbation $p$,
its shift of each gene's logit $\\Delta_{pg} = f_g(z, d_p) - f_g(z, 0)$ (the decoder on the clean branch at the
encoded control cells' basal states, averaged over them and over draws of $p$'s mask and embedding).

    python benchmarks/logit_drift.py --regimes shallow demo --seeds 0 1 2 --out benchmarks/results/logit_drift.csv

Rows (`kind`, `group`): `expression` rows bin the genes by their mean count in a training control cell and give the
mean shift and its 10th and 90th percentiles; `target` rows give the mean shift at a perturbation's own target gene
(`own`), at its pair partners' targets (`partner`) and at the other perturbations' targets (`other`); `pair` rows
give, per unseen test pair and member, the fold change of the member's target (exp of the mean shift) under the pair
against under the member alone (`fold_pair`, `fold_member`). The simulator's truth moves a gene only through the
latent programs and the targets, so a shift where the controls hold almost no counts is the model's, not the
data's. Tidy rows are appended to `--out`; the `expression` and `target` means are printed.
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from cradle_nb.effects import data_ate, reference_controls
from cradle_nb.registry import get_counts, parse_perturbation
from cradle_nb.simulate import REGIMES, simulate_perturbseq
from combinations import VARIANTS, train_variant
from tidy import append_rows

EXPRESSION_BINS = [0, 0.005, 0.02, 0.1, 1, np.inf]     # mean counts of a gene in a control cell


@torch.no_grad()
def logit_shifts(model, perturbations, n_cells: int = 200, n_draws: int = 50, seed: int = 0) -> pd.DataFrame:
    "Mean logit shift (perturbations x genes) at `n_cells` encoded control cells, over `n_draws` global draws."
    torch.manual_seed(seed)
    module = model.module.eval()
    z = model.control_basal_states()[0][:n_cells]
    rows = model._dosage_rows(list(perturbations) + [model.registry.control_label])
    means = []
    for row in rows:
        d, _ = model._global_offsets(torch.nonzero(row).ravel(), n_draws, False)
        means.append(torch.stack([module.generative.logits(z, d[k].expand(len(z), *d.shape[1:])).mean(0)
                                  for k in range(n_draws)]).mean(0).numpy())
    return pd.DataFrame(np.stack(means[:-1]) - means[-1], index=list(perturbations), columns=model.registry.genes)


def control_expression(adata) -> np.ndarray:
    "Each gene's mean count in a QC-passing training control cell."
    return np.asarray(get_counts(adata)[reference_controls(adata, "train")].mean(0)).ravel()


def drift_rows(shifts: pd.DataFrame, expression: np.ndarray, targets: dict, pairs: list[str]) -> list[dict]:
    "The `expression` and `target` rows of one model (see the module's docstring)."
    bins = pd.cut(np.tile(expression, len(shifts)), EXPRESSION_BINS, include_lowest=True)
    values = pd.DataFrame({"bin": bins, "shift": shifts.to_numpy().ravel()})
    rows = [{"kind": "expression", "group": str(name), "mean": s.mean(), "q10": s.quantile(0.1), "q90": s.quantile(0.9),
             "n": len(s)} for name, s in values.groupby("bin", observed=True)["shift"]]
    partners = {(a, b) for pair in pairs for a in parse_perturbation(pair) for b in parse_perturbation(pair) if a != b}
    groups = {"own": [], "partner": [], "other": []}
    for p in shifts.index:
        for q in shifts.index:
            group = "own" if p == q else "partner" if (p, q) in partners else "other"
            groups[group].append(shifts.loc[p, targets[q]])
    rows += [{"kind": "target", "group": name, "mean": np.mean(v), "n": len(v)} for name, v in groups.items() if v]
    return rows


def pair_rows(model, pairs: list[str], targets: dict, singles: pd.DataFrame) -> list[dict]:
    "Per unseen pair and member: the fold change of the member's target under the pair and under the member alone."
    shifts = logit_shifts(model, pairs)
    return [{"kind": "pair", "group": f"{pair}:{member}", "fold_pair": float(np.exp(shifts.loc[pair, targets[member]])),
             "fold_member": float(np.exp(singles.loc[member, targets[member]]))}
            for pair in pairs for member in parse_perturbation(pair)]


def run_seed(regime: str, seed: int, folder: Path, models: list[str]) -> list[dict]:
    "Every row of one regime and seed."
    path = folder / f"{regime}-{seed}.h5ad"
    simulate_perturbseq(**REGIMES[regime], seed=seed).write_h5ad(path)
    out = []
    for name in models:
        model, adata, _ = train_variant(path, name, seed, folder)
        targets = dict(adata.uns["simulation"]["targets"])
        pairs = [str(p) for p in adata.obs["perturbation"].cat.categories if "+" in str(p)]
        singles = logit_shifts(model, model.registry.perturbations)
        test = [p for p in sorted(data_ate(adata, "test").index) if "+" in p]
        rows = drift_rows(singles, control_expression(adata), targets, pairs) + pair_rows(model, test, targets, singles)
        out += [{"regime": regime, "seed": seed, "model": name, **r} for r in rows]
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--regimes", nargs="+", default=["shallow"], choices=list(REGIMES))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--models", nargs="+", default=["cradle-vae"], choices=list(VARIANTS))
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        for regime in args.regimes:
            for seed in args.seeds:
                append_rows(pd.DataFrame(run_seed(regime, seed, Path(folder), args.models)), out)
    table = pd.read_csv(out)
    table = table[table["regime"].isin(args.regimes) & table["kind"].isin(["expression", "target"])]
    print(table.groupby(["regime", "model", "kind", "group"], sort=False)[["mean", "q10", "q90"]].mean().round(3).to_string())


if __name__ == "__main__":
    main()
