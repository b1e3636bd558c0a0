"""The scalar engine: `Value` (one float64 per node) and neuron-level networks built from it.

Example:
    >>> from memograd.scalar import Value
    >>> x = Value(3.0)
    >>> y = x * x + x
    >>> _ = y.backward()
    >>> x.grad
    7.0
"""

from memograd.scalar._value import Value, squared_error, value_sum, weighted_sum

__all__ = ["Value", "squared_error", "value_sum", "weighted_sum"]
