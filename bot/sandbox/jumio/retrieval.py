"""Retrieval and deletion of `JumioSandbox`'s executions (reference §6, §9), as strict as Jumio documents them: the
OAuth token, 15 retrievals a second per tenant (429 above it), details only once PROCESSED (§12)."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from bot.sandbox.jumio.answers import details_body, jumio_problem, too_many_requests
from bot.sandbox.jumio.state import Bucket, SandboxExecution


class Retrieval:
    """The retrieval and deletion routes of `JumioSandbox`."""

    accounts: dict[str, list[str]]
    executions: dict[str, SandboxExecution]
    retrieval_refusals: int
    _retrieval_bucket: Bucket
    _oauth_ok: Callable[[web.Request], bool]
    _execution_for: Callable[[web.Request], SandboxExecution | None]
    persist: Callable[[], None]  # `persistence`

    def _retrieved(self, request: web.Request) -> SandboxExecution | web.Response:
        """The execution asked about, or the refusal: no OAuth token (401), over the tenant's retrieval limit of 15
        requests a second (D-RL; reference §12: Jumio's 429 body), unknown (404)."""
        if not self._oauth_ok(request):
            return jumio_problem(401, "Unauthorized")
        if not self._retrieval_bucket.take():
            self.retrieval_refusals += 1
            return too_many_requests()
        return self._execution_for(request) or jumio_problem(404, "Workflow execution not found")

    async def status(self, request: web.Request) -> web.Response:
        execution = self._retrieved(request)
        if isinstance(execution, web.Response):
            return execution
        origin = str(request.url.origin())
        return web.json_response(
            {
                "account": {"id": execution.account_id, "href": f"{origin}/api/v1/accounts/{execution.account_id}"},
                "workflowExecution": {
                    "id": execution.id,
                    "href": f"{origin}/api/v1/workflow-executions/{execution.id}",
                    "definitionKey": str(execution.workflow_key),
                    "status": execution.status,
                },
            }
        )

    async def details(self, request: web.Request) -> web.Response:
        execution = self._retrieved(request)
        if isinstance(execution, web.Response):
            return execution
        # D-RETR: "Make sure the transaction is complete before retrieving the detail data", and for SESSION_EXPIRED
        # or TOKEN_EXPIRED "details will not be available". That Jumio answers 404 then is UNCONFIRMED (the strict
        # reading, reference §12); the status endpoint still says where the execution stands.
        if execution.status != "PROCESSED":
            return jumio_problem(404, f"Workflow execution details are not available ({execution.status})")
        return web.json_response(details_body(execution, str(request.url.origin())))

    async def delete_account(self, request: web.Request) -> web.Response:
        if not self._oauth_ok(request):
            return jumio_problem(401, "Unauthorized")
        executions = self.accounts.pop(request.match_info["account"], None)
        if executions is None:
            return jumio_problem(404, "Account not found")
        for execution_id in executions:
            self.executions[execution_id].forget()
        self.persist()
        return web.json_response({})

    async def delete_execution(self, request: web.Request) -> web.Response:
        if not self._oauth_ok(request):
            return jumio_problem(401, "Unauthorized")
        execution = self._execution_for(request)
        if execution is None:
            return jumio_problem(404, "Workflow execution not found")
        execution.forget()
        self.persist()
        return web.json_response({})
