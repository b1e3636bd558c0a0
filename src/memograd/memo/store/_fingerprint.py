"""Code fingerprints: a stored result is only valid for the code that computed it.

A fingerprint hashes what a function *does*, not where its text sits:

* its code object: bytecode, constants (the docstring slot left out), names, argument
  counts, flags, and every nested code object (lambdas, comprehensions, inner functions)
  alike. Not the file name, line numbers or line table: moving lines, editing comments or
  docstrings, or reformatting leave it unchanged; changing a constant or an operation does
  not. Default argument values are included.
* transitively, the user's own code it can reach: each name the code loads is looked up in
  the function's globals and closure cells. A user function (or a `@memoize`d one: its
  `__wrapped__`) is fingerprinted in turn; a user class by its methods; a user module by the
  attributes the code names; an immutable data global (`LR = 0.1`, a string, a tuple of
  these) by its stable encoding. Mutable globals (lists, dicts, sets, arrays) are listed but
  left out: their contents change as the program runs. Recursion and cycles are followed once.
* for code that is not the user's (the standard library, and anything in an installed
  distribution, editable installs included), only its version: the Python version for the
  standard library, the distribution's version otherwise. Its source is not read. A module
  outside site-packages counts as installed only if a distribution of the same name
  declares it (`top_level.txt`); otherwise it is the user's and is walked.

`fingerprint(f)` returns the digest with the list of what went in, for a person to check.

Example:
    >>> def helper(x): return x + 1
    >>> def f(x): return helper(x) * 2
    >>> [p.kind for p in fingerprint(f).parts]
    ['function', 'function']
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import os
import sys
import sysconfig
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from memograd.memo.store._stable_key import Unstable, encode_into

_COMPREHENSIONS = frozenset({"<listcomp>", "<setcomp>", "<dictcomp>", "<genexpr>"})
_CO_HAS_DOCSTRING = 0x4000000  # CPython 3.14+


@dataclass(frozen=True)
class Part:
    """One input of a fingerprint: `kind` is function, class, global, package or python;
    `name` is dotted; `detail` a short digest of a code/value part, or a version."""

    kind: str
    name: str
    detail: str


@dataclass(frozen=True)
class Fingerprint:
    """A function's code fingerprint: `digest` (hex SHA-256) and the `parts` hashed into it."""

    digest: str
    parts: tuple[Part, ...]

    def __str__(self) -> str:
        lines = [f"fingerprint {self.digest[:16]}"]
        lines += [f"  {p.kind:<8} {p.name}  {p.detail}" for p in self.parts]
        return "\n".join(lines)


def fingerprint(func: Callable[..., Any]) -> Fingerprint:
    """What a stored result of `func` depends on, hashed; see the module docstring.

    Raises TypeError if `func` is not a Python function (or a memoized one).
    """
    target = _unwrap(func)
    if not isinstance(target, types.FunctionType):
        raise TypeError(
            "Received an invalid value for `func`, expected a Python function. Received: "
            f"{func!r} of type {type(func).__name__}"
        )
    walker = _Walker()
    walker.function(target)
    h = hashlib.sha256(b"memograd-fingerprint-1")
    for part in walker.parts:
        for text in (part.kind, part.name, part.detail):
            h.update(text.encode("utf-8", "surrogatepass") + b"\0")
    return Fingerprint(h.hexdigest(), tuple(walker.parts))


def _unwrap(obj: Any) -> Any:
    # A memoized function or functools.wraps wrapper: fingerprint what it wraps.
    seen = 0
    while hasattr(obj, "__wrapped__") and seen < 100:
        obj = obj.__wrapped__
        seen += 1
    return obj


class _Walker:
    def __init__(self) -> None:
        self.parts: list[Part] = []
        self.seen: set[int] = set()
        self.packages: set[str] = set()

    def function(self, func: types.FunctionType) -> None:
        if id(func) in self.seen:
            return
        self.seen.add(id(func))
        h = hashlib.sha256()
        _hash_code(h, func.__code__)
        for label, default in (("d", func.__defaults__), ("k", func.__kwdefaults__)):
            h.update(label.encode())
            _hash_value(h, default)
        self.parts.append(Part("function", _name(func), h.hexdigest()[:16]))
        names = _names(func.__code__)
        for name in sorted(names):
            if name in func.__globals__:
                value = func.__globals__[name]
                self.reference(value, f"{func.__module__}.{name}", names)
        for name, cell in zip(func.__code__.co_freevars, func.__closure__ or (), strict=False):
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell (assigned later)
                continue
            self.reference(value, f"{_name(func)}.<closure>.{name}", names)

    def reference(self, value: Any, name: str, names: frozenset[str]) -> None:
        value = _unwrap(value) if callable(value) else value
        if isinstance(value, types.ModuleType):
            if self.package(value.__name__, getattr(value, "__file__", None)):
                return
            if id(value) in self.seen:
                return
            self.seen.add(id(value))
            for attr in sorted(names):  # the attributes this code could read from it
                if attr in vars(value):
                    self.reference(vars(value)[attr], f"{value.__name__}.{attr}", names)
            return
        if isinstance(value, types.FunctionType | type):
            owner = str(getattr(value, "__module__", None) or "__main__")
            if self.package(owner, _file(sys.modules.get(owner))):
                return
            if isinstance(value, types.FunctionType):
                self.function(value)
            else:
                self.cls(value)
            return
        if isinstance(value, types.BuiltinFunctionType | types.MethodType):
            owner = str(getattr(value, "__module__", None) or "builtins")
            self.package(owner, _file(sys.modules.get(owner)))
            return
        if callable(value):
            owner = str(getattr(type(value), "__module__", "builtins"))
            self.package(owner, _file(sys.modules.get(owner)))
            return
        # Immutable data: its value goes in (a changed constant changes results). Mutable
        # containers (a list the program appends to, a dict used as a cache) are left out:
        # their contents change while the program runs, and with them would every key.
        if not _immutable(value):
            self.parts.append(
                Part("global", name, f"<mutable {type(value).__name__}: not part of the key>")
            )
            return
        h = hashlib.sha256()
        try:
            encode_into(h, value, typed=True)
            detail = h.hexdigest()[:16]
        except (Unstable, RecursionError):
            kind = type(value)
            module_name = kind.__module__
            if not self.package(module_name, _file(sys.modules.get(module_name))):
                detail = f"<{kind.__qualname__} object: not part of the key>"
                self.parts.append(Part("global", name, detail))
            return
        self.parts.append(Part("global", name, detail))

    def cls(self, cls: type) -> None:
        if id(cls) in self.seen:
            return
        self.seen.add(id(cls))
        self.parts.append(Part("class", f"{cls.__module__}.{cls.__qualname__}", ""))
        for base in cls.__mro__[1:]:
            if base is not object:
                self.reference(base, base.__qualname__, frozenset())
        for attr, member in sorted(vars(cls).items()):
            if isinstance(member, staticmethod | classmethod):
                member = member.__func__
            if isinstance(member, property):
                for accessor in (member.fget, member.fset, member.fdel):
                    if isinstance(accessor, types.FunctionType):
                        self.function(accessor)
            elif isinstance(member, types.FunctionType):
                self.function(member)
            elif not attr.startswith("__"):
                self.reference(member, f"{cls.__qualname__}.{attr}", frozenset())

    def package(self, module_name: str, file: str | None) -> bool:
        """True (and its version recorded once) if `module_name` is not the user's code."""
        top = module_name.split(".")[0]
        if top in self.packages:
            return True
        if top in sys.stdlib_module_names or top == "builtins":
            kind, name, version = "python", "python", sys.version.split()[0]
        else:
            installed = _under_install_paths(file)
            found = _distribution_version(top, installed)
            if found is None and not installed:
                return False  # the user's own code
            kind, name, version = "package", top, found or "version unknown"
        self.packages.add(top)
        if not any(p.kind == kind and p.name == name for p in self.parts):
            self.parts.append(Part(kind, name, version))
        return True


def _immutable(value: Any, depth: int = 0) -> bool:
    if depth > 50:
        return False
    if isinstance(value, tuple | frozenset):
        return all(_immutable(item, depth + 1) for item in value)
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.ndarray):
        return False
    return not isinstance(value, list | dict | set | bytearray)


def _name(func: Any) -> str:
    return f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', '?')}"


def _file(module: Any) -> str | None:
    return getattr(module, "__file__", None) if module is not None else None


@functools.cache
def _install_paths() -> tuple[str, ...]:
    paths = set()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            paths.add(os.path.realpath(path))
    for prefix in (sys.prefix, sys.base_prefix, sys.exec_prefix):
        paths.add(os.path.realpath(os.path.join(prefix, "lib")))
    return tuple(sorted(paths))


def _under_install_paths(file: str | None) -> bool:
    if not file:
        return False
    real = os.path.realpath(file)
    return any(real.startswith(path + os.sep) for path in _install_paths())


@functools.cache
def _distributions() -> dict[str, list[str]]:
    return dict(importlib.metadata.packages_distributions())


@functools.cache
def _distribution_version(top: str, installed: bool) -> str | None:
    """`"<distribution> <version>"` of the installed distribution providing the top-level
    package `top`, or None. `installed`: its file is in site-packages (or the stdlib)."""
    # Most distributions are named like their package: a direct look-up (microseconds)
    # before the scan of every installed distribution's files (~0.1 s, done once). Outside
    # site-packages (an editable install, or the user's module that happens to share a
    # distribution's name) the distribution must also declare `top` as its package.
    for guess in (top, top.replace("_", "-")):
        try:
            dist = importlib.metadata.distribution(guess)
        except importlib.metadata.PackageNotFoundError:
            continue
        declared = (dist.read_text("top_level.txt") or "").split()
        if installed or top in declared:
            return f"{guess} {dist.version}"
    if not installed:
        # Not in site-packages and no distribution of that name: the user's code (an
        # editable install named unlike its package is walked as such: safe, if slower).
        return None
    names = _distributions().get(top)
    if not names:
        return None
    try:
        return f"{names[0]} {importlib.metadata.version(names[0])}"
    except importlib.metadata.PackageNotFoundError:
        return None


def _names(code: types.CodeType) -> frozenset[str]:
    """Every global or attribute name the code (or code nested in it) loads."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return frozenset(names)


def _hash_code(h: Any, code: types.CodeType) -> None:
    consts = code.co_consts
    if sys.version_info >= (3, 14):
        has_doc_slot = bool(code.co_flags & _CO_HAS_DOCSTRING)
    else:  # functions and lambdas keep the docstring (or None) as their first constant
        has_doc_slot = code.co_name not in _COMPREHENSIONS and bool(consts)
        has_doc_slot = has_doc_slot and (consts[0] is None or isinstance(consts[0], str))
    if has_doc_slot:
        consts = consts[1:]
    for field in (
        code.co_code,
        code.co_exceptiontable,
        repr((code.co_argcount, code.co_posonlyargcount, code.co_kwonlyargcount)).encode(),
        repr((code.co_flags, code.co_names, code.co_varnames)).encode(),
        repr((code.co_freevars, code.co_cellvars)).encode(),
    ):
        h.update(len(field).to_bytes(8, "little"))
        h.update(field)
    h.update(len(consts).to_bytes(8, "little"))
    for const in consts:
        if isinstance(const, types.CodeType):
            h.update(b"code")
            h.update(const.co_name.encode())
            _hash_code(h, const)
        else:
            _hash_value(h, const)


def _hash_value(h: Any, value: Any) -> None:
    try:
        encode_into(h, value, typed=True)
    except Unstable:  # e.g. an object default argument: its type stands in
        h.update(b"?" + repr(type(value)).encode())
