"""Typed errors, each with the gRPC status it maps to, in one place.

Servers raise these; an interceptor turns them into a status code plus the error's class
name in the trailing metadata key ``privsplit-error`` (and, for ``PrivacyBlocked``, the entity
types that caused it in ``privsplit-entity-types``, type names only); the SDK maps them back to
the same class. Messages are written by us and never contain prompt text or detected values.
"""

from __future__ import annotations

import re

import grpc

ERROR_METADATA_KEY = "privsplit-error"
ENTITY_TYPES_METADATA_KEY = "privsplit-entity-types"
_ENTITY_TYPE = re.compile(r"^[A-Z][A-Z0-9_]{0,39}$")


class PrivsplitError(Exception):
    """Base class. ``code`` is the gRPC status the error maps to."""

    code: grpc.StatusCode = grpc.StatusCode.INTERNAL

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidRequest(PrivsplitError):
    """The request is malformed or breaks a documented limit (size, count)."""

    code = grpc.StatusCode.INVALID_ARGUMENT


class ConfigError(PrivsplitError):
    """A settings file or value is invalid; the message names the field."""

    code = grpc.StatusCode.INVALID_ARGUMENT


class Unauthenticated(PrivsplitError):
    """Missing or wrong credentials."""

    code = grpc.StatusCode.UNAUTHENTICATED


class PermissionDenied(PrivsplitError):
    """Authenticated, but not allowed to do this."""

    code = grpc.StatusCode.PERMISSION_DENIED


class UntrustedSocket(PermissionDenied):
    """The SDK refused the daemon's Unix socket: its directory, its owner or the process
    serving it is not this user (or a trusted daemon user); nothing was sent. The message
    says which and how to recover."""


class ResourceExhausted(PrivsplitError):
    """A rate, concurrency or queue limit was hit; retry later."""

    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class Busy(ResourceExhausted):
    """The model's request queue is full."""


class DeadlineExceeded(PrivsplitError):
    """The request ran past its deadline."""

    code = grpc.StatusCode.DEADLINE_EXCEEDED


class Unavailable(PrivsplitError):
    """A dependency is down (model backend, cloud endpoint)."""

    code = grpc.StatusCode.UNAVAILABLE


class CloudUnavailable(Unavailable):
    """The cloud endpoint could not be reached; nothing was sent anywhere else."""


class BackendError(Unavailable):
    """The model backend failed while serving the request."""


class NotFound(PrivsplitError):
    """A named thing (model, conversation, request) does not exist."""

    code = grpc.StatusCode.NOT_FOUND


class ModelNotFound(NotFound):
    """No model of that name is registered or pulled."""


class PrivacyBlocked(PrivsplitError):
    """The privacy path refused to send (a detector hit, a policy block, or a failure).

    ``entity_types`` names what caused it; never the value.
    """

    code = grpc.StatusCode.FAILED_PRECONDITION

    def __init__(self, message: str, *, entity_types: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.entity_types = entity_types


class AuditLogError(PrivacyBlocked):
    """The egress audit log cannot be written or does not verify; nothing was sent."""


class ApprovalRejected(PrivacyBlocked):
    """The caller rejected (or did not approve in time) the outbound sub-queries; nothing was sent."""


class IncompleteCoverage(PrivacyBlocked):
    """A privacy stage could not read the whole request (it is longer than the stage's
    configured bound); the request is refused rather than sent partly unchecked."""


class ModelOutputInvalid(PrivacyBlocked):
    """The local model's answer to a privacy stage could not be parsed, even after one retry
    (``pipeline.model_output_failure=closed``); nothing was sent."""


class ReidBudgetExceeded(PrivacyBlocked):
    """What the conversation would have sent about a person exceeds the policy's
    re-identification budget even after generalizing and hiding; nothing was sent."""


class ModelVerificationError(PrivsplitError):
    """A model file does not match its pinned sha256; it is not used."""

    code = grpc.StatusCode.FAILED_PRECONDITION


class ModelConversionError(PrivsplitError):
    """Converting a model to another format failed (missing tools, or a converter step)."""

    code = grpc.StatusCode.FAILED_PRECONDITION


def _all_subclasses(cls: type[PrivsplitError]) -> list[type[PrivsplitError]]:
    out: list[type[PrivsplitError]] = []
    for sub in cls.__subclasses__():
        out.append(sub)
        out.extend(_all_subclasses(sub))
    return out


def error_class(name: str, code: grpc.StatusCode) -> type[PrivsplitError]:
    """The error class for a class name from metadata, else the base class for ``code``."""
    by_name = {c.__name__: c for c in _all_subclasses(PrivsplitError)}
    if name in by_name and by_name[name].code == code:
        return by_name[name]
    for cls in _all_subclasses(PrivsplitError):
        if cls.code == code and cls.__bases__ == (PrivsplitError,):
            return cls
    return PrivsplitError


def entity_types_metadata(exc: BaseException) -> tuple[tuple[str, str], ...]:
    """The trailing metadata naming a ``PrivacyBlocked`` error's entity types (``AGE,LOCATION``):
    only names spelled as entity types pass, anything else is left out."""
    types = [t for t in getattr(exc, "entity_types", ()) if _ENTITY_TYPE.match(str(t))]
    if not isinstance(exc, PrivacyBlocked) or not types:
        return ()
    return ((ENTITY_TYPES_METADATA_KEY, ",".join(dict.fromkeys(types))),)


def from_rpc_error(err: grpc.RpcError) -> PrivsplitError:
    """Map a gRPC error raised by a stub back to the typed error the server raised."""
    code = err.code() if hasattr(err, "code") else grpc.StatusCode.UNKNOWN
    details = (err.details() if hasattr(err, "details") else None) or code.name
    name, types = "", ""
    trailing = err.trailing_metadata() if hasattr(err, "trailing_metadata") else None
    for key, value in trailing or ():
        if key == ERROR_METADATA_KEY:
            name = value if isinstance(value, str) else value.decode()
        elif key == ENTITY_TYPES_METADATA_KEY:
            types = value if isinstance(value, str) else value.decode()
    error = error_class(name, code)(details)
    if isinstance(error, PrivacyBlocked):
        error.entity_types = tuple(t for t in types.split(",") if _ENTITY_TYPE.match(t))
    return error
