"""docs/api.md is executed: its Python blocks run in order in one namespace, so the reference
cannot drift from the library."""

import re
from pathlib import Path

import pytest

API_DOC = Path(__file__).resolve().parents[1] / "docs" / "api.md"
PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def test_api_reference_blocks_run(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = PYTHON_BLOCK.findall(API_DOC.read_text(encoding="utf-8"))
    assert len(blocks) >= 6, "docs/api.md lost its examples"
    namespace: dict[str, object] = {}
    for number, block in enumerate(blocks, 1):
        code = compile(block, f"{API_DOC.name} block {number}", "exec")
        exec(code, namespace)
    printed = capsys.readouterr().out
    # the strategy comparison prints one line per strategy
    assert [line.split()[0] for line in printed.splitlines()] == [
        "paths",
        "recursive",
        "memoized",
        "reverse",
    ]


def test_readme_points_to_the_reference_inside_the_repository() -> None:
    readme = (API_DOC.parents[1] / "README.md").read_text(encoding="utf-8")
    assert "docs/api.md" in readme
