"""A local Slack stand-in: the Web API methods the bot uses (`server`), and a driver that plays Slack (`driver`)."""

from bot.sandbox.slack.server import LOGIN_PAGE, SlackStandIn, serve
from bot.sandbox.slack.state import ApiFault, Posted, SharedFile, SlackState

__all__ = ["LOGIN_PAGE", "ApiFault", "Posted", "SharedFile", "SlackStandIn", "SlackState", "serve"]
