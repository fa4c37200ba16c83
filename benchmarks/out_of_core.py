"""Training on a screen read from disk against the same screen read into memory: cells/s and peak memory.

A simulated screen (default 500,000 cells x 5,000 genes, 100 single perturbations and 130 pairs) is written to an
h5ad file once. Each mode then runs in a fresh process, so its peak resident memory (reading the file, set-up and
training) is its own:

* `memory`: `anndata.read_h5ad(path)`, the whole matrix in RAM;
* `backed`: `anndata.read_h5ad(path, backed="r")`, the matrix left on disk: library sizes, log statistics and
  counterfactual references read it a block of rows at a time, minibatches come from shuffled blocks read a
  buffer at a time (`epoch_buffers`).

Set-up registers the screen with the simulation's artifact labels as the QC column (Scrublet's cost is measured by
`setup_scaling.py`), splits it, and builds the model (statistics and references). Training runs the same number of
steps in both modes (Norman configuration, 5 particles, Adam); cells/s counts those steps only.

With `--correct` the backed run then writes every cell's artifact-corrected counts (`write_corrected_counts`: dense,
4 bytes a gene a cell, with the observed counts copied beside them) to an h5ad in the same folder, and reports
its time and the peak memory after it. The in-memory mode does not: `get_corrected_counts` holds the dense result.

    python benchmarks/out_of_core.py [--cells 500000] [--genes 5000] [--steps 60] [--batch-size 512] [--dir /tmp/out_of_core]
                                     [--modes backed memory] [--correct]
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path

CHILD = """
import json, os, resource, sys, time
import anndata as ad, torch
from cradle_nb.loaders import epoch_buffers
from cradle_nb.vae import CradleVAE
from cradle_nb.training import _minibatches
path, mode, steps, batch_size, correct = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1"
peak_gb = lambda: round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)
start = time.time()
adata = ad.read_h5ad(path, backed="r" if mode == "backed" else None)
read_s = time.time() - start
start = time.time()
CradleVAE.setup_anndata(adata, "perturbation", "control", qc_key="is_artifact", seed=0)
model = CradleVAE(adata)
data = model._tensors(adata)
train_set = model._dataset(data, "train")
setup_s = time.time() - start
optimizer = torch.optim.Adam(model.module.parameters(), lr=3e-4)
buffers = epoch_buffers(len(train_set), 0, on_disk=train_set.on_disk, batch_size=batch_size)
cells, start = 0, time.time()
for step, batch in enumerate(_minibatches(train_set, buffers, batch_size)):
    if step == steps:
        break
    loss = model.module(batch, 5).loss
    optimizer.zero_grad(); loss.backward(); optimizer.step()
    cells += len(batch["counts"])
train_s = time.time() - start
result = {"mode": mode, "cells": adata.n_obs, "genes": adata.n_vars, "read_s": round(read_s, 1), "setup_s": round(setup_s, 1),
          "steps": steps, "cells_per_s": round(cells / train_s), "peak_rss_gb": peak_gb()}
if correct and mode == "backed":
    out = path.replace(".h5ad", "_corrected.h5ad")
    start = time.time()
    model.write_corrected_counts(out, adata)
    result.update(correct_s=round(time.time() - start, 1), corrected_gib=round(os.path.getsize(out) / 2**30, 2),
                  peak_rss_after_correct_gb=peak_gb())
    os.remove(out)
print(json.dumps(result))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cells", type=int, default=500_000)
    parser.add_argument("--genes", type=int, default=5_000)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--modes", nargs="+", default=["backed", "memory"], choices=["backed", "memory"])
    parser.add_argument("--dir", default="/tmp/out_of_core")
    parser.add_argument("--correct", action="store_true", help="backed run: then write the corrected counts to disk")
    args = parser.parse_args()
    folder = Path(args.dir); folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"screen_{args.cells}x{args.genes}.h5ad"
    if not path.exists():
        subprocess.run([sys.executable, "-c", "import sys; from cradle_nb.simulate import simulate_perturbseq; "
                        f"simulate_perturbseq(n_cells={args.cells}, n_genes={args.genes}, n_perturbations=100, "
                        "n_combinations=130, seed=0).write_h5ad(sys.argv[1])", str(path)], check=True)
    print(f"{path}: {path.stat().st_size / 2**30:.2f} GiB on disk", flush=True)
    results = {}
    for mode in args.modes:
        out = subprocess.run([sys.executable, "-c", CHILD, str(path), mode, str(args.steps), str(args.batch_size),
                              str(int(args.correct))],
                             capture_output=True, text=True)
        if out.returncode:
            sys.exit(f"{mode} run failed:\n{out.stderr[-3000:]}")
        results[mode] = json.loads(out.stdout.strip().splitlines()[-1])
        print(json.dumps(results[mode]), flush=True)
    if len(results) == 2:
        print(f"backed / in-memory throughput: {results['backed']['cells_per_s'] / results['memory']['cells_per_s']:.2f}")


if __name__ == "__main__":
    main()
