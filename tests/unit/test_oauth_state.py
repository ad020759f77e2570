"""The OAuth state is signed, not stored: only one this bot issued, unexpired, passes; whatever else the URL carries
(another secret's, a changed expiry, characters that are not ASCII) is refused without an error."""

from __future__ import annotations

from bot.slack_oauth import STATE_SECONDS, States


async def test_only_an_issued_unexpired_state_passes() -> None:
    now = [1_000_000.0]
    states = States("client-secret", clock=lambda: now[0])
    state = await states.async_issue()
    assert await states.async_consume(state)
    expires, nonce, signature = state.split(".")
    assert not await states.async_consume(f"{int(expires) + 60}.{nonce}.{signature}")
    assert not await States("another-secret").async_consume(state)
    for forged in (f"{expires}.{nonce}.é{signature[1:]}", "é.é.é", "", "..", "no-dots"):
        assert not await states.async_consume(forged)  # a TypeError from compare_digest before (a 500)
    now[0] += STATE_SECONDS + 1
    assert not await states.async_consume(state)
