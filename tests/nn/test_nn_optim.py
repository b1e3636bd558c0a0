"""Optimizers: step-by-step agreement with torch.optim in float64, state round trips, errors."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from memograd.nn import optim, schedules

# (memograd class, memograd kwargs, torch class name, torch kwargs)
CASES: list[tuple[type[optim.Optimizer], dict[str, Any], str, dict[str, Any]]] = [
    (optim.SGD, {"lr": 0.1}, "SGD", {"lr": 0.1}),
    (optim.SGD, {"lr": 0.05, "momentum": 0.9}, "SGD", {"lr": 0.05, "momentum": 0.9}),
    (
        optim.SGD,
        {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.01},
        "SGD",
        {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.01},
    ),
    (optim.Adam, {"lr": 0.01}, "Adam", {"lr": 0.01}),
    (
        optim.Adam,
        {"lr": 0.02, "beta_1": 0.8, "beta_2": 0.99, "eps": 1e-6, "weight_decay": 0.1},
        "Adam",
        {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1},
    ),
    (optim.AdamW, {"lr": 0.01}, "AdamW", {"lr": 0.01}),
    (
        optim.AdamW,
        {"lr": 0.03, "weight_decay": 0.2, "beta_1": 0.3},
        "AdamW",
        {"lr": 0.03, "weight_decay": 0.2, "betas": (0.3, 0.999)},
    ),
    (optim.RMSprop, {"lr": 0.01}, "RMSprop", {"lr": 0.01}),
    (
        optim.RMSprop,
        {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.05, "alpha": 0.3},
        "RMSprop",
        {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.05, "alpha": 0.3},
    ),
]


def _params(rng: np.random.Generator) -> list[SimpleNamespace]:
    return [
        SimpleNamespace(data=rng.standard_normal((4, 3)), grad=None),
        SimpleNamespace(data=rng.standard_normal(3), grad=None),
    ]


@pytest.mark.parametrize(("cls", "kwargs", "torch_name", "torch_kwargs"), CASES)
def test_matches_torch_step_by_step(
    cls: type[optim.Optimizer],
    kwargs: dict[str, Any],
    torch_name: str,
    torch_kwargs: dict[str, Any],
) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    ours = _params(rng)
    theirs = [torch.tensor(p.data.copy(), dtype=torch.float64, requires_grad=True) for p in ours]
    opt = cls(**kwargs)
    opt.build(ours)
    topt = getattr(torch.optim, torch_name)(theirs, **torch_kwargs)
    for _ in range(25):
        for p, t in zip(ours, theirs, strict=True):
            g = rng.standard_normal(p.data.shape)
            p.grad = g
            t.grad = torch.tensor(g.copy())
        opt.step()
        topt.step()
        for p, t in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-12, atol=1e-13)


def test_float32_parameters_stay_float32() -> None:
    p = SimpleNamespace(data=np.ones(3, dtype=np.float32), grad=np.ones(3, dtype=np.float32))
    for cls in (optim.SGD, optim.Adam, optim.AdamW, optim.RMSprop):
        opt = cls()
        opt.build([p])
        opt.step()
        assert p.data.dtype == np.float32
        assert opt.state_dict()["slots"] == {} or all(
            a.dtype == np.float32 for a in opt.state_dict()["slots"].values()
        )


def test_updates_in_place_and_skips_missing_grad() -> None:
    data = np.array([1.0, 2.0])
    frozen = np.array([5.0])
    p = SimpleNamespace(data=data, grad=np.array([1.0, 1.0]))
    q = SimpleNamespace(data=frozen, grad=None)
    opt = optim.Adam(0.1)
    opt.build([p, q])
    opt.step()
    assert p.data is data and not np.allclose(data, [1.0, 2.0])
    assert q.data.tolist() == [5.0]
    opt.zero_grad()
    assert p.grad is None


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.RMSprop])
def test_state_dict_resume_is_exact(cls: type[optim.Optimizer]) -> None:
    kwargs: dict[str, Any] = {"momentum": 0.9} if cls is not optim.Adam else {}
    rng = np.random.default_rng(1)
    grads = [rng.standard_normal((2, 2)) for _ in range(10)]
    start = rng.standard_normal((2, 2))

    p = SimpleNamespace(data=start.copy(), grad=None)
    opt = cls(0.01, **kwargs)
    opt.build([p])
    for g in grads:
        p.grad = g
        opt.step()

    q = SimpleNamespace(data=start.copy(), grad=None)
    first = cls(0.01, **kwargs)
    first.build([q])
    for g in grads[:4]:
        q.grad = g
        first.step()
    state = {**first.state_dict()}
    state["slots"] = {k: v.copy() for k, v in state["slots"].items()}
    second = optim.deserialize(optim.serialize(first))
    second.build([q])
    second.load_state_dict(state)
    assert second.iterations == 4
    for g in grads[4:]:
        q.grad = g
        second.step()
    assert np.array_equal(p.data, q.data)


def test_load_state_dict_rejects_mismatch() -> None:
    p = SimpleNamespace(data=np.zeros((2, 2)), grad=None)
    opt = optim.Adam()
    opt.build([p])
    state = opt.state_dict()
    other = optim.SGD()
    other.build([p])
    with pytest.raises(ValueError, match="'Adam' optimizer state into SGD"):
        other.load_state_dict(state)
    small = optim.Adam()
    small.build([SimpleNamespace(data=np.zeros(3), grad=None)])
    with pytest.raises(ValueError, match="shape"):
        small.load_state_dict(state)


def test_schedule_as_lr_uses_step_count() -> None:
    schedule = schedules.StepDecay(1.0, step_size=2, gamma=0.5)
    p = SimpleNamespace(data=np.zeros(1), grad=None)
    opt = optim.SGD(lr=schedule)
    opt.build([p])
    seen = []
    for _ in range(5):
        seen.append(opt.learning_rate)
        p.grad = np.ones(1)
        opt.step()
    assert seen == [1.0, 1.0, 0.5, 0.5, 0.25]
    assert p.data[0] == pytest.approx(-sum(seen))
    rebuilt = optim.deserialize(optim.serialize(opt))
    assert isinstance(rebuilt.lr, schedules.StepDecay) and rebuilt.lr(4) == 0.25


def test_schedules_formulas() -> None:
    exp = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert exp(5) == pytest.approx(0.1 * 0.5**0.5)
    assert schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True)(19) == pytest.approx(0.05)
    cos = schedules.CosineDecay(2.0, decay_steps=10, alpha=0.1)
    assert cos(0) == pytest.approx(2.0)
    assert cos(10) == pytest.approx(0.2) and cos(50) == pytest.approx(0.2)
    assert cos(5) == pytest.approx(2.0 * (0.9 * 0.5 * (1 + math.cos(math.pi / 2)) + 0.1))
    doc = schedules.serialize(cos)
    assert schedules.deserialize(doc).get_config() == cos.get_config()


def test_get_by_name_and_errors() -> None:
    assert isinstance(optim.get("adam"), optim.Adam)
    assert isinstance(optim.get("SGD"), optim.SGD)
    opt = optim.RMSprop()
    assert optim.get(opt) is opt
    with pytest.raises(ValueError, match=r"optimizer identifier: 'adagrad'.*'adam'.*'sgd'"):
        optim.get("adagrad")
    with pytest.raises(TypeError, match="optimizer"):
        optim.get(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"`lr`.*Received: lr=0"):
        optim.SGD(lr=0)
    with pytest.raises(ValueError, match=r"`lr`.*Received: lr=-0.1"):
        optim.Adam(lr=-0.1)
    with pytest.raises(ValueError, match="beta_1"):
        optim.Adam(beta_1=1.0)
    with pytest.raises(ValueError, match="nesterov"):
        optim.SGD(nesterov=True)
    with pytest.raises(RuntimeError, match="build"):
        optim.SGD().step()
    with pytest.raises(ValueError, match="empty"):
        optim.SGD().build([])
