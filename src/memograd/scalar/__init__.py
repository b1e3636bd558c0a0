"""The scalar engine: `Value` (one float64 per node) and neuron-level networks built from it.

Example:
    >>> from memograd.scalar import MLP, Value
    >>> x = Value(3.0)
    >>> y = x * x + x
    >>> _ = y.backward()
    >>> x.grad
    7.0
    >>> MLP([2, 2, 2, 1], seed=0)
    MLP(sizes=[2, 2, 2, 1], activation='sigmoid', output_activation='sigmoid', parameters=15)
"""

from memograd.scalar._mlp import MLP, ascii_name, lesson_name
from memograd.scalar._value import Value, squared_error, value_sum, weighted_sum

__all__ = [
    "MLP",
    "Value",
    "ascii_name",
    "lesson_name",
    "squared_error",
    "value_sum",
    "weighted_sum",
]
