"""Neural networks on the Tensor engine, Keras style: layers, Sequential, training, files.

- `Module` (parameters, train/eval, state dicts), `Dense`, `Dropout`, `Normalization`,
  `BatchNormalization`, `LayerNormalization`, `Sequential`
  (`compile` / `fit` / `evaluate` / `predict` / `train_on_batch` / `summary` / `save`).
- `activations`, `losses`, `initializers`, `metrics`: components by name with `get(name)`.
- `optim` (SGD, Adam, AdamW, RMSprop — PyTorch's update rules) and `schedules`.
- `callbacks` (EarlyStopping, ModelCheckpoint), `History`, `load(path)`.

Example:
    >>> import numpy as np
    >>> import memograd as mg
    >>> X_train, X_test, y_train, y_test = mg.data.load("moons", test_size=0.2, seed=0)
    >>> model = mg.nn.Sequential([mg.nn.Dense(32, activation="relu"), mg.nn.Dense(2)])
    >>> model.compile(loss="cross_entropy", optimizer=mg.optim.Adam(1e-2), metrics=["accuracy"])
    >>> history = model.fit(X_train, y_train, epochs=30, batch_size=32, verbose=0)
    >>> model.evaluate(X_test, y_test)["accuracy"] > 0.9
    True
"""

from memograd.nn import (
    activations,
    callbacks,
    initializers,
    losses,
    metrics,
    optim,
    schedules,
)
from memograd.nn.callbacks import Callback, EarlyStopping, ModelCheckpoint
from memograd.nn.history import History
from memograd.nn.layers import Dense, Dropout, Layer, Normalization
from memograd.nn.model import Model
from memograd.nn.module import Module
from memograd.nn.normalization import BatchNormalization, LayerNormalization
from memograd.nn.sequential import Sequential, load

__all__ = [
    "BatchNormalization",
    "Callback",
    "Dense",
    "Dropout",
    "EarlyStopping",
    "History",
    "Layer",
    "LayerNormalization",
    "Model",
    "ModelCheckpoint",
    "Module",
    "Normalization",
    "Sequential",
    "activations",
    "callbacks",
    "initializers",
    "load",
    "losses",
    "metrics",
    "optim",
    "schedules",
]
