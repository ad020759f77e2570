"""`GET/POST /consent/{token}`: the customer reads Jumio's sentence, ticks the box, names where they are, submits.

Nothing is recorded unless the box is ticked and the country (and state, if any) is one of the list; a used,
expired or unknown link gets a page that says which, in the customer's words. The customer's IP is the peer's, or
the first address in `X-Forwarded-For` that is not one of `IDV_TRUSTED_PROXIES` when the peer is one of them.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Sequence
from urllib.parse import parse_qs, urlsplit

import ua_parser
from aiohttp import web

from bot.http_guard import BodyTooSlow, answer_and_close, read_body
from bot.journey import Journey, LinkState
from bot.journey.consent import CONSENT_SENTENCE, PRIVACY_NOTICE_URL
from bot.pages import COUNTRIES_WITH_STATES, SECURITY_HEADERS, STYLESHEET, countries, render, states

log = logging.getLogger("bot.pages")

MAX_FORM_BODY = 4 * 1024  # three short fields
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_LINK_PAGES = {
    LinkState.UNKNOWN: (
        404,
        "This link does not work",
        [
            "We could not find this consent link. Check that you opened the whole link, or ask the "
            "person helping you for a new one."
        ],
    ),
    LinkState.USED: (
        200,
        "You have already given your consent",
        ["Thank you. Your consent was recorded, so there is nothing more to do here. You can close this page."],
    ),
    LinkState.EXPIRED: (
        410,
        "This link has expired",
        [
            "This consent link is no longer valid (the identity check it belonged to has ended). Ask the "
            "person helping you for a new one."
        ],
    ),
}


def _page(status: int, html: str) -> web.Response:
    return web.Response(text=html, content_type="text/html", charset="utf-8", status=status, headers=SECURITY_HEADERS)


def _message(status: int, heading: str, lines: list[str], *, done: bool = False) -> web.Response:
    return _page(status, render("message.html", title=heading, heading=heading, lines=lines, done=done))


def _form(status: int = 200, errors: Sequence[str] = (), country: str = "", state: str = "") -> web.Response:
    sentence_before_link = CONSENT_SENTENCE.removesuffix("Privacy Notice.")
    groups = [(name, states(code)) for code, name in (("USA", "United States"), ("CAN", "Canada"), ("AUS", "Australia"))]
    return _page(
        status,
        render(
            "consent.html",
            title="Your consent for the identity check",
            errors=errors,
            sentence_before_link=sentence_before_link,
            privacy_notice_url=PRIVACY_NOTICE_URL,
            countries=countries(),
            state_groups=groups,
            chosen_country=country,
            chosen_state=state,
        ),
    )


def browser_family(user_agent: str) -> str | None:
    """The browser's family and OS from a User-Agent, such as "Chrome Mobile on Android" (ua-parser's families; the
    string itself is never kept); None when it names no browser (a script, say)."""
    parsed = ua_parser.parse(user_agent[:512])
    browser = parsed.user_agent.family if parsed.user_agent else None
    if not browser or browser == "Other":
        return None
    system = parsed.os.family if parsed.os and parsed.os.family != "Other" else None
    return f"{browser} on {system}" if system else browser


def client_ip(request: web.Request, trusted: Sequence[Network]) -> str | None:
    """The customer's address: the peer, unless the peer is a trusted proxy (then from `X-Forwarded-For`)."""

    def parse(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
        try:
            return ipaddress.ip_address(text.strip())
        except ValueError:
            return None

    def is_trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return any(address in network for network in trusted)

    peer = parse(request.remote or "")
    if peer is None or not is_trusted(peer):
        return None if peer is None else str(peer)
    for hop in reversed(request.headers.get("X-Forwarded-For", "").split(",")):
        address = parse(hop)
        if address is None:
            break
        if not is_trusted(address):
            return str(address)
    return str(peer)


def from_its_own_page(request: web.Request) -> bool:
    """Whether the form was sent from this site: a browser names the page's origin in `Origin` (or `Referer`), and a
    cross-site POST (another site submitting a customer's consent in their browser) names another one. Neither header:
    taken (some privacy settings drop both; the token is still the customer's own)."""
    for header in ("Origin", "Referer"):
        value = request.headers.get(header)
        if value:
            return value != "null" and urlsplit(value).netloc == request.host
    return True


def form_problems(fields: dict[str, str]) -> list[str]:
    """What is wrong with a submitted form, in the customer's words (empty: nothing)."""
    problems = []
    if fields.get("consent") != "yes":
        problems.append("Tick the box to give your consent. Without it, nothing is sent.")
    country, state = fields.get("country", ""), fields.get("state", "")
    if country not in {place.code for place in countries()}:
        problems.append("Choose the country you are in from the list.")
    elif state and country not in COUNTRIES_WITH_STATES:
        problems.append(
            "A state or province applies only in the United States, Canada and Australia; choose 'Not applicable'."
        )
    elif state and state not in {place.code for place in states(country)}:
        problems.append("Choose a state or province of the country you chose.")
    return problems


def routes(journey: Journey, trusted_proxies: Sequence[Network]) -> list[web.RouteDef]:
    async def show(request: web.Request) -> web.Response:
        link, _ = journey.consent_link_state(request.match_info["token"])
        if link is not LinkState.VALID:
            return _message(*_LINK_PAGES[link])
        return _form()

    async def submit(request: web.Request) -> web.Response:
        token = request.match_info["token"]
        link, _ = journey.consent_link_state(token)
        if link is not LinkState.VALID:
            return _message(*_LINK_PAGES[link])
        if not from_its_own_page(request):
            log.info("refused a consent form sent from another site")
            return _message(
                403,
                "Not sent from this page",
                ["Open the link you were given and tick the box there: nothing was recorded."],
            )
        if request.content_type != "application/x-www-form-urlencoded":
            return _form(400, ["The form could not be read. Please fill it in again."])
        if request.content_length is not None and request.content_length > MAX_FORM_BODY:
            return _form(413, ["The form was too large to read. Please fill it in again."])
        try:
            raw = await read_body(request, MAX_FORM_BODY)
        except BodyTooSlow:
            return await answer_and_close(request, _form(408, ["The form took too long to arrive. Please send it again."]))
        if raw is None:
            return _form(413, ["The form was too large to read. Please fill it in again."])
        try:
            parsed = parse_qs(raw.decode("utf-8"), max_num_fields=10)
        except (UnicodeDecodeError, ValueError):
            return _form(400, ["The form could not be read. Please fill it in again."])
        fields = {name: values[0].strip() for name, values in parsed.items() if values}
        problems = form_problems(fields)
        if problems:
            return _form(400, problems, fields.get("country", ""), fields.get("state", ""))
        outcome = journey.give_consent(
            token,
            user_ip=client_ip(request, trusted_proxies),
            country=fields["country"],
            state=fields.get("state") or None,
            browser=browser_family(request.headers.get("User-Agent", "")),
        )
        if outcome is not LinkState.VALID:
            return _message(*_LINK_PAGES[outcome])
        log.info("a customer gave their consent on the consent page")
        return _message(
            200,
            "Thank you",
            ["Your consent was recorded. You can close this page; the person helping you will take it from here."],
            done=True,
        )

    async def stylesheet(_request: web.Request) -> web.Response:
        return web.Response(
            body=STYLESHEET,
            content_type="text/css",
            headers={"Cache-Control": "max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    return [
        web.get("/consent/{token}", show),
        web.post("/consent/{token}", submit),
        web.get("/static/consent.css", stylesheet),
    ]
