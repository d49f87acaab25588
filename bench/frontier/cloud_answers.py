"""bench/frontier: cloud answers cached on disk, so each distinct prompt is answered once.

Contract:
- ``AnswerCache(path)`` is an append-only JSONL file (0600, its folder 0700). A line holds
  ``key`` (sha256 of the cloud model, the generation settings, the system prompt version and
  the exact query text), the answer and its usage; never the query text itself. Appends take
  an exclusive ``flock``, so two runs (e.g. two ``--start/--limit`` slices) can share one
  file; ``get`` re-reads lines appended by others.
- ``Answerer`` asks a real ``privsplit cloud serve`` process on loopback (started here, with
  the given model) for the queries the cache lacks; answers are greedy (temperature 0) unless
  the params say otherwise, with a fixed seed (``SEED``; sample ``j`` of a raw query is drawn
  with ``sample_seed(j)``: sample 0 is answer B, samples 1.. are more draws for the ratio's
  denominator and for the null point).

    .venv/bin/python bench/frontier/cloud_answers.py --start 0 --limit 200    # raw answers A and B
    .venv/bin/python bench/frontier/cloud_answers.py --limit 200 --samples 3  # A and 3 samples
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data"
CLOUD_MODEL = "qwen2.5-coder-0.5b-instruct-q4_k_m"
MAX_TOKENS = 64
SAMPLED_TEMPERATURE = 0.7  # answer B: the raw query sampled (the ratio's denominator)
SEED = 1234
PROMPT_VERSION = "v1"
DEFAULT_SAMPLES = 3  # raw samples averaged in the robust denominator


def meaning_free(text: str) -> str:
    """The request with its first space doubled: the same meaning, another token sequence.
    Answered greedily, it is the null point of greedy answers (``seed_check.py``)."""
    return text.replace(" ", "  ", 1)


def sample_seed(j: int) -> int:
    """The seed of raw sample ``j`` (0 = answer B, as cached since the first run)."""
    return SEED + j


DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / (
    "privsplit/frontier/answers.jsonl"
)


def answer_key(
    model: str, max_tokens: int, query: str, *, temperature: float = 0.0, seed: int = SEED
) -> str:
    """The cache key: everything that changes the cloud's answer to ``query``."""
    blob = json.dumps(
        [model, max_tokens, round(temperature, 4), seed, PROMPT_VERSION, query],
        ensure_ascii=False,
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class AnswerCache:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not self.path.exists():
            fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        self._rows: dict[str, dict] = {}
        self._offset = 0

    def _refresh(self) -> None:
        with self.path.open("rb") as f:
            f.seek(self._offset)
            data = f.read()
        end = data.rfind(b"\n") + 1  # a line being written by another run is read next time
        for line in data[:end].splitlines():
            if line.strip():
                row = json.loads(line)
                self._rows[row["key"]] = row
        self._offset += end

    def get(self, key: str) -> dict | None:
        if key not in self._rows:
            self._refresh()
        return self._rows.get(key)

    def put(self, key: str, row: dict) -> None:
        line = (json.dumps({"key": key, **row}, ensure_ascii=False) + "\n").encode("utf-8")
        with self.path.open("ab") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                f.write(line)
                f.flush()
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)
        self._rows[key] = {"key": key, **row}

    def __len__(self) -> int:
        self._refresh()
        return len(self._rows)


class Answerer:
    """Cached answers from a real cloud process; the process starts on the first miss."""

    def __init__(
        self,
        cache: AnswerCache,
        *,
        model: str = CLOUD_MODEL,
        max_tokens: int = MAX_TOKENS,
        n_ctx: int = 8192,
        log_dir: Path | None = None,
    ) -> None:
        self.cache, self.model, self.max_tokens, self.n_ctx = cache, model, max_tokens, n_ctx
        self.log_dir = log_dir or Path(tempfile.mkdtemp(prefix="privsplit-frontier-"))
        self._proc = None
        self._client = None
        self.generated = 0

    def cached(self, query: str, *, temperature: float = 0.0, seed: int = SEED) -> dict | None:
        key = answer_key(self.model, self.max_tokens, query, temperature=temperature, seed=seed)
        return self.cache.get(key)

    async def answer(self, query: str, *, temperature: float = 0.0, seed: int = SEED) -> dict:
        key = answer_key(self.model, self.max_tokens, query, temperature=temperature, seed=seed)
        if (row := self.cache.get(key)) is not None:
            return row
        from privsplit.edge.pipeline.prompts import load_prompt
        from privsplit.shared.types import CompletionRequest, GenerationParams

        client = await self._start()
        started = time.perf_counter()
        request = CompletionRequest(
            messages=load_prompt("cloud_system", PROMPT_VERSION).render(query=query),
            params=GenerationParams(max_tokens=self.max_tokens, temperature=temperature, seed=seed),
            model=self.model,
        )
        text, usage = await client.complete(request)
        row = {
            "model": self.model,
            "max_tokens": self.max_tokens,
            "temperature": temperature,
            "seed": seed,
            "answer": text,
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "seconds": round(time.perf_counter() - started, 2),
        }
        self.cache.put(key, row)
        self.generated += 1
        return {"key": key, **row}

    async def _start(self):
        if self._client is not None:
            return self._client
        from privsplit.cli.demo import start_cloud
        from privsplit.edge.cloud_client import CloudClient

        os.environ["PRIVSPLIT_CLOUD_N_CTX"] = str(self.n_ctx)
        os.environ["PRIVSPLIT_CLOUD_MAX_DEADLINE_SECONDS"] = "3600"
        self._proc, port = start_cloud(self.model, self.log_dir / "cloud.log")
        self._client = CloudClient(
            address=f"127.0.0.1:{port}", insecure=True, deadline_seconds=3600
        )
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(30)
            self._proc = None


def cached_raw(answerer: Answerer, text: str, samples: int) -> tuple[str | None, list[str | None]]:
    """The raw answer A of ``text`` and its first ``samples`` raw samples (B first), from the
    cache only: None where not cached."""

    def answer(hit: dict | None) -> str | None:
        return None if hit is None else hit["answer"]

    sampled = [
        answer(answerer.cached(text, temperature=SAMPLED_TEMPERATURE, seed=sample_seed(j)))
        for j in range(samples)
    ]
    return answer(answerer.cached(text)), sampled


def pupa(path: Path, start: int = 0, limit: int | None = None) -> list[dict]:
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    rows = rows[start:]
    return rows[:limit] if limit is not None else rows


async def raw_answers(args: argparse.Namespace) -> None:
    """Answers A (greedy) and ``--samples`` sampled ones (B first) to the raw queries of a
    slice, query by query (the cloud's prompt cache serves a query's later answers)."""
    records = pupa(args.pupa, args.start, args.limit)
    answerer = Answerer(AnswerCache(args.cache), model=args.cloud_model, max_tokens=args.max_tokens)
    try:
        for i, rec in enumerate(records, 1):
            started = time.perf_counter()
            await answerer.answer(rec["text"])
            if args.greedy_null:
                await answerer.answer(meaning_free(rec["text"]))
            for j in range(0 if args.greedy_only else args.samples):
                await answerer.answer(
                    rec["text"], temperature=SAMPLED_TEMPERATURE, seed=sample_seed(j)
                )
            print(
                f"raw {i}/{len(records)} {rec['id']} {time.perf_counter() - started:.1f}s "
                f"(generated {answerer.generated})",
                file=sys.stderr,
                flush=True,
            )
    finally:
        await answerer.close()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--pupa", type=Path, default=DATA / "pupa_new.jsonl")
    p.add_argument("--start", type=int, default=0)
    p.add_argument("--limit", type=int, default=200)
    p.add_argument("--cloud-model", default=CLOUD_MODEL)
    p.add_argument("--max-tokens", type=int, default=MAX_TOKENS)
    p.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    p.add_argument("--greedy-only", action="store_true", help="Answer A only.")
    p.add_argument(
        "--samples", type=int, default=1, help="Sampled answers per query (B and more draws)."
    )
    p.add_argument(
        "--greedy-null",
        action="store_true",
        help="Also answer the request with a meaning-free change, greedily (seed_check.py).",
    )
    stop_on_sigterm()
    asyncio.run(raw_answers(p.parse_args(argv)))


def stop_on_sigterm() -> None:
    """SIGTERM ends the run like Ctrl-C, so the cloud process it started is stopped too."""
    import signal

    def _raise(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _raise)


if __name__ == "__main__":
    main()
