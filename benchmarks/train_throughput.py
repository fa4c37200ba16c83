"""Training throughput: our training step against the released code's computation pattern, side by side.

Norman configuration (latent 200, hidden 400, correlated embedding guide 4 x 400), 5 particles,
batch 512, 100 single perturbations, Adam step and gradient clipping included, on random counts. Our step uses
fused Adam, as `CradleVAE.train` does; the released pattern PyTorch's default Adam, as the released code does.

The 'released pattern' step computes the same objective the way the released CRADLE-VAE code does:
the encoder is run from the counts for every particle and for every encoding (factual,
counterfactual, reference), both decoder branches (clean and artifact) are decoded for every cell,
and the NB log-probability is evaluated with torch.distributions per particle. It is our own
re-implementation of that pattern for a side-by-side comparison, not the released code itself; it leaves out
the one costly thing the released step computes and never uses (a negative-binomial sample of every cell, particle
and gene from both decoder branches, drawn in the generative model's forward pass), so it is the faster of the two.

With `--released PATH` (a checkout of github.com/dmis-lab/CRADLE-VAE, and its dependencies pyro-ppl and
pytorch-lightning installed), the released code's own step is timed too, in its Norman configuration, on the same
batch (see `side_by_side.py`).

`--device cuda` times the steps on a GPU (synchronised) and reports each step's peak GPU memory as well.

Usage: python benchmarks/train_throughput.py [--genes 2000 5000] [--steps 5] [--threads 2] [--device cpu] [--released PATH]
"""
import argparse
import resource
import time
from pathlib import Path

import numpy as np
import torch
from side_by_side import norman_batch, our_module, released_step

from cradle_nb.model import gaussian_kl

parser = argparse.ArgumentParser()
parser.add_argument("--genes", type=int, nargs="+", default=[2000, 5000])
parser.add_argument("--steps", type=int, default=5)
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--batch", type=int, default=512)
parser.add_argument("--device", default="cpu", help="cpu or cuda")
parser.add_argument("--released", type=Path, help="a checkout of github.com/dmis-lab/CRADLE-VAE: time its own step too")
args = parser.parse_args()
torch.set_num_threads(args.threads)
P, K, B = 100, 5, args.batch
device = torch.device(args.device)


def make(genes):
    return our_module(genes, P).to(device), {k: v.to(device) for k, v in norman_batch(genes, P, B).items()}


def released_pattern_loss(module, batch):
    "The same objective computed as the released code does (see module docstring)."
    g = module.sample_globals(K)
    enc, gen = module.guide.encoder, module.generative
    x, D, c, lib = batch["counts"], batch["dosage"], batch["qc"], batch["library"]
    d, a = module.offsets(g, D, c)
    _, a_flip = module.offsets(g, D, c, flip_qc=True)
    encode = lambda counts, a_k: [enc(counts, d[k:k + 1], a_k[k:k + 1]) for k in range(K)]   # counts projection per particle
    factual = encode(x, a)
    z = torch.cat([m + s * torch.randn_like(m) for m, s in factual])
    recon = []
    for branch in (torch.zeros_like(a), a):                                                   # both branches, all cells
        logits = gen.logits(z, d, branch)
        recon.append(gen.distribution(logits, lib).log_prob(x).sum(-1).mean(0))
    recon = torch.where(c[:, 0] > 0, recon[1], recon[0])
    kl_z = torch.stack([gaussian_kl(m, s, torch.zeros_like(m), torch.ones_like(s)).sum(-1)[0] for m, s in factual]).mean(0)
    cf = encode(x, a_flip)
    ref = encode(batch["reference"], a_flip)
    has = batch["has_reference"]
    kl_cf = torch.stack([gaussian_kl(rm, rs, cm, cs).sum(-1)[0] for (rm, rs), (cm, cs) in zip(ref, cf)]).mean(0)
    return -(recon - kl_z - module.plated_kl(g, D, c)).mean() + 0.5 * kl_cf[has].mean()


def synchronize():
    if device.type == "cuda":
        torch.cuda.synchronize()


def step_time(module, batch, loss_fn, fused):
    "Median seconds per step after a warm-up step (and, on a GPU, the steps' peak GPU memory in GB, else None)."
    opt = torch.optim.Adam(module.parameters(), lr=3e-4, weight_decay=1e-6, fused=fused)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    times = []
    for i in range(args.steps + 1):
        synchronize()
        t = time.perf_counter()
        loss = loss_fn(module, batch)
        opt.zero_grad(); loss.backward()
        torch.nn.utils.clip_grad_norm_(module.parameters(), 100.0); opt.step()
        synchronize()
        if i:                                                                                 # first step warms up
            times.append(time.perf_counter() - t)
    return float(np.median(times)), (torch.cuda.max_memory_allocated() / 1e9 if device.type == "cuda" else None)


def memory(peak):
    return "" if peak is None else f", {peak:.2f} GB GPU peak"


print(f"torch {torch.__version__}, {device} ({torch.get_num_threads()} threads), batch {B}, {K} particles, {P} perturbations, latent 200")
for genes in args.genes:
    module, batch = make(genes)
    ours, ours_peak = step_time(module, batch, lambda m, b: m(b, K).loss, fused=True)  # as CradleVAE.train steps
    pattern, pattern_peak = step_time(module, batch, released_pattern_loss, fused=False)
    line = (f"{genes} genes: ours {B / ours:.0f} cells/s ({ours:.2f} s/step{memory(ours_peak)}); released pattern "
            f"{B / pattern:.0f} cells/s ({pattern:.2f} s/step{memory(pattern_peak)}), {pattern / ours:.1f}x")
    if args.released:
        released_module, released_loss = released_step(args.released, genes, P, batch, K)
        released, released_peak = step_time(released_module.to(device), batch, released_loss, fused=False)
        line += (f"; released code {B / released:.0f} cells/s ({released:.2f} s/step{memory(released_peak)}), "
                 f"{released / ours:.1f}x")
    print(f"{line}; peak RSS so far {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB", flush=True)
