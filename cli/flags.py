"""Command-line flags generated from the settings they set, so a flag cannot drift from its
setting (the way llama-cpp-python derives its server flags from its settings model).

``settings_flags(EdgeSettings, "cloud.address", "edge_model", ...)`` decorates a typer
command: each named field becomes an option ``--cloud-address`` / ``--edge-model`` (the
field's path with ``-`` for ``.`` and ``_``), with the field's description as its help and
its type; a boolean is ``--x/--no-x``; a list of strings or paths is one comma-separated
value (``--privacy-detectors patterns,spacy``). The command receives the given ones (``None`` left
out) as ``overrides``, keyed as ``PrivsplitSettings.load`` reads them (``cloud_address``),
and passes them on: ``EdgeSettings.load(config, **overrides)``. Older spellings of a flag
stay as extra names (``aliases``), never as other settings.
"""

from __future__ import annotations

import functools
import inspect
import types
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

import typer
from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

F = TypeVar("F", bound=Callable[..., Any])
_SIMPLE = (str, int, float, bool, Path)


def flag_name(path: str) -> str:
    """``cloud.address`` -> ``--cloud-address``."""
    return "--" + path.replace(".", "-").replace("_", "-")


def override_key(path: str) -> str:
    """``cloud.address`` -> ``cloud_address`` (what ``PrivsplitSettings.load`` nests back)."""
    return path.replace(".", "_")


def field_at(settings_cls: type[BaseModel], path: str) -> FieldInfo:
    """The field of ``settings_cls`` at a dotted ``path``; ``KeyError`` names a wrong one."""
    model: type[BaseModel] = settings_cls
    *sections, name = path.split(".")
    for section in sections:
        model = model.model_fields[section].annotation  # type: ignore[assignment]
    if name not in model.model_fields:
        raise KeyError(f"{settings_cls.__name__} has no setting {path!r}")
    return model.model_fields[name]


def flag_type(annotation: Any) -> Any:
    """The type a flag parses (pydantic validates the value afterwards); ``TypeError`` for a
    field no single flag can carry (lists of other things, mappings, sections)."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        if len(inner) == 1:
            return flag_type(inner[0])
    if origin is Literal and all(isinstance(a, str) for a in args):
        return str
    if annotation is SecretStr:
        return str
    if origin is list and len(args) == 1 and args[0] in (str, Path):
        return str  # comma-separated (``split_list``)
    if annotation in _SIMPLE:
        return annotation
    raise TypeError(f"no flag for a setting of type {annotation!r}")


def split_list(value: str) -> list[str]:
    """``"a, b,,c"`` -> ``["a", "b", "c"]`` (the value of a list setting's flag)."""
    return [item.strip() for item in value.split(",") if item.strip()]


def settings_flags(
    settings_cls: type[BaseModel],
    *paths: str,
    aliases: Mapping[str, Sequence[str]] | None = None,
) -> Callable[[F], F]:
    """Add a flag for each settings field in ``paths`` to a typer command that takes
    ``overrides: dict[str, Any]``."""
    aliases = aliases or {}

    def decorate(command: F) -> F:
        signature = inspect.signature(command, eval_str=True)
        own = [p for p in signature.parameters.values() if p.name != "overrides"]
        generated: dict[str, str] = {}  # python parameter name -> settings path
        lists: set[str] = set()  # the ones whose value is a comma-separated list
        params = list(own)
        for path in paths:
            info = field_at(settings_cls, path)
            kind = flag_type(info.annotation)
            name = override_key(path)
            decls = [flag_name(path), *aliases.get(path, ())]
            if kind is bool:
                decls = [f"{flag_name(path)}/--no-{flag_name(path)[2:]}", *aliases.get(path, ())]
            help_text = info.description or ""
            if get_origin(info.annotation) is Literal:
                help_text += f" One of: {', '.join(get_args(info.annotation))}."
            option = typer.Option(*decls, help=help_text)
            params.append(
                inspect.Parameter(
                    name,
                    inspect.Parameter.KEYWORD_ONLY,
                    default=None,
                    annotation=Annotated[kind | None, option],
                )
            )
            generated[name] = path
            if get_origin(info.annotation) is list:
                lists.add(name)

        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            overrides = {k: kwargs.pop(k) for k in list(kwargs) if k in generated}
            given = {k: v for k, v in overrides.items() if v is not None}
            given.update({k: split_list(v) for k, v in given.items() if k in lists})
            return command(*args, **kwargs, overrides=given)

        wrapper.__signature__ = signature.replace(parameters=_ordered(params))  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in params}
        wrapper.settings_flags = dict(generated)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def _ordered(params: list[inspect.Parameter]) -> list[inspect.Parameter]:
    """Positional parameters first (a generated flag is keyword-only)."""
    order = {
        inspect.Parameter.POSITIONAL_ONLY: 0,
        inspect.Parameter.POSITIONAL_OR_KEYWORD: 1,
        inspect.Parameter.VAR_POSITIONAL: 2,
        inspect.Parameter.KEYWORD_ONLY: 3,
        inspect.Parameter.VAR_KEYWORD: 4,
    }
    return sorted(params, key=lambda p: order[p.kind])
