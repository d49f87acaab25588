"""Settings are the single source of the command line: every flag that sets a setting is
generated from it (same name, its description as help), and every setting is reachable by
its own name from the config file; the cloud settings moved into a section with a clear
error for the old flat names."""

from __future__ import annotations

import os
from typing import Annotated, Any, get_origin

import pytest
import typer
import yaml
from typer.main import get_command
from typer.testing import CliRunner

from privsplit.cli.flags import field_at, flag_name, flag_type, override_key, settings_flags
from privsplit.cli.main import app
from privsplit.cloud.settings import CloudSettings
from privsplit.edge.settings import EdgeSettings
from privsplit.shared.errors import ConfigError
from privsplit.shared.settings import PrivsplitSettings, nest_overrides, section_fields

COMMANDS = {  # command path -> the settings class its generated flags set
    ("edge", "serve"): EdgeSettings,
    ("edge", "ask"): EdgeSettings,  # which daemon: the settings it serves on
    ("ask",): EdgeSettings,
    ("plan",): EdgeSettings,
    ("redact",): EdgeSettings,
    ("demo",): EdgeSettings,
    ("audit", "show"): EdgeSettings,
    ("audit", "verify"): EdgeSettings,
    ("cloud", "serve"): CloudSettings,
    ("cloud", "health"): EdgeSettings,  # the client side of the connection: the edge's
    **{("models", c): PrivsplitSettings for c in ("list", "pull", "verify", "convert", "remove")},
    ("models", "info"): EdgeSettings,  # --models-dir and, for --measure, --runtime-backend
}
SETTINGS = (EdgeSettings, CloudSettings, PrivsplitSettings)


def _leaf_paths(cls: type, prefix: str = "") -> list[str]:
    sections = section_fields(cls)
    out: list[str] = []
    for name in cls.model_fields:
        if name in sections:
            out += _leaf_paths(sections[name], f"{prefix}{name}.")
        else:
            out.append(prefix + name)
    return out


def _command(path: tuple[str, ...]):
    group = get_command(app)
    for part in path:
        group = group.commands[part]  # type: ignore[attr-defined]
    return group


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=" ".join)
def test_each_settings_flag_is_its_setting_by_name_with_its_description(path) -> None:
    cls = COMMANDS[path]
    command = _command(path)
    callback = command.callback
    generated: dict[str, str] = callback.settings_flags  # python name -> settings path
    assert generated, "the command sets settings, so its flags must be generated"
    params = {p.name: p for p in command.params}
    for name, setting in generated.items():
        info = field_at(cls, setting)
        option = params[name]
        assert option.opts[0] == flag_name(setting)  # --cloud-address for cloud.address
        assert info.description and option.help.startswith(info.description)  # + choices
    # no hand-written option carries a setting's flag name
    flags = {flag_name(p) for p in _leaf_paths(cls)}
    hand = [p for p in command.params if p.name not in generated and p.name != "help"]
    assert not [o for p in hand for o in p.opts if o in flags]


def _all_commands(group=None, path: tuple[str, ...] = ()):
    group = group or get_command(app)
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        if hasattr(command, "commands"):
            yield from _all_commands(command, (*path, name))
        else:
            yield (*path, name), command


def test_no_hand_written_flag_of_any_command_spells_a_setting() -> None:
    """A setting's flag name (--cloud-address, --daemon-audit-dir, --models-dir, ...) appears
    only as the flag generated from it, in every command of the CLI; and every command
    with generated flags is in COMMANDS (checked above for names and help)."""
    names = {flag_name(p) for cls in SETTINGS for p in _leaf_paths(cls)}
    generating = set()
    for path, command in _all_commands():
        generated = getattr(command.callback, "settings_flags", {})
        if generated:
            generating.add(path)
        hand = [p for p in command.params if p.name not in generated and p.name != "help"]
        spelled = [o for p in hand for o in [*p.opts, *p.secondary_opts] if o in names]
        assert not spelled, (path, spelled)
    assert generating == set(COMMANDS)


@pytest.mark.parametrize("cls", [EdgeSettings, CloudSettings])
def test_every_setting_a_flag_can_carry_is_reachable_by_its_flag_name(cls) -> None:
    """Each leaf, nested sections included (cloud.*, pipeline.*, daemon.*, openai.*, ...),
    lands where it belongs when given by the name its generated flag passes on."""
    reached = 0
    for path in _leaf_paths(cls):
        info = field_at(cls, path)
        try:
            kind = flag_type(info.annotation)
        except TypeError:
            continue  # a mapping or list of objects: the config file sets it (test below)
        overrides = {override_key(path): _sample(kind, info.annotation)}
        data = nest_overrides(cls, overrides)
        for section in path.split(".")[:-1]:
            data = data[section]
        assert data[path.split(".")[-1]] == overrides[override_key(path)], path
        reached += 1
    assert reached >= (100 if cls is EdgeSettings else 30)


def _sample(kind: type, annotation: Any) -> Any:
    if kind is bool:
        return True
    if get_origin(annotation) is list:
        return ["a", "b"]
    return {int: 1, float: 1.5, str: "x"}.get(kind, "p")


@pytest.mark.parametrize("cls", [EdgeSettings, CloudSettings])
def test_every_setting_is_reachable_from_the_config_file_by_its_name(
    cls, tmp_path, monkeypatch
) -> None:
    for var in [v for v in os.environ if v.startswith(("PRIVSPLIT_EDGE_", "PRIVSPLIT_CLOUD_"))]:
        monkeypatch.delenv(var)  # the environment outranks the file
    base = {"insecure": True} if cls is CloudSettings else {}  # the cloud needs TLS otherwise
    defaults = cls.load(**base).model_dump(mode="json")
    changed = 0
    for path in [p for p in _leaf_paths(cls) if p not in base]:  # each leaf, by its own name
        *sections, name = path.split(".")
        value = defaults
        for s in sections:
            value = value[s]
        old = value[name]
        new = (not old) if isinstance(old, bool) else "x-not-a-value" if old is None else old
        doc: dict[str, Any] = {name: new}
        for s in reversed(sections):
            doc = {s: doc}
        config = tmp_path / "c.yaml"
        config.write_text(yaml.safe_dump({**base, **doc}))
        try:
            loaded = cls.load(config).model_dump(mode="json")
        except ConfigError as exc:  # known by its name; only the value was refused
            assert "unknown setting" not in exc.message and f"'{path}'" in exc.message, path
            continue
        for s in sections:
            loaded = loaded[s]
        assert loaded[name] == new or not isinstance(old, bool), path
        changed += isinstance(old, bool)
    assert changed >= (3 if cls is EdgeSettings else 0)  # booleans read back flipped
    bad = tmp_path / "bad.yaml"
    bad.write_text("no_such_setting: 1\n")
    with pytest.raises(ConfigError, match="unknown setting 'no_such_setting'"):
        cls.load(bad)


def test_generated_flags_reach_the_settings_and_old_spellings_set_the_same_one() -> None:
    toy = typer.Typer()
    seen: list[EdgeSettings] = []

    @toy.command()
    @settings_flags(
        EdgeSettings,
        "cloud.address",
        "cloud.insecure",
        "daemon.http_port",
        "edge_model",
        "privacy.detectors",
        aliases={"cloud.address": ["--cloud"]},
    )
    def run(
        config: Annotated[str | None, typer.Option("--config")] = None,
        overrides: dict[str, Any] | None = None,
    ) -> None:
        seen.append(EdgeSettings.load(None, **(overrides or {})))

    runner = CliRunner()
    args = ["--cloud-address", "10.1.2.3:443", "--no-cloud-insecure", "--daemon-http-port", "0"]
    result = runner.invoke(toy, [*args, "--edge-model", "m.gguf", "--privacy-detectors", "a, b"])
    assert result.exit_code == 0, result.output
    s = seen[-1]
    assert s.privacy.detectors == ["a", "b"]  # a list setting: one comma-separated value
    assert (s.cloud.address, s.cloud.insecure, s.daemon.http_port, s.edge_model) == (
        "10.1.2.3:443",
        False,
        0,
        "m.gguf",
    )
    assert runner.invoke(toy, ["--cloud", "127.0.0.1:9", "--cloud-insecure"]).exit_code == 0
    assert (seen[-1].cloud.address, seen[-1].cloud.insecure) == ("127.0.0.1:9", True)
    assert seen[-1].daemon.http_port == EdgeSettings.load().daemon.http_port  # not given


def test_a_section_flag_merges_with_the_file_section(tmp_path) -> None:
    config = tmp_path / "edge.yaml"
    config.write_text("cloud:\n  address: gateway:50051\n  tls_server_name: gw.internal\n")
    s = EdgeSettings.load(config, cloud_address="other:1")
    assert (s.cloud.address, s.cloud.tls_server_name) == ("other:1", "gw.internal")


def test_the_old_flat_cloud_names_are_refused_with_where_they_went(tmp_path, monkeypatch) -> None:
    config = tmp_path / "edge.yaml"
    config.write_text("cloud_address: gateway:50051\n")
    with pytest.raises(ConfigError, match="cloud_address: the cloud settings moved to the 'cloud'"):
        EdgeSettings.load(config)
    monkeypatch.setenv("PRIVSPLIT_EDGE_CLOUD_TOKEN_FILE", "/tmp/t")
    with pytest.raises(ConfigError, match="PRIVSPLIT_EDGE_CLOUD_TOKEN_FILE.*CLOUD__ADDRESS"):
        EdgeSettings.load()  # silently ignoring it would connect with the wrong settings


def test_the_base_settings_have_no_sections() -> None:
    assert section_fields(PrivsplitSettings) == {}
