"""The training steps the speed and memory benchmarks put side by side, on one random batch: ours and the released
CRADLE-VAE code's (github.com/dmis-lab/CRADLE-VAE), both in the Norman configuration.

The batch: `batch_size` cells of random counts over `genes` genes, each with one of `n_perturbations` single
perturbations, 15 % failing QC and 80 % with a counterfactual reference.

The released code needs a checkout of that repository and its dependencies pyro-ppl and pytorch-lightning. Its modules are imported
without its package `__init__` files, which import its predictor and through it rapids_singlecell and cupy (GPU
libraries). The model, guide and ELBO loss module are built as its `demo/cradle_vae_norman.yaml` configures them:
latent 200, decoder 1 x 400 concatenating its inputs, basal encoder 1 x 400 on log-standardised counts, embedding
encoder 4 x 400, beta 0.1; the training step (as its Lightning module runs it) uses 5 particles and Adam at lr 3e-4
with weight decay 1e-6, and clips the gradient norm at 100.
"""
import importlib
import sys
import types
from pathlib import Path

import numpy as np
import torch

from cradle_nb.losses import CradleModule
from cradle_nb.model import ModelConfig

PACKAGES = ("cradle_vae", "cradle_vae.models", "cradle_vae.models.cradle_vae", "cradle_vae.models.cradle_vae.guides",
            "cradle_vae.models.utils", "cradle_vae.data", "cradle_vae.data.utils")


def norman_batch(genes: int, n_perturbations: int = 100, batch_size: int = 512) -> dict:
    "One minibatch in our batch format (counts, dosage, qc, library, has_reference, reference), seeded."
    rng = np.random.default_rng(0)
    x = torch.as_tensor(rng.poisson(rng.gamma(0.3, 3.0, (batch_size, genes))).astype(np.float32)) + torch.eye(batch_size, genes)
    dosage = torch.zeros(batch_size, n_perturbations)
    dosage[torch.arange(batch_size), torch.randint(0, n_perturbations, (batch_size,))] = 1
    return {"counts": x, "dosage": dosage, "qc": (torch.rand(batch_size, 1) < 0.15).float(), "library": x.sum(1),
            "has_reference": torch.rand(batch_size) < 0.8, "reference": x[torch.randperm(batch_size)]}


def our_module(genes: int, n_perturbations: int = 100) -> CradleModule:
    "Our model in its default (Norman) configuration, with the training statistics of a 500-cells-per-perturbation screen."
    return CradleModule(ModelConfig(n_genes=genes, n_perturbations=n_perturbations, n_qc_flags=1), np.zeros(genes), np.ones(genes),
                        np.full(n_perturbations, 500), np.array([300]))


def import_released(path: Path):
    "The released model, guide, loss and statistics modules, without running the package `__init__` files."
    for name in PACKAGES:
        package = types.ModuleType(name)
        package.__path__ = [str(Path(path).joinpath(*name.split(".")))]
        sys.modules[name] = package
    return [importlib.import_module(f"cradle_vae.{name}") for name in
            ("models.cradle_vae.model", "models.cradle_vae.guides.correlated_normal_guide", "models.cradle_vae.loss_module",
             "data.utils.perturbation_datamodule")]


def released_step(path: Path, genes: int, n_perturbations: int, batch: dict, n_particles: int = 5):
    """The released loss module in its Norman configuration, and a function computing its loss on `batch` (our batch
    format: counts, dosage, qc, library, reference, has_reference; cells without a reference get a zero row, as the
    released data module gives them)."""
    model_module, guide_module, loss_module, data_module = import_released(path)
    P = n_perturbations
    model = model_module.cradle_vae_Model(n_latent=200, n_treatments=P, n_phenos=genes, n_qc=1, mask_prior_prob=0.01,
                                          embedding_prior_scale=1, likelihood_key="library_nb", decoder_n_layers=1,
                                          decoder_n_hidden=400, sum_mode=False)
    stats = data_module.ObservationNormalizationStatistics(log_x_mean=torch.zeros(genes), log_x_std=torch.ones(genes))
    guide = guide_module.cradle_vae_CorrelatedNormalGuide(
        n_latent=200, n_treatments=P, n_phenos=genes, n_qc=1, basal_encoder_n_layers=1, basal_encoder_n_hidden=400,
        basal_encoder_input_normalization="log_standardize", embedding_encoder_n_layers=4, embedding_encoder_n_hidden=400,
        x_normalization_stats=stats)
    module = loss_module.cradle_vae_ELBOLossModule(model=model, guide=guide, beta=0.1)
    reference = batch["reference"] * batch["has_reference"].unsqueeze(-1)
    device = reference.device
    cells_per_perturbation, cells_per_flag = torch.full((P,), 500.0, device=device), torch.tensor([300.0], device=device)

    def loss(m, b):
        return m.loss(X=b["counts"], D=b["dosage"], D_obs_counts=cells_per_perturbation, qc=b["qc"],
                      qc_obs_counts=cells_per_flag, cfX=reference, condition_values={"library_size": b["library"]},
                      n_particles=n_particles)[0]
    return module, loss
