__version__ = "0.1.0"

from cradle_nb.train import CradleVAE  # noqa: E402  (the public entry point: `from cradle_nb import CradleVAE`)

__all__ = ["CradleVAE", "__version__"]
