"""Backprop strategies: the same gradients by enumerating paths, by plain recursion, by
memoized recursion and by the reverse sweep — with the work of each counted and predicted.

Example:
    >>> import memograd as mg
    >>> from memograd import backprop
    >>> net = mg.scalar.MLP([2, 2, 2, 1], seed=0)
    >>> loss = net.loss([0.5, -1.0], 1.0)
    >>> results = backprop.compare(loss, wrt=net.parameters())
    >>> max(abs(a - b) for a, b in zip(results[0].grads, results[3].grads)) < 1e-15
    True
"""

from memograd.backprop._cheap_gradient import (
    LESSON_NETWORKS,
    CheapGradient,
    cheap_gradient,
    cheap_gradient_study,
)
from memograd.backprop._closed_forms import mlp_graph_size, mlp_work, paths_to_loss
from memograd.backprop._compare import (
    AdjointRow,
    StrategyResult,
    adjoint_table,
    compare,
    predict_work,
)
from memograd.backprop._counts import ALL_STRATEGIES, STRATEGIES, Counts
from memograd.backprop._explain import Explanation, explain
from memograd.backprop._jacobian import ORDERS, JacobianResult, jacobian, jacobian_all
from memograd.backprop._numerics import numerical_study, reference_gradients, summarize
from memograd.backprop._scaling import scaling, scaling_sizes

__all__ = [
    "ALL_STRATEGIES",
    "LESSON_NETWORKS",
    "ORDERS",
    "STRATEGIES",
    "AdjointRow",
    "CheapGradient",
    "Counts",
    "Explanation",
    "JacobianResult",
    "StrategyResult",
    "adjoint_table",
    "cheap_gradient",
    "cheap_gradient_study",
    "compare",
    "explain",
    "jacobian",
    "jacobian_all",
    "mlp_graph_size",
    "mlp_work",
    "numerical_study",
    "paths_to_loss",
    "predict_work",
    "reference_gradients",
    "scaling",
    "scaling_sizes",
    "summarize",
]
