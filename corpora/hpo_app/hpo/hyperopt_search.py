"""The same search with hyperopt's TPE."""

from __future__ import annotations

import numpy as np
from hyperopt import STATUS_OK, Trials, fmin, space_eval, tpe

from .objective import cv_score
from .spaces import hyperopt_space


def run_fmin(name: str, X, y, max_evals: int = 50, seed: int = 0):
    space = hyperopt_space(name)

    def objective(params):
        return {"loss": -cv_score(name, params, X, y), "status": STATUS_OK}

    trials = Trials()
    best = fmin(objective, space, algo=tpe.suggest, max_evals=max_evals, trials=trials,
                rstate=np.random.default_rng(seed), show_progressbar=False)
    params = space_eval(space, best)
    return params, -min(trials.losses())
