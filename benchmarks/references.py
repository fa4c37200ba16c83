"""Counterfactual references at Norman size: 100k cells x 5k genes (and the simulator building that screen).

Usage: python benchmarks/references.py [--cells 100000] [--genes 5000]
Prints the wall time of simulate_perturbseq and counterfactual_references on this machine.
"""
import argparse
import os
import time

import numpy as np
import torch

from cradle_nb.registry import assign_split, register_anndata
from cradle_nb.simulate import simulate_perturbseq
from cradle_nb.qc import counterfactual_references

parser = argparse.ArgumentParser()
parser.add_argument("--cells", type=int, default=100_000)
parser.add_argument("--genes", type=int, default=5_000)
args = parser.parse_args()

t = time.perf_counter()
adata = simulate_perturbseq(n_cells=args.cells, n_genes=args.genes, n_perturbations=100, n_combinations=130,
                            n_truth_cells=20, seed=0)
t_sim = time.perf_counter() - t
register_anndata(adata, "perturbation", "control")
split = assign_split(adata, seed=0)
fail = adata.obs["is_artifact"].to_numpy()          # the true artifact label stands in for QC here
t = time.perf_counter()
refs = counterfactual_references(adata.X, adata.obs["perturbation"], fail, split)
t_ref = time.perf_counter() - t
print(f"machine: {os.cpu_count()} cores, torch {torch.__version__}")
print(f"simulate_perturbseq {args.cells} x {args.genes}: {t_sim:.1f} s ({adata.X.nnz / 1e6:.0f}M non-zeros)")
print(f"counterfactual_references: {t_ref:.1f} s, {refs.references.shape[0]} references, "
      f"{refs.has_reference.mean():.1%} of cells have one")
