"""Data-parallel training on two CPU processes with Gloo (how CI tests it): the objective, the replicas, failures."""
import subprocess
import sys

import numpy as np
import pytest
import torch

from cradle_nb.losses import CradleModule
from cradle_nb.model import ModelConfig
from cradle_nb.distributed import DistributedError, _check_replicas, launch, union_statistics

CELLS, HALF = 64, 32


def make_module_and_batch():
    "A small module and one batch of the simulated screen, identical in every process (seeded)."
    from cradle_nb.loaders import PerturbSeqDataset
    from cradle_nb.qc import counterfactual_references, qc_matrix
    from cradle_nb.registry import get_counts, dosage_matrix
    from cradle_nb.simulate import simulate_perturbseq
    from cradle_nb.vae import CradleVAE
    sim = simulate_perturbseq(n_cells=600, n_genes=60, seed=3)
    CradleVAE.setup_anndata(sim, "perturbation", "control", doublets=False)
    reg = sim.uns["cradle_nb"]
    counts = get_counts(sim)
    labels = sim.obs["perturbation"].astype(str).to_numpy()
    dosage = dosage_matrix(labels, reg["perturbations"])
    qc, _ = qc_matrix(sim)
    refs = counterfactual_references(counts, labels, qc[:, 0] > 0, sim.obs["cradle_split"].astype(str))
    dataset = PerturbSeqDataset(counts, dosage, qc, refs.references, refs.reference_of_cell)
    torch.manual_seed(0)
    config = ModelConfig(n_genes=60, n_perturbations=len(reg["perturbations"]), n_latent=6, decoder_hidden=16,
                         encoder_hidden=16, embedding_hidden=8)
    module = CradleModule(config, np.zeros(60), np.ones(60), np.full(len(reg["perturbations"]), 40.0), np.array([30.0]))
    fail = np.flatnonzero(qc[:, 0] > 0)[:20]                      # a batch with failing cells and references
    rows = np.concatenate([fail, np.setdiff1d(np.arange(CELLS * 2), fail)[: CELLS - len(fail)]])
    return module, dataset.__getitems__(rows)


def fixed_globals(module):
    "One draw of the global latents, detached: both sides of a comparison use it."
    torch.manual_seed(1)
    g = module.sample_globals(2)
    return type(g)(*(None if t is None else t.detach() for t in g.__dict__.values()))


def gradients(module, batch, g, union=None):
    module.zero_grad()
    module(batch, 2, g=g, union=union).loss.backward()
    return {n: p.grad.clone() for n, p in module.named_parameters() if p.grad is not None}


def first_step_worker(rank, world_size, out):
    "Each rank: its half of the batch through DistributedDataParallel, particles fixed; rank 0 compares with one process."
    torch.randn_like = torch.zeros_like                           # no noise: the same objective, exactly, on both sides
    module, batch = make_module_and_batch()
    g = fixed_globals(module)
    half = {k: v[rank * HALF:(rank + 1) * HALF] for k, v in batch.items()}
    ddp = torch.nn.parallel.DistributedDataParallel(module, find_unused_parameters=True)   # g is given: the guide's nets idle
    module.zero_grad()
    ddp(half, 2, g=g, union=union_statistics(half)).loss.backward()
    if rank == 0:
        reference = make_module_and_batch()[0]
        reference.load_state_dict(module.state_dict())
        expected = gradients(reference, batch, g)
        worst = {name: ((p.grad - expected[name]).abs().max() / expected[name].abs().max().clamp_min(1e-12)).item()
                 for name, p in module.named_parameters() if name in expected}
        open(out, "w").write(repr(worst))


def test_first_step_gradients_equal_one_process_on_the_union_batch(tmp_path):
    launch(first_step_worker, 2, str(tmp_path / "worst"))
    worst = eval((tmp_path / "worst").read_text())                # relative error of each parameter's gradient
    assert max(worst.values()) < 1e-4, worst


def test_the_union_batch_statistics_matter():
    "Without the union's statistics each half weighs its cells by its own failing fraction: the gradients differ."
    original, torch.randn_like = torch.randn_like, torch.zeros_like
    try:
        module, batch = make_module_and_batch()
        g = fixed_globals(module)
        whole = gradients(module, batch, g)
        halves = [gradients(module, {k: v[r * HALF:(r + 1) * HALF] for k, v in batch.items()}, g) for r in range(2)]
    finally:
        torch.randn_like = original
    averaged = {n: (halves[0][n] + halves[1][n]) / 2 for n in whole}
    assert any(not torch.allclose(averaged[n], whole[n], rtol=1e-3) for n in whole)


def failing_worker(rank, world_size):
    if rank == 1:
        raise ValueError("rank 1 broke on purpose")
    torch.distributed.barrier()                                  # rank 0 waits for a rank that never comes


def main_module_names():
    main = sys.modules["__main__"]
    return {key: main.__dict__.get(key, "absent") for key in ("__file__", "__spec__")}


def test_a_failing_rank_stops_the_others_with_its_error():
    before = main_module_names()
    with pytest.raises(DistributedError, match="rank 1 failed: ValueError: rank 1 broke on purpose"):
        launch(failing_worker, 2)
    assert main_module_names() == before                          # launch hides them while ranks start, then restores


SCRIPT = """
from pathlib import Path
from cradle_nb.simulate import simulate_perturbseq
from cradle_nb.vae import CradleVAE
with open(Path(__file__).with_suffix(".runs"), "a") as runs:     # each run of this top level leaves a line
    runs.write("ran\\n")
sim = simulate_perturbseq(n_cells=400, n_genes=40, seed=0)
CradleVAE.setup_anndata(sim, "perturbation", "control", doublets=False)
model = CradleVAE(sim, n_latent=4, decoder_hidden=8, encoder_hidden=8, embedding_hidden=8)
model.train(max_epochs=1, batch_size=64, n_particles=2, progress=False, devices=2)
print("epochs", len(model.history))
"""


def test_a_script_without_a_main_guard_trains_on_two_ranks(tmp_path):
    "The ranks do not run the caller's script again: it needs no `if __name__ == '__main__':`, its top level runs once."
    script = tmp_path / "train_screen.py"
    script.write_text(SCRIPT)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "epochs 1" in done.stdout
    assert (tmp_path / "train_screen.runs").read_text().split() == ["ran"]


def diverging_worker(rank, world_size):
    module = torch.nn.Linear(3, 2)
    torch.nn.init.constant_(module.weight, float(rank))
    _check_replicas(module)


def test_replicas_that_differ_are_caught():
    with pytest.raises(DistributedError, match="weights differ"):
        launch(diverging_worker, 2)


def test_two_ranks_train_save_and_load_in_one_process(tmp_path):
    import anndata as ad
    from cradle_nb.simulate import simulate_perturbseq
    from cradle_nb.vae import CradleVAE
    sim = simulate_perturbseq(n_cells=800, n_genes=80, seed=0)
    CradleVAE.setup_anndata(sim, "perturbation", "control", doublets=False)
    model = CradleVAE(sim, n_latent=6, decoder_hidden=16, encoder_hidden=16, embedding_hidden=8)
    model.train(max_epochs=3, batch_size=64, lr=3e-3, n_particles=2, progress=False, devices=2)
    assert model.history["val_loss"].iloc[-1] < model.history["val_loss"].iloc[0]
    model.save(tmp_path / "run")
    raw = simulate_perturbseq(n_cells=800, n_genes=80, seed=0)
    loaded = CradleVAE.load(tmp_path / "run", raw)
    for name, value in model.module.state_dict().items():
        assert torch.equal(loaded.module.state_dict()[name], value), name


def test_two_ranks_train_on_a_backed_file(tmp_path):
    "Spawned ranks open the user's store on disk themselves (the counts are never copied) and read their own blocks."
    from cradle_nb.registry import read_on_disk
    from cradle_nb.simulate import simulate_perturbseq
    from cradle_nb.vae import CradleVAE
    simulate_perturbseq(n_cells=800, n_genes=80, seed=0).write_zarr(tmp_path / "screen.zarr")
    backed = read_on_disk(tmp_path / "screen.zarr")
    CradleVAE.setup_anndata(backed, "perturbation", "control", doublets=False)
    model = CradleVAE(backed, n_latent=6, decoder_hidden=16, encoder_hidden=16, embedding_hidden=8)
    assert model._training_data().X is None
    model.train(max_epochs=2, batch_size=64, lr=3e-3, n_particles=2, progress=False, devices=2)
    assert len(model.history) == 2 and np.isfinite(model.history["val_loss"]).all()
