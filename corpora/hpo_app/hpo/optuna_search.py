"""Optuna TPE with median pruning and a persistent study."""

from __future__ import annotations

import optuna

from .objective import cv_score
from .spaces import optuna_params

optuna.logging.set_verbosity(optuna.logging.WARNING)


def run_study(name: str, X, y, n_trials: int = 50, storage: str | None = None, seed: int = 0):
    def objective(trial: optuna.Trial) -> float:
        return cv_score(name, optuna_params(trial, name), X, y)

    study = optuna.create_study(
        study_name=f"hpo-{name}",
        direction="maximize",
        storage=storage,
        load_if_exists=True,
        sampler=optuna.samplers.TPESampler(seed=seed, multivariate=True),
        pruner=optuna.pruners.MedianPruner(n_warmup_steps=5),
    )
    study.optimize(objective, n_trials=n_trials, gc_after_trial=True)
    return study.best_params, study.best_value
