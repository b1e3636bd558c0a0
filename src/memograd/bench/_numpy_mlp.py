"""The benchmark step written by hand in NumPy: the floor for a NumPy engine.

No autodiff and no graph: the forward pass keeps each layer's activation, the backward pass
is the chain rule written out layer by layer, and SGD updates the weights in place. Buffers
for activations and gradients are allocated once per batch size and reused with `out=`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from memograd._errors import invalid_value


class NumpyMLP:
    """A ReLU MLP with softmax cross-entropy, gradients by hand, SGD in place.

    Weights are He-normal from `seed` (shape `(fan_in, fan_out)`), biases zero.

    Args:
        sizes: layer widths `(inputs, hidden..., classes)`.
        dtype: float dtype of weights and buffers (float32 for speed, float64 for checks).
        seed: seed of the weight initialisation.

    Example:
        >>> import numpy as np
        >>> net = NumpyMLP([2, 8, 2], dtype=np.float64, seed=0)
        >>> X = np.ones((4, 2)); y = np.array([0, 1, 0, 1])
        >>> first = net.step(X, y, lr=0.1)
        >>> net.loss_and_grads(X, y) <= first
        True
    """

    def __init__(
        self, sizes: Sequence[int], *, dtype: type[np.floating] = np.float32, seed: int = 0
    ) -> None:
        if len(sizes) < 2 or any(int(s) < 1 for s in sizes):
            raise invalid_value("sizes", "at least two positive integers", list(sizes))
        rng = np.random.default_rng(seed)
        self.dtype = np.dtype(dtype)
        self.sizes = [int(s) for s in sizes]
        pairs = list(zip(self.sizes[:-1], self.sizes[1:], strict=True))
        self.weights = [
            (rng.standard_normal((i, o)) * np.sqrt(2.0 / i)).astype(self.dtype) for i, o in pairs
        ]
        self.biases = [np.zeros(o, dtype=self.dtype) for _, o in pairs]
        self.grad_weights = [np.zeros_like(w) for w in self.weights]
        self.grad_biases = [np.zeros_like(b) for b in self.biases]
        self._batch = -1
        self._acts: list[np.ndarray] = []  # outputs of every layer, (B, fan_out)
        self._deltas: list[np.ndarray] = []  # dL/d(input of layer l), (B, fan_in), l >= 1

    def _buffers(self, batch: int) -> None:
        if batch == self._batch:
            return
        self._batch = batch
        self._acts = [np.empty((batch, w.shape[1]), self.dtype) for w in self.weights]
        self._deltas = [np.empty((batch, w.shape[0]), self.dtype) for w in self.weights]

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Logits of `X` (a view of an internal buffer, overwritten by the next call)."""
        self._buffers(X.shape[0])
        a = X  # (B, D)
        last = len(self.weights) - 1
        for layer, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            z = self._acts[layer]
            np.matmul(a, w, out=z)  # (B, fan_out)
            z += b
            if layer < last:
                np.maximum(z, 0, out=z)  # ReLU in place: z > 0 is also its derivative mask
            a = z
        return a

    def loss(self, X: np.ndarray, y: np.ndarray) -> float:
        """Mean softmax cross-entropy of the current weights (forward pass only)."""
        logits = self.forward(X)  # (B, C)
        shift = logits.max(axis=1, keepdims=True)  # (B, 1)
        log_norm = np.log(np.exp(logits - shift).sum(axis=1)) + shift[:, 0]  # (B,)
        return float(np.mean(log_norm - logits[np.arange(len(y)), y]))

    def loss_and_grads(self, X: np.ndarray, y: np.ndarray) -> float:
        """Forward, loss and backward; gradients land in `grad_weights` / `grad_biases`."""
        batch = X.shape[0]
        logits = self.forward(X)  # (B, C)
        rows = np.arange(batch)
        shift = logits.max(axis=1, keepdims=True)  # (B, 1)
        probs = np.exp(logits - shift)  # (B, C)
        norm = probs.sum(axis=1, keepdims=True)  # (B, 1)
        loss = float(np.mean(np.log(norm[:, 0]) + shift[:, 0] - logits[rows, y]))
        # dL/dlogits = (softmax - onehot) / B
        probs /= norm
        probs[rows, y] -= 1
        probs /= batch
        delta = probs  # (B, fan_out of the current layer)
        for layer in range(len(self.weights) - 1, -1, -1):
            inputs = X if layer == 0 else self._acts[layer - 1]  # (B, fan_in)
            np.matmul(inputs.T, delta, out=self.grad_weights[layer])  # (fan_in, fan_out)
            np.sum(delta, axis=0, out=self.grad_biases[layer])  # (fan_out,)
            if layer > 0:
                back = self._deltas[layer]
                np.matmul(delta, self.weights[layer].T, out=back)  # (B, fan_in)
                back *= inputs > 0  # through the previous layer's ReLU
                delta = back
        return loss

    def step(self, X: np.ndarray, y: np.ndarray, lr: float = 0.01) -> float:
        """One SGD step in place; returns the loss before the update.

        The gradient buffers hold `lr * gradient` afterwards (scaled in place).
        """
        loss = self.loss_and_grads(X, y)
        for params, grads in (
            (self.weights, self.grad_weights),
            (self.biases, self.grad_biases),
        ):
            for p, g in zip(params, grads, strict=True):
                g *= lr  # in place: keeps the dtype, no temporary
                p -= g
        return loss
