r"""The cheap-gradient principle, measured: the Griewank–Walther constant on the lesson's MLPs.

Griewank and Walther (*Evaluating Derivatives*, 2nd ed., §4.6) bound the work of the value
and gradient by reverse mode by ω times the work of the value alone, ω ∈ [3, 4] in operation
counts (about 5 once memory traffic is counted), whatever the number n of parameters.
Forward mode needs one sweep per parameter: about n times the evaluation.

**Counted multiplications** on the neuron-level graph (`memograd.scalar.MLP`, widths n₀…n_D,
activations a_l). Divisions count as multiplications; ``exp`` and ``tanh`` are nonlinear
elementals, not multiplications::

    F = Σ_l n_l·(n_{l−1} + [a_l = sigmoid]) + n_D     loss evaluation: the products w·o of
        every weighted sum, σ(z) = 1/(1 + e^(−z))'s division, the n_D squares of L
    D = Σ_l n_l·[a_l ∈ {sigmoid, tanh}] + n_D         local derivatives σ' = s·(1 − s),
        tanh' = 1 − t², ∂L/∂ŷ = 2·(ŷ − y) (computed with the forward; only a gradient needs them)
    reverse = F + D + R      R: the reverse sweep's multiplications (one per edge), counted
    forward = F + D + Φ      Φ: the forward strategy's, one sweep per parameter, counted

so the G–W constant is ``reverse / F``. The forward strategy skips the nodes a parameter does
not reach (a zero tangent is never multiplied), which on the neuron graph makes each sweep
short: its ratio grows with the width, not with n.

**Real forward sweeps and time**: the same network as Tensor ops on the flat parameter
vector θ ∈ ℝⁿ (`tensor_loss`): ``f(θ)``, ``mg.grad(f)(θ)`` (one reverse sweep) and
``mg.jacfwd(f)(θ)`` (n forward sweeps with dense tangents, counted by
`memograd.forward.counting`), timed in interleaved rounds (medians). Here forward mode does
cost about n evaluations.

Example:
    >>> row = cheap_gradient([2, 2, 2, 1], repeats=1)
    >>> row.parameters, row.evaluation, row.reverse, round(row.reverse_ratio, 2)
    (15, 16, 49, 3.06)
    >>> row.forward_sweeps == row.parameters
    True
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from memograd.autograd import grad
from memograd.backprop._closed_forms import _layers
from memograd.backprop._compare import compare
from memograd.forward import counting, jacfwd, jvp
from memograd.scalar import MLP
from memograd.tensor import Tensor

LESSON_NETWORKS: tuple[tuple[int, ...], ...] = (
    (2, 2, 2, 1),
    (2, 4, 4, 1),
    (2, 8, 8, 1),
    (4, 16, 16, 1),
)
"""The networks the CLI and the report measure: the lesson's 2-2-2-1 and wider ones."""

GW_BOUND = 5.0
"""Griewank–Walther's bound on reverse / evaluation (4 in operation counts, 5 with memory)."""


@dataclass(frozen=True, slots=True)
class CheapGradient:
    """Work and time of the loss, its gradient by reverse mode and by forward mode.

    Attributes:
        widths: the MLP's layer widths; activation: its hidden and output activation.
        parameters: n, the number of parameters.
        evaluation: F, multiplications of one loss evaluation.
        local_derivatives: D, multiplications of the local derivatives.
        reverse: F + D + the reverse sweep's multiplications (counted).
        forward: F + D + the forward strategy's multiplications (counted).
        forward_sweeps: real forward sweeps `mg.jacfwd` ran for the gradient (counted).
        forward_jvp_rules: JVP rule evaluations over those sweeps (counted).
        evaluation_ops: op applications of one Tensor evaluation (counted).
        seconds_evaluation, seconds_reverse, seconds_forward: medians for the Tensor network
            (f(θ), mg.grad, mg.jacfwd).
    """

    widths: tuple[int, ...]
    activation: str
    parameters: int
    evaluation: int
    local_derivatives: int
    reverse: int
    forward: int
    forward_sweeps: int
    forward_jvp_rules: int
    evaluation_ops: int
    seconds_evaluation: float
    seconds_reverse: float
    seconds_forward: float

    @property
    def reverse_ratio(self) -> float:
        """The measured Griewank–Walther constant: (value + gradient) / value, counted."""
        return self.reverse / self.evaluation

    @property
    def forward_ratio(self) -> float:
        return self.forward / self.evaluation

    @property
    def reverse_time_ratio(self) -> float:
        return self.seconds_reverse / self.seconds_evaluation

    @property
    def forward_time_ratio(self) -> float:
        return self.seconds_forward / self.seconds_evaluation

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["widths"] = list(self.widths)
        for name in ("reverse_ratio", "forward_ratio", "reverse_time_ratio", "forward_time_ratio"):
            out[name] = getattr(self, name)
        return out


def evaluation_multiplications(widths: Sequence[int], activation: str = "sigmoid") -> int:
    """F: multiplications of one evaluation of L (see the module docstring)."""
    n, _ = _layers(widths, activation, None)
    sig = 1 if activation == "sigmoid" else 0
    return sum(n[ell] * (n[ell - 1] + sig) for ell in range(1, len(n))) + n[-1]


def derivative_multiplications(widths: Sequence[int], activation: str = "sigmoid") -> int:
    """D: multiplications of the local derivatives (see the module docstring)."""
    n, _ = _layers(widths, activation, None)
    smooth = 1 if activation in ("sigmoid", "tanh") else 0
    return sum(n[ell] * smooth for ell in range(1, len(n))) + n[-1]


def tensor_loss(net: Any, x: Sequence[float], y: Sequence[float]) -> tuple[Callable[..., Any], Any]:
    """The MLP's loss as a function of its flat parameter vector θ (the order of
    ``net.parameters()``: per layer and neuron, the weights then the bias), and θ itself."""
    widths = list(net.sizes)
    acts = [net.layer_activation(ell) for ell in range(1, len(widths))]
    theta = np.array([p.data for p in net.parameters()])
    x_const = Tensor(np.asarray(x, dtype=np.float64))
    y_const = Tensor(np.asarray(y, dtype=np.float64).reshape(-1))

    def f(t: Any) -> Any:
        o, start = x_const, 0
        for ell, act in enumerate(acts, start=1):
            rows, cols = widths[ell], widths[ell - 1] + 1
            block = t[start : start + rows * cols].reshape((rows, cols))
            start += rows * cols
            o = block[:, : cols - 1] @ o + block[:, cols - 1]
            o = o if act == "linear" else getattr(o, act)()
        d = o - y_const
        return (d * d).sum()

    return f, theta


def cheap_gradient(
    widths: Sequence[int], activation: str = "sigmoid", *, repeats: int = 5, seed: int = 0
) -> CheapGradient:
    """Measure the counts and times of the module docstring on ``MLP(widths, activation)``."""
    net = MLP(list(widths), activation=activation, seed=seed)
    rng = np.random.default_rng(seed + 100)
    x = rng.uniform(-1, 1, size=net.sizes[0]).tolist()
    y = rng.uniform(0, 1, size=net.sizes[-1]).tolist()
    loss = net.loss(x, y)
    rev, fwd = compare(loss, net.parameters(), strategies=("reverse", "forward"))
    assert rev.counts is not None and fwd.counts is not None  # (no budget: both ran)
    f_mult = evaluation_multiplications(net.sizes, activation)
    d_mult = derivative_multiplications(net.sizes, activation)

    f, theta = tensor_loss(net, x, y)
    with counting() as one:  # one sweep: a tangent on every op of the evaluation
        jvp(f, (theta,), (np.ones_like(theta),))
    with counting() as sweeps:
        jacfwd(f)(theta)
    runs: dict[str, Callable[[], Any]] = {
        "evaluation": lambda: f(Tensor(theta)),
        "reverse": lambda: grad(f)(theta),
        "forward": lambda: jacfwd(f)(theta),
    }
    times: dict[str, list[float]] = {k: [] for k in runs}
    for _ in range(max(1, repeats)):  # interleaved rounds: load changes hit all three alike
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return CheapGradient(
        widths=tuple(net.sizes),
        activation=activation,
        parameters=len(theta),
        evaluation=f_mult,
        local_derivatives=d_mult,
        reverse=f_mult + d_mult + rev.counts.multiplications,
        forward=f_mult + d_mult + fwd.counts.multiplications,
        forward_sweeps=sweeps.sweeps,
        forward_jvp_rules=sweeps.jvp_rules,
        evaluation_ops=one.jvp_rules,
        seconds_evaluation=statistics.median(times["evaluation"]),
        seconds_reverse=statistics.median(times["reverse"]),
        seconds_forward=statistics.median(times["forward"]),
    )


def cheap_gradient_study(
    networks: Sequence[Sequence[int]] = LESSON_NETWORKS,
    activation: str = "sigmoid",
    *,
    repeats: int = 5,
) -> list[CheapGradient]:
    """`cheap_gradient` on each network."""
    return [cheap_gradient(w, activation, repeats=repeats) for w in networks]
