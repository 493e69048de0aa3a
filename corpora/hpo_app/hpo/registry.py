"""Model families by name. Estimators are imported only when a family is used."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ModelSpec:
    family: str  # the sklearn subpackage, or "xgboost" / "lightgbm"
    cls: str
    defaults: dict[str, Any]


MODELS: dict[str, ModelSpec] = {
    "random_forest": ModelSpec("ensemble", "RandomForestClassifier", {"n_jobs": -1}),
    "extra_trees": ModelSpec("ensemble", "ExtraTreesClassifier", {"n_jobs": -1}),
    "gradient_boosting": ModelSpec("ensemble", "HistGradientBoostingClassifier", {}),
    "logistic": ModelSpec("linear_model", "LogisticRegression", {"max_iter": 2000}),
    "svc": ModelSpec("svm", "SVC", {"probability": True}),
    "xgboost": ModelSpec("xgboost", "XGBClassifier", {"tree_method": "hist", "n_jobs": -1}),
    "lightgbm": ModelSpec("lightgbm", "LGBMClassifier", {"verbose": -1}),
}


def estimator_class(name: str):
    spec = MODELS[name]
    if spec.family == "xgboost":
        module = importlib.import_module("xgboost")
    elif spec.family == "lightgbm":
        try:
            module = importlib.import_module("lightgbm")
        except ImportError as exc:
            raise SystemExit("the lightgbm family needs `pip install lightgbm`") from exc
    else:
        module = importlib.import_module(f"sklearn.{spec.family}")
    return getattr(module, spec.cls)


def build_model(name: str, params: dict[str, Any]):
    spec = MODELS[name]
    return estimator_class(name)(**{**spec.defaults, **params})
