"""The verification journey, one module per family, each owning its job kinds and handlers:

| family | module | kinds |
|---|---|---|
| starting and links | `starting` | start, create_account (paced), new_link (paced), upload_prepared_data |
| Jumio accounts and executions | `sessions` | delete_execution |
| photos and submitting | `photos` | relay_photo, finalize |
| results, polling and the sweep | `results` | poll, check_status, fetch_result, report_result |
| delivery to the Slack thread | `delivery` | post_message, redraw_root |
| the customer's consent (API channel) | `consent` | send_consent_link, open_api_execution (paced) |
| erase and retention | `erasing` | delete_account, retention |
| photos out of the channel | `cleanup` | delete_slack_file, erase_slack_file |
| transactions Jumio made for a lost answer | `strays` | delete_stray |
| the Workflow Builder step | `steps` | finish_step |

Listeners call the intents of `Journey` (`start`, `photos_shared`, `choose_part`, `submit`, `new_link`,
`link_view`, `take_over`, `retry`, `callback`, `erase_plan`, `erase`, `begin_step`); every handler is idempotent. A
job that dies after its outside step (Jumio answered) but before the steps that follow finishes those on its next
attempt: each such step is queued in the same transaction, or re-checked when the job runs again.
"""

from __future__ import annotations

from typing import Any

import httpx
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
from bot.blocks import audit
from bot.jobs import GaveUp, Handler, JobKind, Queue
from bot.journey.cleanup import Cleanup
from bot.journey.consent import ConsentStep
from bot.journey.consent_links import ConsentLinks, LinkState
from bot.journey.context import Context, JourneyOptions, PhotoPath
from bot.journey.delivery import Delivery
from bot.journey.erasing import Erasing
from bot.journey.photos import Photos, submit_refusal
from bot.journey.results import Results
from bot.journey.sessions import Sessions
from bot.journey.starting import Renewal, Starting
from bot.journey.steps import Steps, step_may_end
from bot.journey.strays import Strays
from bot.journey.sweep import Sweep
from bot.jumio import JumioClient
from bot.metrics import Metrics
from storage import Execution, Job, JobState, Status, Store

__all__ = ["Journey", "JourneyOptions", "LinkState", "PhotoPath", "Renewal", "retry_dead", "submit_refusal"]


def retry_dead(store: Store, queue: Queue, job: Job, by: str) -> bool:
    """A dead job queued again with more attempts (a paced one in its next slot), its start reopened if it had
    failed, audited; False when it was not dead (retried already)."""
    if job.state != JobState.DEAD:
        return False
    execution_id = job.payload.get("execution")
    with store.transaction():
        if isinstance(execution_id, int) and store.executions.get(execution_id).status == Status.FAILED:
            store.executions.reopen_failed(execution_id)
        queue.add_again(job)
        store.audit.add(by, audit.RETRY, execution_id if isinstance(execution_id, int) else None, job.kind)
    return True


class Journey:
    """The state machine of a verification, driven by jobs; its families share one `Context`."""

    def __init__(
        self,
        store: Store,
        jumio: JumioClient,
        slack: AsyncWebClient,
        options: JourneyOptions,
        *,
        queue: Queue | None = None,
        http: httpx.AsyncClient | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._owns_http = http is None  # what the journey opened, it closes (`aclose`)
        self.ctx = Context(
            store=store,
            jumio=jumio,
            slack=slack,
            options=options,
            queue=queue or Queue(store),
            http=http or httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=5.0)),
            metrics=metrics or Metrics(),
        )
        self.delivery = Delivery(self.ctx)
        self.sessions = Sessions(self.ctx)
        self.results = Results(self.ctx, self.delivery)
        self.cleanup = Cleanup(self.ctx, self.delivery)
        self.photos = Photos(self.ctx, self.delivery, self.results, self.cleanup)
        self.consent_links = ConsentLinks(self.ctx)
        self.starting = Starting(self.ctx, self.delivery, self.sessions, self.photos, self.consent_links)
        self.consent = ConsentStep(self.ctx, self.delivery, self.starting, self.photos, self.sessions, self.consent_links)
        self.erasing = Erasing(self.ctx, self.delivery, self.cleanup)
        self.sweep = Sweep(self.ctx, self.results, self.erasing)
        self.strays = Strays(self.ctx)
        self.stray_turned_up = self.strays.turned_up
        self.steps = Steps(self.ctx, self.starting.start)
        # The intents listeners call.
        self.start = self.starting.start
        self.start_refusal = self.starting.start_refusal
        self.open_verification = self.starting.open_verification
        self.new_link = self.starting.new_link
        self.send_link = self.starting.send_link
        self.link_view = self.starting.link_view
        self.take_over = self.starting.take_over
        self.give_consent = self.consent.give
        self.consent_link_state = self.consent_links.state
        self.choose_part = self.photos.choose_part
        self.submit = self.photos.submit
        self.callback = self.results.callback
        self.enqueue_sweep = self.results.enqueue_sweep
        self.sweep_forever = self.sweep.forever
        self.erase_plan = self.erasing.erase_plan
        self.erase = self.erasing.erase
        self.begin_step = self.steps.begin
        self.enqueue_retention = self.erasing.enqueue_retention

    async def aclose(self) -> None:
        """Close the HTTP client the journey opened for downloads (one handed to it stays open)."""
        if self._owns_http:
            await self.ctx.http.aclose()

    @property
    def store(self) -> Store:
        return self.ctx.store

    @property
    def jumio(self) -> JumioClient:
        return self.ctx.jumio

    @property
    def options(self) -> JourneyOptions:
        return self.ctx.options

    @options.setter
    def options(self, options: JourneyOptions) -> None:
        self.ctx.options = options

    @property
    def handlers(self) -> dict[JobKind[Any], Handler]:
        return {
            **self.delivery.handlers(),
            **self.starting.handlers(),
            **self.sessions.handlers(),
            **self.photos.handlers(),
            **self.results.handlers(),
            **self.consent.handlers(),
            **self.erasing.handlers(),
            **self.cleanup.handlers(),
            **self.strays.handlers(),
            **self.steps.handlers(),
        }

    @property
    def _when_given_up(self) -> dict[JobKind[Any], GaveUp]:
        """What each kind does when its job gives up, declared by its family beside its handler."""
        return {**self.starting.when_given_up(), **self.cleanup.when_given_up()}

    def photos_shared(self, execution: Execution, user_id: str, files: list[dict[str, Any]], text: str | None) -> None:
        """Photos in a verification's thread: claimed and queued; before the customer's consent, the agent who
        dropped them gets the consent link. One transaction."""
        with self.ctx.store.transaction():
            self.photos.photos_shared(execution, user_id, files, text)
            if files:
                self.consent.offer(execution, user_id)

    def photos_view(self, execution: Execution) -> dict[str, Any]:
        """The private photos modal for the thread's newest execution, or why it takes no photos now."""
        store = self.ctx.store
        execution = store.executions.newest_in_its_thread(execution)
        reason = None
        if execution.status not in (Status.PENDING, Status.INITIATED):
            reason = blocks.closed_reason(execution)
        elif self.ctx.photo_path(execution) is PhotoPath.CLOSED:
            reason = blocks.PHOTO_PATH_CLOSED
        if reason is not None:
            return blocks.notice_modal(f"No photos can be added: {reason}", title="Customer photos")
        return blocks.photos_modal(
            execution.customer_ref, execution.id, self.ctx.accepted_parts(execution), execution.channel_id
        )

    def photos_given(self, execution: Execution, user_id: str, files: list[dict[str, Any]], parts: dict[str, str]) -> None:
        """Photos given in the private photos modal: like thread drops, the part known, never in the channel."""
        store = self.ctx.store
        execution = store.executions.newest_in_its_thread(execution)
        with store.transaction():
            self.photos.photos_shared(execution, user_id, files, None, parts=parts, in_channel=False)
            self.consent.offer(execution, user_id)

    async def disconnect_user(self, user_id: str) -> None:
        """Revoke the agent's user token at Slack (best effort) and forget it here."""
        await self.cleanup.disconnect(user_id)

    def retry(self, job: Job, user_id: str) -> None:
        """Retry pressed on a job that gave up: more attempts (a paced one in its next slot), the start reopened."""
        retry_dead(self.ctx.store, self.ctx.queue, job, user_id)

    async def on_dead(self, kind: JobKind[Any], payload: Any, job: Job, reason: str) -> None:
        """A job gave up: what its kind declared (`when_given_up`), then say so where the agent will see it, with a
        Retry button."""
        execution_id = getattr(payload, "execution", None)
        if execution_id is None:
            return
        store = self.ctx.store
        gave_up = self._when_given_up.get(kind)
        if gave_up is not None:
            gave_up(payload, reason)
        execution = store.executions.get(execution_id)
        with store.transaction():
            step_may_end(self.ctx, execution)  # a start that gave up ends a workflow step waiting on it
        store.audit.add(audit.BOT, audit.JOB_FAILED, execution.id, audit.Failed(kind.name, reason))
        if not kind.tell_when_dead or execution.erased_by is not None:  # an erased thread hears nothing more
            return
        if execution.thread_ts:
            await self.delivery.say_in_thread(execution, blocks.job_failed(kind.title, reason, job.id))
            await self.delivery.redraw_root(execution)
        else:  # no thread to say it in: the command's response_url, or (from the form) a direct message
            message = blocks.job_failed_privately(kind.title, execution.customer_ref, reason)
            if not await self.delivery.respond(getattr(payload, "response_url", None), message):
                await self.delivery.tell_directly(execution.started_by, message)
