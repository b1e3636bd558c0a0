"""The benchmark workloads: shipped with the package, loaded, selected by name.

`memograd/bench/workloads.json` is package data, read through `importlib.resources`, so the
workloads go wherever the package goes (an installed wheel, any working folder). Every
measurement of the project speaks of the same work; `--workloads-file PATH` (or
`$MEMOGRAD_WORKLOADS`) measures another file instead.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import numpy as np

from memograd._errors import invalid_value

PACKAGED_NAME = "workloads.json"
ENV_VAR = "MEMOGRAD_WORKLOADS"


@dataclass(frozen=True)
class Workload:
    """One MLP training-step workload: layer sizes (input, hidden..., classes) and batch size.

    Example:
        >>> w = Workload("W1-tiny", (2, 16, 16, 2), 100)
        >>> w.short, w.classes, w.flops
        ('W1', 2, 192000)
    """

    name: str
    sizes: tuple[int, ...]
    batch: int

    @property
    def short(self) -> str:
        """The name before the first dash: `W1` for `W1-tiny`."""
        return self.name.split("-", 1)[0]

    @property
    def classes(self) -> int:
        """Number of classes (width of the last layer)."""
        return self.sizes[-1]

    @property
    def layers(self) -> list[tuple[int, int]]:
        """`(fan_in, fan_out)` of every Dense layer."""
        return list(zip(self.sizes[:-1], self.sizes[1:], strict=True))

    @property
    def flops(self) -> int:
        """FLOPs of one step's matrix products: 2 forward + 4 backward per weight and sample."""
        return 6 * self.batch * sum(fan_in * fan_out for fan_in, fan_out in self.layers)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready description (name, sizes, batch, flops)."""
        return {
            "name": self.name,
            "sizes": list(self.sizes),
            "batch": self.batch,
            "flops": self.flops,
        }


def make_data(workload: Workload, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Inputs from a standard normal (float32) and integer labels, both from `seed`.

    Example:
        >>> X, y = make_data(Workload("W1-tiny", (2, 16, 16, 2), 100))
        >>> X.shape, X.dtype, y.shape, int(y.max()) < 2
        ((100, 2), dtype('float32'), (100,), True)
    """
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((workload.batch, workload.sizes[0]), dtype=np.float32)  # (B, D)
    y = rng.integers(0, workload.classes, size=workload.batch, dtype=np.int64)  # (B,)
    return X, y


def packaged_workloads_file() -> Traversable:
    """The workloads file shipped inside this package (`memograd/bench/workloads.json`)."""
    return resources.files(__package__ or "memograd.bench").joinpath(PACKAGED_NAME)


def find_workloads_file(path: str | os.PathLike[str] | None = None) -> Traversable:
    """The workloads file: `path` if given, else `$MEMOGRAD_WORKLOADS`, else the packaged one.

    Raises:
        FileNotFoundError: if `path` (or the variable) names no file.
    """
    if path is not None:
        explicit = Path(path)
        if not explicit.is_file():
            raise FileNotFoundError(
                f"Received an invalid value for `workloads_file`, expected an existing JSON "
                f"file. Received: workloads_file={str(explicit)!r}"
            )
        return explicit
    from_env = os.environ.get(ENV_VAR)
    if from_env:
        return find_workloads_file(from_env)
    return packaged_workloads_file()


def load_workloads(path: str | os.PathLike[str] | Traversable | None = None) -> list[Workload]:
    """Read every workload from the workloads file (see `find_workloads_file`).

    Example:
        >>> [w.short for w in load_workloads()]
        ['W1', 'W2', 'W3', 'W4']
    """
    # Paths (which also look Traversable) are checked; a resource object is read as it is.
    if path is None or isinstance(path, str | os.PathLike):
        file = find_workloads_file(path)
    else:
        file = path
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
        workloads = [
            Workload(str(item["name"]), tuple(int(s) for s in item["sizes"]), int(item["batch"]))
            for item in document["workloads"]
        ]
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(
            f"{file} is not a workloads file: expected {{'workloads': [{{'name', 'sizes', "
            f"'batch'}}, ...]}}. Problem: {error!r}"
        ) from None
    for w in workloads:
        if len(w.sizes) < 2 or min(w.sizes) < 1 or w.batch < 1:
            raise ValueError(f"{file}: workload {w.name!r} has invalid sizes or batch: {w}")
    return workloads


def select_workloads(available: Sequence[Workload], names: Sequence[str] | None) -> list[Workload]:
    """The workloads named in `names` (full name or short form such as `W1`, any case).

    `None` selects all of them. Unknown names raise a ValueError listing the valid ones.

    Example:
        >>> ws = [Workload("W1-tiny", (2, 2), 4), Workload("W2-digits", (4, 2), 8)]
        >>> [w.name for w in select_workloads(ws, ["w2", "W1-tiny"])]
        ['W2-digits', 'W1-tiny']
    """
    if names is None:
        return list(available)
    lookup: dict[str, Workload] = {}
    for w in available:
        lookup[w.name.lower()] = w
        lookup.setdefault(w.short.lower(), w)
    chosen: list[Workload] = []
    for name in names:
        found = lookup.get(name.strip().lower())
        if found is None:
            valid = ", ".join(f"{x.name} ({x.short})" for x in available)
            raise invalid_value("workloads", f"names from: {valid}", name)
        if found not in chosen:
            chosen.append(found)
    if not chosen:
        raise ValueError("Received an empty value for `workloads`, expected at least one name.")
    return chosen
