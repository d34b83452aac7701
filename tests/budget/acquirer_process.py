"""A second OS process taking grants from a shared budget; prints them as JSON.

``python -m tests.budget.acquirer_process URL PREFIX NAME COUNT LIMIT WINDOW_SECONDS``: prints
``ready``, then the Redis times (seconds) of its ``COUNT`` grants as one JSON list.
"""

from __future__ import annotations

import asyncio
import json
import sys

from deskline.budget import BudgetConfig, SharedBudget, SharedOptions, redis_client


async def main(url: str, prefix: str, name: str, count: int, limit: int, window: float) -> None:
    redis = redis_client(url, timeout=2.0)
    config = BudgetConfig(limit, safety_margin=1.0, window_seconds=window, max_wait_seconds=60)
    budget = SharedBudget(name, config, redis, SharedOptions(key_prefix=prefix))
    await redis.ping()
    print("ready", flush=True)
    grants = await asyncio.gather(*(budget.acquire() for _ in range(count)))
    print(json.dumps([grant.at for grant in grants]), flush=True)
    await redis.aclose()


if __name__ == "__main__":
    url, prefix, name, count, limit, window = sys.argv[1:7]
    asyncio.run(main(url, prefix, name, int(count), int(limit), float(window)))
