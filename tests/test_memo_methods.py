"""`@memoize` on methods: one cache per instance, instances not kept alive."""

from __future__ import annotations

import gc
import weakref

import pytest

from memograd.memo import CacheInfo, memoize


class Polynomial:
    def __init__(self, *coefficients: float) -> None:
        self.coefficients = coefficients
        self.evaluations = 0

    @memoize
    def __call__(self, x: float) -> float:
        self.evaluations += 1
        return sum(c * x**i for i, c in enumerate(self.coefficients))

    @memoize(maxsize=1)
    def derivative_at(self, x: float) -> float:
        self.evaluations += 1
        return sum(i * c * x ** (i - 1) for i, c in enumerate(self.coefficients) if i)


def test_each_instance_has_its_own_cache() -> None:
    Polynomial.__call__.cache_clear()
    p, q = Polynomial(1, 2), Polynomial(0, 0, 1)
    assert p(3) == 7 and p(3) == 7
    assert q(3) == 9 and q(3) == 9
    assert (p.evaluations, q.evaluations) == (1, 1)
    assert Polynomial.__call__.cache_info() == CacheInfo(2, 2, None, 2)


def test_instance_dies_with_its_cache() -> None:
    Polynomial.__call__.cache_clear()
    p = Polynomial(1, 2, 3)
    assert p(2) == 17
    alive = weakref.ref(p)
    assert Polynomial.__call__.cache_info().currsize == 1
    del p
    gc.collect()
    assert alive() is None
    assert Polynomial.__call__.cache_info().currsize == 0


def test_bounded_method_cache_is_per_instance() -> None:
    p = Polynomial(0, 0, 1)
    assert p.derivative_at(1.0) == 2.0
    assert p.derivative_at(2.0) == 4.0
    assert p.derivative_at(1.0) == 2.0  # evicted by 2.0 (maxsize=1): computed again
    assert p.evaluations == 3


def test_instances_without_weakref_support_are_refused() -> None:
    class Slotted:
        __slots__ = ("value",)

        def __init__(self) -> None:
            self.value = 1

        @memoize
        def get(self) -> int:
            return self.value

    with pytest.raises(TypeError, match="weak references"):
        Slotted().get()


def test_unkeyable_method_argument_names_the_parameter() -> None:
    class Blob:
        __hash__ = None  # type: ignore[assignment]

    class Model:
        @memoize
        def score(self, data: object) -> int:
            return 1

    with pytest.raises(TypeError, match="argument `data` of type Blob"):
        Model().score(Blob())
