"""The shared name registry: unknown names list the valid ones; unavailable ones say why."""

import pytest

from privsplit.cloud.backends.base import BACKENDS
from privsplit.edge.privacy.detectors.base import DETECTORS
from privsplit.edge.runtime.base import RUNTIMES
from privsplit.shared.errors import ConfigError
from privsplit.shared.registry import Registry


@pytest.mark.parametrize(
    ("registry", "expected"),
    [
        (BACKENDS, {"llamacpp", "openai"}),
        (RUNTIMES, {"llamacpp", "onnx"}),
        (DETECTORS, {"presidio", "spacy"}),
    ],
)
def test_builtin_implementations_register_themselves(
    registry: Registry, expected: set[str]
) -> None:
    assert expected <= set(registry.all())


def test_unknown_name_lists_valid_names() -> None:
    with pytest.raises(
        ConfigError, match=r"unknown runtime 'nope'; valid runtimes: .*llamacpp.*onnx"
    ):
        RUNTIMES.get("nope")


def test_unavailable_implementation_says_why() -> None:
    registry: Registry = Registry(kind="widget", package="privsplit.shared", modules=())

    @registry.register
    class Missing:
        name = "missing"
        is_available = False
        unavailable_reason = "libmissing is not installed"

    assert registry.available() == {}
    with pytest.raises(
        ConfigError, match="widget 'missing' cannot run here: libmissing is not installed"
    ):
        registry.create("missing")
