"""The privacy path of the edge: detect, pseudonymize, guard, restore.

- ``engine.PrivacyEngine``: detectors (registry in ``detectors/``) -> overlap resolution ->
  layout heuristics (contact blocks, lists, speaker labels) -> policy -> vault.
- ``vault.Vault``: one per conversation; ``vault_store.EncryptedVaultStore`` persists it
  with AES-256-GCM; ``restore.StreamRestorer`` restores placeholders in streamed output.
- ``guard.EgressGuard``: last check before anything leaves the device (fail closed).
"""
