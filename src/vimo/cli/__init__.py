"""The ``vimo`` command line: thin typer commands over the public API, one module per command group.

Errors from user input (``VimoError``) print as one line and exit with status 2; no traceback.
The console entry point is ``vimo.cli:app``; importing this package registers every command (in help order).
"""

from __future__ import annotations

# Importing a command module registers its commands; `vimo --help` lists them in this order.
# isort: off
from vimo.cli import data, train, run, complete, eval, dataset, baseline, dance, stylize, demo  # noqa: F401

# isort: on
from vimo.cli.root import app

__all__ = ["app", "main"]


def main() -> None:  # pragma: no cover - console entry point
    app()
