"""Root of the ``privsplit`` CLI.

Every module in this package that defines ``register(app)`` adds its commands; a new
command group is a new module, with no edit here. Errors of ours print one clear line and
exit 2; no traceback reaches the user.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import typer

from privsplit.shared.errors import PrivsplitError

app = typer.Typer(
    name="privsplit",
    help="Privacy-preserving edge-cloud LLM split: private data stays on the device.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _register_all() -> None:
    import privsplit.cli as pkg

    for mod in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if mod.name in {"main", "common"}:
            continue
        module = importlib.import_module(f"{pkg.__name__}.{mod.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


_register_all()


def main() -> None:
    try:
        app()
    except PrivsplitError as exc:
        from rich.markup import escape

        from privsplit.cli.common import err_console

        # escape: messages may hold brackets (e.g. "privsplit[llamacpp]") that are not markup
        err_console.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
