"""A run trained with QC flags left out of the artifact branch (flags the perturbations move) judges cells the same way
after it is saved and reloaded on the raw file: the same modelled flags, the same failing cells."""
import numpy as np

from cradle_nb.simulate import simulate_perturbseq
from cradle_nb.vae import CradleVAE


def test_moved_flags_survive_save_and_reload_on_the_raw_file(tmp_path):
    # a shallow screen (130 UMIs per cell) on which perturbations move the detected-genes and MT flags
    adata = simulate_perturbseq(n_cells=3500, n_genes=200, seed=2, mean_library=130.0, baseline_sd=4.2)
    raw = adata.copy()
    CradleVAE.setup_anndata(adata, "perturbation", "control", doublets=False)
    moved = list(adata.uns["cradle_qc"]["moved"])
    assert moved, "the screen should have a moved flag"
    model = CradleVAE(adata, n_latent=4, decoder_hidden=8, encoder_hidden=8, embedding_hidden=4)
    assert not set(moved) & set(model.flags)
    model.train(max_epochs=1, progress=False)
    model.save(tmp_path / "run")
    again = CradleVAE.load(tmp_path / "run", raw)
    assert again.flags == model.flags and list(again.qc["moved"]) == moved
    np.testing.assert_array_equal(raw.obs["qc_fail"].to_numpy(), adata.obs["qc_fail"].to_numpy())
    for flag in moved:                                   # the left-out flag is still reported, and still not modelled
        np.testing.assert_array_equal(raw.obs[f"qc_fail_{flag}"].to_numpy(), adata.obs[f"qc_fail_{flag}"].to_numpy())
