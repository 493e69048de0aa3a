"""Results: one HDF5 group per molecule plus a flat pandas table."""

from __future__ import annotations

import h5py
import pandas as pd


class ResultStore:
    def __init__(self, path):
        self.path = path
        self.rows: list[dict[str, object]] = []
        self._file = None

    def __enter__(self) -> "ResultStore":
        self._file = h5py.File(self.path, "w")
        return self

    def __exit__(self, *exc) -> None:
        self._file.close()

    def add(self, name: str, row: dict[str, object]) -> None:
        group = self._file.create_group(name)
        for key, value in row.items():
            if isinstance(value, (int, float)):
                group.attrs[key] = value
        self.rows.append({"name": name, **row})

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows).set_index("name")
