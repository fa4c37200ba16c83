"""Set-up time and peak memory against the number of cells: registration, QC (doublets per chunk of at most
20,000 cells) and the split, on simulated screens of 2,000 genes written to disk first.

Each size runs in a fresh process, so its peak resident memory (reading the file included) is its own. With
`--backed` the matrix stays on disk (`anndata.read_h5ad(path, backed="r")`): QC metrics are read a block of rows at a
time and doublets are called one group of at most 20,000 cells at a time, so the peak is set by one doublet group
and the per-cell vectors, not by the number of cells.

With `--repeat-of N` every size is one simulated screen of N cells written out k times (cell names made unique), so
each doublet group is drawn from the same cells at every size and the peaks compare like with like; without it each
size is its own simulation, whose gene-level variability (and so Scrublet's dense z-scored matrix) differs.

    python benchmarks/setup_scaling.py [--cells 50000 100000 200000] [--genes 2000] [--dir /tmp/setup_scaling] [--backed]
                                       [--repeat-of 100000]
"""
import argparse
import subprocess
import sys
from pathlib import Path

CHILD = """
import json, resource, sys, time
import anndata as ad
from cradle_nb.vae import CradleVAE
path, backed = sys.argv[1], sys.argv[2] == "backed"
start = time.time()
adata = ad.read_h5ad(path, backed="r" if backed else None)
read_s = time.time() - start
start = time.time()
CradleVAE.setup_anndata(adata, "perturbation", "control", seed=0)
setup_s = time.time() - start
qc = adata.uns["cradle_qc"]
print(json.dumps({"cells": adata.n_obs, "backed": backed, "read_s": round(read_s, 1), "setup_s": round(setup_s, 1),
                  "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
                  "doublet_groups": len(qc["doublet_thresholds"]), "fail": round(float(adata.obs["qc_fail"].mean()), 3)}))
"""


REPEAT = """
import sys, anndata as ad
base = ad.read_h5ad(sys.argv[1])
ad.concat([base] * int(sys.argv[2]), index_unique="-", uns_merge="first").write_h5ad(sys.argv[3])
"""


def simulated_screen(folder: Path, n: int, genes: int) -> Path:
    "The simulated screen of `n` cells in `folder`, written on first use."
    path = folder / f"screen_{n}x{genes}.h5ad"
    if not path.exists():
        subprocess.run([sys.executable, "-c", "import sys; from cradle_nb.simulate import simulate_perturbseq; "
                        f"simulate_perturbseq(n_cells={n}, n_genes={genes}, n_perturbations=100, n_combinations=130,"
                        " seed=0).write_h5ad(sys.argv[1])", str(path)], check=True)
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cells", type=int, nargs="+", default=[50_000, 100_000, 200_000])
    parser.add_argument("--genes", type=int, default=2000)
    parser.add_argument("--dir", default="/tmp/setup_scaling")
    parser.add_argument("--backed", action="store_true", help="leave the matrix on disk")
    parser.add_argument("--repeat-of", type=int, default=None, help="build each size by repeating a screen of this many cells")
    args = parser.parse_args()
    folder = Path(args.dir); folder.mkdir(parents=True, exist_ok=True)
    for n in args.cells:
        if args.repeat_of is None or n == args.repeat_of:
            path = simulated_screen(folder, n, args.genes)
        elif n % args.repeat_of:
            parser.error(f"--cells {n} is not a multiple of --repeat-of {args.repeat_of}")
        else:
            base, path = simulated_screen(folder, args.repeat_of, args.genes), folder / f"screen_{n}x{args.genes}_of_{args.repeat_of}.h5ad"
            if not path.exists():
                subprocess.run([sys.executable, "-c", REPEAT, str(base), str(n // args.repeat_of), str(path)], check=True)
        out = subprocess.run([sys.executable, "-c", CHILD, str(path), "backed" if args.backed else "memory"],
                             capture_output=True, text=True, check=True)
        print(out.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
