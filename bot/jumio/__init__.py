"""Typed async client for Jumio's KYX API (accounts, part uploads, finalize, retrieval, deletion)."""

from bot.jumio.client import JumioClient, Pacer
from bot.jumio.exceptions import (
    AuthenticationFailed,
    Forbidden,
    InvalidRequest,
    InvalidResponse,
    JumioError,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    ServerError,
    Unreachable,
)
from bot.jumio.models import (
    DECISION_TYPES,
    WORKFLOW_STATUSES,
    AccountRequest,
    AccountSession,
    CapabilityResult,
    Credential,
    DecisionType,
    ExecutionDetails,
    ExecutionStatus,
    UploadResult,
    WorkflowStatus,
)

__all__ = [
    "DECISION_TYPES",
    "WORKFLOW_STATUSES",
    "AccountRequest",
    "AccountSession",
    "AuthenticationFailed",
    "CapabilityResult",
    "Credential",
    "DecisionType",
    "ExecutionDetails",
    "ExecutionStatus",
    "Forbidden",
    "InvalidRequest",
    "InvalidResponse",
    "JumioClient",
    "JumioError",
    "NotFound",
    "OutcomeUnknown",
    "Pacer",
    "RateLimited",
    "ServerError",
    "Unreachable",
    "UploadResult",
    "WorkflowStatus",
]
