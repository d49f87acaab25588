"""Local model runtimes (llama.cpp, ONNX Runtime GenAI) behind one interface."""

from privsplit.edge.runtime.base import (
    LocalModel,
    available_runtimes,
    create_runtime,
    register_runtime,
)

__all__ = ["LocalModel", "available_runtimes", "create_runtime", "register_runtime"]
