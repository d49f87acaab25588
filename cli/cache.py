"""``privsplit cache stats|clear``: the private answer cache on this device.

``stats`` decrypts every entry to count the expired and unreadable ones (it prints counts and
ages only, never a question or an answer); ``clear`` removes every entry. Both work whether
the cache is turned on or off (``cache.enabled``), on the directory of the edge settings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from privsplit.cli.common import console

cache_app = typer.Typer(
    help="The private answer cache (sanitized questions and answers, encrypted on the device).",
    no_args_is_help=True,
)

ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="Edge YAML config file.")]


def _store(config: Path | None):
    from privsplit.edge.cache import build_answer_cache
    from privsplit.edge.settings import EdgeSettings

    settings = EdgeSettings.load(config)
    cache = build_answer_cache(settings.cache, vault_key_file=settings.daemon.vault_key_file)
    return settings.cache, cache.store


@cache_app.command("stats")
def stats(
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Entries, size, expired and unreadable entries, and ages of the oldest and newest."""
    settings, store = _store(config)
    s = store.stats()
    data = {
        "enabled": settings.enabled,
        "directory": str(store.directory),
        "entries": s.entries,
        "bytes": s.bytes,
        "expired": s.expired,
        "unreadable": s.unreadable,
        "oldest_seconds": round(s.oldest_seconds, 1),
        "newest_seconds": round(s.newest_seconds, 1),
        "ttl_seconds": settings.ttl_seconds,
        "max_entries": settings.max_entries,
    }
    if as_json:
        console.print_json(json.dumps(data))
        return
    width = max(len(k) for k in data)
    for key, value in data.items():
        console.print(f"{key.ljust(width)}  {value}", highlight=False, markup=False)


@cache_app.command("clear")
def clear(config: ConfigOption = None) -> None:
    """Remove every entry of the answer cache."""
    _, store = _store(config)
    removed = store.clear()
    console.print(f"removed {removed} entries from {store.directory}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(cache_app, name="cache")
