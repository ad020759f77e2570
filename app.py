"""What `slack run` starts (slack-cli-hooks runs this file): the bot in Socket Mode with the Slack CLI's tokens.

The CLI puts SLACK_BOT_TOKEN and SLACK_APP_TOKEN in the environment; every other setting comes from `.env` as for
`idv-bot run` (JUMIO_SANDBOX=true to try it without a Jumio contract).
"""

import sys

from bot.__main__ import run

if __name__ == "__main__":
    sys.exit(run())
