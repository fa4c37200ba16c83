"""Shared fixtures: the real THP-1 screen (skipped with a reason where absent) and small simulations."""
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REAL_DATA = Path(os.environ.get("CRADLE_NB_TEST_DATA", REPO.parent / "shared" / "data")) / "papalexi2021_thp1.h5ad"


@pytest.fixture(scope="session")
def papalexi():
    "Papalexi et al. 2021 THP-1 knockout screen (20,729 cells x 299 genes), from ../shared/data."
    if not REAL_DATA.exists():
        pytest.skip(f"real data not found at {REAL_DATA} (set CRADLE_NB_TEST_DATA to its folder)")
    import anndata as ad
    return ad.read_h5ad(REAL_DATA)
