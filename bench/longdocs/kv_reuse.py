"""bench/longdocs/kv_reuse: seconds per chunk note with and without llama.cpp prefix reuse.

The map step reads a document chunk by chunk with one prompt per chunk that shares its
instruction. llama-cpp-python keeps the KV state of the last prompt and evaluates only what
follows the shared prefix. This measures, on the same chunks of one generated document,
seconds per chunk for three arms, interleaved chunk by chunk (each arm has its own loaded
model, so each keeps its own KV state; interleaving spreads the noise of a shared machine):

- ``no reuse``: the KV state is dropped before every call (``reuse_prefix=False``);
- ``reuse``: today's prompt (``summarize_map``: instruction, part index, chunk, question);
- ``reuse, question first``: the question moved before the chunk, so it joins the shared prefix.

It also reports the prompt tokens and the tokens shared with the previous prompt, and whether
the greedy notes of the arms are identical.

    .venv/bin/python bench/longdocs/kv_reuse.py --chunks 8 --task patient0-lookup
"""

from __future__ import annotations

import argparse
import resource
import statistics
import string
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402


def _question_first(template):
    """``summarize_map`` with the question moved before the document part."""
    from privsplit.edge.pipeline.prompts import PromptTemplate

    user = (
        "Question: $question\n\nDocument part $index of $total:\n"
        '"""\n$chunk\n"""\n\nLines from this part most related to the question (quoted exactly):'
    )
    return PromptTemplate(
        name="map-question-first", system=template.system, user=string.Template(user)
    )


def _prompt_tokens(llm, messages) -> list[int]:
    """The prompt's tokens in ChatML (Qwen2.5's template), to count the shared prefix."""
    rendered = "".join(f"<|im_start|>{m.role}\n{m.content}<|im_end|>\n" for m in messages)
    return llm.tokenize((rendered + "<|im_start|>assistant\n").encode(), add_bos=False)


def _cpu() -> float:
    """CPU seconds of this process (all threads): the work done, less sensitive than wall
    time to other processes on a shared machine (with --threads 1 no thread spins waiting)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="qwen2.5-coder-0.5b-instruct-q4_k_m")
    p.add_argument(
        "--task", default="patient0-lookup", help="A task id of bench/longdocs (seed 7)."
    )
    p.add_argument("--chunks", type=int, default=8, help="Chunks read per arm.")
    p.add_argument(
        "--threads", type=int, default=1, help="llama.cpp threads (1: CPU time is the work done)"
    )
    args = p.parse_args()

    from privsplit.edge.pipeline.chunks import chunk_text
    from privsplit.edge.pipeline.local import local_params
    from privsplit.edge.pipeline.prompts import load_prompt
    from privsplit.edge.pipeline.settings import PipelineSettings
    from privsplit.edge.runtime import create_runtime
    from privsplit.shared.models import ModelStore
    from privsplit.shared.settings import PrivsplitSettings

    task = next(t for d in generate(7, 20) for t in d.tasks if t.id == args.task)
    text = next(d.text for d in generate(7, 20) if d.id == task.doc)
    s = PipelineSettings()
    chunks = chunk_text(text, size=s.chunk_chars, overlap=s.chunk_overlap)[: args.chunks]
    path = ModelStore(root=PrivsplitSettings().models_dir).path(args.model)
    v1 = load_prompt("summarize_map", "v1")
    arms = {
        "no reuse": (False, v1),
        "reuse": (True, v1),
        "reuse, question first": (True, _question_first(v1)),
    }
    models = {
        name: create_runtime(
            "llamacpp", model_path=path, n_ctx=4096, n_threads=args.threads, reuse_prefix=reuse
        )
        for name, (reuse, _) in arms.items()
    }
    for m in models.values():
        m.load()
    seconds: dict[str, list[float]] = {a: [] for a in arms}
    cpu_seconds: dict[str, list[float]] = {a: [] for a in arms}
    generated: dict[str, list[int]] = {a: [] for a in arms}
    shared: dict[str, list[int]] = {a: [] for a in arms}
    sizes: list[int] = []
    notes: dict[str, list[str]] = {a: [] for a in arms}
    previous: dict[str, list[int]] = {a: [] for a in arms}
    for i, chunk in enumerate(chunks):
        for arm, (reuse, template) in arms.items():
            messages = template.render(
                question=task.question, index=str(i + 1), total=str(len(chunks)), chunk=chunk
            )
            tokens = _prompt_tokens(models[arm]._llm, messages)
            common = 0
            for a, b in zip(previous[arm], tokens):
                if a != b:
                    break
                common += 1
            shared[arm].append(common if reuse and i else 0)
            previous[arm] = tokens
            if arm == "reuse":
                sizes.append(len(tokens))
            started, cpu = time.perf_counter(), _cpu()
            note = models[arm].chat(messages, local_params(s.map_max_tokens, s.seed))
            seconds[arm].append(time.perf_counter() - started)
            cpu_seconds[arm].append(_cpu() - cpu)
            generated[arm].append(models[arm].count_tokens(note))
            notes[arm].append(note)
        print(
            f"chunk {i + 1}/{len(chunks)}: "
            + ", ".join(
                f"{a} {seconds[a][-1]:.2f}s ({cpu_seconds[a][-1]:.2f} CPU s)" for a in arms
            ),
            file=sys.stderr,
        )
    for m in models.values():
        m.close()
    print(
        f"model {args.model}; task {task.id}; {len(chunks)} chunks of <= {s.chunk_chars} chars; "
        f"prompt tokens per chunk (today's prompt) median {statistics.median(sizes):.0f}; "
        f"map_max_tokens {s.map_max_tokens}; threads {args.threads or 'default'}\n"
    )
    print(
        "| arm | wall s per chunk (median) | CPU s per chunk (median) | CPU s per chunk (mean) "
        "| prompt tokens reused per chunk (after the first) | note tokens (mean) |"
    )
    print("|---|---|---|---|---|---|")
    for arm in arms:
        reused = statistics.mean(shared[arm][1:]) if len(shared[arm]) > 1 else 0
        print(
            f"| {arm} | {statistics.median(seconds[arm]):.2f} "
            f"| {statistics.median(cpu_seconds[arm]):.2f} | {statistics.mean(cpu_seconds[arm]):.2f} "
            f"| {reused:.0f} | {statistics.mean(generated[arm]):.0f} |"
        )
    same = notes["no reuse"] == notes["reuse"]
    print(f"\ngreedy notes identical with and without reuse: {same}")
    moved = sum(a != b for a, b in zip(notes["reuse"], notes["reuse, question first"]))
    print(f"notes that change when the question comes first: {moved} of {len(chunks)}")


if __name__ == "__main__":
    main()
