"""Vault: stable typed placeholders, variants, escaping, concurrency, encrypted persistence."""

from __future__ import annotations

import threading

import pytest

from privsplit.edge.privacy.spans import Span
from privsplit.edge.privacy.vault import ESCAPE, Vault
from privsplit.edge.privacy.vault_store import EncryptedVaultStore, generate_key
from privsplit.shared.errors import ConfigError, InvalidRequest, NotFound, PrivacyBlocked


def test_placeholders_are_typed_and_instance_stable() -> None:
    v = Vault()
    assert v.placeholder_for("PERSON", "Ana Ruiz") == "[PERSON_1]"
    assert v.placeholder_for("EMAIL_ADDRESS", "a@b.io") == "[EMAIL_ADDRESS_1]"
    assert v.placeholder_for("PERSON", "Bo Li") == "[PERSON_2]"
    assert v.placeholder_for("PERSON", "Ana Ruiz") == "[PERSON_1]"


@pytest.mark.parametrize("variant", ["Smith", "JOHN SMITH", "john  smith", "Mr. Smith", "John"])
def test_variants_of_a_name_share_one_placeholder(variant: str) -> None:
    v = Vault()
    first = v.placeholder_for("PERSON", "John Smith")
    assert v.placeholder_for("PERSON", variant) == first
    assert v.restore(first) == "John Smith"


def test_ambiguous_variant_gets_its_own_placeholder() -> None:
    v = Vault()
    v.placeholder_for("PERSON", "John Smith")
    v.placeholder_for("PERSON", "John Doe")
    assert v.placeholder_for("PERSON", "John") == "[PERSON_3]"


def test_user_text_that_looks_like_a_placeholder_is_escaped_and_never_resolved() -> None:
    v = Vault()
    text = "Ana wrote [PERSON_1] and [\u2060PERSON_1] literally"
    out = v.redact(text, [Span(0, 3, "PERSON", 1.0, "t")])
    assert out.startswith("[PERSON_1] wrote [\u2060PERSON_1] and [\u2060\u2060PERSON_1]")
    assert v.restore(out) == text


def test_foreign_and_unknown_placeholders_are_left_alone() -> None:
    mine, other = Vault(), Vault()
    other.placeholder_for("PERSON", "Secret Person")
    mine.placeholder_for("PERSON", "Ana")
    assert (
        mine.restore("[PERSON_1] met [PERSON_2] and [EMAIL_ADDRESS_1]")
        == "Ana met [PERSON_2] and [EMAIL_ADDRESS_1]"
    )


def test_mask_is_not_restorable() -> None:
    v = Vault()
    out = v.redact("ssn 123-45-6789", [], masked=[Span(4, 15, "US_SSN", 1.0, "t")])
    assert out == "ssn [US_SSN]"
    assert v.restore(out) == out and len(v) == 0
    assert v.values() == [("US_SSN", "123-45-6789")]  # the guard still knows it
    assert Vault.from_bytes(v.to_bytes()).values() == v.values()


def test_concurrent_use_gives_one_placeholder_per_value() -> None:
    v = Vault()
    results: list[str] = []
    lock = threading.Lock()

    def work(i: int) -> None:
        for j in range(200):
            p = v.placeholder_for("PERSON", f"Person{j % 50:02d}x")
            with lock:
                results.append(p)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(v) == 50
    assert len(set(results)) == 50


def test_serialization_round_trip() -> None:
    v = Vault()
    v.placeholder_for("PERSON", "José Müller")
    v.placeholder_for("PERSON", "Müller")
    back = Vault.from_bytes(v.to_bytes())
    assert back.values() == v.values()
    assert back.placeholder_for("PERSON", "Nina") == "[PERSON_2]"
    with pytest.raises(ValueError):
        Vault.from_bytes(b'{"version": 9}')


def test_encrypted_store_round_trip_and_no_clear_text(tmp_path) -> None:
    key = generate_key()
    store = EncryptedVaultStore(directory=tmp_path, key=key)
    v = Vault()
    v.placeholder_for("PERSON", "Zebulon Quartermaine")
    store.save("conv-1", v)
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and "conv-1" not in files[0].name
    blob = files[0].read_bytes()
    assert b"Zebulon" not in blob and b"PERSON" not in blob
    assert store.load("conv-1").restore("[PERSON_1]") == "Zebulon Quartermaine"
    assert oct(files[0].stat().st_mode & 0o777) == "0o600"


def test_store_rejects_wrong_key_tampering_and_moved_files(tmp_path) -> None:
    store = EncryptedVaultStore(directory=tmp_path, key=generate_key())
    v = Vault()
    v.placeholder_for("PERSON", "Ana")
    store.save("a", v)
    with pytest.raises(PrivacyBlocked, match="authentication"):
        EncryptedVaultStore(directory=tmp_path, key=generate_key()).load("a")
    path = next(tmp_path.iterdir())
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 1
    path.write_bytes(bytes(raw))
    with pytest.raises(PrivacyBlocked):
        store.load("a")
    store.save("a", v)
    target = store._path("b")
    path.rename(target)
    with pytest.raises(PrivacyBlocked):
        store.load("b")


def test_store_errors(tmp_path) -> None:
    with pytest.raises(ConfigError):
        EncryptedVaultStore(directory=tmp_path, key=b"short")
    store = EncryptedVaultStore(directory=tmp_path, key=generate_key())
    with pytest.raises(NotFound):
        store.load("missing")
    with pytest.raises(InvalidRequest):
        store.save("../etc/passwd", Vault())
    assert store.delete("missing") is False
    store.save("x", Vault())
    assert store.delete("x") is True
    assert store.load_or_new("x").values() == []


def test_escape_is_invisible_character() -> None:
    assert ESCAPE == "\u2060"
