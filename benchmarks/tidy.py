"""Tidy result tables shared by the benchmark scripts."""
from __future__ import annotations

from pathlib import Path

import pandas as pd


def append_rows(rows: pd.DataFrame, path) -> None:
    """Append `rows` to the CSV at `path`, each value under its own column's header.

    Runs of one script need not produce the same columns (a seed without interacting pairs has no interacting
    metrics) nor produce them in the same order. Rows are aligned to the file's header; a column the file lacks
    widens the whole file, its earlier rows left empty there and their values read back exactly (`round_trip`)."""
    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        rows.to_csv(path, index=False)
        return
    header = list(pd.read_csv(path, nrows=0).columns)
    if set(rows.columns) <= set(header):
        rows.reindex(columns=header).to_csv(path, mode="a", header=False, index=False)
    else:
        pd.concat([pd.read_csv(path, float_precision="round_trip"), rows], ignore_index=True).to_csv(path, index=False)
