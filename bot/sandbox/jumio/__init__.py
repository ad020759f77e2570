"""A Jumio KYX simulator, as strict as Jumio is documented to be (see `server` for what it serves).

| module | what |
|---|---|
| `state` | settings, faults, executions, credentials, parts, rate buckets |
| `rules` | what Jumio refuses: account bodies, callback URLs, images, supporting data; the decision rule |
| `answers` | answers in Jumio's shape: problems, the account answer, details, callbacks |
| `faults` | injected faults, latency and the User-Agent rule every call meets |
| `server` | `JumioSandbox`: the API routes (token, accounts, parts, finalize, retrieval, deletion) |
| `lifecycle` | processing, the decision, expiry and callbacks |
| `web_client` | the Web Client's pages that play the customer |
| `controls` | `/_sandbox/…` test controls (not Jumio) |
| `cli` | `python -m bot sandbox-jumio --port N` |
"""

from bot.sandbox.jumio.answers import details_body
from bot.sandbox.jumio.cli import main
from bot.sandbox.jumio.rules import decide, image_problem, prepared_data_problem
from bot.sandbox.jumio.server import JumioSandbox, serve
from bot.sandbox.jumio.state import (
    MAX_PART_BYTES,
    WORKFLOWS,
    Callback,
    Fault,
    Part,
    SandboxConfig,
    SandboxCredential,
    SandboxExecution,
    lifetime_seconds,
)

__all__ = [
    "MAX_PART_BYTES",
    "WORKFLOWS",
    "Callback",
    "Fault",
    "JumioSandbox",
    "Part",
    "SandboxConfig",
    "SandboxCredential",
    "SandboxExecution",
    "decide",
    "details_body",
    "image_problem",
    "lifetime_seconds",
    "main",
    "prepared_data_problem",
    "serve",
]
