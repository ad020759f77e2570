"""The customer's consent for the API channel (reference §5a): Jumio takes ID and selfie photos through the API only
with the end user's own consent, sent as `userConsent` on an account create or update.

photos before consent ──► checked, held ──► consent link privately to the agent (send_consent_link)
customer ticks Jumio's sentence on /consent/{token} ──► consent recorded ──► open_api_execution (paced): PUT
/accounts/{id} with userConsent, a new execution that takes the photos ──► the old one closed at Jumio
(delete_execution) ──► held photos relayed
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bot import blocks
from bot.blocks import audit
from bot.jobs import Handler, JobKind, RetryLater
from bot.journey.consent_links import ConsentLinks, LinkState
from bot.journey.context import JUMIO_RETRIES, Context, OfExecution, PhotoPath
from bot.journey.delivery import Delivery
from bot.journey.photos import Photos
from bot.journey.sessions import DELETE_EXECUTION, JUMIO_ACCOUNTS, Sessions
from bot.journey.starting import Starting
from storage import Consent, Execution

# Jumio's required wording and notice (reference §5a, D-CONSENT): shown verbatim on the consent page.
CONSENT_SENTENCE = (
    "I consent to Jumio collecting, processing, and sharing my personal information, which may "
    "include biometric data, as set out in its Privacy Notice."
)
PRIVACY_NOTICE_URL = "https://www.jumio.com/legal-information/privacy-notices/online-services-notice/"


@dataclass(frozen=True)
class ConsentLink:
    execution: int
    user: str


SEND_CONSENT_LINK = JobKind(
    "send_consent_link",
    ConsentLink,
    title="Sending you the customer's consent link",
    dedupe=lambda p: f"consent_link:{p.execution}:{p.user}",
    retry=JUMIO_RETRIES,
)
OPEN_API_EXECUTION = JobKind(
    "open_api_execution",
    OfExecution,
    title="Preparing Jumio for the photos",
    dedupe=lambda p: f"open_api_execution:{p.execution}",
    retry=JUMIO_RETRIES,
    pacing=JUMIO_ACCOUNTS,
)


def obtained_at(epoch: float) -> str:
    """Jumio's `obtainedAt` format: YYYY-MM-DDThh:mm:ss.SSSZ (UTC)."""
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def user_consent(consent: Consent) -> dict[str, Any]:
    """The `userConsent` object of an account create or update (reference §2.1)."""
    location: dict[str, str] = {"country": consent.country or ""}
    if consent.state:
        location["state"] = consent.state
    body: dict[str, Any] = {"userLocation": location, "consent": {"obtained": "yes", "obtainedAt": consent.obtained_at}}
    if consent.user_ip:
        body["userIp"] = consent.user_ip
    return body


class ConsentStep:
    def __init__(
        self, ctx: Context, delivery: Delivery, starting: Starting, photos: Photos, sessions: Sessions, links: ConsentLinks
    ) -> None:
        self.ctx = ctx
        self.delivery = delivery
        self.starting = starting
        self.sessions = sessions
        self.photos = photos
        self.links = links

    def handlers(self) -> dict[JobKind[Any], Handler]:
        return {SEND_CONSENT_LINK: self._send_link, OPEN_API_EXECUTION: self._open_api_execution}

    # --- intents ----------------------------------------------------------------------------------------------

    def offer(self, execution: Execution, user_id: str) -> None:
        """Photos were dropped before consent: the agent who dropped them gets the consent link (once)."""
        if self.ctx.photo_path(execution) is PhotoPath.NEEDS_CONSENT:
            self.ctx.queue.add(SEND_CONSENT_LINK, ConsentLink(execution.id, user_id))

    def give(
        self, token: str, *, user_ip: str | None, country: str, state: str | None, browser: str | None = None
    ) -> LinkState:
        """The customer ticked the box: record the consent and open the photo path, in one transaction. Returns the
        link's state as it was (VALID when the consent was recorded now)."""
        store = self.ctx.store
        with store.transaction():
            link, request = self.links.state(token)
            if link is not LinkState.VALID or request is None:
                return link
            now = store.clock()
            consent = store.consents.record(
                request, user_ip=user_ip, country=country, state=state, obtained_at=obtained_at(now), browser=browser
            )
            if consent is None:
                return LinkState.USED
            origin = store.executions.get(request.execution)
            api = store.executions.record(
                customer_ref=origin.customer_ref,
                workflow_key=origin.workflow_key,
                channel_id=origin.channel_id,
                started_by=origin.started_by,
                user_ref=origin.user_ref,
                locale=origin.locale,
                team_id=origin.team_id,
                thread_ts=origin.thread_ts,
                replaces=origin.id,
            )
            store.executions.mark_api_execution(api.id, consent.id)  # photos dropped while Jumio makes it go to it, unasked
            store.audit.add(
                audit.CUSTOMER,
                audit.CONSENT_GIVEN,
                origin.id,
                f"on the consent page ({browser or 'an unknown browser'}, {consent.seconds_to_tick:.0f} s after the "
                f"link was made); photos go to #{api.id}",
            )
            self.ctx.queue.add(OPEN_API_EXECUTION, OfExecution(api.id))
            self.delivery.say_in_thread_later(origin, blocks.consent_given(now))
        return LinkState.VALID

    # --- jobs -------------------------------------------------------------------------------------------------

    async def _send_link(self, payload: ConsentLink) -> None:
        store = self.ctx.store
        execution = store.executions.get(payload.execution)
        if store.consents.has_open_request(execution.id, payload.user):
            return  # this agent holds a live link already (from the start, say)
        url = self.links.new(execution, payload.user)
        if url is None:
            return
        await self.delivery.tell_privately(execution, payload.user, blocks.consent_link_message(execution.customer_ref, url))
        store.audit.add(payload.user, audit.CONSENT_LINK_SENT, execution.id, "ephemeral to the agent who dropped photos")

    async def _open_api_execution(self, payload: OfExecution) -> None:
        store = self.ctx.store
        api = store.executions.get(payload.execution)
        assert api.replaces is not None
        origin = store.executions.get(api.replaces)
        consent = store.consents.for_execution(origin.id)
        if consent is None:
            return
        if api.workflow_execution_id is None:
            if origin.account_id is None:
                raise RetryLater("waiting for the Jumio account", delay=1.0)
            request = self.sessions.request(api, user_consent(consent))
            session = await self.sessions.open(api, origin.account_id, request)
            if not self.sessions.record(api, session, origin.started_by, consent=consent):
                return  # erased while Jumio made it: deleted there, nothing relayed
        with store.transaction():
            if store.executions.supersede(origin.id) and origin.workflow_execution_id:
                self.ctx.queue.add(DELETE_EXECUTION, OfExecution(origin.id))
            # The supporting data goes to the execution Jumio will process: this one, made with the consent.
            if store.secrets.move_supporting_data(origin.id, api.id):
                self.starting.send_supporting_data(store.executions.get(api.id))
            self.photos.release_held(origin, store.executions.get(api.id))
        await self.delivery.redraw_root(api)
