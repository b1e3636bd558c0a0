"""The generated wrappers of `@memoize`: a cache hit written out for each function.

A wrapper is a plain Python function compiled from a template (see `_signature.build`):
with the function's own parameters when the signature is fixed (`def fib(n)`: no argument
tuple, and `f(5)`, `f(n=5)` share a key), else `def f(*args, **kwargs)`. A hit:

* a key made only of ints, strs, floats, bools and None (type checks, no `hash()` call) is
  looked up in the store's `index` (`index[key]`: one C lookup, hashing C code only);
* any other key is hashed once, `hash(key)`, and the entry at that hash in `table` is
  compared with `is`, then `==` (a collision, a miss or an unhashable argument goes to
  `Store.find`, which walks the chain, computes, or builds a content key);
* a bounded cache then marks the entry as the most recently used (`order.move_to_end` on
  its token: one C call running no user code; see `_cache` for why no lock is needed);
* the hit is counted on a closure integer (see `_stats`).

Every builtin and helper the wrapper calls is bound when it is generated (as functools
does): a memoized `len` or `hash` put into `builtins` cannot call itself through it.
`trace()` switches the wrapper's two tables to empty ones, so every call goes to
`Store.find`, which records it (`_trace.register_switch`).

Example:
    >>> import inspect
    >>> from memograd.memo._stats import Stats
    >>> def double(n):
    ...     return 2 * n
    >>> store = Store(None, Stats(), "double", double)
    >>> f = generate(double, inspect.signature(double), "double", store, lambda a, k: None)
    >>> f(21), f(21), store.info()
    (42, 42, CacheInfo(hits=1, misses=1, maxsize=None, currsize=1))
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from memograd.memo import _trace
from memograd.memo._cache import KEY, NOINDEX, RESULT, TOKEN, Store
from memograd.memo._keys import MISS
from memograd.memo._signature import Mirrored, build, function_name, mirror

_TEMPLATE = """\
def __make__({make_params}):
    _mg_hits = 0  # hits of this fast path; see _stats for why `+= 1` is exact

    def {name}({params}):
        nonlocal _mg_hits
{keywords}\
{assign_key}{indexed}\
        try:
            _mg_h = _mg_hash({k})
            _mg_e = _mg_table[_mg_h]
        except KeyError:
            pass
        except TypeError:  # unhashable: a content key is built below, outside the `except`
            _mg_h = None  # (so that the function's own errors are not chained to this one)
        else:
            try:
{same_key}{touch_e}\
                    _mg_hits += 1
                    return _mg_e[{RESULT}]
            except BaseException:  # the key's `__eq__` raised: the call counts, as a miss
                _mg_miss()
                raise
        if _mg_h is None:
            return _mg_unhashable({args}, {kwargs})
        return _mg_find({k}, _mg_h, _mg_NOINDEX, {args}, {kwargs})

    def _mg_read_hits():
        return _mg_hits

    return {name}, _mg_read_hits
"""

# Keys made of plain values (`_PLAIN`): looked up in the index, no `hash()` call.
_INDEXED = """\
        if {plain}:
            try:
                _mg_r = _mg_index[{k}]
            except KeyError:
                pass
            else:
{touch_r}\
                _mg_hits += 1
                return {indexed_result}
            return _mg_find({k}, _mg_hash({k}), {k}, {args}, {kwargs})
"""

# Bounded caches: mark entry `{e}` as the most recently used (one C call; see _cache).
_TOUCH = """\
                try:
                    _mg_move({e}[{TOKEN}])
                except KeyError:  # evicted meanwhile: still a valid hit
                    pass
"""

_KEYWORDS = """\
        if kwargs:
            return _mg_keywords(args, kwargs)
"""

_STAR_SIGNATURE = inspect.signature(lambda *args, **kwargs: None)
_FIELDS = {"KEY": KEY, "RESULT": RESULT, "TOKEN": TOKEN}


# Argument types keyed without calling `hash()`: exact types whose hash and `==` (among
# themselves) are C code. Not tuples (their hash runs their items'), nor bytes (`b"a" == "a"`
# warns under `python -b`, running Python code).
_PLAIN: dict[str, type] = {
    "_mg_int": int,
    "_mg_str": str,
    "_mg_float": float,
    "_mg_bool": bool,
    "_mg_none": type(None),
}
_ANNOTATIONS = {int: "_mg_int", str: "_mg_str", float: "_mg_float", bool: "_mg_bool"}


def _indent(source: str) -> str:
    return "".join("    " + line if line.strip() else line for line in source.splitlines(True))


def _plain_test(param: inspect.Parameter) -> str:
    """Source testing that `param`'s value has one of the `_PLAIN` types.

    The first test is for the type the parameter is annotated with, else int: one `type()`
    call for the common case.
    """
    annotation = param.annotation
    first = "_mg_int"
    for kind, global_name in _ANNOTATIONS.items():
        # A string under `from __future__ import annotations`; not hashed (it may not be).
        if annotation is kind or (isinstance(annotation, str) and annotation == kind.__name__):
            first = global_name
    name = param.name
    return f"(_mg_type({name}) is {first} or _mg_type({name}) in _mg_plain)"


def generate(
    func: Callable[..., Any],
    signature: inspect.Signature | None,
    name: str,
    store: Store,
    unhashable: Callable[[tuple[Any, ...], dict[str, Any] | None], Any],
    keywords: Callable[[tuple[Any, ...], dict[str, Any]], Any] | None = None,
) -> Callable[..., Any]:
    """The wrapper of `func` over `store`.

    Args:
        signature: `func`'s signature; None (or one with `*args`/`**kwargs`) gives a
            `(*args, **kwargs)` wrapper, which needs `keywords`.
        unhashable: called with the call's `(args, kwargs)` when the key is unhashable:
            builds a content key and returns the result.
        keywords: for a `(*args, **kwargs)` wrapper, called for calls with keywords.
    """
    fragments = None if signature is None else mirror(signature)
    plain = ""
    if fragments is None:
        if keywords is None:
            raise ValueError("a (*args, **kwargs) wrapper needs `keywords`")
        fragments = Mirrored(params="*args, **kwargs", args="args", kwargs="None", key="args")
        wrapper_name = function_name(name, _STAR_SIGNATURE)
    else:
        wrapper_name = function_name(name, signature)  # type: ignore[arg-type]
        plain = " and ".join(_plain_test(p) for p in signature.parameters.values())  # type: ignore[union-attr]
    bounded = store.bounded
    # The key: one parameter is its own key; several are packed into `_mg_k`.
    k = fragments.key if fragments.key.isidentifier() else "_mg_k"
    assign_key = "" if k == fragments.key else f"        _mg_k = {fragments.key}\n"
    indexed = ""
    if plain:
        indexed = _INDEXED.format(
            k=k,
            plain=plain,
            touch_r=_TOUCH.format(e="_mg_r", **_FIELDS) if bounded else "",
            indexed_result=f"_mg_r[{RESULT}]" if bounded else "_mg_r",
            args=fragments.args,
            kwargs=fragments.kwargs,
        )
    space: dict[str, Any] = {
        "_mg_hash": hash,
        "_mg_type": type,
        **_PLAIN,
        "_mg_plain": frozenset(_PLAIN.values()),
        "_mg_MISS": MISS,
        "_mg_NOINDEX": NOINDEX,
        "_mg_find": store.find,
        "_mg_unhashable": unhashable,
        "_mg_keywords": keywords,
        "_mg_move": store.order.move_to_end,
        "_mg_miss": store.stats.miss,
    }
    wrapper, read_hits = build(
        _TEMPLATE,
        func,
        fragments,
        wrapper_name,
        {},
        space,
        keywords=_KEYWORDS if fragments.params.startswith("*args") else "",
        assign_key=assign_key,
        k=k,
        # `args` is a new tuple at every call: only `==` can find it equal
        same_key=(
            f"                if _mg_e[{KEY}] == args:\n"
            if k == "args"
            else f"                _mg_f = _mg_e[{KEY}]\n"
            f"                if _mg_f is {k} or _mg_f == {k}:\n"
        ),
        indexed=indexed,
        touch_e=_indent(_TOUCH.format(e="_mg_e", **_FIELDS)) if bounded else "",
        **{k: str(v) for k, v in _FIELDS.items()},
    )
    store.stats.add_fast_hits(read_hits)
    empty: dict[Any, Any] = {}  # while tracing: every lookup misses, `find` records the call
    _trace.register_switch(
        wrapper, {"_mg_index": (store.index, empty), "_mg_table": (store.table, empty)}
    )
    return wrapper
