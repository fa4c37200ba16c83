"""Integration: simulate or load -> QC -> register -> split -> references -> one DataLoader batch."""
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from cradle_nb.registry import SPLIT_KEY, assign_split, dosage_matrix, get_counts, get_registry, register_anndata
from cradle_nb.loaders import PerturbSeqDataset, make_dataloader
from cradle_nb.simulate import simulate_perturbseq
from cradle_nb.qc import annotate_qc, counterfactual_references, qc_matrix


def build_batch(adata, batch_size=256):
    reg = get_registry(adata)
    counts = get_counts(adata, reg.layer)
    D = dosage_matrix(adata.obs[reg.perturbation_key].astype(str), reg.perturbations, reg.control_label, reg.delimiter)
    c, _ = qc_matrix(adata)
    refs = counterfactual_references(counts, adata.obs[reg.perturbation_key], c[:, 0] > 0, adata.obs[SPLIT_KEY])
    train = np.flatnonzero(adata.obs[SPLIT_KEY] == "train")
    ds = PerturbSeqDataset(counts, D, c, refs.references, refs.reference_of_cell, cells=train)
    return next(iter(make_dataloader(ds, batch_size=batch_size))), refs, D, counts


def check_batch(batch, refs, D, counts, batch_size):
    assert batch["counts"].shape == (batch_size, counts.shape[1])
    assert batch["dosage"].shape == (batch_size, D.shape[1])
    cells = batch["cell"].numpy()
    np.testing.assert_array_equal(batch["counts"].numpy(), counts[cells].toarray())
    np.testing.assert_allclose(batch["library"].numpy(), counts[cells].sum(1).A1)
    has = batch["has_reference"].numpy()
    np.testing.assert_array_equal(has, refs.reference_of_cell[cells] >= 0)
    np.testing.assert_array_equal(batch["reference"].numpy()[has], refs.references[refs.reference_of_cell[cells][has]].toarray())
    assert (batch["reference"].numpy()[~has] == 0).all()


def test_simulated_pipeline():
    adata = simulate_perturbseq(n_cells=3000, n_genes=300, seed=2)
    register_anndata(adata, "perturbation", "control")
    annotate_qc(adata, k=3, doublets=False)
    split = assign_split(adata, seed=2)
    test_labels = set(adata.obs["perturbation"][split == "test"])
    assert test_labels and all("+" in label for label in test_labels)
    batch, refs, D, counts = build_batch(adata)
    check_batch(batch, refs, D, counts, 256)
    combos = adata.obs["perturbation"].str.contains("+", regex=False).to_numpy()
    assert (D[combos].sum(1).A1 == 2).all() and (D[(adata.obs["perturbation"] == "control").to_numpy()].nnz == 0)


def test_real_thp1_pipeline(papalexi):
    adata = papalexi.copy()
    register_anndata(adata, "target", "control")
    qc = annotate_qc(adata, k=3)            # real doublet calls on 20k cells (exact neighbours)
    assert "doublet" in qc["flags"] and qc["thresholds"]["pct_mt"]["threshold"] is not None
    assert qc["skipped"]["pct_ribo"] == "no genes of this group in the panel"
    fail = adata.obs["qc_fail"].mean()
    assert 0.01 < fail < 0.4, f"{fail:.1%} of real cells fail QC at k=3"
    assign_split(adata, seed=0)              # single-perturbation screen: random stratified split
    assert set(adata.obs[SPLIT_KEY].unique()) == {"train", "val", "test"}
    batch, refs, D, counts = build_batch(adata, batch_size=512)
    check_batch(batch, refs, D, counts, 512)
    assert refs.has_reference.mean() > 0.5
    # the user's AnnData keeps its counts
    np.testing.assert_array_equal(adata.X.data, papalexi.X.data)


def test_paper_qc_protocol_on_real_cells(papalexi):
    "The released evaluation's raw-scale MAD rule on real THP-1 cells: what it can and cannot flag on this panel."
    from cradle_nb.qc_rates import paper_qc_pass_rates, paper_qc_reference
    reference = paper_qc_reference(papalexi.X, papalexi.var_names)
    lower_cut = reference["total_counts"]["median"] - 3 * reference["total_counts"]["mad"]
    rates = paper_qc_pass_rates(papalexi.X, papalexi.var_names, reference)
    # no ribosomal or haemoglobin genes: those flags exist and flag nothing; the raw-scale count cut flags only
    # what lies below median - 3 MAD, nothing at all when that cut is negative (as on this shallow panel)
    assert rates["paper_qc_flag_rate_pct_counts_ribo_k3"] == rates["paper_qc_flag_rate_pct_counts_hb_k3"] == 0.0
    totals = np.asarray(papalexi.X.sum(1)).ravel()
    assert rates["paper_qc_flag_rate_total_counts_k3"] == pytest.approx((totals < lower_cut).mean())
    assert rates["paper_qc_flag_rate_pct_counts_mt_k3"] > 0
    assert rates["paper_qc_pass_rate_k3"] <= rates["paper_qc_pass_rate_k4"] <= rates["paper_qc_pass_rate_k5"] < 1


def test_setup_on_a_backed_file_matches_in_memory(tmp_path):
    "setup_anndata on an AnnData opened with backed='r' reads blocks of rows and doublet groups, never the whole matrix."
    import anndata as ad
    from cradle_nb.registry import count_blocks
    from cradle_nb.vae import CradleVAE
    simulate_perturbseq(n_cells=3000, n_genes=120, seed=4).write_h5ad(tmp_path / "screen.h5ad")
    memory = ad.read_h5ad(tmp_path / "screen.h5ad")
    backed = ad.read_h5ad(tmp_path / "screen.h5ad", backed="r")
    for adata in (memory, backed):
        CradleVAE.setup_anndata(adata, "perturbation", "control", seed=0)
    assert backed.isbacked
    for column in ["qc_fail", "qc_total_counts", "qc_pct_mt", "cradle_split"]:
        np.testing.assert_array_equal(memory.obs[column].to_numpy(), backed.obs[column].to_numpy())
    assert memory.uns["cradle_qc"]["thresholds"] == backed.uns["cradle_qc"]["thresholds"]
    blocks = list(count_blocks(backed, size=700))
    assert [start for start, _ in blocks] == [0, 700, 1400, 2100, 2800]
    np.testing.assert_array_equal(sp.vstack([b for _, b in blocks], format="csr").toarray(), memory.X.toarray())


def _digest(path):
    import hashlib
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return hashlib.sha256(b"".join(p.read_bytes() for p in files)).hexdigest()


@pytest.mark.parametrize("kind", ["h5ad", "zarr"])
def test_training_on_a_backed_file(tmp_path, kind):
    """Training on an AnnData whose matrix stays on disk (an h5ad opened with backed='r', a zarr store): the same
    statistics, references and minibatches as in memory, read from disk a buffer at a time; the run saves, loads on
    the file and predicts; the file is not written."""
    import anndata as ad
    from cradle_nb.loaders import epoch_buffers
    from cradle_nb.registry import disk_path, read_on_disk
    from cradle_nb.vae import CradleVAE
    path = tmp_path / f"screen.{kind}"
    screen = simulate_perturbseq(n_cells=2000, n_genes=80, seed=5)
    screen.write_h5ad(path) if kind == "h5ad" else screen.write_zarr(path)
    digest = _digest(path)
    memory, backed = screen.copy(), read_on_disk(path)
    assert disk_path(backed) == str(path.resolve())             # where spawned ranks open it again
    for adata in (memory, backed):
        CradleVAE.setup_anndata(adata, "perturbation", "control", doublets=False, seed=0)
    models = [CradleVAE(adata, n_latent=8, n_reference_partners=10) for adata in (memory, backed)]
    encoders = [m.module.guide.encoder for m in models]
    np.testing.assert_allclose(encoders[0].log_mean, encoders[1].log_mean, rtol=1e-6)
    np.testing.assert_allclose(encoders[0].log_std, encoders[1].log_std, rtol=1e-6)
    data = [m._tensors(a) for m, a in zip(models, (memory, backed))]
    assert not sp.issparse(data[1]["counts"]), "the backed counts were read into memory"
    np.testing.assert_array_equal(data[0]["library"], data[1]["library"])
    assert abs(data[0]["references"].references - data[1]["references"].references).max() == 0
    sets = [m._dataset(d, "train") for m, d in zip(models, data)]
    assert sets[1].on_disk and not sets[0].on_disk
    buffers = epoch_buffers(len(sets[1]), seed=1, on_disk=True, batch_size=64, block_size=16, fetch_factor=4)
    sets[1].fetch(buffers[1])
    batches = [s.__getitems__(buffers[1][64:128]) for s in sets]
    for key in batches[0]:
        np.testing.assert_array_equal(batches[0][key].numpy(), batches[1][key].numpy(), err_msg=key)
    model = models[1].train(max_epochs=2, batch_size=128, n_particles=2, progress=False)
    assert len(model.history) == 2 and np.isfinite(model.history["val_loss"]).all()
    run = model.save(tmp_path / "run")
    loaded = CradleVAE.load(run, read_on_disk(path))
    np.testing.assert_array_equal(loaded._adata.obs["cradle_split"].to_numpy(), backed.obs["cradle_split"].to_numpy())
    ate = loaded.predict_ate(["A"] if "A" in loaded.registry.perturbations else loaded.registry.perturbations[:1], n_particles=100)
    assert np.isfinite(ate.X).all()
    assert loaded.get_latent().obsm["basal"].shape == (2000, 8)
    assert _digest(path) == digest, "the screen's file was rewritten"


def test_evaluation_on_a_backed_file_equals_in_memory(tmp_path):
    "evaluate() on the file left on disk reads it in blocks and subsets and gives the in-memory numbers."
    import anndata as ad
    from cradle_nb.evaluate import evaluate
    from cradle_nb.registry import read_on_disk
    from cradle_nb.vae import CradleVAE
    path = tmp_path / "screen.h5ad"
    simulate_perturbseq(n_cells=1500, n_genes=60, seed=6).write_h5ad(path)
    memory = ad.read_h5ad(path)
    CradleVAE.setup_anndata(memory, "perturbation", "control", doublets=False, seed=0)
    model = CradleVAE(memory, n_latent=6, decoder_hidden=16, encoder_hidden=16, embedding_hidden=8)
    model.train(max_epochs=2, batch_size=256, lr=3e-3, n_particles=2, progress=False)
    run = model.save(tmp_path / "run")
    on_disk = CradleVAE.load(run, read_on_disk(path))
    options = dict(n_particles=60, n_generated=20, iwelbo_particles=4, doublets=False, seed=0)
    assert on_disk._adata.isbacked
    got = evaluate(on_disk, on_disk._adata, **options)
    reference = evaluate(CradleVAE.load(run, memory), memory, **options)
    assert len(got) == len(reference) > 50
    merged = got.merge(reference, on=["model", "split", "metric"], suffixes=("_disk", "_memory"))
    assert len(merged) == len(got)
    np.testing.assert_allclose(merged["value_disk"], merged["value_memory"], rtol=1e-5, atol=1e-6, equal_nan=True)


def test_dispersions_far_past_the_bound_keep_the_elbo_a_log_probability():
    """Counts with less spread than an NB's pull their genes' dispersions up at Adam's learning rate once the warm-up
    ends (a gene held at a fixed share of every library, here). Started where such a climb ends, far past where float32
    loses the NB's log-gamma terms, training keeps every ELBO of its history at or below 0 (a log-probability of
    counts, which textbook float32 terms break by thousands) and reads theta at the bound."""
    from cradle_nb.model import MAX_LOG_DISPERSION
    from cradle_nb.vae import CradleVAE
    adata = simulate_perturbseq(n_cells=800, n_genes=40, n_perturbations=3, n_combinations=0, seed=7)
    counts = adata.X.toarray()
    counts[:, :4] = np.round(0.02 * counts[:, 4:].sum(1, keepdims=True))
    adata.X = sp.csr_matrix(counts)
    CradleVAE.setup_anndata(adata, "perturbation", "control", doublets=False, seed=0)
    model = CradleVAE(adata, n_latent=4, decoder_hidden=16, encoder_hidden=16, embedding_hidden=8, n_reference_partners=5)
    model.module.generative.decoder.log_dispersion.data[:4] = 25.0
    model.train(max_epochs=8, batch_size=64, warmup_epochs=0, progress=False)
    assert model.module.generative.log_dispersion()[:4].max() <= MAX_LOG_DISPERSION
    elbos = model.history[["train_elbo", "val_elbo"]].to_numpy()
    assert np.isfinite(elbos).all() and (elbos <= 0).all(), elbos.max()


def test_a_screen_where_no_cell_fails_qc_trains():
    "A user's own QC column that flags nothing (a pre-filtered screen): the artifact branch has nothing to learn, and training runs."
    from cradle_nb.vae import CradleVAE
    adata = simulate_perturbseq(n_cells=600, n_genes=60, seed=4)
    adata.obs["kept"] = False
    CradleVAE.setup_anndata(adata, "perturbation", "control", qc_key="kept")
    model = CradleVAE(adata, n_latent=4, seed=0).train(max_epochs=2, progress=False)
    assert len(model.history) == 2 and np.isfinite(model.history[["train_elbo", "val_elbo"]].to_numpy()).all()
