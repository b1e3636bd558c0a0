"""How accurate is each strategy in float64? Measured against a 50-digit reference.

The reference recomputes the network independently of the graph engine, with `mpmath` at
50 significant digits: the forward pass, then ∂L/∂parameter layer by layer. Its own error
(~1e−50) is far below float64's, so the difference is the float64 strategy's error.

The question: `paths` adds up P separately rounded path products (P grows as the product of
the later widths) while `reverse` adds a handful of terms per node. Does the long sum lose
accuracy? `numerical_study` measures it instead of assuming; `summarize` gives medians.

Example:
    >>> rows = numerical_study(widths=(2,), depths=(2,), trials=1, seed=0)
    >>> sorted(rows[0]["errors"])
    ['memoized', 'paths', 'recursive', 'reverse']
    >>> rows[0]["errors"]["reverse"]["normwise"] < 1e-14
    True
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

import mpmath
import numpy as np

from memograd._errors import invalid_value
from memograd.backprop._closed_forms import paths_to_loss
from memograd.backprop._compare import compare
from memograd.backprop._counts import STRATEGIES
from memograd.scalar import MLP

_DIGITS = 50


def _mp_act(name: str, z: Any) -> tuple[Any, Any]:
    """(activation, its derivative) at z in mpmath."""
    if name == "sigmoid":
        s = 1 / (1 + mpmath.exp(-z))
        return s, s * (1 - s)
    if name == "tanh":
        t = mpmath.tanh(z)
        return t, 1 - t * t
    if name == "relu":
        return (z, mpmath.mpf(1)) if z > 0 else (mpmath.mpf(0), mpmath.mpf(0))
    return z, mpmath.mpf(1)  # linear


def reference_gradients(net: MLP, x: Sequence[float], y: Sequence[float]) -> list[Any]:
    """∂L/∂parameter (in `net.parameters()` order) at 50 digits, computed without `Value`."""
    sizes = net.sizes
    with mpmath.workdps(_DIGITS):
        outs = [[mpmath.mpf(v) for v in x]]
        slopes = []
        for layer in range(1, net.depth + 1):
            act = net.layer_activation(layer)
            o, d = [], []
            for j in range(1, sizes[layer] + 1):
                z = mpmath.mpf(net.bias(layer, j).data) + mpmath.fsum(
                    mpmath.mpf(net.weight(layer, i, j).data) * outs[-1][i - 1]
                    for i in range(1, sizes[layer - 1] + 1)
                )
                value, slope = _mp_act(act, z)
                o.append(value)
                d.append(slope)
            outs.append(o)
            slopes.append(d)
        # ∂L/∂o for the output layer, then back through the layers
        d_out = [2 * (yh - mpmath.mpf(t)) for yh, t in zip(outs[-1], y, strict=True)]
        grads: dict[tuple[int, int, int] | tuple[int, int], Any] = {}
        for layer in range(net.depth, 0, -1):
            d_z = [g * s for g, s in zip(d_out, slopes[layer - 1], strict=True)]
            for j in range(1, sizes[layer] + 1):
                grads[(layer, j)] = d_z[j - 1]
                for i in range(1, sizes[layer - 1] + 1):
                    grads[(layer, i, j)] = d_z[j - 1] * outs[layer - 1][i - 1]
            d_out = [
                mpmath.fsum(
                    d_z[j - 1] * mpmath.mpf(net.weight(layer, i, j).data)
                    for j in range(1, sizes[layer] + 1)
                )
                for i in range(1, sizes[layer - 1] + 1)
            ]
        keys: dict[int, tuple[int, int, int] | tuple[int, int]] = {}
        for layer in range(1, net.depth + 1):
            for j in range(1, sizes[layer] + 1):
                keys[id(net.bias(layer, j))] = (layer, j)
                for i in range(1, sizes[layer - 1] + 1):
                    keys[id(net.weight(layer, i, j))] = (layer, i, j)
        return [grads[keys[id(p)]] for p in net.parameters()]


def _errors(grads: Sequence[float], reference: Sequence[Any], first: int) -> dict[str, float]:
    """Normwise error over all parameters; relative errors over the first layer's (the ones
    with the most paths: where a long sum of path products could lose accuracy)."""
    with mpmath.workdps(_DIGITS):
        diffs = [abs(mpmath.mpf(g) - r) for g, r in zip(grads, reference, strict=True)]
        scale = max(abs(r) for r in reference)
        rel = [d / abs(r) for d, r in zip(diffs[:first], reference[:first], strict=True) if r]
        return {
            "normwise": float(max(diffs) / scale) if scale else float(max(diffs)),
            "first_layer_max_relative": float(max(rel)) if rel else 0.0,
            "first_layer_median_relative": float(statistics.median(rel)) if rel else 0.0,
        }


def numerical_study(
    widths: Sequence[int] = (2, 4),
    depths: Sequence[int] = (1, 2, 4, 6),
    trials: int = 5,
    seed: int = 0,
    *,
    activation: str = "sigmoid",
    budget: int = 2_000_000,
) -> list[dict[str, Any]]:
    """Float64 error of each strategy against the 50-digit reference on random MLPs.

    Network ``[w] + [w]·depth + [1]`` for each width w and depth; each trial draws new
    weights, input (uniform in [−1, 1]) and target (uniform in [0, 1]) from `seed`.

    Returns:
        One row per network: ``width``, ``depth``, ``trial``, ``sizes``, ``paths`` (total
        paths from the parameters to L), ``paths_per_first_layer_weight`` and ``errors``: for
        each strategy that ran within `budget`, ``normwise`` (max |g − ref| / max |ref| over
        all parameters) and ``first_layer_max_relative`` / ``first_layer_median_relative``
        (|g − ref| / |ref| over the first layer's parameters, which have the most paths);
        refused strategies are absent.
    """
    for arg, values in (("widths", widths), ("depths", depths)):
        if not values or any(isinstance(v, bool) or int(v) != v or v < 1 for v in values):
            raise invalid_value(arg, "positive integers", list(values))
    if trials < 1:
        raise ValueError(
            f"Received an invalid value for `trials`, expected >= 1. Received: {trials}"
        )
    rng = np.random.default_rng(seed)
    rows = []
    for width in widths:
        for depth in depths:
            sizes = [int(width)] * (int(depth) + 1) + [1]
            for trial in range(trials):
                net = MLP(sizes, activation=activation, seed=int(rng.integers(2**31)))
                x = rng.uniform(-1.0, 1.0, size=width).tolist()
                y = [float(rng.uniform(0.0, 1.0))]
                loss = net.loss(x, y)
                reference = reference_gradients(net, x, y)
                results = compare(loss, net.parameters(), STRATEGIES, budget=budget)
                rows.append(
                    {
                        "width": int(width),
                        "depth": int(depth),
                        "trial": trial,
                        "sizes": sizes,
                        "path_count": results[0].predicted.paths,
                        "paths_per_first_layer_weight": paths_to_loss(sizes, layer=1),
                        "errors": {
                            r.name: _errors(r.grads, reference, first=width * (width + 1))
                            for r in results
                            if r.grads is not None
                        },
                    }
                )
    return rows


def summarize(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (width, depth): median and worst of each strategy's errors over the trials.

    Example:
        >>> row = {"width": 2, "depth": 1, "path_count": 9, "paths_per_first_layer_weight": 2,
        ...        "errors": {"reverse": {"normwise": 1e-16, "first_layer_max_relative": 3e-16}}}
        >>> summarize([row])[0]["reverse"]["first_layer_max_relative"]
        {'median': 3e-16, 'max': 3e-16}
    """
    groups: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["width"], row["depth"]), []).append(row)
    out = []
    for (width, depth), group in groups.items():
        entry: dict[str, Any] = {
            "width": width,
            "depth": depth,
            "path_count": group[0]["path_count"],
            "paths_per_first_layer_weight": group[0]["paths_per_first_layer_weight"],
            "trials": len(group),
        }
        for name in STRATEGIES:
            ran = [r["errors"][name] for r in group if name in r["errors"]]
            if ran:
                entry[name] = {
                    metric: {
                        "median": statistics.median(e[metric] for e in ran),
                        "max": max(e[metric] for e in ran),
                    }
                    for metric in ran[0]
                }
        out.append(entry)
    return out
