__version__ = "0.1.0"

__all__ = ["CradleVAE", "__version__"]


def __getattr__(name):
    "`from cradle_nb import CradleVAE` imports the model (and torch) only when asked: the command line starts fast."
    if name == "CradleVAE":
        from cradle_nb.train import CradleVAE
        return CradleVAE
    raise AttributeError(f"module 'cradle_nb' has no attribute {name!r}")
