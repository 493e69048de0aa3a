"""Cross-validated score of one parameter set."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import StratifiedKFold, cross_val_score

from .registry import build_model


def cv_score(name: str, params: dict, X, y, folds: int = 5, seed: int = 0) -> float:
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    scores = cross_val_score(build_model(name, params), X, y, cv=cv, scoring="roc_auc", n_jobs=1)
    return float(np.mean(scores))
