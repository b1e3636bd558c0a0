"""Session checks shared by every test module."""

import importlib
import os

import pytest

# `make test` sets MEMOGRAD_REQUIRE=torch: there the PyTorch cross-checks must run, so a missing
# torch is an error of the set-up, not a reason to skip them quietly.
REQUIRED_MODULES = [name for name in os.environ.get("MEMOGRAD_REQUIRE", "").split(",") if name]


def pytest_sessionstart(session: pytest.Session) -> None:
    for name in REQUIRED_MODULES:
        try:
            importlib.import_module(name)
        except ImportError as error:
            pytest.exit(
                f"MEMOGRAD_REQUIRE names {name!r}, which cannot be imported ({error}); "
                "run `make test`, which installs it",
                returncode=3,
            )
