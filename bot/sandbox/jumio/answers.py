"""Answers in Jumio's shape: problems, 429s, the account answer, the retrieval details, the callback body."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from aiohttp import web

from bot.sandbox.jumio.state import PARTS, RISK, SandboxExecution


def jumio_problem(status: int, message: str) -> web.Response:
    return web.json_response({"status": status, "message": message}, status=status)


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def too_many_requests() -> web.Response:
    return web.json_response({"title": "Too Many Requests", "status": 429, "detail": "Request limit exceeded"}, status=429)


def account_answer(execution: SandboxExecution, origin: str, web_origin: str | None = None) -> dict[str, Any]:
    """The answer to an account create or update (reference §2.3); the Web Client link on `web_origin` if given."""
    base = f"{origin}/api/v1/accounts/{execution.account_id}/workflow-executions/{execution.id}"
    credentials = []
    for credential in execution.credentials:
        item: dict[str, Any] = {
            "id": credential.id,
            "category": credential.category,
            "allowedChannels": ["API"] if credential.category == "DATA" else ["WEB", "API", "SDK"],
        }
        if credential.category == "FACEMAP":
            item["allowedChannels"] = ["WEB", "SDK"]
        else:
            item["api"] = {
                "token": credential.api_token,
                "parts": {
                    classifier.lower(): f"{base}/credentials/{credential.id}/parts/{classifier}"
                    for classifier in PARTS[credential.category]
                },
                "workflowExecution": base,
            }
        credentials.append(item)
    locale = f"&locale={execution.locale}" if execution.locale else ""
    return {
        "timestamp": now_iso(),
        "account": {"id": execution.account_id},
        "web": {"href": f"{web_origin or origin}/web/v4/app?authorizationToken={execution.web_token}{locale}"},
        "sdk": {"token": execution.sdk_token},
        "workflowExecution": {"id": execution.id, "credentials": credentials},
    }


def details_body(execution: SandboxExecution, origin: str) -> dict[str, Any]:
    """A retrieval details answer in Jumio's shape (reference §6), with made-up extracted data."""
    body: dict[str, Any] = {
        "workflow": {
            "id": execution.id,
            "status": execution.status,
            "definitionKey": str(execution.workflow_key),
            "customerInternalReference": execution.customer_reference,
        },
        "account": {"id": execution.account_id},
        "createdAt": now_iso(),
    }
    if execution.user_reference:
        body["workflow"]["userReference"] = execution.user_reference
    if execution.status in ("TOKEN_EXPIRED", "SESSION_EXPIRED"):
        body["decision"] = {"type": "NOT_EXECUTED", "details": {"label": execution.status}, "risk": {"score": -1.0}}
        return body
    if execution.status != "PROCESSED" or execution.decision is None:
        return body
    ids = {c.category: c.id for c in execution.credentials}
    received = execution.received()
    body["credentials"] = [
        {
            "id": c.id,
            "category": c.category,
            "parts": [
                {
                    "classifier": p.classifier,
                    "href": f"{origin}/api/v1/accounts/{execution.account_id}/credentials/{c.id}/parts/{p.classifier}",
                }
                for p in c.parts.values()
            ],
        }
        for c in execution.credentials
        if c.category != "FACEMAP"
    ]
    decision = execution.decision

    def capability(name: str, category: str, kind: str, label: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, execution.id + name + category)),
            "credentials": [{"id": ids.get(category, ""), "category": category}],
            "decision": {"type": kind, "details": {"label": label}},
        }
        if data is not None:
            entry["data"] = data
        return entry

    id_ok = "FRONT" in received
    face_ok = "FACE" in received
    precondition = ("NOT_EXECUTED", "PRECONDITION_NOT_FULFILLED")
    usability = [
        capability("usability", "ID", *(("PASSED", "OK") if id_ok else ("REJECTED", "NOT_UPLOADED"))),
        capability("usability", "SELFIE", *(("PASSED", "OK") if face_ok else ("REJECTED", "NOT_UPLOADED"))),
    ]
    image_checks = ("PASSED", "OK") if id_ok else precondition
    similarity = ("PASSED", "MATCH") if id_ok and face_ok else precondition
    liveness = ("PASSED", "OK") if face_ok else precondition
    if decision == "REJECTED":
        image_checks = ("REJECTED", "MANIPULATED_DOCUMENT")
    elif decision == "WARNING":
        similarity = ("WARNING", "NOT_POSSIBLE")
    extraction_data = {
        "type": "ID_CARD",
        "issuingCountry": "USA",
        "firstName": "JANE",
        "lastName": "SAMPLEPERSON",
        "dateOfBirth": "1990-01-01",
        "documentNumber": "X1234567",
        "expiryDate": "2031-01-01",
    }
    body["capabilities"] = {
        "usability": usability,
        "imageChecks": [capability("imageChecks", "ID", *image_checks)],
        "extraction": [
            capability(
                "extraction", "ID", *(("PASSED", "OK") if id_ok else precondition), data=extraction_data if id_ok else None
            )
        ],
        "dataChecks": [capability("dataChecks", "ID", *(("PASSED", "OK") if id_ok else precondition))],
        "similarity": [
            capability(
                "similarity",
                "SELFIE",
                *similarity,
                data={"similarity": "MATCH" if similarity[0] == "PASSED" else "NOT_POSSIBLE"},
            )
        ],
        "liveness": [capability("liveness", "SELFIE", *liveness, data={"type": "JUMIO_STANDARD", "predictedAge": 34})],
    }
    body["decision"] = {"type": decision, "details": {"label": decision}, "risk": {"score": RISK[decision]}}
    return body


def callback_body(execution: SandboxExecution) -> dict[str, Any]:
    """A callback in Jumio's shape (reference §7)."""
    origin = "https://retrieval.sandbox.invalid"
    body = {
        "callbackSentAt": now_iso(),
        "workflowExecution": {
            "id": execution.id,
            "href": f"{origin}/api/v1/accounts/{execution.account_id}/workflow-executions/{execution.id}",
            "definitionKey": str(execution.workflow_key),
            "status": execution.status,
        },
        "account": {"id": execution.account_id, "href": f"{origin}/api/v1/accounts/{execution.account_id}"},
    }
    if execution.user_reference:
        body["userReference"] = execution.user_reference
    return body


def upload_answer(execution: SandboxExecution, credential: Any, origin: str) -> dict[str, Any]:
    """The answer to a part upload (reference §3): the credential's token, its part URLs and the finalize URL."""
    base = f"{origin}/api/v1/accounts/{execution.account_id}/workflow-executions/{execution.id}"
    return {
        "timestamp": now_iso(),
        "account": {"id": execution.account_id},
        "workflowExecution": {"id": execution.id},
        "api": {
            "token": credential.api_token,
            "parts": {
                classifier.lower(): f"{base}/credentials/{credential.id}/parts/{classifier}"
                for classifier in PARTS[credential.category]
            },
            "workflowExecution": base,
        },
    }
