"""Search spaces, written once per family for both engines."""

from __future__ import annotations

from typing import Any

import numpy as np
from hyperopt import hp
from hyperopt.pyll import scope


def optuna_params(trial, name: str) -> dict[str, Any]:
    if name in ("random_forest", "extra_trees"):
        return {
            "n_estimators": trial.suggest_int("n_estimators", 50, 800, log=True),
            "max_depth": trial.suggest_int("max_depth", 2, 32, log=True),
            "min_samples_leaf": trial.suggest_int("min_samples_leaf", 1, 20),
            "max_features": trial.suggest_categorical("max_features", ["sqrt", "log2", None]),
        }
    if name == "gradient_boosting":
        return {
            "learning_rate": trial.suggest_float("learning_rate", 1e-3, 0.3, log=True),
            "max_leaf_nodes": trial.suggest_int("max_leaf_nodes", 8, 256, log=True),
            "l2_regularization": trial.suggest_float("l2_regularization", 1e-8, 10.0, log=True),
        }
    if name == "logistic":
        return {"C": trial.suggest_float("C", 1e-4, 1e3, log=True)}
    if name == "svc":
        return {"C": trial.suggest_float("C", 1e-3, 1e3, log=True), "gamma": trial.suggest_categorical("gamma", ["scale", "auto"])}
    if name in ("xgboost", "lightgbm"):
        return {
            "n_estimators": trial.suggest_int("n_estimators", 100, 2000, log=True),
            "learning_rate": trial.suggest_float("learning_rate", 1e-3, 0.3, log=True),
            "max_depth": trial.suggest_int("max_depth", 2, 12),
            "subsample": trial.suggest_float("subsample", 0.5, 1.0),
        }
    raise KeyError(name)


def hyperopt_space(name: str) -> dict[str, Any]:
    if name in ("random_forest", "extra_trees"):
        return {
            "n_estimators": scope.int(hp.qloguniform("n_estimators", np.log(50), np.log(800), 1)),
            "max_depth": scope.int(hp.quniform("max_depth", 2, 32, 1)),
            "min_samples_leaf": scope.int(hp.quniform("min_samples_leaf", 1, 20, 1)),
        }
    if name == "logistic":
        return {"C": hp.loguniform("C", np.log(1e-4), np.log(1e3))}
    if name in ("xgboost", "lightgbm", "gradient_boosting"):
        return {
            "learning_rate": hp.loguniform("learning_rate", np.log(1e-3), np.log(0.3)),
            "max_depth": scope.int(hp.quniform("max_depth", 2, 12, 1)),
        }
    raise KeyError(name)
