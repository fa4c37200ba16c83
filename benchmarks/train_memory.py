"""Peak memory of a training step against the tensors the step needs (Norman configuration, 5 particles, batch 512).

"Needed" = parameters x 4 (values, gradients, Adam's two moments) + the batch + every tensor autograd saves
for the backward pass (counted once per storage, with saved_tensors_hooks).
"Peak" = the process's peak resident memory minus its resident memory after the imports, measured in a
fresh process per configuration (so one run's peak does not hide another's).

With `--released PATH` (a checkout of github.com/dmis-lab/CRADLE-VAE and its dependencies), the released code's own
step in its Norman configuration is measured the same way (see `side_by_side.py`).

Usage: python benchmarks/train_memory.py [--genes 2000 5000] [--released PATH]
"""
import argparse
import subprocess
import sys
from pathlib import Path

CHILD = r'''
import sys, resource, torch
torch.set_num_threads(2)
sys.path.insert(0, sys.argv[3])
from side_by_side import import_released, norman_batch, our_module, released_step
if sys.argv[2] != "ours":
    import_released(sys.argv[2])                       # its imports (pyro, lightning) before the baseline
def rss():
    return int(open("/proc/self/statm").read().split()[1]) * resource.getpagesize()
base = rss()
genes, P, K, B = int(sys.argv[1]), 100, 5, 512
batch = norman_batch(genes, P, B)
if sys.argv[2] == "ours":
    module = our_module(genes, P)
    loss_of = lambda m, b: m(b, K).loss
else:
    module, loss_of = released_step(sys.argv[2], genes, P, batch, K)
opt = torch.optim.Adam(module.parameters(), lr=3e-4)
saved = {}
def pack(t):
    saved[(t.untyped_storage().data_ptr(), t.untyped_storage().nbytes())] = t.untyped_storage().nbytes()
    return t
def step(count=False):
    if count:
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            loss = loss_of(module, batch)
    else:
        loss = loss_of(module, batch)
    opt.zero_grad(set_to_none=True); loss.backward()
    torch.nn.utils.clip_grad_norm_(module.parameters(), 100.0); opt.step()
step(count=True)
for _ in range(3):
    step()
params = sum(p.numel() * p.element_size() for p in module.parameters())
batch_bytes = sum(v.numel() * v.element_size() for v in batch.values())
needed = 4 * params + batch_bytes + sum(saved.values())
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base
print(f"{genes} genes, {'cradle-nb' if sys.argv[2] == 'ours' else 'released code'}: needed {needed / 1e9:.2f} GB (parameters x4 {4 * params / 1e9:.2f}, batch {batch_bytes / 1e9:.2f}, "
      f"saved for backward {sum(saved.values()) / 1e9:.2f}); peak {peak / 1e9:.2f} GB; ratio {peak / needed:.2f}")
'''

parser = argparse.ArgumentParser()
parser.add_argument("--genes", type=int, nargs="+", default=[2000, 5000])
parser.add_argument("--released", type=Path, help="a checkout of github.com/dmis-lab/CRADLE-VAE: measure its step too")
args = parser.parse_args()
here = str(Path(__file__).resolve().parent)
for genes in args.genes:
    for which in ["ours"] + ([str(args.released)] if args.released else []):
        print(subprocess.run([sys.executable, "-c", CHILD, str(genes), which, here], capture_output=True, text=True,
                             check=True).stdout.strip(), flush=True)
