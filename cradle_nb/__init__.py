__version__ = "0.1.0"

# The public names, each imported only when first used, so that `cradle-nb --help` starts without torch.
_PUBLIC = {"CradleVAE": "vae", "simulate_perturbseq": "simulate", "load_dataset": "datasets",
           "register_anndata": "registry", "annotate_qc": "qc", "qc_report": "qc", "evaluate": "evaluate"}
__all__ = [*_PUBLIC, "__version__"]


def __getattr__(name):
    "`from cradle_nb import CradleVAE` (and the other public names) imports their module on first use."
    if name in _PUBLIC:
        from importlib import import_module
        return getattr(import_module(f"cradle_nb.{_PUBLIC[name]}"), name)
    raise AttributeError(f"module 'cradle_nb' has no attribute {name!r}")
