"""The runnable examples in the engine's docstrings stay correct."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "memograd._grad_mode",
    "memograd.autograd",
    "memograd.gradcheck",
    "memograd.tensor",
    "memograd.tensor._dtype",
    "memograd.tensor._methods",
    "memograd.tensor._node",
    "memograd.tensor._primitive",
    "memograd.tensor._tensor",
    "memograd.tensor.activations",
    "memograd.tensor.elementwise",
    "memograd.tensor.functional",
    "memograd.tensor.fused",
    "memograd.tensor.index",
    "memograd.tensor.linalg",
    "memograd.tensor.reduce",
    "memograd.tensor.shape",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
