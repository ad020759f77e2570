"""`python -m bot bench [--quick] [--runs N]`: the bot's cost against the limits that matter, with baselines.

Everything runs on loopback: the Jumio sandbox and the Slack stand-in in this process, the bot (and the baseline Bolt
app) as separate processes started as in production. Each figure is the median of `--runs` runs with its spread
(min–max); ratios are taken against a baseline measured in the same run, so machine noise cancels.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bot.bench.figures import BURST_PHOTOS, FULL, QUICK, Figures, Sizes, percentile
from bot.bench.relay import measure_memory, measure_relay, measure_throttled_relay
from bot.bench.status_lookup import measure_status_lookup
from bot.bench.world import UNCAPPED, bot_world, started, stored_event
from bot.local import BotProcess, LocalOptions, LocalWorld, wait_until
from bot.sandbox.images import png


async def _load(world: LocalWorld, count: int, prefix: str) -> list[float]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.bench.load",
        "--url",
        world.slack.bot_events_url,
        "--count",
        str(count),
        "--prefix",
        prefix,
        env={**os.environ, "SLACK_SIGNING_SECRET": world.env["SLACK_SIGNING_SECRET"]},
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError("the load generator failed")
    return json.loads(out)


async def measure_ack(folder: Path, sizes: Sizes, baseline: bool) -> list[float]:
    """`commands` signed /verify at once, from a separate load process, after a warm-up that ran the whole start."""
    options = LocalOptions(start_bot=False, env={"IDV_POLL_SCHEDULE": "5", **UNCAPPED})
    async with LocalWorld(folder, options) as world:
        world.jumio.config.latency = sizes.jumio_latency
        args = ("-m", "bot.bench.baseline", "--port", world.env["PORT"]) if baseline else ("-m", "bot", "run")
        process = BotProcess(world.env, folder, args)
        await process.start()
        try:
            await _load(world, 3, "WARM")
            if not baseline:  # let the warm-up verifications start fully: every code path loaded once
                await wait_until(
                    lambda: (
                        sum(m.text.startswith("Identity verification") for m in world.slack.root_messages()) >= 3
                        and world.jumio.account_created_at
                        and len(world.jumio.account_created_at) >= 3
                    ),
                    timeout=30,
                )
            await asyncio.sleep(0.5)
            return await _load(world, sizes.commands, "BASE" if baseline else "CUST")
        finally:
            await process.terminate()


async def measure_accounts(folder: Path, sizes: Sizes, figures: Figures) -> None:
    """`accounts` /verify at once against Jumio's real limit (1 per second): the rate, the losses, the 429s."""
    async with bot_world(folder, LocalOptions(start_bot=False, account_rate=1.0)) as (world, _process, store):
        await asyncio.gather(*(world.slack.command(f"CUST-RATE-{i}") for i in range(sizes.accounts)))
        with contextlib.suppress(TimeoutError):
            await wait_until(
                lambda: (
                    sum(
                        1
                        for i in range(sizes.accounts)
                        if (e := store.executions.for_customer(f"CUST-RATE-{i}")) and e[0].status == "INITIATED"
                    )
                    == sizes.accounts
                ),
                timeout=sizes.accounts * 3 + 30,
            )
        created = world.jumio.account_created_at
        initiated = sum(
            1
            for i in range(sizes.accounts)
            if (e := store.executions.for_customer(f"CUST-RATE-{i}")) and e[0].status == "INITIATED"
        )
        figures.account_lost.append(sizes.accounts - initiated)
        figures.account_429.append(world.jumio.account_answers.count(429))
        figures.account_rate.append((len(created) - 1) / (created[-1] - created[0]) if len(created) > 1 else 0.0)


async def measure_burst(folder: Path, sizes: Sizes, figures: Figures) -> None:
    """A photo dropped in an existing thread while `accounts` /verify wait on Jumio's 1 per second, against the same
    relay with nothing else going on (the baseline, measured first in the same world)."""
    photo = png(sizes.burst_photo_side, sizes.burst_photo_side, noise_seed=7)
    async with bot_world(folder, LocalOptions(start_bot=False, account_rate=1.0)) as (world, _process, store):
        execution = await started(world, store, "CUST-BURST-THREAD")

        async def relay(name: str, during: list[str] | None = None) -> float:
            stored = stored_event(world, execution.workflow_execution_id, "FRONT", 1)
            file = world.slack.add_file(name, photo)
            if during is not None:
                await asyncio.gather(*(world.slack.command(reference) for reference in during))
            started = time.perf_counter()
            await world.slack.event(world.slack.file_share_event([file], thread_ts=execution.thread_ts))
            await asyncio.wait_for(stored.wait(), 120)
            world.jumio.part_stored.clear()
            return time.perf_counter() - started

        await asyncio.sleep(1.1)  # the first account's slot has passed: nothing is waiting
        quiet = [await relay(f"front-quiet-{i}.png") for i in range(BURST_PHOTOS)]
        burst = [f"CUST-BURST-{i}" for i in range(sizes.accounts)]
        began = time.monotonic()
        during = [await relay("front-burst-0.png", during=burst)]  # right after the commands: the worst moment
        for i in range(1, BURST_PHOTOS):  # and through the burst, while the accounts wait for their slots
            await asyncio.sleep(max(0.0, began + i * min(2.0, sizes.accounts / BURST_PHOTOS) - time.monotonic()))
            during.append(await relay(f"front-burst-{i}.png"))
        figures.burst_relay.append(statistics.median(during))
        figures.burst_relay_first.append(during[0])
        figures.burst_relay_baseline.append(statistics.median(quiet))
        await wait_until(
            lambda: all((e := store.executions.for_customer(r)) and e[0].status == "INITIATED" for r in burst),
            timeout=sizes.accounts * 3 + 30,
        )


def _spread(values: list[float], unit: str, digits: int = 0) -> str:
    if not values:
        return "—"
    middle = statistics.median(values)
    return f"{middle:.{digits}f} {unit} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def _ratio(values: list[float], baseline: list[float]) -> float:
    """The median of per-attempt ratios (attempts of one run pair up in order)."""
    pairs = list(zip(values, baseline, strict=False))
    return statistics.median(v / b for v, b in pairs) if pairs else float("nan")


def table(figures: Figures, sizes: Sizes) -> tuple[str, bool]:
    def ack_summary(runs: list[list[float]]) -> tuple[float, float, float]:
        p50 = statistics.median(statistics.median(r) for r in runs)
        p99 = statistics.median(percentile(r, 0.99) for r in runs)
        worst = statistics.median(max(r) for r in runs)
        return p50, p99, worst

    bot_p50, bot_p99, bot_max = ack_summary(figures.ack)
    base_p50, base_p99, base_max = ack_summary(figures.ack_baseline)
    p99_ratios = [percentile(b, 0.99) / percentile(a, 0.99) for b, a in zip(figures.ack, figures.ack_baseline, strict=True)]
    relay_ratios = [b / a for b, a in zip(figures.relay, figures.relay_baseline, strict=True)]
    p99_ratio, relay_ratio = statistics.median(p99_ratios), statistics.median(relay_ratios)
    throttled_ratios = [b / a for b, a in zip(figures.relay_throttled, figures.relay_throttled_baseline, strict=True)]
    throttled_ratio = statistics.median(throttled_ratios)
    rss_growth = statistics.median(p - i for p, i in zip(figures.peak_rss_mb, figures.idle_rss_mb, strict=True))
    rate = statistics.median(figures.account_rate)
    lost, too_many = max(figures.account_lost), max(figures.account_429)
    status_p50 = statistics.median(figures.status_ms)
    burst_ratios = [b / a for b, a in zip(figures.burst_relay, figures.burst_relay_baseline, strict=True)]
    burst_ratio = statistics.median(burst_ratios)
    checks = {
        "ack": p99_ratio <= 1.2,
        "relay": relay_ratio <= 1.0,
        "throttled": throttled_ratio <= 0.7,
        "rss": rss_growth <= 30,
        "accounts": rate >= 0.95 and lost == 0 and too_many <= 1,
        "status": status_p50 <= 5,
        "burst": burst_ratio <= 1.5,
    }

    def verdict(key: str) -> str:
        return "met" if checks[key] else "**missed**"

    mb = sizes.photo_side**2 * 3 / 1024 / 1024
    lines = [
        "| figure | how | result | target |",
        "|---|---|---|---|",
        f"| command ack latency p50 / p99 / max | {sizes.commands} `/verify` at once, Jumio "
        f"+{sizes.jumio_latency * 1000:.0f} ms per call | {bot_p50:.1f} / {bot_p99:.1f} / {bot_max:.1f} ms; "
        f"p99 = {p99_ratio:.2f} × baseline "
        f"({min(p99_ratios):.2f}–{max(p99_ratios):.2f}) | p99 ≤ 1.2 × baseline: {verdict('ack')} |",
        f"| baseline ack latency p50 / p99 / max | the same load on a Bolt AsyncApp that only acks | {base_p50:.1f} / "
        f"{base_p99:.1f} / {base_max:.1f} ms | — |",
        f"| photo relay time, {mb:.0f} MB PNG | file_share event → the sandbox holds the part | "
        f"{_spread([t * 1000 for t in figures.relay], 'ms')}; {relay_ratio:.2f} × baseline "
        f"({min(relay_ratios):.2f}–{max(relay_ratios):.2f}) | ≤ 1.0 × baseline: {verdict('relay')} |",
        f"| baseline relay time | httpx download from the stand-in, then upload to the sandbox, same bytes | "
        f"{_spread([t * 1000 for t in figures.relay_baseline], 'ms')} | — |",
        f"| piped baseline | plain httpx streaming the download into the upload, no bot: what piping gives here | "
        f"{_spread([t * 1000 for t in figures.relay_piped_baseline], 'ms')}; "
        f"{_ratio(figures.relay_piped_baseline, figures.relay_baseline):.2f} × baseline | — |",
        f"| photo relay time, {mb:.0f} MB PNG, network-bound | both stand-ins at 20 MB/s each way | "
        f"{_spread([t * 1000 for t in figures.relay_throttled], 'ms')}; {throttled_ratio:.2f} × baseline "
        f"({min(throttled_ratios):.2f}–{max(throttled_ratios):.2f}) | ≤ 0.7 × baseline: {verdict('throttled')} |",
        f"| baseline relay time, network-bound | the same httpx download then upload, both at 20 MB/s | "
        f"{_spread([t * 1000 for t in figures.relay_throttled_baseline], 'ms')} | — |",
        f"| piped baseline, network-bound | plain httpx streaming the download into the upload, both at 20 MB/s | "
        f"{_spread([t * 1000 for t in figures.relay_throttled_piped_baseline], 'ms')}; "
        f"{_ratio(figures.relay_throttled_piped_baseline, figures.relay_throttled_baseline):.2f} × baseline | — |",
        f"| peak RSS of the bot | {sizes.concurrent_relays} concurrent {mb:.0f} MB relays (VmHWM) | "
        f"{_spread(figures.peak_rss_mb, 'MB')}; idle {_spread(figures.idle_rss_mb, 'MB')}; "
        f"+{rss_growth:.0f} MB | ≤ idle + 30 MB: {verdict('rss')} |",
        f"| sustained account creation | {sizes.accounts} `/verify` at once, sandbox limit 1/s | "
        f"{_spread(figures.account_rate, '/s', 3)}; lost {lost}; 429 answers {too_many} | ≥ 0.95/s, 0 lost, ≤ 1 × 429: "
        f"{verdict('accounts')} |",
        f"| photo relay during an account burst, {sizes.burst_photo_side**2 * 3 / 1024 / 1024:.0f} MB PNG | "
        f"{BURST_PHOTOS} photos in an open thread from right after {sizes.accounts} `/verify` (sandbox limit 1/s), "
        f"median | {_spread([t * 1000 for t in figures.burst_relay], 'ms')}; {burst_ratio:.2f} × baseline "
        f"({min(burst_ratios):.2f}–{max(burst_ratios):.2f}); the first "
        f"{_spread([t * 1000 for t in figures.burst_relay_first], 'ms')} "
        f"| ≤ 1.5 × baseline: {verdict('burst')} |",
        f"| baseline relay, no burst | {BURST_PHOTOS} of the same photo in the same thread, nothing queued, median | "
        f"{_spread([t * 1000 for t in figures.burst_relay_baseline], 'ms')} | — |",
        f"| status lookup | `/verify status` storage for one customer among {sizes.executions:,} executions | "
        f"p50 {status_p50:.2f} ms, p99 {percentile(figures.status_ms, 0.99):.2f} ms | ≤ 5 ms: {verdict('status')} |",
    ]
    return "\n".join(lines), all(checks.values())


async def run(sizes: Sizes) -> tuple[Figures, float]:
    figures = Figures()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="idv-bench-") as tmp:
        root = Path(tmp)
        for index in range(sizes.runs):
            print(f"run {index + 1} of {sizes.runs}: ack latency (bot, baseline)", file=sys.stderr, flush=True)
            order = (False, True) if index % 2 == 0 else (True, False)
            for baseline in order:
                folder = root / f"ack-{index}-{baseline}"
                folder.mkdir()
                (figures.ack_baseline if baseline else figures.ack).append(await measure_ack(folder, sizes, baseline))
            print(
                f"run {index + 1} of {sizes.runs}: relay, memory, account creation, relay in a burst",
                file=sys.stderr,
                flush=True,
            )
            for name, measure in (
                ("relay", measure_relay),
                ("relay-throttled", measure_throttled_relay),
                ("memory", measure_memory),
                ("accounts", measure_accounts),
                ("burst", measure_burst),
            ):
                folder = root / f"{name}-{index}"
                folder.mkdir()
                await measure(folder, sizes, figures)
        print(f"status lookup in {sizes.executions:,} executions", file=sys.stderr, flush=True)
        measure_status_lookup(root, sizes, figures)
    return figures, time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="idv-bot bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one run: checks the benchmark works")
    parser.add_argument("--runs", type=int, help="runs per figure (default 3; 1 with --quick)")
    parser.add_argument("--json", type=Path, help="also write the raw figures to this file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    sizes = QUICK if args.quick else FULL
    if args.runs:
        sizes = Sizes(**{**sizes.__dict__, "runs": args.runs})
    figures, elapsed = asyncio.run(run(sizes))
    text, all_met = table(figures, sizes)
    print(text)
    print(
        f"\n{sizes.runs} run(s) in {elapsed:.0f} s on this machine"
        f"{' (quick sizes: figures are not comparable with the targets)' if args.quick else ''}."
    )
    if args.json:
        args.json.write_text(json.dumps(figures.__dict__, indent=1))
    return 0 if all_met or args.quick else 1
