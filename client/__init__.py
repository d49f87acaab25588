"""The privsplit SDK: talk to the on-device daemon over its Unix socket (or loopback TCP).

    from privsplit.client import Client
    with Client() as client:
        print(client.ask("Email Maria Gonzalez about Friday").text)

Errors are the typed classes of ``privsplit.shared.errors`` (re-exported here), mapped back
from the daemon's gRPC status; UNAVAILABLE is retried with backoff, nothing else is.
Before the first request on a Unix socket the SDK checks that the socket, its directory and
the process serving it belong to this user (or ``trusted_daemon_uid``): else ``UntrustedSocket``.
"""

from privsplit.client._common import (
    Answer,
    Plan,
    Progress,
    Redacted,
    ReidStep,
    RetryPolicy,
    Risk,
    Span,
    StreamEvent,
    Usage,
)
from privsplit.client.aio import AsyncClient, AsyncConversation
from privsplit.client.sync import Client, Conversation
from privsplit.shared.errors import (
    ApprovalRejected,
    AuditLogError,
    DeadlineExceeded,
    InvalidRequest,
    NotFound,
    PrivacyBlocked,
    PrivsplitError,
    Unauthenticated,
    Unavailable,
    UntrustedSocket,
)

__all__ = [
    "Answer",
    "ApprovalRejected",
    "AsyncClient",
    "AsyncConversation",
    "AuditLogError",
    "Client",
    "Conversation",
    "DeadlineExceeded",
    "InvalidRequest",
    "NotFound",
    "Plan",
    "PrivacyBlocked",
    "PrivsplitError",
    "Progress",
    "Redacted",
    "ReidStep",
    "RetryPolicy",
    "Risk",
    "Span",
    "StreamEvent",
    "Unauthenticated",
    "Unavailable",
    "UntrustedSocket",
    "Usage",
]
