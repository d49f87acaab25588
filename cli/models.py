"""``privsplit models list | pull | verify | convert | info | remove``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

import typer
from rich.measure import Measurement
from rich.table import Table

from privsplit.cli.common import byte_progress, console
from privsplit.cli.flags import settings_flags
from privsplit.edge.settings import EdgeSettings
from privsplit.shared.models import ModelStore
from privsplit.shared.settings import PrivsplitSettings

models_app = typer.Typer(
    help="List, pull, verify, convert and remove the models privsplit runs.", no_args_is_help=True
)

# the store is the setting models_dir (every command takes --models-dir, generated from it)
models_dir_flag = settings_flags(PrivsplitSettings, "models_dir")
Names = Annotated[list[str], typer.Argument(help="Model names (see models list).")]


def _store(overrides: dict[str, Any] | None, names: Sequence[str] = ()) -> ModelStore:
    """The model store; an unknown name in ``names`` is a clear error before any work."""
    store = ModelStore(root=PrivsplitSettings.load(**(overrides or {})).models_dir)
    for name in names:
        store.registry.get(name)
    return store


def _mib(n: int | None) -> str:
    return "-" if not n else f"{n / 2**20:,.0f} MiB"


# Columns a narrow terminal drops first, in this order; the name, which the user types next,
# is never cut (it folds only if the terminal is narrower than the name itself).
_COLUMNS = ("name", "role", "runtime", "size", "pulled", "onnx", "license")
_DROPPABLE = ("license", "onnx", "runtime")


def _fit_table(rows: list[dict[str, str]], title: str) -> tuple[Table, list[str]]:
    """The widest table of ``rows`` that fits the console, and the columns it left out."""
    dropped: list[str] = []
    while True:
        table = Table(title=title)
        for name in (c for c in _COLUMNS if c not in dropped):
            # fold, never "…": a cut value reads as a different value
            table.add_column(name, no_wrap=name == "name", overflow="fold")
        for row in rows:
            table.add_row(*(row[c] for c in _COLUMNS if c not in dropped))
        # measured unconstrained: the console's own width would clamp the measurement
        width = Measurement.get(console, console.options.update_width(10_000), table).maximum
        if width <= console.width or len(dropped) == len(_DROPPABLE):
            return table, dropped
        dropped.append(_DROPPABLE[len(dropped)])


@models_app.command("list")
@models_dir_flag
def list_models(overrides: dict[str, Any] | None = None) -> None:
    """Show registered models, whether they are pulled or converted, and disk usage."""
    store = _store(overrides)
    rows = []
    for spec in store.registry.models:
        info = store.info(spec.name)
        onnx = ", ".join(f"{p.name.split('-')[-2]} {_mib(n)}" for p, n in info.onnx_folders.items())
        pulled = "yes" if info.present else ("partial" if info.staged_bytes else "no")
        rows.append(
            {
                "name": spec.name,
                "role": spec.role,
                "runtime": spec.runtime,
                "size": _mib(spec.size),
                "pulled": pulled,
                "onnx": onnx or "-",
                "license": spec.license,
            }
        )
    table, dropped = _fit_table(rows, f"models in {store.root}")
    console.print(table)
    if dropped:
        console.print(
            f"({', '.join(sorted(dropped))} left out to fit {console.width} columns: "
            "see models info NAME)",
            highlight=False,
        )
    console.print(f"disk usage: {_mib(store.disk_usage())} in {store.root}", highlight=False)


@models_app.command("runtimes")
def runtimes() -> None:
    """Show the local runtimes privsplit knows and whether they can run here."""
    from privsplit.edge.runtime.base import all_runtimes

    table = Table("runtime", "loads", "available", title="local runtimes")
    for name, cls in sorted(all_runtimes().items()):
        table.add_row(
            name, cls.model_format, "yes" if cls.is_available else f"no: {cls.unavailable_reason}"
        )
    console.print(table)


@models_app.command("pull")
@models_dir_flag
def pull(
    names: Names,
    force: Annotated[bool, typer.Option(help="Download again even if present.")] = False,
    overrides: dict[str, Any] | None = None,
) -> None:
    """Download, assemble and verify models from the package index (resumes an interrupted pull)."""
    store = _store(overrides, names)  # unknown names: refused before any work
    for name in names:
        with byte_progress(name) as progress:
            path = store.pull(name, progress, force=force)
        console.print(f"[green]ok[/] {name}" + (f" -> {path}" if path else " (installed)"))


@models_app.command("verify")
@models_dir_flag
def verify(
    names: Names,
    onnx: Annotated[bool, typer.Option("--onnx", help="Also verify the ONNX conversion.")] = False,
    overrides: dict[str, Any] | None = None,
) -> None:
    """Check pulled models against their pinned sha256 (and converted folders against their manifest)."""
    store = _store(overrides)
    for name in names:
        with byte_progress(name) as progress:
            store.verify(name, progress)
            if onnx:
                store.verify_onnx(name, progress)
        console.print(f"[green]verified[/] {name}" + (" (+ onnx)" if onnx else ""))


@models_app.command("convert")
@models_dir_flag
def convert(
    names: Names,
    to: Annotated[str, typer.Option("--to", help="Target format.")] = "onnx",
    precision: Annotated[str | None, typer.Option(help="int4 or int8 (default: per model)")] = None,
    force: Annotated[
        bool, typer.Option(help="Convert again even if a verified folder exists.")
    ] = False,
    overrides: dict[str, Any] | None = None,
) -> None:
    """Turn pulled GGUF models into ONNX Runtime GenAI folders, offline (needs privsplit[convert])."""
    store = _store(overrides, names)  # unknown names: refused before any work
    for name in names:
        with byte_progress(name) as progress:
            folder = store.convert(name, to=to, precision=precision, progress=progress, force=force)
        console.print(f"[green]converted[/] {name} -> {folder}")


@models_app.command("info")
@settings_flags(  # --measure runs the model as the edge would: its runtime.backend setting
    EdgeSettings, "models_dir", "runtime.backend", aliases={"runtime.backend": ["--backend"]}
)
def info(
    name: Annotated[str, typer.Argument(help="Model name.")],
    measure: Annotated[
        bool, typer.Option(help="Load the model and report load time and RSS.")
    ] = False,
    overrides: dict[str, Any] | None = None,
) -> None:
    """Details of one model: source, checksum, files, disk usage, and (--measure) memory after load."""
    overrides = dict(overrides or {})
    backend = overrides.pop("runtime_backend", "auto")
    store = _store(overrides)
    data = store.info(name)
    spec = data.spec
    table = Table("field", "value", title=name, show_header=False)
    rows = [
        ("role", spec.role),
        ("runtime", spec.runtime),
        ("family", spec.family),
        ("license", spec.license),
        (
            "source",
            f"{spec.source.kind} {', '.join(spec.source.packages[:3])}"
            f"{' …' if len(spec.source.packages) > 3 else ''} =={spec.source.version}",
        ),
        ("sha256", spec.sha256 or "-"),
        ("size", _mib(spec.size)),
        ("path", str(data.path) if data.path else "(python package)"),
        ("pulled", "yes" if data.present else ("partial" if data.staged_bytes else "no")),
        ("on disk", _mib(data.disk_bytes + data.staged_bytes + sum(data.onnx_folders.values()))),
        (
            "onnx",
            f"{spec.onnx.precision}, "
            + (", ".join(str(p) for p in data.onnx_folders) or "not converted"),
        ),
    ]
    if measure:
        rows += _measure(store, name, backend)
    for row in rows:
        table.add_row(*row)
    console.print(table)


def _measure(store: ModelStore, name: str, backend: str) -> list[tuple[str, str]]:
    from privsplit.edge.runtime.resolve import open_local_model
    from privsplit.edge.runtime.settings import RuntimeSettings

    model = open_local_model(
        ref=name, settings=RuntimeSettings(backend=backend, keep_alive_seconds=0.001), store=store
    )
    model.load()
    stats = model.stats()
    model.close()
    return [
        ("measured runtime", model.model.name),
        ("load time", f"{stats.load_ms:.0f} ms"),
        ("RSS after load", _mib(stats.rss_after_load_bytes)),
        ("RSS added by load", _mib(stats.rss_load_delta_bytes)),
    ]


@models_app.command("remove")
@models_dir_flag
def remove(
    names: Names,
    keep_onnx: Annotated[bool, typer.Option(help="Keep converted ONNX folders.")] = False,
    overrides: dict[str, Any] | None = None,
) -> None:
    """Delete pulled model files, unfinished pulls and (unless --keep-onnx) their conversions."""
    store = _store(overrides, names)  # unknown names: refused before any work
    for name in names:
        console.print(
            ("removed " if store.remove(name, onnx=not keep_onnx) else "not present ") + name
        )


def register(app: typer.Typer) -> None:
    app.add_typer(models_app, name="models")
