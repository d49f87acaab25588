"""Settings base: pydantic-settings with an env prefix, an optional YAML file, strict keys.

Each process has one settings class (``EdgeSettings``, ``CloudSettings``) derived from
``PrivsplitSettings``. Precedence, highest first: explicit keyword arguments (CLI flags),
environment variables (``PRIVSPLIT_EDGE_*`` / ``PRIVSPLIT_CLOUD_*``), the YAML file, defaults.
Unknown keys in the file are errors; an invalid value stops startup with a ``ConfigError``
whose message names the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, TypeVar

import platformdirs
import yaml
from pydantic import BaseModel, Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from privsplit.shared.errors import ConfigError

S = TypeVar("S", bound="PrivsplitSettings")


def default_cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("privsplit"))


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("privsplit"))


def load_yaml_mapping(path: Path, *, what: str = "config") -> dict[str, Any]:
    """Read a YAML file that must hold a mapping; every failure is a ``ConfigError`` that
    names the file (``what`` says which kind: config, policy, recognizer)."""
    try:
        loaded = yaml.safe_load(Path(path).read_text()) or {}
    except FileNotFoundError:
        raise ConfigError(f"{what} file not found: {path}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{what} file {path} is not valid YAML: {exc}") from None
    if not isinstance(loaded, dict):
        raise ConfigError(f"{what} file {path} must hold a mapping at the top")
    return loaded


class _YamlSource(PydanticBaseSettingsSource):
    def __init__(self, settings_cls: type[BaseSettings], data: dict[str, Any]) -> None:
        super().__init__(settings_cls)
        self._data = data

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._data)


class PrivsplitSettings(BaseSettings):
    """Base for per-process settings."""

    model_config = SettingsConfigDict(extra="forbid", validate_default=True)
    _yaml_data: ClassVar[dict[str, Any]] = {}

    models_dir: Path = Field(
        default_factory=lambda: default_cache_dir() / "models",
        description="Where pulled model files are stored (verified before every load).",
    )
    log_level: str = Field(default="INFO", description="Log level: DEBUG, INFO, WARNING, ERROR.")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _YamlSource(settings_cls, cls._yaml_data))

    @classmethod
    def load(cls: type[S], config_file: Path | None = None, **overrides: Any) -> S:
        """Build settings from an optional YAML file, the environment and ``overrides``.

        ``None`` overrides are ignored so CLI options that were not given fall through. An
        override is named as its flag is: a field of a section by ``SECTION_FIELD``
        (``cloud_address`` sets ``cloud.address``), merged into the rest of that section.
        """
        data = load_yaml_mapping(config_file) if config_file is not None else {}
        given = nest_overrides(cls, {k: v for k, v in overrides.items() if v is not None})
        sub = type(cls.__name__, (cls,), {"_yaml_data": data, "__module__": cls.__module__})
        try:
            return sub(**given)  # type: ignore[return-value]
        except ValidationError as exc:
            raise ConfigError(_describe(exc, config_file)) from None


def section_fields(cls: type[BaseModel]) -> dict[str, type[BaseModel]]:
    """The nested sections of a settings class: field name -> its model."""
    out: dict[str, type[BaseModel]] = {}
    for name, info in cls.model_fields.items():
        kind = info.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            out[name] = kind
    return out


def nest_overrides(cls: type[BaseModel], overrides: dict[str, Any]) -> dict[str, Any]:
    """``overrides`` with every ``SECTION_FIELD`` key moved into its section, at any depth
    (``pipeline_terms_zipf_shift`` sets ``pipeline.terms.zipf_shift``: the flag form of a
    nested setting); other keys as they are."""
    out: dict[str, Any] = {}
    for key, value in overrides.items():
        *sections, name = _setting_path(cls, key) or [key]
        target = out
        for section in sections:
            current = target.get(section)
            target[section] = dict(current) if isinstance(current, dict) else {}
            target = target[section]
        if isinstance(value, dict) and isinstance(target.get(name), dict):
            value = {**target[name], **value}
        target[name] = value
    return out


def _setting_path(cls: type[BaseModel], key: str) -> list[str] | None:
    """The field path a flat ``key`` names (``cloud_address`` -> ``[cloud, address]``), or
    None when it names none (left as it is, so validation calls it unknown)."""
    if key in cls.model_fields:
        return [key]
    for section, model in section_fields(cls).items():
        if key.startswith(f"{section}_"):
            rest = _setting_path(model, key[len(section) + 1 :])
            if rest is not None:
                return [section, *rest]
    return None


def _describe(exc: ValidationError, config_file: Path | None) -> str:
    where = f" in {config_file}" if config_file else ""
    parts = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "<root>"
        if err["type"] == "extra_forbidden":
            parts.append(f"unknown setting '{field}'{where}")
        else:
            parts.append(f"invalid setting '{field}'{where}: {err['msg']}")
    return "; ".join(parts)
