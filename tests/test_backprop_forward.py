"""backprop.compare(strategies=(..., "forward")): the gradient by one forward sweep per
parameter entry on the recorded graph, equal to the reverse sweep's, counts equal to their
prediction from the graph, and the cheap-gradient principle: forward's work grows with the
number of parameters while reverse's stays a small multiple of the graph."""

from __future__ import annotations

import numpy as np
import pytest

import memograd as mg
from memograd import backprop


def _by_name(results):
    return {r.name: r for r in results}


@pytest.mark.parametrize("sizes", [[2, 3, 1], [2, 3, 3, 1], [3, 5, 2, 1]])
def test_forward_strategy_on_value_mlps_equals_reverse_and_its_prediction(sizes):
    net = mg.scalar.MLP(sizes, activation="sigmoid", seed=0)
    loss = net.loss([0.5, -1.0, 0.25][: sizes[0]], 1.0)
    results = _by_name(
        backprop.compare(loss, wrt=net.parameters(), strategies=("reverse", "forward"))
    )
    fwd, rev = results["forward"], results["reverse"]
    np.testing.assert_allclose(fwd.grads, rev.grads, rtol=1e-12, atol=1e-15)
    assert fwd.counts == fwd.predicted
    # one sweep per parameter: each walks the edges above that parameter
    assert fwd.counts.multiplications > len(net.parameters()) > 1
    assert backprop.predict_work(loss, net.parameters())["forward"] == fwd.counts


def test_forward_work_grows_with_parameters_while_reverse_stays_proportional_to_the_graph():
    ratios = []
    for width in (2, 4, 8, 16):
        net = mg.scalar.MLP([2, width, width, 1], activation="tanh", seed=0)
        loss = net.loss([0.5, -1.0], 1.0)
        p = backprop.predict_work(loss, net.parameters())
        ratios.append(p["forward"].multiplications / p["reverse"].multiplications)
    # a first-layer weight's sweep crosses every later neuron, so forward's work per parameter
    # grows with the width (3.7x reverse's at width 2, 6.1x at 16), reverse's does not
    assert ratios == sorted(ratios) and ratios[-1] > 1.5 * ratios[0]


def test_forward_strategy_on_a_tensor_graph_sweeps_each_entry():
    rng = np.random.default_rng(0)
    w = mg.Tensor(rng.normal(size=(3, 4)), requires_grad=True)
    b = mg.Tensor(rng.normal(size=4), requires_grad=True)
    x = mg.Tensor(rng.normal(size=(5, 3)))
    loss = mg.tensor.functional.log_softmax((x @ w + b).tanh() * 2.0, axis=1).sum()
    results = _by_name(backprop.compare(loss, wrt=[w, b], strategies=("reverse", "forward")))
    fwd, rev = results["forward"], results["reverse"]
    for g_f, g_r in zip(fwd.grads, rev.grads, strict=True):
        np.testing.assert_allclose(g_f, g_r, rtol=1e-12, atol=1e-14)
    assert fwd.counts == fwd.predicted
    # 12 + 4 sweeps; each edge above w (or b) costs one edge JVP per sweep
    nodes_above_w = 6  # w, matmul, add, tanh, mul, log_softmax, sum: w's sweep
    assert fwd.counts.adjoint_evaluations == 12 * (nodes_above_w + 1) + 4 * nodes_above_w


def test_an_unknown_strategy_lists_forward():
    net = mg.scalar.MLP([2, 1], seed=0)
    with pytest.raises(ValueError, match="forward"):
        backprop.compare(net.loss([0.5, 1.0], 1.0), wrt=net.parameters(), strategies=("fwd",))
