"""The `memograd` command.

Each subcommand lives in its own module of this package and exposes
`register(subparsers) -> None`, which adds its parser and sets `func=run` on it. Modules are
discovered, so adding a command means adding a module (names starting with `_` are helpers).
Heavy imports (matplotlib, torch) belong inside `run`, keeping `memograd --help` fast.

Errors a user can cause (ValueError, TypeError, OSError, MemogradCLIError) end the process with
one readable line and exit status 1; set MEMOGRAD_DEBUG=1 to see the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence

from memograd import __version__
from memograd.cli._common import CLIError


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every discovered subcommand."""
    parser = argparse.ArgumentParser(
        prog="memograd",
        description="Backpropagation is the chain rule plus memoization: see it, measure it, "
        "train with it.",
    )
    parser.add_argument("--version", action="version", version=f"memograd {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `memograd` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        status = args.func(args)
    except KeyboardInterrupt:
        print("memograd: interrupted", file=sys.stderr)
        return 130
    except (CLIError, ValueError, TypeError, OSError, RuntimeError) as error:
        if os.environ.get("MEMOGRAD_DEBUG"):
            raise
        message = " ".join(str(error).split()) or type(error).__name__
        print(f"memograd {args.command}: error: {message}", file=sys.stderr)
        return 1
    return int(status or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
