"""Pages the bot serves to people outside Slack (the customer's consent page), from autoescaped Jinja2 templates.

No JavaScript and no third-party assets: one stylesheet of our own, a strict Content-Security-Policy, and headers
that keep the page's URL (which holds a single-use token) out of referrers and caches.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import pycountry
from jinja2 import Environment, FileSystemLoader, select_autoescape

HERE = Path(__file__).parent
STYLESHEET = (HERE / "static" / "consent.css").read_bytes()
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    # same-origin: nothing (the link with its token) leaves for other sites, and the form's own POST carries its
    # Origin, which the consent page checks (with no-referrer browsers send "Origin: null")
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
# Jumio's userLocation.state takes US, CA and AU state codes (reference §2.1).
COUNTRIES_WITH_STATES = {"USA": "US", "CAN": "CA", "AUS": "AU"}

_environment = Environment(
    loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True
)


def render(template: str, **context: object) -> str:
    return _environment.get_template(template).render(**context)


@dataclass(frozen=True)
class Place:
    code: str
    name: str


@functools.cache
def countries() -> tuple[Place, ...]:
    """ISO 3166-1 alpha-3 codes with their English names, by name (pycountry's copy of the ISO tables)."""
    return tuple(
        sorted(
            (Place(c.alpha_3, getattr(c, "common_name", c.name)) for c in pycountry.countries), key=lambda place: place.name
        )
    )


@functools.cache
def states(country: str) -> tuple[Place, ...]:
    """The states (provinces, territories) of USA, CAN or AUS by their short code (`IL`, `ON`, `NSW`)."""
    alpha_2 = COUNTRIES_WITH_STATES.get(country)
    if alpha_2 is None:
        return ()
    found = pycountry.subdivisions.get(country_code=alpha_2) or []
    return tuple(sorted((Place(s.code.split("-", 1)[1], s.name) for s in found), key=lambda place: place.name))
