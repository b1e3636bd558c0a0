"""One step-function builder per engine: the same training step, written for each library.

A builder gets a workload and its data and returns a `Built`: `step()` runs exactly one
training step (forward, softmax cross-entropy, backward, SGD with lr 0.01, float32) and
returns only when the work is done; `forward()`, where given, runs the forward pass and the
loss alone. An engine that cannot run raises `EngineSkipped` with a status and a reason:
`missing` (library not installed), `unavailable` (the memograd part does not exist yet) or
`not-applicable` (micrograd beyond W1). Heavy libraries are imported inside the builders, so
a worker process only ever imports the engine it measures.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from memograd._errors import invalid_value
from memograd.bench._numpy_mlp import NumpyMLP
from memograd.bench._workloads import Workload

LEARNING_RATE = 0.01

#: Engines a worker process can time, in table order.
ENGINES: tuple[str, ...] = ("memograd", "memograd-jit", "numpy", "torch", "jax", "micrograd")
#: Computed rows: `blas-bound` = the workload's FLOPs / the GEMM FLOP/s of the same run.
PSEUDO_ENGINES: tuple[str, ...] = ("blas-bound",)
ALL_ENGINES: tuple[str, ...] = ENGINES + PSEUDO_ENGINES
#: Other spellings accepted on the command line (the peer names of workloads.json).
ALIASES: dict[str, str] = {
    "numpy-hand": "numpy",
    "torch-eager": "torch",
    "pytorch": "torch",
    "jax-jit": "jax",
    "memograd-eager": "memograd",
}


class EngineSkipped(Exception):
    """The engine cannot run this workload here; `status` says why in one word."""

    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class Built:
    """A ready-to-time engine: `step()` is one full training step."""

    step: Callable[[], object]
    forward: Callable[[], object] | None = None
    max_steps: int | None = None  # slow engines time fewer steps (micrograd)
    warmup: int | None = None  # overrides the worker's warm-up count when set
    python_allocations: bool = False  # tracemalloc sees its memory (NumPy / pure Python)
    threads: int | None = None  # the engine's own thread pool, where it has one (torch)
    versions: dict[str, str] = field(default_factory=dict)
    note: str = ""


def parse_engines(names: list[str] | None) -> list[str]:
    """Canonical engine names (aliases resolved); unknown names raise a ValueError.

    Example:
        >>> parse_engines(["numpy-hand", "torch", "blas-bound"])
        ['numpy', 'torch', 'blas-bound']
    """
    if names is None:
        return list(ALL_ENGINES)
    chosen: list[str] = []
    for raw in names:
        name = raw.strip().lower()
        name = ALIASES.get(name, name)
        if name not in ALL_ENGINES:
            raise invalid_value("engines", f"names from: {', '.join(ALL_ENGINES)}", raw)
        if name not in chosen:
            chosen.append(name)
    if not chosen:
        raise ValueError("Received an empty value for `engines`, expected at least one name.")
    return chosen


def package_version(distribution: str) -> str | None:
    """Installed version of `distribution` without importing it, or None."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _import(module: str, engine: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise EngineSkipped(
            "missing", f"{engine} needs `{module}`, not installed ({error})"
        ) from None


def build(engine: str, workload: Workload, X: np.ndarray, y: np.ndarray, seed: int = 0) -> Built:
    """The step function of `engine` on `workload`, with inputs `X` (float32) and labels `y`."""
    builders: dict[str, Callable[[Workload, np.ndarray, np.ndarray, int], Built]] = {
        "numpy": _build_numpy,
        "torch": _build_torch,
        "jax": _build_jax,
        "micrograd": _build_micrograd,
        "memograd": lambda w, X, y, s: _build_memograd(w, X, y, s, jit=False),
        "memograd-jit": lambda w, X, y, s: _build_memograd(w, X, y, s, jit=True),
    }
    if engine not in builders:
        raise invalid_value("engine", f"one of {', '.join(builders)}", engine)
    return builders[engine](workload, X, y, seed)


def _build_numpy(workload: Workload, X: np.ndarray, y: np.ndarray, seed: int) -> Built:
    net = NumpyMLP(workload.sizes, dtype=np.float32, seed=seed)
    return Built(
        step=lambda: net.step(X, y, LEARNING_RATE),
        forward=lambda: net.loss(X, y),
        python_allocations=True,
        versions={"numpy": np.__version__},
    )


def _build_torch(workload: Workload, X: np.ndarray, y: np.ndarray, seed: int) -> Built:
    from memograd._threads import get_num_threads

    torch = _import("torch", "torch")
    torch.manual_seed(seed)  # this worker process only: nn.Linear draws from torch's RNG
    # The same thread count as the NumPy engines beside it (memograd's policy, or --threads):
    # a comparison of a 1-thread step with a 2-thread one would measure the thread count.
    torch.set_num_threads(get_num_threads())
    layers: list[Any] = []
    for index, (fan_in, fan_out) in enumerate(workload.layers):
        layers.append(torch.nn.Linear(fan_in, fan_out))
        if index < len(workload.layers) - 1:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)  # float32 parameters
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    inputs, labels = torch.from_numpy(X), torch.from_numpy(y)

    def step() -> None:
        optimizer.zero_grad()
        loss_fn(model(inputs), labels).backward()
        optimizer.step()

    return Built(
        step=step,
        forward=lambda: loss_fn(model(inputs), labels),
        versions={"torch": str(torch.__version__)},
        threads=int(torch.get_num_threads()),
        note=f"{torch.get_num_threads()} threads",
    )


def _build_jax(workload: Workload, X: np.ndarray, y: np.ndarray, seed: int) -> Built:
    jax = _import("jax", "jax")
    jnp = _import("jax.numpy", "jax")
    init = NumpyMLP(workload.sizes, dtype=np.float32, seed=seed)  # same weights as numpy
    params = [
        (jnp.asarray(w), jnp.asarray(b)) for w, b in zip(init.weights, init.biases, strict=True)
    ]
    last = len(params) - 1

    def loss(params: Any, inputs: Any, labels: Any) -> Any:
        a = inputs  # (B, D)
        for index, (w, b) in enumerate(params):
            a = a @ w + b
            if index < last:
                a = jax.nn.relu(a)
        log_probs = jax.nn.log_softmax(a, axis=1)  # (B, C)
        return -jnp.mean(jnp.take_along_axis(log_probs, labels[:, None], axis=1))

    @jax.jit
    def train_step(params: Any, inputs: Any, labels: Any) -> Any:
        grads = jax.grad(loss)(params, inputs, labels)
        return jax.tree_util.tree_map(lambda p, g: p - LEARNING_RATE * g, params, grads)

    state = {"params": params}
    inputs, labels = jnp.asarray(X), jnp.asarray(y.astype(np.int32))

    def step() -> None:
        state["params"] = jax.block_until_ready(train_step(state["params"], inputs, labels))

    return Built(
        step=step,
        versions={"jax": str(jax.__version__), "jaxlib": package_version("jaxlib") or "?"},
        note="one jitted step: grad(loss) + SGD update",
    )


def _build_micrograd(workload: Workload, X: np.ndarray, y: np.ndarray, seed: int) -> Built:
    if workload.short != "W1":
        raise EngineSkipped("not-applicable", "micrograd is a scalar engine: timed on W1 only")
    engine = _import("micrograd.engine", "micrograd")
    nn = _import("micrograd.nn", "micrograd")
    import random

    random.seed(seed)  # micrograd draws its weights from `random`; this process only
    model = nn.MLP(workload.sizes[0], list(workload.sizes[1:]))
    rows, labels = X.astype(np.float64).tolist(), y.tolist()
    value = engine.Value

    def cross_entropy(logits: list[Any], label: int) -> Any:
        # micrograd has no exp/log: one node holding the loss, whose backward is softmax - onehot
        data = [v.data for v in logits]
        shift = max(data)
        exps = [math.exp(d - shift) for d in data]
        total = sum(exps)
        out = value(math.log(total) + shift - data[label], tuple(logits), "xent")

        def _backward() -> None:
            for i, v in enumerate(logits):
                v.grad += (exps[i] / total - (1.0 if i == label else 0.0)) * out.grad

        out._backward = _backward
        return out

    def step() -> None:
        losses = [cross_entropy(model(row), label) for row, label in zip(rows, labels, strict=True)]
        loss = sum(losses) * (1.0 / len(losses))
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= LEARNING_RATE * p.grad

    return Built(
        step=step,
        max_steps=3,
        warmup=1,
        python_allocations=True,
        versions={"micrograd": package_version("micrograd") or "?"},
        note="scalar engine: 1 warm-up + 3 timed steps; float64 (Python floats)",
    )


def _memograd_parts() -> tuple[Any, Any, Any]:
    """`memograd`, `memograd.nn` and the optimiser namespace, or EngineSkipped('unavailable')."""
    import memograd as mg

    try:
        nn = importlib.import_module("memograd.nn")
    except ImportError as error:
        try:
            importlib.import_module("memograd.tensor")
            tensor = "memograd.tensor exists, but the bench times mg.nn.Sequential.train_on_batch"
        except ImportError:
            tensor = "memograd.tensor does not exist yet either"
        raise EngineSkipped(
            "unavailable", f"memograd.nn is not importable yet ({error}); {tensor}"
        ) from None
    optim = getattr(mg, "optim", None) or getattr(nn, "optim", None)
    if optim is None or not hasattr(optim, "SGD"):
        raise EngineSkipped("unavailable", "mg.optim.SGD does not exist yet")
    for name in ("Sequential", "Dense"):
        if not hasattr(nn, name):
            raise EngineSkipped("unavailable", f"mg.nn.{name} does not exist yet")
    return mg, nn, optim


def _build_memograd(
    workload: Workload, X: np.ndarray, y: np.ndarray, seed: int, *, jit: bool
) -> Built:
    mg, nn, optim = _memograd_parts()
    hidden = [nn.Dense(width, activation="relu") for width in workload.sizes[1:-1]]
    model = nn.Sequential([*hidden, nn.Dense(workload.classes)])
    options: dict[str, Any] = {"jit_compile": True} if jit else {}
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.compile(loss="cross_entropy", optimizer=optim.SGD(LEARNING_RATE), **options)
            model.train_on_batch(X, y)  # first step: builds the weights (and traces, with jit)
    except (NotImplementedError, TypeError) as error:
        if not jit:
            raise
        raise EngineSkipped("unavailable", f"compile(jit_compile=True) failed: {error}") from None
    fallback = [w for w in caught if "jit_compile" in str(w.message)]
    if jit and fallback:
        # Timing the eager fallback under the jit name would report a compiled step that
        # does not exist; say so instead.
        raise EngineSkipped("unavailable", " ".join(str(fallback[0].message).split()))
    return Built(
        step=lambda: model.train_on_batch(X, y),
        # the compiled step has no separate forward; an eager forward beside it would
        # split the step into parts that do not belong together
        forward=None if jit else _memograd_forward(mg, nn, model, X, y),
        python_allocations=True,
        versions={"memograd": str(mg.__version__)},
        note="jit_compile=True" if jit else "eager",
    )


def _memograd_forward(mg: Any, nn: Any, model: Any, X: np.ndarray, y: np.ndarray) -> Any:
    """Forward pass + loss (graph recorded, as in training), or None if the API is not there."""
    loss_fn = getattr(model, "loss", None)
    if not callable(loss_fn):
        losses = getattr(nn, "losses", None)
        getter = getattr(losses, "get", None)
        loss_fn = getter("cross_entropy") if callable(getter) else None
    if not callable(loss_fn):
        return None
    inputs = mg.Tensor(X)
    prepare = getattr(loss_fn, "prepare_targets", None)
    targets = prepare(y, model.units, X.dtype) if callable(prepare) else y

    def forward() -> object:
        return loss_fn(model(inputs), targets)  # (B, C) logits -> scalar, graph recorded

    try:
        forward()
    except Exception:  # the forward-only timing is an extra; the step timing does not need it
        return None
    return forward
