"""Tensor's operators and methods: declared in its class body, set by `tensor._methods`.

The class body of `memograd.tensor._tensor.Tensor` declares the op methods under
``TYPE_CHECKING`` (what the type checker sees); `memograd.tensor._methods` sets the op
functions themselves on the class at import. These tests keep the two in agreement: every
declared method exists at run time with the declared parameters (names, kinds, defaults),
and every attached one is declared.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import memograd as mg
from memograd.tensor import _methods, _tensor


def _declared() -> dict[str, ast.FunctionDef]:
    """The functions in the ``if TYPE_CHECKING:`` block of Tensor's class body."""
    tree = ast.parse(Path(_tensor.__file__).read_text(encoding="utf-8"))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Tensor")
    found: dict[str, ast.FunctionDef] = {}
    for node in cls.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    found[item.name] = item
    return found


DECLARED = _declared()


def _declared_parameters(fn: ast.FunctionDef) -> list[tuple[str, Any, Any]]:
    """(name, kind, default) of each parameter after ``self``, as `inspect` spells them."""
    a = fn.args
    P = inspect.Parameter
    positional = a.posonlyargs + a.args
    defaults: list[Any] = [P.empty] * (len(positional) - len(a.defaults)) + [
        ast.literal_eval(d) for d in a.defaults
    ]
    params = [
        (arg.arg, P.POSITIONAL_ONLY if arg in a.posonlyargs else P.POSITIONAL_OR_KEYWORD, d)
        for arg, d in zip(positional, defaults, strict=True)
    ]
    if a.vararg is not None:
        params.append((a.vararg.arg, P.VAR_POSITIONAL, P.empty))
    for arg, d in zip(a.kwonlyargs, a.kw_defaults, strict=True):
        params.append((arg.arg, P.KEYWORD_ONLY, P.empty if d is None else ast.literal_eval(d)))
    return params[1:]


def test_the_declarations_were_found() -> None:
    assert {"__add__", "__getitem__", "sum", "var", "T", "__eq__"} <= set(DECLARED)


def test_every_attached_op_is_declared_and_every_declared_one_attached() -> None:
    assert set(_methods.METHODS) == set(DECLARED)
    for name, op in _methods.METHODS.items():
        assert mg.Tensor.__dict__[name] is op, name


@pytest.mark.parametrize("name", sorted(DECLARED))
def test_attached_op_has_the_declared_signature(name: str) -> None:
    attached = mg.Tensor.__dict__[name]
    if isinstance(attached, property):  # called with the tensor alone
        rest = list(inspect.signature(attached.fget).parameters.values())[1:]
        P = inspect.Parameter
        assert all(p.kind is P.VAR_POSITIONAL or p.default is not P.empty for p in rest)
        return
    params = list(inspect.signature(attached).parameters.values())[1:]  # after the tensor
    actual = [(p.name, p.kind, p.default) for p in params]
    declared = _declared_parameters(DECLARED[name])
    skip = 1 if name.startswith("__") else 0  # an operator is called positionally: no names
    assert [a[skip:] for a in actual] == [d[skip:] for d in declared]


def test_operators_and_methods_run_the_ops() -> None:
    x = mg.Tensor([[1.0, -2.0], [3.0, 4.0]], requires_grad=True)
    y = ((2 - x) * x / 2 + 1) ** 2 @ x.T
    loss = y.sum(axis=0, keepdims=True).mean() + (-x).abs().max() + x[0].var(correction=0)
    loss.backward()
    torch = pytest.importorskip("torch")
    tx = torch.tensor(x.data, dtype=torch.float64, requires_grad=True)
    ty = ((2 - tx) * tx / 2 + 1) ** 2 @ tx.T
    tl = ty.sum(dim=0, keepdim=True).mean() + (-tx).abs().max() + tx[0].var(correction=0)
    tl.backward()
    np.testing.assert_allclose(loss.data, tl.item(), rtol=1e-12)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12)
    z = mg.Tensor([[1.0, 5.0], [3.0, 0.0]])
    np.testing.assert_array_equal((x == z).data, x.data == z.data)
    np.testing.assert_array_equal((x != z).data, x.data != z.data)
    np.testing.assert_array_equal((x >= z).data, x.data >= z.data)
    assert hash(x) == object.__hash__(x) and len({x, mg.Tensor(x.data)}) == 2  # by identity
