#!/usr/bin/env python
"""Tune one model family with optuna or hyperopt and save the best estimator."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import joblib

from hpo.data import load_dataset
from hpo.registry import MODELS, build_model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", choices=["optuna", "hyperopt"], default="optuna")
    parser.add_argument("--model", choices=sorted(MODELS), default="random_forest")
    parser.add_argument("--dataset", default="breast_cancer")
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--storage", default="sqlite:///hpo.db")
    parser.add_argument("--out", type=Path, default=Path("best_model.joblib"))
    args = parser.parse_args(argv)

    X, y = load_dataset(args.dataset)
    if args.engine == "optuna":
        from hpo.optuna_search import run_study

        best_params, best_score = run_study(args.model, X, y, n_trials=args.trials, storage=args.storage)
    else:
        from hpo.hyperopt_search import run_fmin

        best_params, best_score = run_fmin(args.model, X, y, max_evals=args.trials)

    print(json.dumps({"model": args.model, "score": best_score, "params": best_params}, indent=2))
    joblib.dump(build_model(args.model, best_params).fit(X, y), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
