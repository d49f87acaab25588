"""Local runtimes: our LocalModel wrapper vs the raw library, per model and backend.

For each pulled model (SmolLM2, the 0.5B edge model) and each backend (llama.cpp on the GGUF,
ONNX Runtime GenAI on the converted folder), every measurement runs in a fresh process so that
peak RSS and load time are its own. Rounds alternate raw / wrapper to spread the noise of a
shared machine evenly; the table shows medians.

    .venv/bin/python bench/runtimes/bench.py [--models NAME ...] [--backends llamacpp onnx]
        [--threads 2] [--rounds 2] [--runs 3] [--max-tokens 128] [--convert]

Columns: load (s), TTFT (ms, from the call to the first text), tok/s (completion tokens after
the first one over the time after it), peak RSS (MiB, whole process). Overhead rows compare
the wrapper to the raw library: tokens/s lost (%) and TTFT added (ms), first across processes
(medians of the rows above), then "same session": raw and wrapper calls alternating on one
loaded model, which isolates the cost of our code from process-to-process noise. Needs the onnx extra,
and converted folders (``privsplit models convert NAME --to onnx``; --convert does it).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Write a detailed paragraph about the history of the bicycle."},
]
DEFAULT_MODELS = ("smollm2-135m-instruct-q4_1", "qwen2.5-coder-0.5b-instruct-q4_k_m")


# -- workers (one measurement per process) ------------------------------------------------
def _raw_llamacpp(path: str, n_ctx: int, threads: int, llm=None):
    import llama_cpp

    llm = llm or llama_cpp.Llama(
        model_path=path, n_ctx=n_ctx, n_threads=threads, seed=42, verbose=False
    )

    def generate(max_tokens: int):
        for part in llm.create_chat_completion(
            messages=MESSAGES, max_tokens=max_tokens, temperature=0.0, stream=True
        ):
            delta = part["choices"][0].get("delta", {}).get("content")
            if delta:
                yield delta

    return generate, lambda text: len(llm.tokenize(text.encode(), add_bos=False))


def _raw_onnx(path: str, n_ctx: int, threads: int, loaded=None):
    import onnxruntime_genai as og

    if loaded is None:
        config = og.Config(path)
        config.overlay(
            json.dumps(
                {"model": {"decoder": {"session_options": {"intra_op_num_threads": threads}}}}
            )
        )
        model = og.Model(config)
        tokenizer = og.Tokenizer(model)
    else:
        model, tokenizer = loaded

    def generate(max_tokens: int):
        ids = tokenizer.encode(
            tokenizer.apply_chat_template(json.dumps(MESSAGES), add_generation_prompt=True)
        )
        params = og.GeneratorParams(model)
        params.set_search_options(max_length=len(ids) + max_tokens, do_sample=False)
        gen = og.Generator(model, params)
        gen.append_tokens(ids)
        stream = tokenizer.create_stream()
        while not gen.is_done():
            gen.generate_next_token()
            piece = stream.decode(gen.get_next_tokens()[0])
            if piece:
                yield piece

    return generate, lambda text: len(tokenizer.encode(text))


def _wrapper(backend: str, path: str, n_ctx: int, threads: int):
    from privsplit.edge.runtime import create_runtime
    from privsplit.shared.types import GenerationParams, Message

    model = create_runtime(backend, model_path=Path(path), n_ctx=n_ctx, n_threads=threads)
    model.load()
    messages = [Message(m["role"], m["content"]) for m in MESSAGES]

    def generate(max_tokens: int):
        return model.stream(messages, GenerationParams(max_tokens=max_tokens, temperature=0.0))

    return generate, model.count_tokens, model


def same_session(
    backend: str, path: str, n_ctx: int, threads: int, max_tokens: int, runs: int
) -> dict:
    """Wrapper and raw calls alternating on the very same loaded model: the overhead of our
    code alone, free of the process-to-process noise of a shared machine."""
    wrapped, count, model = _wrapper(backend, path, n_ctx, threads)
    if backend == "llamacpp":
        raw, _ = _raw_llamacpp(path, n_ctx, threads, llm=model._llm)
    else:
        raw, _ = _raw_onnx(path, n_ctx, threads, loaded=(model._model, model._tokenizer))
    list(raw(8))
    out: dict[str, list[tuple[float, float]]] = {"raw": [], "wrapper": []}
    for _ in range(runs):
        for impl, generate in (("raw", raw), ("wrapper", wrapped)):
            t0 = time.perf_counter()
            it = iter(generate(max_tokens))
            first_piece = next(it)
            first = time.perf_counter()
            text = first_piece + "".join(it)
            out[impl].append(
                ((first - t0) * 1000, (count(text) - 1) / (time.perf_counter() - first))
            )
    return {
        impl: {
            "ttft_ms": statistics.median(x[0] for x in v),
            "tok_s": statistics.median(x[1] for x in v),
        }
        for impl, v in out.items()
    }


def worker(
    impl: str, backend: str, path: str, n_ctx: int, threads: int, max_tokens: int, runs: int
) -> dict:
    start = time.perf_counter()
    if impl == "raw":
        generate, count = (_raw_llamacpp if backend == "llamacpp" else _raw_onnx)(
            path, n_ctx, threads
        )
    else:
        generate, count, _ = _wrapper(backend, path, n_ctx, threads)
    load_s = time.perf_counter() - start
    list(generate(8))  # warm-up
    ttfts, rates, text = [], [], ""
    for _ in range(runs):
        t0 = time.perf_counter()
        first = None
        pieces = []
        for piece in generate(max_tokens):
            if first is None:
                first = time.perf_counter()
            pieces.append(piece)
        end = time.perf_counter()
        text = "".join(pieces)
        ttfts.append((first - t0) * 1000)
        rates.append((count(text) - 1) / (end - first))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB on Linux
    return {
        "load_s": load_s,
        "ttft_ms": statistics.median(ttfts),
        "tok_s": statistics.median(rates),
        "peak_rss_mib": peak,
        "tokens": count(text),
    }


# -- driver --------------------------------------------------------------------------------
def measure(
    impl: str, backend: str, path: Path, args: argparse.Namespace, runs: int | None = None
) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        impl,
        backend,
        str(path),
        str(args.n_ctx),
        str(args.threads),
        str(args.max_tokens),
        str(runs or args.runs),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{impl}/{backend} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", nargs="+", default=list(DEFAULT_MODELS))
    parser.add_argument("--backends", nargs="+", default=["llamacpp", "onnx"])
    parser.add_argument(
        "--rounds", type=int, default=2, help="alternating raw/wrapper rounds per pair"
    )
    parser.add_argument("--runs", type=int, default=3, help="timed generations per process")
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--n-ctx", type=int, default=2048)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--convert", action="store_true", help="convert missing ONNX folders first")
    args = parser.parse_args()

    from privsplit.edge.runtime import available_runtimes
    from privsplit.shared.models import ModelStore
    from privsplit.shared.settings import PrivsplitSettings

    store = ModelStore(root=PrivsplitSettings().models_dir)
    backends = [b for b in args.backends if b in available_runtimes()]
    rows, summary = [], []
    for name in args.models:
        spec = store.registry.get(name)
        if not store.is_present(spec):
            print(f"skip {name}: not pulled", file=sys.stderr)
            continue
        paths = {"llamacpp": store.path(name)} if "llamacpp" in backends else {}
        if "onnx" in backends:
            if args.convert:
                store.convert(name)
            try:
                paths["onnx"] = store.onnx_path(name)
            except Exception as exc:  # noqa: BLE001 - reported, the rest still runs
                print(f"skip {name}/onnx: {exc}", file=sys.stderr)
        tok_s = {}
        for backend, path in paths.items():
            results: dict[str, list[dict]] = {"raw": [], "wrapper": []}
            for _ in range(args.rounds):
                for impl in ("raw", "wrapper"):
                    results[impl].append(measure(impl, backend, path, args))
            med = {
                impl: {k: statistics.median(r[k] for r in rs) for k in rs[0]}
                for impl, rs in results.items()
            }
            for impl in ("raw", "wrapper"):
                m = med[impl]
                rows.append(
                    (
                        name,
                        backend,
                        impl,
                        f"{m['load_s']:.2f}",
                        f"{m['ttft_ms']:.0f}",
                        f"{m['tok_s']:.1f}",
                        f"{m['peak_rss_mib']:.0f}",
                        f"{m['tokens']:.0f}",
                    )
                )
            lost = (med["raw"]["tok_s"] - med["wrapper"]["tok_s"]) / med["raw"]["tok_s"] * 100
            added = med["wrapper"]["ttft_ms"] - med["raw"]["ttft_ms"]
            summary.append(
                (
                    name,
                    backend,
                    f"{lost:+.1f}%",
                    f"{added:+.1f} ms",
                    "yes" if lost <= 5 and added <= 20 else "NO",
                )
            )
            ab = measure("same-session", backend, path, args, runs=max(args.runs, 6))
            lost = (ab["raw"]["tok_s"] - ab["wrapper"]["tok_s"]) / ab["raw"]["tok_s"] * 100
            added = ab["wrapper"]["ttft_ms"] - ab["raw"]["ttft_ms"]
            summary.append(
                (
                    name,
                    f"{backend} same session",
                    f"{lost:+.1f}%",
                    f"{added:+.1f} ms",
                    "yes" if lost <= 5 and added <= 20 else "NO",
                )
            )
            tok_s[backend] = med["wrapper"]["tok_s"]
        if len(tok_s) == 2:
            summary.append(
                (
                    name,
                    "onnx vs llamacpp",
                    f"{tok_s['onnx'] / tok_s['llamacpp']:.2f}x tok/s",
                    "",
                    "yes" if tok_s["onnx"] >= 0.85 * tok_s["llamacpp"] else "NO",
                )
            )
    _print(
        ("model", "backend", "impl", "load s", "TTFT ms", "tok/s", "peak RSS MiB", "tokens"), rows
    )
    print()
    _print(("model", "backend", "tok/s lost", "TTFT added", "within target"), summary)
    print(
        f"\nthreads={args.threads} n_ctx={args.n_ctx} max_tokens={args.max_tokens} rounds={args.rounds} "
        f"runs={args.runs} (medians); targets: wrapper <=5% tok/s and <=20 ms TTFT; onnx >=0.85x llamacpp"
    )


def _print(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    for line in (header, tuple("-" * w for w in widths), *rows):
        print("  ".join(str(x).ljust(w) for x, w in zip(line, widths)).rstrip())


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        impl, backend, path, n_ctx, threads, max_tokens, runs = sys.argv[2:9]
        run = same_session if impl == "same-session" else (lambda *a: worker(impl, *a))
        print(json.dumps(run(backend, path, int(n_ctx), int(threads), int(max_tokens), int(runs))))
    else:
        main()
