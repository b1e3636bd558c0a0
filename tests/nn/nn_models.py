"""A model with every layer kind, trained two steps: shared by the ONNX-export and PyTorch-bridge
tests (each file picks the layer options its exporter must cover)."""

import numpy as np

import memograd as mg


def every_layer_model(
    activation: str,
    dtype: str,
    *,
    dropout: float = 0.3,
    momentum: float = 0.9,
    layer_norm_center: bool = True,
    batch_norm_center: bool = True,
    batch_norm_scale: bool = True,
) -> mg.nn.Sequential:
    """Every layer kind, trained two steps so weights and moving statistics are not initial."""
    rng = np.random.default_rng(1)
    X = (rng.standard_normal((32, 5)) * 3 + 1).astype(dtype)
    y = rng.integers(0, 3, 32)
    norm = mg.nn.Normalization()
    norm.adapt(X)
    model = mg.nn.Sequential(
        [
            norm,
            mg.nn.Dense(7, activation=activation),
            mg.nn.BatchNormalization(momentum=momentum),
            mg.nn.Dropout(dropout),
            mg.nn.LayerNormalization(center=layer_norm_center),
            mg.nn.Dense(6, activation=activation, use_bias=False),
            mg.nn.BatchNormalization(center=batch_norm_center, scale=batch_norm_scale),
            mg.nn.Dense(3),
        ],
        dtype=dtype,
        seed=3,
    )
    model.compile(loss="cross_entropy", optimizer=mg.optim.Adam(0.05))
    model.fit(X, y, epochs=2, batch_size=16, verbose=0)
    return model
