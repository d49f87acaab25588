"""GGUF -> ONNX Runtime GenAI conversion, offline, on the CPU.

The path verified here: transformers loads the GGUF (``from_pretrained(..., gguf_file=...)``
dequantizes it to float32), the quantization config it attaches is removed so that
``save_pretrained`` accepts the model, the Hugging Face folder is written, and
onnxruntime-genai's model builder turns that folder into an int4/int8 CPU model. The
builder cannot read a quantized GGUF directly, hence the detour.

Each heavy step runs in its own subprocess (the 0.5B model peaks at ~6.6 GB), with the Hugging
Face libraries forced offline. Conversion needs the ``convert`` extra (torch CPU build,
transformers, accelerate, gguf, onnx-ir); the runtime install does not.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from privsplit.shared.errors import ModelConversionError
from privsplit.shared.logging import Timer, get_logger

log = get_logger(__name__)

Progress = Callable[[str, int, int | None], None]

# import name -> what to install; onnx_ir is imported by the builder without being declared
REQUIRED = {
    "torch": "torch==2.13.0 (CPU build)",
    "transformers": "transformers",
    "accelerate": "accelerate",
    "gguf": "gguf",
    "onnx_ir": "onnx-ir",
    "onnxruntime_genai": "onnxruntime-genai",
}
PRECISIONS = ("int4", "int8")
_OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


def missing_tools() -> list[str]:
    return [pip for mod, pip in REQUIRED.items() if importlib.util.find_spec(mod) is None]


def convert_gguf_to_onnx(
    *,
    gguf: Path,
    out: Path,
    precision: str,
    extra_options: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> Path:
    """Write an ONNX Runtime GenAI model folder at ``out`` (atomically: all or nothing)."""
    progress = progress or (lambda _d, _n, _t: None)
    if precision not in PRECISIONS:
        raise ModelConversionError(
            f"unknown precision '{precision}'; valid: {', '.join(PRECISIONS)}"
        )
    if not gguf.is_file() or gguf.suffix != ".gguf":
        raise ModelConversionError(f"not a .gguf file: {gguf}")
    missing = missing_tools()
    if missing:
        raise ModelConversionError(
            f"conversion needs {', '.join(missing)}; install them with "
            "pip install 'privsplit[convert]'"
        )
    work = out.parent / f".{out.name}.partial"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        with Timer() as t_hf:
            progress("convert 1/2 gguf->hf", 0, 2)
            _run(
                [
                    sys.executable,
                    "-m",
                    "privsplit.shared.models.convert",
                    str(gguf),
                    str(work / "hf"),
                ],
                "loading the GGUF with transformers",
            )
        with Timer() as t_onnx:
            progress("convert 2/2 hf->onnx", 1, 2)
            cmd = [
                sys.executable,
                "-m",
                "onnxruntime_genai.models.builder",
                "-i",
                str(work / "hf"),
                "-o",
                str(work / "onnx"),
                "-p",
                precision,
                "-e",
                "cpu",
                "-c",
                str(work / "cache"),
            ]
            if extra_options:
                cmd += ["--extra_options", *(f"{k}={v}" for k, v in extra_options.items())]
            _run(cmd, "the onnxruntime-genai model builder")
        if not (work / "onnx" / "genai_config.json").is_file():
            raise ModelConversionError("the model builder wrote no genai_config.json")
        progress("convert 2/2 hf->onnx", 2, 2)
        shutil.rmtree(out, ignore_errors=True)
        os.replace(work / "onnx", out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.info("model_converted", precision=precision, hf_ms=t_hf.ms, onnx_ms=t_onnx.ms)
    return out


def _run(cmd: list[str], step: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **_OFFLINE_ENV})
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stderr or proc.stdout).strip().splitlines() if ln.strip()]
        raise ModelConversionError(
            f"{step} failed: {lines[-1][:300] if lines else f'exit {proc.returncode}'}"
        )


def gguf_to_hf_folder(gguf: Path, out: Path) -> None:
    """Step 1 (runs in the subprocess): GGUF -> float32 Hugging Face folder."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    # transformers refuses to save a model loaded from GGUF while it carries the GGUF
    # quantization config, although the weights are already dequantized
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    if hasattr(model, "hf_quantizer"):
        model.hf_quantizer = None
    model.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))


if __name__ == "__main__":
    gguf_to_hf_folder(Path(sys.argv[1]), Path(sys.argv[2]))
