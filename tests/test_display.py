"""Jupyter drawings come from `viz` through `memograd._display`; the core never imports `viz`."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(SRC), "PATH": ""},
    )
    return done.stdout


def test_the_first_drawing_loads_viz_and_import_memograd_does_not() -> None:
    out = _run(
        """
        import sys
        import numpy as np
        import memograd as mg
        from memograd.memo import trace
        print("viz" if "memograd.viz" in sys.modules else "no viz")
        print("matplotlib" if "matplotlib" in sys.modules else "no matplotlib")
        x = mg.Value(2.0, label="x")
        print("</svg>" in (x * x)._repr_svg_())
        t = mg.Tensor(np.ones(2), requires_grad=True)
        print("</svg>" in (t * 2.0).sum()._repr_svg_())
        f = mg.memoize(lambda n: n)
        with trace() as recording:
            f(1)
        print("</svg>" in recording._repr_svg_())
        """
    )
    assert out.split("\n")[:5] == ["no viz", "no matplotlib", "True", "True", "True"]


def test_a_kind_without_renderer_gives_none_and_a_registered_one_is_used() -> None:
    out = _run(
        """
        import memograd as mg
        from memograd import _display
        print(_display.svg("no-such-kind", 1))
        _display.register("graph", lambda obj: f"<svg>{obj.data}</svg>")
        print(mg.Value(3.0)._repr_svg_())
        """
    )
    assert out.split("\n")[:2] == ["None", "<svg>3.0</svg>"]
