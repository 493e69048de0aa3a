"""Datasets: a few bundled with scikit-learn, or any CSV with a `target` column."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sklearn import datasets

BUNDLED = {"breast_cancer": datasets.load_breast_cancer, "wine": datasets.load_wine, "digits": datasets.load_digits}


def load_dataset(name: str):
    if name in BUNDLED:
        bunch = BUNDLED[name](as_frame=True)
        return bunch.data, bunch.target
    frame = pd.read_csv(Path(name))
    return frame.drop(columns=["target"]), frame["target"]
