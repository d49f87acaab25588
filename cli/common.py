"""Helpers shared by CLI commands: consoles, progress bars, settings loading."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

console = Console()
err_console = Console(stderr=True)


@contextmanager
def byte_progress(title: str) -> Iterator:
    """A rich progress bar fed by ``callback(description, done, total)``."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=False,
    ) as bar:
        tasks: dict[str, int] = {}

        def callback(desc: str, done: int, total: int | None) -> None:
            key = desc.split(" ")[0]
            label = f"{title}: {desc}"
            if key not in tasks:
                tasks[key] = bar.add_task(label, total=total)
            bar.update(tasks[key], completed=done, total=total, description=label)

        yield callback
