"""Tamper-evident egress audit log (hash-chained, Ed25519-signed, append-only)."""

from privsplit.edge.audit.log import AuditLog
from privsplit.edge.audit.verify import VerifyReport, verify_log

__all__ = ["AuditLog", "VerifyReport", "verify_log"]
