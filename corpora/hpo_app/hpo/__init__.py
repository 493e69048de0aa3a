"""Hyperparameter optimization for tabular classifiers."""
