"""Bearer URLs leave job payloads once their step is done (security round 2): a slash command's response_url is a
webhook anyone holding it may post to for 30 minutes, and a Slack file's private URL names the customer's photo."""

from __future__ import annotations

import json

from tests.world import World


async def test_no_response_url_or_private_file_url_stays_in_a_finished_job(world: World) -> None:
    await world.verified_through_the_thread("CUST-PAYLOADS")
    jobs = world.store.jobs.listed()
    assert {"start", "create_account", "relay_photo"} <= {job.kind for job in jobs}
    stored = json.dumps([job.payload for job in jobs])
    assert "/response/" not in stored and "files-pri" not in stored and "url_private" not in stored
    with open(world.store.path, "rb") as database:
        assert b"/response/" not in database.read()
