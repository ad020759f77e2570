"""What an end-to-end test drives and inspects: the world of `bot.local.LocalWorld` with helpers."""

from __future__ import annotations

from typing import Any

import httpx

from bot.local import consent_for, web_client_href
from bot.runtime import Bot
from bot.sandbox.jumio import JumioSandbox
from bot.sandbox.slack import Posted, SlackStandIn
from storage import Execution, Store
from tests.conftest import wait_until


class World:
    """What a test drives and inspects: `slack` (the stand-in), `jumio` (the sandbox) and `bot`."""

    def __init__(self, slack: SlackStandIn, jumio: JumioSandbox, bot: Bot, env: dict[str, str]) -> None:
        self.slack = slack
        self.jumio = jumio
        self.bot = bot
        self.env = env

    @property
    def store(self) -> Store:
        assert self.bot.store is not None
        return self.bot.store

    def execution(self, customer_ref: str) -> Execution:
        executions = self.store.executions.for_customer(customer_ref)
        assert executions, f"no execution for {customer_ref}"
        return executions[0]

    async def start(self, reference: str, *, user: str = "UAGENT1", consent: bool = True) -> tuple[Execution, Posted]:
        """`/verify <reference>` and wait until the Jumio account exists and the root message is posted; with
        `consent`, the customer then consents and the execution that takes photos is returned."""
        answer = await self.slack.command(reference, user=user)
        assert "Starting a verification" in answer.get("text", ""), answer
        execution = await wait_until(
            lambda: (e := self.store.executions.for_customer(reference)) and e[0].status == "INITIATED" and e[0]
        )
        root = await wait_until(lambda: next((m for m in self.slack.root_messages() if m.ts == execution.thread_ts), None))
        await wait_until(lambda: self.links(reference, user=user))
        # Settled: the link is recorded as sent (just after Slack took the message).
        await wait_until(lambda: self.store.executions.get(execution.id).link_sent_at is not None)
        execution = self.store.executions.get(execution.id)
        if consent:
            execution = await consent_for(self.slack, self.store, reference, user=user)
        return execution, root

    def without_callbacks(self) -> None:
        """Jumio calls nobody back and the bot knows it (JUMIO_CALLBACK_URL unset): the sweep is all there is."""
        import dataclasses

        self.jumio.config.callbacks_enabled = False
        self.bot.journey.options = dataclasses.replace(self.bot.journey.options, callback_url=None)

    def links(self, reference: str, *, user: str = "UAGENT1") -> list[Posted]:
        """The private Web Client link messages `user` received for this customer, oldest first."""
        return [m for m in self.slack.ephemerals(user) if m.text == f"Private link for {reference}'s identity verification"]

    def web_href(self, reference: str, *, user: str = "UAGENT1") -> str:
        """The newest Web Client link sent to `user` for this customer."""
        href = web_client_href(self.links(reference, user=user)[-1].all_text())
        assert href is not None
        return href

    async def complete_on_web(self, reference: str, *, user: str = "UAGENT1") -> httpx.Response:
        """Play the customer: open the newest link `user` sent for this customer and submit the sample photos."""
        href = self.web_href(reference, user=user)
        token = href.split("authorizationToken=")[1].split("&")[0]
        async with httpx.AsyncClient() as customer:
            return await customer.post(href.split("?")[0], data={"authorizationToken": token, "sample": "1"})

    async def share(
        self,
        root: Posted,
        *names_and_bytes: tuple[str, bytes],
        text: str = "",
        user: str = "UAGENT1",
        mimetype: str = "image/png",
    ) -> list[Any]:
        files = [self.slack.add_file(name, content, mimetype=mimetype, user=user) for name, content in names_and_bytes]
        status, _ = await self.slack.share(files, thread_ts=root.ts, text=text, user=user)
        assert status == 200
        return files

    async def verified_through_the_thread(self, reference: str) -> tuple[Execution, Posted]:
        """The photo path start to end: /verify, the customer's consent, front, back and selfie in the thread,
        Jumio's decision, every job settled. Returns the decided execution and the root message."""
        from bot.sandbox.images import sample_photo

        _execution, root = await self.start(reference)
        await self.share(
            root,
            ("front.png", sample_photo("front")),
            ("back.png", sample_photo("back")),
            ("selfie.png", sample_photo("face")),
        )
        decided = await self.decided(reference)
        await self.bot.runner.run_until_idle()
        return decided, root

    async def decided(self, reference: str, timeout: float = 10.0) -> Execution:
        return await wait_until(lambda: (e := self.execution(reference)).is_final and e, timeout=timeout)

    def thread_text(self, root: Posted) -> str:
        return "\n".join(m.all_text() for m in self.slack.thread(root.ts))

    def jumio_parts(self, execution: Execution) -> dict[str, Any]:
        held = self.jumio.executions[execution.workflow_execution_id or ""]
        return {p.classifier: p for c in held.credentials for p in c.parts.values()}
