"""The eager step the compiled one replaces: float32 throughout, fused nodes, no page faults."""

from __future__ import annotations

import doctest
import resource
import sys
import weakref
from typing import Any

import numpy as np
import pytest

import memograd as mg
from memograd import _heap
from memograd.graph import topological_order
from memograd.tensor import Tensor

nn = mg.nn


def workload_model(sizes: tuple[int, ...], dtype: str = "float32") -> Any:
    hidden = [nn.Dense(h, activation="relu") for h in sizes[1:-1]]
    model = nn.Sequential([*hidden, nn.Dense(sizes[-1])], dtype=dtype)
    model.compile(loss="cross_entropy", optimizer=mg.optim.SGD(0.01))
    return model


def recorded_step(model: Any, X: np.ndarray, y: np.ndarray) -> tuple[Tensor, list[Any]]:
    """The graph of one training step's forward pass and loss, before backward."""
    model.train_on_batch(X, y)  # builds the model
    loss = model.loss(model(Tensor(X)), y)
    return loss, topological_order(loss)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_array_of_a_step_keeps_the_model_dtype(dtype: str) -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 5)).astype(dtype)
    y = rng.integers(0, 3, size=20)
    model = workload_model((5, 8, 8, 3), dtype)
    loss, order = recorded_step(model, X, y)
    arrays = [node.data for node in order]
    arrays += [a for node in order for a in (node._saved or ()) if isinstance(a, np.ndarray)]
    floats = {a.dtype for a in arrays if a.dtype.kind == "f"}
    assert floats == {np.dtype(dtype)}  # no float64 upcast in a float32 step
    loss.backward()
    assert {p.grad.dtype for p in model.parameters()} == {np.dtype(dtype)}
    assert {p.data.dtype for p in model.parameters()} == {np.dtype(dtype)}


def test_a_step_is_one_fused_node_per_layer_plus_the_loss() -> None:
    rng = np.random.default_rng(1)
    X = rng.standard_normal((16, 4)).astype(np.float32)
    y = rng.integers(0, 2, size=16)
    _, order = recorded_step(workload_model((4, 6, 6, 6, 2)), X, y)
    ops = [node.op for node in order if node._parents]
    assert ops == ["linear"] * 4 + ["cross_entropy"]


def test_relu_gradient_is_zero_where_the_unit_is_off() -> None:
    x = Tensor(np.array([[-1.0, 0.0, 2.0]], dtype=np.float32), requires_grad=True)
    w = Tensor(np.eye(3, dtype=np.float32), requires_grad=True)
    out = mg.tensor.linear(x, w, activation="relu")
    out.backward(np.array([[5.0, 6.0, 7.0]], dtype=np.float32))
    np.testing.assert_array_equal(x.grad, [[0.0, 0.0, 7.0]])
    y = x.relu()
    y.backward(np.array([[5.0, 6.0, 7.0]], dtype=np.float32))
    np.testing.assert_array_equal(x.grad, [[0.0, 0.0, 14.0]])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc heap behaviour")
def test_eager_steps_do_not_fault_their_memory_back_in() -> None:
    # Like W3: layers whose temporaries are each under 128 KiB, a few MiB in all.
    rng = np.random.default_rng(2)
    X = rng.standard_normal((64, 32)).astype(np.float32)
    y = rng.integers(0, 10, size=64)
    model = workload_model((32, *[128] * 8, 10))
    for _ in range(3):
        model.train_on_batch(X, y)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(20):
        model.train_on_batch(X, y)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    assert faults < 20 * 10  # without _heap.settle: over 100 per step


def test_heap_settle_runs_once_a_training_step_settles_it() -> None:
    model = workload_model((3, 4, 2))
    model.train_on_batch(np.ones((4, 3), dtype=np.float32), np.array([0, 1, 0, 1]))
    assert _heap._settled  # done when the model's train step was built
    assert doctest.testmod(_heap).failed == 0


def test_a_leaf_keeps_a_fresh_vjp_output_as_its_gradient_without_a_copy() -> None:
    w = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    b = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    out = mg.tensor.linear(Tensor(np.ones((4, 2), dtype=np.float32)), w, b)
    prim = out._prim
    produced: dict[str, Any] = {}

    class Spy:  # the node's primitive, recording what its VJP returns
        name = prim.name

        def backward(self, node: Tensor, g: Any) -> Any:
            result = prim.backward(node, g)
            produced.update(w=weakref.ref(result[1]), b=weakref.ref(result[2]))
            return result

    out._prim = Spy()  # type: ignore[assignment]
    out.backward(np.ones((4, 3), dtype=np.float32))
    assert w.grad is produced["w"]() and b.grad is produced["b"]()
    np.testing.assert_array_equal(w.grad, np.full((2, 3), 4.0))


def test_shared_adjoints_and_caller_arrays_are_still_copied() -> None:
    a = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    b = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    ((a + b) * np.array([1.0, 2.0, 3.0], dtype=np.float32)).sum().backward()  # one g, two leaves
    assert not np.shares_memory(a.grad, b.grad)
    a.grad += 10.0
    np.testing.assert_array_equal(b.grad, [1.0, 2.0, 3.0])
    x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    seed = np.full(3, 2.0, dtype=np.float32)
    x.backward(seed)
    assert not np.shares_memory(x.grad, seed)
    x.backward(seed)  # accumulates into x's own array
    np.testing.assert_array_equal(x.grad, [4.0, 4.0, 4.0])
    np.testing.assert_array_equal(seed, [2.0, 2.0, 2.0])
