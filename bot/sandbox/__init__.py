"""Local stand-ins for the outside world: a Jumio KYX simulator and a Slack stand-in, for `demo` and tests."""
