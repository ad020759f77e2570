"""Button handlers. Each checks who pressed it, hands what the click asks for to a journey intent (which stores
or queues it) before it acks, then answers from what the intent returned; none waits on Jumio."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks, validation
from bot.blocks import audit
from bot.journey import Renewal
from bot.listeners.access import who_and_where
from bot.listeners.common import status_answer, tell
from bot.listeners.events.app_home import publish_home
from bot.services import Services, services_of
from storage import Execution, Job

T = TypeVar("T")


async def _clicked(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    what: str,
    read: Callable[[Services, str], T],
) -> tuple[Services, T] | None:
    """The services and what the button's value names (`read` raises KeyError or ValueError for something gone or
    malformed), when the clicker may use the bot and what it names is in the click's own channel (a value naming
    another channel's verification is refused: the check is on what the button names, not only where it was);
    otherwise the click is answered here and None comes back."""
    services = services_of(context)  # the clicker may act here: `may_click_here` ran first
    try:
        named = read(services, str(action.get("value") or ""))
        channel = _channel_named(services, named)
    except (KeyError, ValueError):
        await _stale(ack, client, body)
        return None
    user_id, channel_id, _ = who_and_where(body)
    if channel is not None and channel != channel_id:
        services.store.audit.add(user_id, audit.REFUSED, None, f"{what}: the button names another channel's verification")
        await _stale(ack, client, body)
        return None
    return services, named


def _channel_named(services: Services, named: object) -> str | None:
    """The channel of the verification a button's value names (an execution, a job about one, an upload)."""
    if isinstance(named, Execution):
        return named.channel_id
    if isinstance(named, Job):
        execution = named.payload.get("execution")
        return None if execution is None else services.store.executions.get(int(execution)).channel_id
    if isinstance(named, tuple) and len(named) == 3:  # (upload, part, file name)
        upload = services.store.uploads.get(named[0])
        if upload is None:
            raise KeyError(named[0])
        return services.store.executions.get(upload.execution).channel_id
    return None


def _an_execution(services: Services, value: str) -> Execution:
    return services.store.executions.get(int(value))


def _a_job(services: Services, value: str) -> Job:
    return services.store.jobs.get(int(value))


def _an_upload_part_and_name(_services: Services, value: str) -> tuple[int, str, str]:
    upload_id, _, rest = value.partition(":")
    part, _, filename = rest.partition(":")
    if part not in blocks.PART_LABELS or not upload_id.isdigit():
        raise ValueError(value)
    return int(upload_id), part, filename


async def _stale(ack: AsyncAck, client: AsyncWebClient, body: dict[str, Any]) -> None:
    await ack()
    await _tell_clicker(client, body, blocks.STALE_BUTTON)


async def _tell_clicker(client: AsyncWebClient, body: dict[str, Any], text: str) -> None:
    """One sentence, privately, to whoever clicked, where they clicked (nowhere for a click without a channel)."""
    user_id, channel_id, thread_ts = who_and_where(body)
    if channel_id:
        await tell(client, channel_id, user_id, blocks.notice(text), thread_ts)


# Each handler below stores what the click asks for before it acks, as /verify does: an acknowledged click is never
# lost to a crash. Only then does it talk to Slack.


async def handle_choose_part(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    clicked = await _clicked(ack, body, action, client, context, "choose part", _an_upload_part_and_name)
    if clicked is None:
        return
    services, (upload_id, part, filename) = clicked
    user_id, channel_id, _ = who_and_where(body)
    upload = services.journey.choose_part(upload_id, part, user_id, filename)
    await ack()
    if upload is None:
        return  # already chosen (a double click, or another agent was faster)
    text, message_blocks = blocks.part_chosen(filename or "The photo", part, user_id)
    if channel_id and body.get("container", {}).get("message_ts"):
        with contextlib.suppress(SlackApiError):  # if it fails the question stays; the relay goes ahead anyway
            await client.chat_update(
                channel=channel_id, ts=body["container"]["message_ts"], text=text, blocks=message_blocks
            )


async def handle_submit(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    clicked = await _clicked(ack, body, action, client, context, "submit", _an_execution)
    if clicked is None:
        return
    services, execution = clicked
    refusal = services.journey.submit(execution, body["user"]["id"])
    await ack()
    if refusal is not None:
        await _tell_clicker(client, body, refusal)


async def handle_new_link(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    clicked = await _clicked(ack, body, action, client, context, "new link", _an_execution)
    if clicked is None:
        return
    services, execution = clicked
    user_id = body["user"]["id"]
    made = services.journey.new_link(execution, user_id)
    if made is Renewal.NOT_EXPIRED:
        await _stale(ack, client, body)
        return
    await ack()
    if isinstance(made, str):
        await _tell_clicker(client, body, made)
    elif made is not None:
        await services.journey.send_link(made, user_id)  # this agent's link was made already: sent again


async def handle_show_link(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Customer link: a modal with the live link for the agent who holds it; anyone else is told who does."""
    await _open_modal(
        ack,
        body,
        action,
        client,
        context,
        "customer link",
        lambda services, execution: services.journey.link_view(execution, body["user"]["id"]),
    )


async def _open_modal(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    what: str,
    view_for: Callable[[Services, Execution], dict[str, Any]],
) -> None:
    """A button on a verification's message that opens a modal about it (once the click is allowed)."""
    clicked = await _clicked(ack, body, action, client, context, what, _an_execution)
    if clicked is None:
        return
    services, execution = clicked
    view = view_for(services, execution)
    await ack()
    with contextlib.suppress(SlackApiError):  # an expired trigger: the agent presses again
        await client.views_open(trigger_id=body["trigger_id"], view=view)


async def handle_take_over(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Take over, pressed in the link modal (no channel there): allowed by the verification's own channel."""
    services = services_of(context)
    user_id = body["user"]["id"]
    try:
        execution = _an_execution(services, str(action.get("value") or ""))
    except (KeyError, ValueError, AttributeError):
        await ack()
        return
    # Allowed in the verification's channel, the one the modal came from: `may_act_on_its_verification` checked.
    refusal = services.journey.take_over(execution, user_id)
    await ack()
    await _update_view(
        client, body, blocks.no_link_modal(refusal) if refusal else blocks.taking_over_modal(execution.customer_ref)
    )


async def _update_view(client: AsyncWebClient, body: dict[str, Any], view: dict[str, Any]) -> None:
    view_id = (body.get("view") or {}).get("id")
    if view_id:
        with contextlib.suppress(SlackApiError):
            await client.views_update(view_id=view_id, view=view)


async def handle_retry(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    clicked = await _clicked(ack, body, action, client, context, "retry", _a_job)
    if clicked is None:
        return
    services, job = clicked
    services.journey.retry(job, body["user"]["id"])
    await ack()


async def handle_start_anyway(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    clicked = await _clicked(
        ack, body, action, client, context, "start anyway", lambda _s, value: validation.customer_reference(value)
    )
    if clicked is None:
        return
    services, reference = clicked
    user_id, channel_id, _ = who_and_where(body)
    too_many = services.journey.start_refusal(user_id)
    if too_many is not None:
        await ack()
        await _tell_clicker(client, body, too_many)
        return
    if channel_id is not None:
        message_ts = (body.get("container") or {}).get("message_ts")
        services.journey.start(
            customer_ref=reference,
            channel_id=channel_id,
            user_id=user_id,
            team_id=(body.get("team") or {}).get("id"),
            response_url=body.get("response_url"),
            once=f"start-anyway:{message_ts}:{user_id}:{reference}",
        )  # a double click starts one
    await ack()


async def handle_status_page(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    respond: AsyncRespond,
) -> None:
    """Newer / Older under a `/verify status` answer: that page, in place of the one shown."""
    clicked = await _clicked(ack, body, action, client, context, "status page", _a_page_and_reference)
    if clicked is None:
        return
    services, (page, reference) = clicked
    await ack()
    text, message_blocks = await status_answer(services, client, body["user"]["id"], reference, page)
    await respond(text=text, blocks=message_blocks, replace_original=True, response_type="ephemeral")


def _a_page_and_reference(_services: Services, value: str) -> tuple[int, str]:
    page, _, reference = value.partition(":")
    return int(page), validation.customer_reference(reference)


async def handle_open_start_modal(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()  # someone who may use the bot: `may_open_the_form` checked
    await client.views_open(trigger_id=body["trigger_id"], view=blocks.start_modal(None))


async def handle_private_photos(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Add photos privately: a modal of file inputs, so the photos are never shared into the channel."""
    await _open_modal(
        ack,
        body,
        action,
        client,
        context,
        "private photos",
        lambda services, execution: services.journey.photos_view(execution),
    )


async def handle_disconnect(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext) -> None:
    """Disconnect (App Home): the agent's user token is revoked at Slack and forgotten here."""
    await ack()
    services = services_of(context)
    user_id = body["user"]["id"]
    await services.journey.disconnect_user(user_id)
    await publish_home(services, client, user_id)


async def handle_link_button(ack: AsyncAck) -> None:
    """A button that only opens a URL (Connect my Slack user): Slack still sends the click, which needs an ack."""
    await ack()


async def handle_unknown_action(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
    await _stale(ack, client, body)
