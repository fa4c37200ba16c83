"""Where a perturbation's logit shifts drift, and what a combination inherits from it. Per regime and seed, each model
(a `combinations.py` variant) is trained with `cradle-nb train` as there; then, for every single perturbation $p$,
its shift of each gene's logit $\\Delta_{pg} = f_g(z, d_p) - f_g(z, 0)$ (the decoder on the clean branch at the
encoded control cells' basal states, averaged over them and over draws of $p$'s mask and embedding).

    python benchmarks/logit_drift.py --regimes shallow demo --seeds 0 1 2 --out benchmarks/results/logit_drift.csv

`--controls N` gives each screen about N control cells beside the regime's perturbed cells (`combinations.py`).

Rows (`kind`, `group`): `expression` rows bin the genes by their mean count in a training control cell and give the
mean shift and its 10th and 90th percentiles; `target` rows give the mean shift at a perturbation's own target gene
(`own`), at its pair partners' targets (`partner`) and at the other perturbations' targets (`other`); `pair` rows
give, per unseen test pair and member, the fold change of the member's target (exp of the mean shift) under the pair
against under the member alone (`fold_pair`, `fold_member`). Where the controls hold almost no counts of a gene the
data cannot show its shift, so what the model puts there is its own.

Against the simulator's truth (`cradle_nb.simulate.true_log_share_shifts`), on the scale of each gene's log share of a
cell's counts (the logits' `log_softmax`, which leaves out the softmax's normaliser): `error` rows bin the singles'
errors (model minus truth, each single's own target left out) by expression, with their mean, root mean square
(`rms`), the root mean square of the part every single shares (each gene's mean error over them: `shared_rms`) and of
the rest (`own_rms`), and the true shifts' (`truth_rms`); and give the mean error at the singles' own targets and at the
others'. `pair_share` rows give, per unseen test pair and member, the log-share shift of the member's target under
the member alone and under the pair, the model's and the truth's (`model_member`, `model_pair`, `true_member`,
`true_pair`). `mass` rows give the share of a cell's counts (mean over cells) that the rare genes get (the non-target
genes of the lowest `RARE_QUANTILE` by the simulator's baseline, chosen on the truth and not on the counts scored)
and that the targets get: in the QC-passing training controls (`data_controls`), singles' cells (`data_singles`) and
combinations' cells (`data_pairs`), and in the model's clean control branch at the encoded controls (`mean`).
Tidy rows are appended to `--out`; the `expression`, `target`, `error` and `mass` figures are printed.
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from cradle_nb.effects import data_ate, reference_controls
from cradle_nb.qc import passing_cells
from cradle_nb.registry import SPLIT_KEY, get_counts, parse_perturbation
from cradle_nb.simulate import REGIMES, true_log_share_shifts
from combinations import VARIANTS, screen_settings, train_variant, write_screen
from tidy import append_rows

EXPRESSION_BINS = [0, 0.005, 0.02, 0.1, 1, np.inf]     # mean counts of a gene in a control cell
RARE_QUANTILE = 0.8                                     # the rare genes: the lowest 80 % by the true baseline


@torch.no_grad()
def logit_shifts(model, perturbations, n_cells: int = 200, n_draws: int = 50, seed: int = 0, share: bool = False) -> pd.DataFrame:
    """Mean logit shift (perturbations x genes) at `n_cells` encoded control cells, over `n_draws` global draws; with
    `share`, the shift of each gene's log share of a cell's counts (the logits' `log_softmax`)."""
    torch.manual_seed(seed)
    module = model.module.eval()
    z = model.control_basal_states()[0][:n_cells]
    rows = model._dosage_rows(list(perturbations) + [model.registry.control_label])
    read = (lambda logits: torch.log_softmax(logits, -1)) if share else (lambda logits: logits)
    means = []
    for row in rows:
        d, _ = model._global_offsets(torch.nonzero(row).ravel(), n_draws, False)
        means.append(torch.stack([read(module.generative.logits(z, d[k].expand(len(z), *d.shape[1:]))).mean(0)
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


def error_rows(shares: pd.DataFrame, truth: pd.DataFrame, expression: np.ndarray, targets: dict) -> list[dict]:
    "The `error` rows of one model: its singles' log-share shifts `shares` against the `truth` (see the module's docstring)."
    error = shares - truth.loc[shares.index, shares.columns]
    own = [error.loc[p, targets[p]] for p in error.index]
    other = [error.loc[p, targets[q]] for p in error.index for q in error.index if q != p and targets[q] != targets[p]]
    for p in error.index:
        error.loc[p, targets[p]] = np.nan
    rms = lambda frame: float(np.sqrt(np.nanmean(np.square(frame.to_numpy(dtype=float)))))
    rows = []
    for name, genes in pd.Series(shares.columns).groupby(pd.cut(expression, EXPRESSION_BINS, include_lowest=True), observed=True):
        part = error[list(genes)]
        shared = part.mean(0)
        rows.append({"kind": "error", "group": str(name), "mean": float(np.nanmean(part.to_numpy())), "rms": rms(part),
                     "shared_rms": rms(shared.to_frame()), "own_rms": rms(part - shared), "truth_rms": rms(truth.loc[shares.index, list(genes)]),
                     "n": int(part.notna().to_numpy().sum())})
    return rows + [{"kind": "error", "group": "own target", "mean": float(np.mean(own)), "n": len(own)},
                   {"kind": "error", "group": "other targets", "mean": float(np.mean(other)), "n": len(other)}]


def pair_share_rows(shares: pd.DataFrame, pair_shares: pd.DataFrame, truth: pd.DataFrame, targets: dict) -> list[dict]:
    "Per pair of `pair_shares` and member: its target's log-share shift under the member alone and under the pair, model's and truth's."
    return [{"kind": "pair_share", "group": f"{pair}:{member}", "model_member": shares.loc[member, targets[member]],
             "model_pair": pair_shares.loc[pair, targets[member]], "true_member": truth.loc[member, targets[member]],
             "true_pair": truth.loc[pair, targets[member]]} for pair in pair_shares.index for member in parse_perturbation(pair)]


@torch.no_grad()
def mass_rows(model, adata) -> list[dict]:
    "The `mass` rows of one model (see the module's docstring)."
    sim, reg = adata.uns["simulation"], model.registry
    targets = list(dict(sim["targets"]).values())
    baseline = np.asarray(sim["baseline"])
    rare = (baseline < np.quantile(baseline, RARE_QUANTILE)) & ~adata.var_names.isin(targets)
    labels = adata.obs[reg.perturbation_key].astype(str).to_numpy()
    cells = passing_cells(adata) & (adata.obs[SPLIT_KEY].astype(str).to_numpy() == "train")
    kinds = {"data_controls": labels == reg.control_label, "data_singles": np.isin(labels, reg.perturbations),
             "data_pairs": np.char.find(labels.astype(str), reg.delimiter) >= 0}
    counts = get_counts(adata)
    z = model.control_basal_states()[0]
    branch = torch.softmax(model.module.eval().generative.logits(z, torch.zeros_like(z)), -1).numpy()
    rows = []
    for group, genes in (("rare genes", rare), ("targets", adata.var_names.isin(targets))):
        row = {"kind": "mass", "group": group, "mean": float(branch[:, genes].sum(1).mean()), "n": int(genes.sum())}
        for name, chosen in kinds.items():
            x = counts[cells & chosen]
            row[name] = float((np.asarray(x[:, genes].sum(1)).ravel() / np.maximum(np.asarray(x.sum(1)).ravel(), 1)).mean())
        rows.append(row)
    return rows


def run_seed(regime: str, seed: int, folder: Path, models: list[str], controls: int | None = None) -> list[dict]:
    "Every row of one regime (with `controls`: `combinations.screen_settings`) and seed."
    path, label = write_screen(regime, seed, folder, controls)
    out = []
    for name in models:
        model, adata, _ = train_variant(path, name, seed, folder)
        targets = dict(adata.uns["simulation"]["targets"])
        pairs = [str(p) for p in adata.obs["perturbation"].cat.categories if "+" in str(p)]
        singles = logit_shifts(model, model.registry.perturbations)
        test = [p for p in sorted(data_ate(adata, "test").index) if "+" in p]
        expression = control_expression(adata)
        rows = drift_rows(singles, expression, targets, pairs) + pair_rows(model, test, targets, singles)
        shares = logit_shifts(model, model.registry.perturbations, share=True)
        truth = true_log_share_shifts(adata, list(shares.index) + test)
        rows += (error_rows(shares, truth, expression, targets) + mass_rows(model, adata)
                 + pair_share_rows(shares, logit_shifts(model, test, share=True), truth, targets))
        out += [{"regime": label, "seed": seed, "model": name, **r} for r in rows]
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--regimes", nargs="+", default=["shallow"], choices=list(REGIMES))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--models", nargs="+", default=["cradle-vae"], choices=list(VARIANTS))
    parser.add_argument("--controls", type=int, help="about this many control cells per screen, the regime's perturbed cells "
                        "kept (rows labelled <regime>-<controls>-controls)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        for regime in args.regimes:
            for seed in args.seeds:
                append_rows(pd.DataFrame(run_seed(regime, seed, Path(folder), args.models, args.controls)), out)
    table = pd.read_csv(out)
    table = table[table["regime"].isin([screen_settings(regime, args.controls)[0] for regime in args.regimes])]
    columns = {"expression": ["mean", "q10", "q90"], "target": ["mean"], "error": ["mean", "rms", "shared_rms", "own_rms", "truth_rms"],
               "mass": ["mean", "data_controls", "data_singles", "data_pairs"]}
    for kind, shown in columns.items():
        part = table[table["kind"] == kind]
        if len(part):
            print(part.groupby(["regime", "model", "group"], sort=False)[shown].mean().round(4).to_string())


if __name__ == "__main__":
    main()
