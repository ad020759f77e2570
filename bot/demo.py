"""`idv-bot demo`: a whole verification played locally, printed as a transcript.

It starts the Jumio sandbox and the Slack stand-in on loopback, runs the bot in HTTP mode as in production, and
plays an agent: `/verify DEMO-1`, sample photos (generated placeholders, not documents) in the thread, the customer's
consent on the consent page, the decision; then a Workflow Builder workflow runs the "Verify identity" step for
another customer and gets Jumio's decision as the step's outputs. Then it prints what SQLite holds. No account is
needed; it exits 0 in a few seconds when the journey reached Jumio's decision.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bot import blocks
from bot.journey.steps import CALLBACK_ID
from bot.local import (
    LocalOptions,
    LocalWorld,
    consent_href,
    give_consent,
    link_message_for,
    render,
    wait_until,
    web_client_href,
)
from bot.logs import configure_logging
from bot.sandbox.images import sample_photo
from bot.sandbox.slack import Posted

AGENT = "UAGENT1"
OTHER_AGENT = "UAGENT2"
_CONSENT = re.compile(r"https?://[^\s`]+/consent/[A-Za-z0-9_-]+")
_LINK = re.compile(r"https?://[^\s`]+authorizationToken=[^\s`]+")


def _hide_link(text: str) -> str:
    """The demo prints what the agent sees, but not the live links themselves (they stand for a customer's session)."""
    return _LINK.sub("[private Web Client link]", _CONSENT.sub("[private consent link]", text))


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


async def _link_modals(world: LocalWorld, root: Posted, reference: str, say: Callable[[str], None]) -> None:
    """The root message's Customer link button, pressed by the agent who holds the link and by another."""
    slack = world.slack
    button = next(
        e for b in root.blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == blocks.ACTION_SHOW_LINK
    )
    for agent in (AGENT, OTHER_AGENT):
        say(f"\n<@{agent}> presses [{button['text']['text']}] on the message")
        before = len(slack.views_for(agent))
        await slack.click(blocks.ACTION_SHOW_LINK, button["value"], user=agent, message=root)

        def opened(agent: str = agent, before: int = before) -> Any:
            return len(slack.views_for(agent)) > before and slack.views_for(agent)[-1]

        view = await wait_until(opened)
        say(
            _indent(
                f'a window only <@{agent}> sees, "{view["title"]["text"]}":\n'
                + _indent(render("", view["blocks"], _hide_link))
            )
        )


async def play(reference: str, out=sys.stdout) -> int:
    def say(line: str = "") -> None:
        print(line, file=out, flush=True)

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="idv-demo-") as folder:
        async with LocalWorld(Path(folder), LocalOptions(processing_delay=0.4)) as world:
            assert world.bot is not None and world.bot.store is not None
            store, slack = world.bot.store, world.slack
            say(
                f"Jumio sandbox at {world.jumio_url}, Slack stand-in at {slack.base_url}, "
                f"bot (HTTP mode) at {slack.bot_events_url}\n"
            )

            say(f"<@{AGENT}> in #verify:  /verify {reference}")
            answer = await slack.command(reference, user=AGENT)
            say(_indent(f"bot, only to you: {answer.get('text', '')}"))
            if not store.executions.for_customer(reference):  # refused: nothing was started, nothing to play
                say(f"\nDemo stopped: the bot refused {reference!r} (see its answer above); try another reference.")
                return 1
            execution = await wait_until(
                lambda: (e := store.executions.for_customer(reference)) and e[0].status == "INITIATED" and e[0], timeout=20
            )
            root = await wait_until(
                lambda: next(
                    (
                        m
                        for m in slack.root_messages()
                        if m.ts == execution.thread_ts and "Waiting for the customer" in m.all_text()
                    ),
                    None,
                )
            )
            say(_indent("bot in #verify:\n" + _indent(render(root.text, root.blocks))))
            link = await wait_until(
                lambda: next((m for m in slack.ephemerals(AGENT) if "Only you" in m.text + str(m.blocks)), None)
            )
            say(_indent("bot, only to you:\n" + _indent(render(link.text, link.blocks, _hide_link))))
            await _link_modals(world, root, reference, say)

            say(f"\n<@{AGENT}> in #verify:  /verify stauts {reference}")
            typo = await slack.command(f"stauts {reference}", user=AGENT)
            say(_indent(f"bot, only to you: {typo.get('text', '')}"))

            names = {"front": "id-front.png", "back": "id-back.png", "face": "selfie.png"}
            files = [slack.add_file(names[part], sample_photo(part), user=AGENT) for part in ("front", "back", "face")]
            say(f"\n<@{AGENT}> drops {', '.join(names.values())} into the thread")
            await slack.share(files, thread_ts=root.ts, user=AGENT)
            asked = await wait_until(
                lambda: (
                    next((m for m in slack.ephemerals(AGENT) if m.text.startswith("The customer's consent is needed")), None)
                    or link_message_for(slack, reference, AGENT)
                ),
                timeout=20,
            )
            if asked.text.startswith("The customer's consent"):
                say(_indent("bot, only to you:\n" + _indent(render(asked.text, asked.blocks, _hide_link))))
            # What the thread says before the customer consents (the photos held), in the order it happens.
            await wait_until(
                lambda: len([m for m in slack.thread(root.ts) if "once the customer has consented" in m.text]) == len(files),
                timeout=20,
            )
            shown = _say_thread(slack.thread(root.ts), 0, say)
            href = consent_href(asked.all_text()) or consent_href(link.all_text())
            assert href is not None, "no consent link was given"
            say(
                f"\nthe customer opens the consent page, ticks Jumio's sentence, chooses United States / Illinois, "
                f"submits: {await give_consent(href)}"
            )
            latest = await wait_until(
                lambda: (
                    (e := store.executions.for_customer(reference))
                    and e[0].is_final
                    and e[0].api_consent is not None
                    and e[0]
                ),
                timeout=30,
            )
            await wait_until(lambda: any(m.text.startswith("Jumio decision") for m in slack.thread(root.ts)))
            _say_thread(slack.thread(root.ts), shown, say)
            # The root message is redrawn with the decision just after the thread hears it: print it once it shows.
            final_root = await wait_until(
                lambda: next(
                    (m for m in slack.root_messages() if m.ts == root.ts and f"{latest.decision_type} (" in m.all_text()),
                    None,
                )
            )
            say(
                _indent(
                    f"root message, updated {final_root.edits} times:\n"
                    + _indent(render(final_root.text, final_root.blocks))
                )
            )

            say(f"\n<@{AGENT}> in #verify:  /verify status {reference}")
            answered = len(slack.state.responses)
            await slack.command(f"status {reference}", user=AGENT)
            status = await wait_until(lambda: len(slack.state.responses) > answered and slack.state.responses[-1])
            say(_indent("bot, only to you:\n" + _indent(render(status["text"], status.get("blocks") or []))))

            outputs = await _from_a_workflow(world, f"{reference}-WF", say)

            stored = store.executions.get(latest.id)
            say("\nWhat SQLite keeps (a temporary database for the demo, deleted when it ends):")
            say(f"    execution #{stored.id}: customer {stored.customer_ref}, started by {stored.started_by}")
            say(f"    Jumio account     {stored.account_id}")
            say(f"    workflow execution {stored.workflow_execution_id}")
            say(
                f"    status {stored.status}, decision {stored.decision_type} ({stored.decision_label}), "
                f"risk score {stored.risk_score:g}"
            )
            for upload in store.uploads.of_execution(stored.id):
                say(
                    f"    upload {upload.part:<5} Slack file {upload.slack_file_id}, {upload.size} bytes, "
                    f"sha256 {(upload.sha256 or '')[:16]}…, {upload.state}"
                )
            kept = "yes" if store.executions.web_href(stored.id) else "no (forgotten)"
            say(f"    Web Client link and api.tokens kept: {kept}")
            say("    audit trail:")
            for entry in store.audit.trail(stored.id):
                say(
                    f"      {time.strftime('%H:%M:%S', time.localtime(entry.at))} {entry.actor:<8} "
                    f"{entry.action:<16} {entry.detail or ''}"
                )
            ok = stored.status == "PROCESSED" and stored.decision_type is not None and outputs is not None
            decision = stored.decision_type
    say(
        f"\nDemo finished in {time.monotonic() - started:.1f} s: "
        f"{f'the whole journey ran; Jumio decided {decision}' if ok else 'the journey did not reach a decision'}."
    )
    return 0 if ok else 1


async def _from_a_workflow(world: LocalWorld, reference: str, say: Callable[[str], None]) -> dict[str, Any] | None:
    """A team's workflow reaches its "Verify identity" step for the other agent; the customer finishes on Jumio's
    page; the step completes with Jumio's decision as its outputs (what the workflow's next steps read)."""
    slack = world.slack
    inputs = {"customer_reference": reference, "channel": "CVERIFY", "requested_by": OTHER_AGENT}
    say(f'\nA Workflow Builder workflow reaches its step "Verify identity" with {inputs}')
    run = await slack.run_step(CALLBACK_ID, inputs)
    link = await wait_until(lambda: link_message_for(slack, reference, OTHER_AGENT), timeout=20)
    say(_indent(f"bot, only to <@{OTHER_AGENT}>: {link.text} (the link itself is never a step output)"))
    href = web_client_href(link.all_text())
    assert href is not None, "no Web Client link was given"
    async with httpx.AsyncClient() as customer:  # the customer finishes on Jumio's page (the sandbox's sample photos)
        token = href.split("authorizationToken=")[1].split("&")[0]
        await customer.post(href.split("?")[0], data={"authorizationToken": token, "sample": "1"})
    say("the customer opens the link and finishes on Jumio's page")
    await wait_until(lambda: run.state != "running", timeout=30)
    say(_indent(f"the step {run.state}: " + (json.dumps(run.outputs) if run.outputs is not None else str(run.error))))
    return run.outputs


def _say_thread(messages: list[Posted], already: int, say: Callable[[str], None]) -> int:
    """The thread's messages from `already` on; returns how many have been said."""
    for message in messages[already:]:
        say(_indent("bot in the thread:\n" + _indent(render(message.text, message.blocks))))
    return len(messages)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="idv-bot demo", description=__doc__.splitlines()[0])
    parser.add_argument("--reference", default="DEMO-1", help="the customer reference to verify")
    parser.add_argument("--verbose", action="store_true", help="show the bot's log lines too")
    args = parser.parse_args(argv)
    configure_logging(logging.INFO if args.verbose else logging.ERROR)
    if not args.verbose:  # a Ctrl-C mid-journey leaves sessions for the garbage collector: not worth a line
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    try:
        return asyncio.run(play(args.reference))
    except KeyboardInterrupt:  # Ctrl-C: the world is torn down on the way out; no traceback
        print("\nDemo stopped.", file=sys.stderr)
        return 130
