"""Every CLI command end to end on a tiny simulated screen, as a user would run them."""
import json
import subprocess
import sys

import anndata as ad
import numpy as np
import pytest
import yaml

from cradle_nb.simulate import simulate_perturbseq


def run(*args):
    return subprocess.run([sys.executable, "-c", "import sys; from cradle_nb.cli import main; sys.exit(main(sys.argv[1:]))", *args],
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli")
    data = tmp / "screen.h5ad"
    sim = simulate_perturbseq(n_cells=800, n_genes=100, seed=0)
    sim.obs = sim.obs.rename(columns={"perturbation": "condition"})
    sim.write_h5ad(data)
    config = tmp / "config.yaml"
    config.write_text(yaml.safe_dump({"model": {"n_latent": 6, "decoder_hidden": 16, "encoder_hidden": 16, "embedding_hidden": 8},
                                      "train": {"batch_size": 128, "n_particles": 2, "lr": 0.003}}))
    result = run("train", str(data), "--perturbation-key", "condition", "--control", "control", "--out", str(tmp / "run"),
                 "--max-epochs", "3", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "saved to" in result.stdout
    (tmp / "train.log").write_text(result.stdout)
    # the split it drew: 16 combinations hold out 4 as test and too few to hold out validation combinations
    assert "combinations held out whole as test" in result.stdout and "as val" not in result.stdout
    return tmp


def test_train_writes_a_loadable_run(trained):
    names = {p.name for p in (trained / "run").iterdir()}
    assert {"config.json", "weights.safetensors", "history.csv", "setup.json", "manifest.json"} <= names


def test_train_names_the_effects_it_did_not_learn(trained):
    "The line train prints names exactly the perturbations that the saved run's `effect_recovery` calls unlearned."
    from cradle_nb.vae import CradleVAE
    line = next(l for l in (trained / "train.log").read_text().splitlines() if l.startswith("effects learned:"))
    recovery = CradleVAE.load(trained / "run", ad.read_h5ad(trained / "screen.h5ad")).effect_recovery()
    missed = recovery[recovery["unlearned"]]
    assert all(f"{p} ({r:.2f})" in line for p, r in missed["recovered"].items())
    assert ("not learned" in line) == (len(missed) > 0)


def test_evaluate_writes_metrics_records(trained):
    result = run("evaluate", str(trained / "run"), "--out", str(trained / "metrics.json"), "--n-particles", "50")
    assert result.returncode == 0, result.stderr
    records = json.loads((trained / "metrics.json").read_text())
    assert {"model", "split", "metric", "value"} == set(records[0])
    models = {r["model"] for r in records}
    assert {"cradle-vae", "additive", "no-change"} <= models
    share = next(r["value"] for r in records if r["metric"] == "unlearned_effects" and r["model"] == "cradle-vae")
    assert f"did not learn (unlearned_effects): cradle-vae {share:.2f}" in result.stdout
    assert any(r["metric"] == "qc_pass_rate_k3" and r["model"] == "cradle-vae" for r in records)
    for plot in ["training_curves.png", "ate_scatter.png", "qc_pass_rates.png", "qc_flags.png", "basal_latent.png", "masks.png"]:
        assert (trained / plot).stat().st_size > 1000, plot


def test_evaluate_several_runs_in_one_table(trained):
    "CRADLE-VAE and SAMS-VAE of one set-up, named from their configurations, with the baselines and the ceiling once."
    sams = run("train", str(trained / "screen.h5ad"), "--perturbation-key", "condition", "--control", "control",
               "--out", str(trained / "sams"), "--max-epochs", "2", "--no-artifact-model", "--config", str(trained / "config.yaml"))
    assert sams.returncode == 0, sams.stderr
    out = trained / "both" / "metrics.json"
    out.parent.mkdir()
    result = run("evaluate", str(trained / "run"), str(trained / "sams"), "--out", str(out), "--n-particles", "50", "--basal", "prior")
    assert result.returncode == 0, result.stderr
    records = json.loads(out.read_text())
    models = [r["model"] for r in records if r["metric"] == "pearson_delta" and r["split"] == "test"]
    assert sorted(models) == ["additive", "ceiling", "cradle-vae", "no-change", "sams-vae"]
    metrics = {r["metric"] for r in records}
    assert {"paper_qc_pass_rate_k3", "basal_qc_probe_auroc", "discrimination_score_l1", "energy_distance",
            "de_overlap_top50", "pearson_delta_systema"} <= metrics
    # a run set up with another split cannot join the table
    other = run("train", str(trained / "screen.h5ad"), "--perturbation-key", "condition", "--control", "control",
                "--out", str(trained / "seed1"), "--max-epochs", "1", "--seed", "1", "--config", str(trained / "config.yaml"))
    assert other.returncode == 0, other.stderr
    refused = run("evaluate", str(trained / "run"), str(trained / "seed1"))
    assert refused.returncode == 2 and "set up differently" in refused.stderr and "seed" in refused.stderr


def test_predict_writes_generated_cells(trained):
    out = trained / "pred.h5ad"
    result = run("predict", str(trained / "run"), "--perturbations", "P01+P02,P03", "--n-cells", "7", "--n-particles", "20",
                 "--n-observed", "30", "--out", str(out))
    assert result.returncode == 0, result.stderr
    cells = ad.read_h5ad(out)
    assert cells.shape == (14, 100) and (cells.X >= 0).all()
    assert list(cells.obs["condition"].unique()) == ["P01+P02", "P03"]
    ate, lower, upper = (cells.uns[k] for k in ("ate", "ate_lower", "ate_upper"))
    assert list(ate.index) == ["P01+P02", "P03"] and list(ate.columns) == list(cells.var_names)
    assert lower.shape == (2, 100) and (lower.to_numpy() <= upper.to_numpy()).all()
    # calibrated on the validation cells by default (this small screen holds out no validation combination, so an
    # unseen pair takes the trained factor), and the predictive band of 30 observed cells is the wider
    assert "the factor new cells of trained perturbations ask for" in result.stdout
    assert "the same for perturbations without training cells (no validation combination)" in result.stdout
    assert "unseen combinations' bands add the spread of the interactions of 12 trained combinations" in result.stdout
    width = lambda kind: (cells.uns[f"ate_{kind}upper"] - cells.uns[f"ate_{kind}lower"]).to_numpy().mean()
    assert width("predictive_") > width("")
    # a warning exactly when a requested perturbation has a member the run did not learn
    from cradle_nb.vae import CradleVAE
    recovery = CradleVAE.load(trained / "run", ad.read_h5ad(trained / "screen.h5ad")).effect_recovery(perturbations=["P01", "P02", "P03"])
    assert ("contain an effect the model did not learn" in result.stdout) == bool(recovery["unlearned"].any())


def test_predict_the_test_split_with_controls(trained):
    "`--perturbations test --with-controls`: every test perturbation and the control, integer counts under the training key."
    out = trained / "pred_test.h5ad"
    result = run("predict", str(trained / "run"), "--perturbations", "test", "--with-controls", "--n-cells", "5",
                 "--n-particles", "50", "--out", str(out))
    assert result.returncode == 0, result.stderr
    cells, screen = ad.read_h5ad(out), ad.read_h5ad(trained / "screen.h5ad")
    from cradle_nb.vae import CradleVAE
    CradleVAE.load(trained / "run", screen)
    test = set(screen.obs.loc[screen.obs["cradle_split"] == "test", "condition"].astype(str)) - {"control"}
    assert set(cells.obs["condition"]) == test | {"control"}
    assert (cells.obs["condition"].value_counts() == 5).all()
    assert np.array_equal(cells.X, np.round(cells.X)) and (cells.X >= 0).all()


def test_reload_on_the_raw_file_needs_no_setup(trained):
    "The next day: the raw file and the run, nothing else; QC flags and the split come back exactly."
    from cradle_nb.vae import CradleVAE
    raw = ad.read_h5ad(trained / "screen.h5ad")
    assert "qc_fail" not in raw.obs
    model = CradleVAE.load(trained / "run", raw)
    first = ad.read_h5ad(trained / "screen.h5ad")
    from cradle_nb.checkpoints import read_setup
    setup = read_setup(trained / "run")           # setup_anndata's own arguments, and where the screen is
    CradleVAE.setup_anndata(first, **{k: v for k, v in setup.items() if k not in ("data", "backed")})
    assert (raw.obs["qc_fail"].to_numpy() == first.obs["qc_fail"].to_numpy()).all()
    assert (raw.obs["cradle_split"].astype(str).to_numpy() == first.obs["cradle_split"].astype(str).to_numpy()).all()
    assert model.predict_ate(["P01"], n_particles=50).shape == (1, 100)


def test_a_fixed_dispersion_holds_through_a_saved_run(trained, tmp_path):
    "`--dispersion fixed`: no parameter learns it; the loaded run decodes with the value given."
    from cradle_nb.vae import CradleVAE
    out = tmp_path / "fixed"
    result = run("train", str(trained / "screen.h5ad"), "--perturbation-key", "condition", "--control", "control",
                 "--out", str(out), "--max-epochs", "1", "--dispersion", "fixed", "--dispersion-value", "3",
                 "--config", str(trained / "config.yaml"))
    assert result.returncode == 0, result.stderr
    model = CradleVAE.load(out, ad.read_h5ad(trained / "screen.h5ad"))
    assert model.config.dispersion == "fixed"
    assert np.allclose(model.module.generative.log_dispersion().exp().numpy(), 3.0)
    assert json.loads((out / "config.json").read_text())["model"]["dispersion_value"] == 3.0


def test_correct_writes_corrected_and_observed_counts(trained):
    out = trained / "corrected.h5ad"
    result = run("correct", str(trained / "run"), "--out", str(out))
    assert result.returncode == 0, result.stderr
    corrected, screen = ad.read_h5ad(out), ad.read_h5ad(trained / "screen.h5ad")
    assert corrected.shape == screen.shape and {"corrected", "counts"} <= set(corrected.layers)
    assert (corrected.layers["counts"] != screen.X).nnz == 0
    # by default failing cells are decoded at a passing cell's depth, passing cells at their own
    fail, own = corrected.obs["qc_fail"].to_numpy(bool), np.asarray(screen.X.sum(1)).ravel()
    np.testing.assert_allclose(corrected.X.sum(1)[~fail], own[~fail], rtol=1e-3)
    np.testing.assert_allclose(corrected.obs["corrected_library"].to_numpy()[~fail], own[~fail])
    assert np.median(corrected.obs["corrected_library"].to_numpy()[fail]) > 1.5 * np.median(own[fail])
    before = (trained / "screen.h5ad").read_bytes()
    onto_screen = run("correct", str(trained / "run"), "--out", str(trained / "screen.h5ad"))
    assert onto_screen.returncode == 2 and "is the input screen" in onto_screen.stderr
    assert (trained / "screen.h5ad").read_bytes() == before
    from cradle_nb.cli import main                  # --library own: every cell keeps its library
    assert main(["correct", str(trained / "run"), "--out", str(trained / "own.h5ad"), "--library", "own"]) == 0
    kept = ad.read_h5ad(trained / "own.h5ad")
    np.testing.assert_allclose(kept.X.sum(1), own, rtol=1e-3)


def test_qc_report_command(trained, tmp_path):
    data = trained / "screen.h5ad"
    before = data.read_bytes()
    result = run("qc", str(data), "--perturbation-key", "condition", "--control", "control", "--out", str(tmp_path / "qc"))
    assert result.returncode == 0, result.stderr
    names = {p.name for p in (tmp_path / "qc").iterdir()}
    assert {"thresholds.csv", "flags.csv", "perturbations.csv", "methods.md", "qc_metrics.png", "qc_by_perturbation.png"} <= names
    assert "median absolute deviations" in (tmp_path / "qc" / "methods.md").read_text()
    assert data.read_bytes() == before
    # the same report with the matrix left on disk, read a block at a time (no flag moves on this screen, so keeping
    # the moved flags changes nothing)
    backed = run("qc", str(data), "--perturbation-key", "condition", "--control", "control", "--out", str(tmp_path / "qc_b"),
                 "--backed", "--keep-moved-flags")
    assert backed.returncode == 0, backed.stderr
    assert (tmp_path / "qc_b" / "perturbations.csv").read_text() == (tmp_path / "qc" / "perturbations.csv").read_text()
    flags = [l.split(",") for l in (tmp_path / "qc" / "flags.csv").read_text().splitlines()]
    assert flags[0][:4] == ["flag", "cells", "fraction", "modelled"] and all(r[3] == "True" for r in flags[1:])



def test_train_and_predict_with_the_matrix_on_disk(trained, tmp_path):
    "train --backed reads the screen a block at a time and records it; --resume, predict and evaluate then read it the same way."
    data = trained / "screen.h5ad"
    before = data.read_bytes()
    out = tmp_path / "run_backed"
    result = run("train", str(data), "--perturbation-key", "condition", "--control", "control", "--out", str(out),
                 "--max-epochs", "2", "--config", str(trained / "config.yaml"), "--backed")
    assert result.returncode == 0, result.stderr
    assert "(on disk)" in result.stdout
    assert json.loads((out / "setup.json").read_text())["backed"] is True
    resumed = run("train", str(data), "--resume", str(out), "--max-epochs", "1")
    assert resumed.returncode == 0, resumed.stderr
    assert len((out / "history.csv").read_text().strip().splitlines()) == 1 + 3
    predicted = run("predict", str(out), "--perturbations", "test", "--out", str(tmp_path / "p.h5ad"), "--n-cells", "5",
                    "--n-particles", "50", "--real-out", str(tmp_path / "real.h5ad"), "--backed")
    assert predicted.returncode == 0, predicted.stderr
    real = ad.read_h5ad(tmp_path / "real.h5ad")
    memory = ad.read_h5ad(data)
    np.testing.assert_array_equal(real.X.toarray(), memory[real.obs_names].X.toarray())
    evaluated = run("evaluate", str(out), "--n-particles", "50", "--out", str(tmp_path / "m.json"))   # on disk, as trained
    assert evaluated.returncode == 0, evaluated.stderr
    assert "(on disk)" in evaluated.stdout
    assert "pearson_delta" in (tmp_path / "m.json").read_text()
    corrected = run("correct", str(out), "--out", str(tmp_path / "c.h5ad"))                          # on disk, as trained
    assert corrected.returncode == 0, corrected.stderr
    assert "(counts read from disk)" in corrected.stdout
    written = ad.read_h5ad(tmp_path / "c.h5ad")
    from cradle_nb.vae import CradleVAE
    in_memory = CradleVAE.load(out, memory).get_corrected_counts(memory)
    np.testing.assert_allclose(written.X, in_memory.X, rtol=1e-5, atol=1e-4)
    np.testing.assert_array_equal(written.layers["counts"].toarray(), memory.X.toarray())
    assert data.read_bytes() == before

def test_ctrl_c_saves_a_resumable_run(trained, tmp_path, monkeypatch, capsys):
    "Ctrl-C in the second epoch: the first is saved, the command says how to resume, and --resume continues."
    from cradle_nb.cli import main
    from cradle_nb.vae import CradleVAE
    real, calls = CradleVAE._evaluate_loss, []
    def interrupt_second(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)
    monkeypatch.setattr(CradleVAE, "_evaluate_loss", interrupt_second)
    run_dir = tmp_path / "run"
    common = ["--config", str(trained / "config.yaml")]
    assert main(["train", str(trained / "screen.h5ad"), "--perturbation-key", "condition", "--control", "control",
                 "--out", str(run_dir), "--max-epochs", "5", *common]) == 0
    assert f"--resume {run_dir}" in capsys.readouterr().out
    monkeypatch.setattr(CradleVAE, "_evaluate_loss", real)
    assert len(CradleVAE.load(run_dir, ad.read_h5ad(trained / "screen.h5ad")).history) == 1
    assert main(["train", str(trained / "screen.h5ad"), "--resume", str(run_dir), "--max-epochs", "2", "--lr", "0.001", *common]) == 0
    assert CradleVAE.load(run_dir, ad.read_h5ad(trained / "screen.h5ad")).history["epoch"].tolist() == [0, 1, 2]


def test_cell_eval_scores_our_predictions(trained, tmp_path):
    "The field's exchange format for real: cell-eval reads `predict`'s files and scores them without error."
    pytest.importorskip("cell_eval", reason="cell-eval is an optional extra: pip install -e '.[eval]'")
    pred, real = tmp_path / "pred.h5ad", tmp_path / "real.h5ad"
    result = run("predict", str(trained / "run"), "--perturbations", "test", "--with-controls", "--n-cells", "40",
                 "--n-particles", "50", "--out", str(pred), "--real-out", str(real), "--log1p")
    assert result.returncode == 0, result.stderr
    scored = subprocess.run([sys.executable, "-m", "cell_eval", "run", "-ap", str(pred), "-ar", str(real), "--pert-col", "condition",
                             "--control-pert", "control", "-o", str(tmp_path / "ce"), "--num-threads", "1"],
                            capture_output=True, text=True, timeout=600)
    assert scored.returncode == 0, scored.stderr[-2000:]
    import pandas as pd
    results = pd.read_csv(tmp_path / "ce" / "results.csv")
    assert {"pearson_delta", "discrimination_score_l1"} <= set(results.columns)
    assert len(results) == len(set(ad.read_h5ad(pred).obs["condition"]) - {"control"})
    assert results["discrimination_score_l1"].between(0, 1).all()


@pytest.mark.parametrize("args, message", [
    (["predict", "RUN", "--perturbations", "P01+NOPE", "--out", "x.h5ad"], "['NOPE']"),
    (["evaluate", "/no/such/run"], "no run folder at /no/such/run"),
    (["predict", "RUN", "--perturbations", ",", "--out", "x.h5ad"], "no perturbation labels"),
    (["predict", "RUN", "--perturbations", "P01", "--out", "/no/such/folder/x.h5ad"], "the folder /no/such/folder does not exist"),
    (["train", "DATA", "--perturbation-key", "condition", "--control", "control", "--out", "r", "--config", "BADCONFIG"],
     "train.lr: 'fast' is not a number"),
    (["train", "DATA", "--perturbation-key", "condition", "--control", "ctrl", "--out", "r"], "control label 'ctrl' does not occur"),
])
def test_bad_input_is_one_line_and_status_2(trained, args, message):
    (trained / "bad.yaml").write_text("train:\n  lr: fast\n")
    args = [a.replace("RUN", str(trained / "run")).replace("DATA", str(trained / "screen.h5ad"))
            .replace("BADCONFIG", str(trained / "bad.yaml")) for a in args]
    result = run(*args)
    assert result.returncode == 2 and message in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr


def test_non_counts_are_refused(trained, tmp_path):
    adata = ad.read_h5ad(trained / "screen.h5ad")
    adata.X = adata.X.astype(np.float32) * 0.5
    adata.write_h5ad(tmp_path / "lognorm.h5ad")
    result = run("train", str(tmp_path / "lognorm.h5ad"), "--perturbation-key", "condition", "--control", "control", "--out", str(tmp_path / "r"))
    assert result.returncode == 2 and "non-integer" in result.stderr


def test_help_for_every_command():
    for command in ["qc", "demo", "train", "evaluate", "predict", "correct"]:
        result = run(command, "--help")
        assert result.returncode == 0 and "usage: cradle-nb" in result.stdout


def test_torchrun_two_ranks_write_one_run(trained, tmp_path):
    "The cluster path: `torchrun` starts two ranks (Gloo here), both train, rank 0 alone writes the run; it loads in one process."
    result = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "-m", "cradle_nb.cli", "train",
                             str(trained / "screen.h5ad"), "--perturbation-key", "condition", "--control", "control",
                             "--out", str(tmp_path / "run"), "--max-epochs", "2", "--config", str(trained / "config.yaml")],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.count("saved to") == 1
    from cradle_nb.vae import CradleVAE
    assert len(CradleVAE.load(tmp_path / "run", ad.read_h5ad(trained / "screen.h5ad")).history) == 2


def test_no_command_writes_over_its_input_or_a_run_unasked(trained, tmp_path):
    "predict / evaluate / correct onto the screen: refused; onto an existing file or run: refused without --overwrite."
    screen, before = trained / "screen.h5ad", (trained / "screen.h5ad").read_bytes()
    for args in (["predict", str(trained / "run"), "--perturbations", "P03", "--out", str(screen)],
                 ["predict", str(trained / "run"), "--perturbations", "P03", "--out", str(tmp_path / "p.h5ad"), "--real-out", str(screen)],
                 ["evaluate", str(trained / "run"), "--out", str(screen)],
                 ["correct", str(trained / "run"), "--out", str(screen), "--overwrite"]):
        result = run(*args)
        assert result.returncode == 2 and "is the input screen" in result.stderr, (args, result.stderr)
    assert screen.read_bytes() == before
    existing = tmp_path / "pred.h5ad"
    existing.write_text("mine")
    predict = ["predict", str(trained / "run"), "--perturbations", "P03", "--n-cells", "3", "--n-particles", "20", "--out", str(existing)]
    refused = run(*predict)
    assert refused.returncode == 2 and "exists: pass --overwrite" in refused.stderr and existing.read_text() == "mine"
    assert run(*predict, "--overwrite").returncode == 0 and ad.read_h5ad(existing).n_obs == 3
    # train onto an existing run without --resume or --overwrite: the run and its files stay
    run_files = sorted(p.name for p in (trained / "run").iterdir())
    again = run("train", str(screen), "--perturbation-key", "condition", "--control", "control", "--out", str(trained / "run"),
                "--max-epochs", "1", "--config", str(trained / "config.yaml"))
    assert again.returncode == 2 and "--resume" in again.stderr and "--overwrite" in again.stderr
    assert sorted(p.name for p in (trained / "run").iterdir()) == run_files


def test_a_run_saved_from_python_works_with_every_command(trained, tmp_path):
    "One owner of the run format: CradleVAE.save writes what the commands read (with --data when it does not know its file)."
    from cradle_nb.vae import CradleVAE
    screen = ad.read_h5ad(trained / "screen.h5ad")
    CradleVAE.setup_anndata(screen, "condition", "control", doublets=False)
    model = CradleVAE(screen, n_latent=4, decoder_hidden=8, encoder_hidden=8, embedding_hidden=8)
    model.train(max_epochs=1, n_particles=1, progress=False)
    model.save(tmp_path / "py")
    data = ["--data", str(trained / "screen.h5ad")]
    unknown = run("predict", str(tmp_path / "py"), "--perturbations", "P03", "--out", str(tmp_path / "a.h5ad"))
    assert unknown.returncode == 2 and "pass --data" in unknown.stderr
    for args in (["predict", str(tmp_path / "py"), "--perturbations", "test", "--n-cells", "3", "--n-particles", "20",
                  "--out", str(tmp_path / "p.h5ad"), *data],
                 ["evaluate", str(tmp_path / "py"), "--n-particles", "20", *data],
                 ["correct", str(tmp_path / "py"), "--out", str(tmp_path / "c.h5ad"), *data]):
        result = run(*args)
        assert result.returncode == 0, (args, result.stderr[-1500:])
    model.save(tmp_path / "py_known", data=trained / "screen.h5ad")       # a run that knows its file needs no --data
    assert run("predict", str(tmp_path / "py_known"), "--perturbations", "P03", "--n-cells", "2", "--n-particles", "20",
               "--out", str(tmp_path / "k.h5ad")).returncode == 0


def test_the_same_seed_gives_the_same_weights_and_the_config_seed_holds(trained, tmp_path):
    "`--seed` fixes the starting weights too; a config's seed is used when --seed is not given."
    from safetensors.torch import load_file
    import torch
    config = tmp_path / "seeded.yaml"
    config.write_text(yaml.safe_dump({"model": {"n_latent": 4, "decoder_hidden": 8, "encoder_hidden": 8, "embedding_hidden": 8},
                                      "train": {"batch_size": 128, "n_particles": 1, "seed": 7}}))
    common = [str(trained / "screen.h5ad"), "--perturbation-key", "condition", "--control", "control", "--max-epochs", "1",
              "--config", str(config)]
    for name in ("a", "b"):
        assert run("train", *common, "--out", str(tmp_path / name)).returncode == 0
    a, b = (load_file(tmp_path / name / "weights.safetensors") for name in ("a", "b"))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert json.loads((tmp_path / "a" / "setup.json").read_text())["seed"] == 7     # --seed given wins: 19_cli tests it


def test_data_parallel_with_the_users_split_and_batch_columns(trained, tmp_path):
    "`--devices 2 --split-key split --batch-key sample`: the columns reach both ranks; the run predicts."
    screen = ad.read_h5ad(trained / "screen.h5ad")
    rng = np.random.default_rng(0)
    screen.obs["split"] = rng.choice(["train", "val", "test"], screen.n_obs, p=[0.7, 0.15, 0.15])
    screen.obs["sample"] = rng.choice(["lane1", "lane2"], screen.n_obs)
    screen.write_h5ad(tmp_path / "screen.h5ad")
    result = run("train", str(tmp_path / "screen.h5ad"), "--perturbation-key", "condition", "--control", "control",
                 "--split-key", "split", "--batch-key", "sample", "--devices", "2", "--max-epochs", "1",
                 "--config", str(trained / "config.yaml"), "--out", str(tmp_path / "run"))
    assert result.returncode == 0, result.stderr[-2000:]
    predicted = run("predict", str(tmp_path / "run"), "--perturbations", "test", "--n-cells", "2", "--n-particles", "20",
                    "--out", str(tmp_path / "p.h5ad"))
    assert predicted.returncode == 0, predicted.stderr[-2000:]
