"""``privsplit demo``: the whole split, end to end, on this machine.

Starts a cloud gateway on loopback with the cloud-demo model, sends two private requests
through the edge with the edge model, and prints side by side what the user wrote, exactly
what was sent to the cloud, and the final answer. What is sent is first recorded in the
egress audit log (``daemon.audit_dir``), as for every other entry point.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer

from privsplit.cli.ask import summarize_progress
from privsplit.cli.common import console, err_console
from privsplit.cli.flags import settings_flags
from privsplit.edge.settings import EdgeSettings
from privsplit.shared.errors import CloudUnavailable

# measured: the 0.5B model misses the answer when reading record chunks; the 1.5B finds it.
# The short steps (hide, answer) run on the product's default 0.5B edge model: faster.
EDGE_MODEL = "qwen2.5-coder-0.5b-instruct-q4_k_m"
READER_MODEL = "qwen2.5-coder-1.5b-instruct-q4_k_m"
CLOUD_MODEL = "qwen2.5-coder-1.5b-instruct-q4_k_m"
DEMO_DEFAULTS = {
    "edge_model": EDGE_MODEL,
    "reader_model": READER_MODEL,
    "cloud_model": CLOUD_MODEL,
    "max_tokens": 160,
    # the demo runs both halves on one machine: the edge leaves a core to the rest of it.
    # llama.cpp's threads spin-wait for each other; when a core they need is busy, prompt
    # evaluation slows down several times (measured on 2 cores under load 4: 1.5B model,
    # 19 tokens/s with 2 threads, 46 with 1)
    "runtime_n_threads": max(1, (os.cpu_count() or 2) - 1),
}
EXAMPLE = (
    "Write a short, friendly email to my landlord Maria Gonzalez (maria.gonzalez@example.org, "
    "phone 415-555-0134) saying that the rent for March will be two days late because my "
    "salary arrives on the 3rd. Address her by name and sign it as Daniel Okafor."
)
EXAMPLE_PRIVATE = ("Maria Gonzalez", "maria.gonzalez@example.org", "415-555-0134", "Daniel Okafor")
# the record answers the first half (on the device); the second half needs general knowledge
RECORD_QUESTION = (
    "Mr. Williams received a CT scan of his spine. What kind of contrast agent was used, "
    "and what side effects of that kind of agent should he watch for?"
)
SHARED_RECORD = Path(__file__).resolve().parents[2] / "shared/data/long_docs/health/sample.txt"


def patient_record() -> tuple[str, str]:
    """The long patient record: ../shared/data when present, else the copy in the package."""
    if SHARED_RECORD.is_file():
        return SHARED_RECORD.read_text(encoding="utf-8"), str(SHARED_RECORD)
    packaged = resources.files("privsplit.cli.demo_data").joinpath("patient_record.txt")
    return packaged.read_text(encoding="utf-8"), "the copy packaged in privsplit.cli.demo_data"


def start_cloud(model: str, log_path: Path, timeout: float = 300) -> tuple[subprocess.Popen, int]:
    log = log_path.open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "privsplit.cli.main",
            "cloud",
            "serve",
            "--insecure",
            "--port",
            "0",
            "--model",
            model,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PRIVSPLIT_CLOUD_LOG_LEVEL": "INFO"},
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise CloudUnavailable(f"the demo cloud exited early; see {log_path}")
        for line in log_path.read_text().splitlines():
            if line.startswith("{"):
                record = json.loads(line)
                if record.get("event") == "cloud_listening":
                    return proc, int(record["port"])
        time.sleep(0.2)
    proc.kill()
    raise CloudUnavailable(f"the demo cloud did not start within {timeout:.0f}s; see {log_path}")


def show(
    title: str,
    original: str,
    result,
    *,
    private: tuple[str, ...],
    note: str = "",
    local_summary: str = "",
) -> None:
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    sent = "\n\n".join(f"#{i}: {q}" for i, q in enumerate(result.outbound, 1)) or "(nothing)"
    panels = [
        Panel(Text(original), title="original prompt", border_style="yellow"),
        Panel(Text(sent), title=f"sent to cloud ({len(result.outbound)})", border_style="red"),
        Panel(Text(result.answer.strip()), title="final answer", border_style="green"),
    ]
    console.rule(f"[bold]{title}")
    console.print(
        "[dim]left: what the user wrote (stays on the device); middle: exactly what was "
        "sent to the cloud; right: the answer after the device restored the hidden values[/]"
    )
    if note:
        console.print(note, highlight=False)
    if local_summary:
        console.print(
            Panel(
                Text(local_summary),
                title="condensed locally by the edge model (never sent)",
                border_style="blue",
            )
        )
    grid = Table.grid(expand=True, padding=(0, 1))
    for _ in panels:
        grid.add_column(ratio=1)
    grid.add_row(*panels)  # side by side
    console.print(grid)
    joined_sent = "\n".join(result.outbound).casefold()
    leaked = [v for v in private if v.casefold() in joined_sent]
    restored = [v for v in private if v.casefold() in result.answer.casefold()]
    console.print(
        f"private values in what was sent: [bold]{len(leaked)} of {len(private)}[/]"
        f"{'  LEAK' if leaked else ''};  present in the final answer: "
        f"{len(restored)} of {len(private)};  cloud tokens {result.cloud_usage.prompt_tokens}"
        f" + {result.cloud_usage.completion_tokens};  {result.seconds_total:.1f}s "
        f"({result.seconds_edge:.1f}s on the edge)",
        highlight=False,
    )


@settings_flags(
    EdgeSettings, "edge_model", "reader_model", "cloud.model", "runtime.n_threads", "max_tokens"
)
def demo(
    record: Annotated[bool, typer.Option(help="Also run the long patient-record example.")] = True,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Edge YAML config file.")
    ] = None,
    overrides: dict[str, Any] | None = None,
) -> None:
    """Start a loopback cloud, run two private requests through the split, show what left.

    The demo's cloud serves --cloud-model (default: the 1.5B coder model); the record is read
    by --reader-model (1.5B), the other edge steps run on --edge-model (the 0.5B default), with
    --runtime-n-threads one less than the machine's cores; --max-tokens defaults to 160. Both
    edge models are loaded before the first example."""
    from privsplit.edge.privacy.vault import Vault
    from privsplit.edge.provider import build_pipeline
    from privsplit.shared.models import ModelStore
    from privsplit.shared.settings import PrivsplitSettings

    given = {**DEMO_DEFAULTS, **(overrides or {})}
    cloud_model = given.pop("cloud_model")
    if not record:  # no document to read: no reader model to load
        given["reader_model"] = ""
    store = ModelStore(root=PrivsplitSettings().models_dir)
    for name in (given["edge_model"], given["reader_model"], cloud_model):
        if name and not name.endswith(".gguf"):
            store.path(name)  # a clear error when it is not pulled or fails verification
    workdir = Path(tempfile.mkdtemp(prefix="privsplit-demo-"))
    err_console.print(
        f"starting the demo cloud ({cloud_model}) on loopback; its log: {workdir / 'cloud.log'}"
    )
    proc, port = start_cloud(cloud_model, workdir / "cloud.log")
    try:
        # the edge asks the demo cloud for its default model: the one it was started with
        address = f"127.0.0.1:{port}"
        settings = EdgeSettings.load(config, **given, cloud_address=address, cloud_insecure=True)
        # the demo shows the whole split, even where the record alone answers the question
        settings.pipeline = settings.pipeline.model_copy(update={"plan_can_stay_local": False})
        pipeline = build_pipeline(settings)  # audited: settings.daemon.audit_dir
        err_console.print("loading the edge models")
        for model in (pipeline.local, pipeline.reader):
            if model is not None:
                model.load()

        async def run() -> None:
            try:
                vault = Vault()
                err_console.print(
                    "example 1: a private request (edge: detect, hide, guard; cloud: answer)"
                )
                result = await pipeline.ask(EXAMPLE, vault=vault)
                show("1. a private request", EXAMPLE, result, private=EXAMPLE_PRIVATE)
                if not record:
                    return
                text, source = patient_record()
                err_console.print(
                    f"example 2: a {len(text):,}-character patient record from {source}"
                )
                vault = Vault()
                bar, callback = summarize_progress()
                with bar:
                    result = await pipeline.ask(
                        RECORD_QUESTION, vault=vault, documents=[text], progress=callback
                    )
                names = tuple(v for t, v in vault.values() if t == "PERSON")[:6]
                show(
                    "2. a question about a long private patient record",
                    RECORD_QUESTION + f"\n\n[attached: patient record, {len(text):,} characters]",
                    result,
                    private=names,
                    local_summary=vault.restore(result.local_context),
                    note=f"the record ({len(text):,} characters) was read on the device only; "
                    f"the condensed notes below never left it.",
                )
            finally:
                await pipeline.aclose()

        asyncio.run(run())
        err_console.print(
            f"what was sent is recorded in the audit log {settings.daemon.audit_dir} "
            "(privsplit audit show)",
            highlight=False,
            markup=False,
        )
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
