"""Model store: verification catches corruption; a bad file is never handed out."""

import shutil
from pathlib import Path

import pytest

from privsplit.shared.errors import ModelNotFound, ModelVerificationError
from privsplit.shared.models import ModelStore

TEST_MODEL = "smollm2-135m-instruct-q4_1"


@pytest.fixture
def copied_store(tmp_path: Path, test_model_path: Path) -> ModelStore:
    store = ModelStore(root=tmp_path)
    shutil.copyfile(test_model_path, store.file_for(store.registry.get(TEST_MODEL)))
    return store


def test_verify_accepts_intact_file(copied_store: ModelStore) -> None:
    assert copied_store.verify(TEST_MODEL) == copied_store.file_for(copied_store.registry.get(TEST_MODEL))


def test_single_flipped_byte_is_caught_and_file_not_loaded(copied_store: ModelStore) -> None:
    path = copied_store.file_for(copied_store.registry.get(TEST_MODEL))
    with path.open("r+b") as fh:
        fh.seek(path.stat().st_size // 2)
        byte = fh.read(1)
        fh.seek(-1, 1)
        fh.write(bytes([byte[0] ^ 0x01]))
    with pytest.raises(ModelVerificationError, match="failed verification"):
        copied_store.verify(TEST_MODEL)
    with pytest.raises(ModelVerificationError):
        copied_store.path(TEST_MODEL)


def test_unknown_model_lists_valid_names(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match="known models: .*smollm2"):
        ModelStore(root=tmp_path).path("no-such-model")


def test_missing_model_says_how_to_pull(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match="privsplit models pull"):
        ModelStore(root=tmp_path).path(TEST_MODEL)
