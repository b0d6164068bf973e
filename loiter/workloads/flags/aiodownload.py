"""The chapter's asyncio ``download_one``: one ``httpx.AsyncClient`` per run, shared by its tasks.

The client belongs to the run's event loop (its connections do), so it opens in
:meth:`AsyncFlagTask.session`, which the loop runner enters before the run's
clock starts, and closes after the last task, seen or unseen, has ended. How
many download at once is the run's semaphore (``--workers``), as the book's
``concur_req``; the client itself sets no limit of its own below it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from .download import loopback, save_flag


class AsyncFlagTask:
    """``await task(cc)`` GETs one flag and saves it as ``<cc>.gif``, inside :meth:`session`."""

    def __init__(self, base_url: str, dest: str | Path, timeout: float = 10.0) -> None:
        self.base_url = loopback(base_url)
        self.dest = str(dest)
        self.timeout = timeout
        self._client: httpx.AsyncClient | None = None

    @asynccontextmanager
    async def session(self) -> AsyncIterator[None]:
        """The run's client, open on the running loop for the block."""
        client = httpx.AsyncClient(
            timeout=self.timeout,
            trust_env=False,  # a flag request cannot be sent through a proxy elsewhere
            verify=False,
            transport=httpx.AsyncHTTPTransport(
                local_address="127.0.0.1",
                verify=False,
                # no pool limit of its own: the run's semaphore is the only one
                limits=httpx.Limits(max_connections=None, max_keepalive_connections=None),
            ),
        )
        async with client:
            # httpx's async backend (anyio's asyncio half) loads on first use, ~20 ms on
            # the loop: pay it here, not in whichever download happens to come first.
            import anyio

            await anyio.sleep(0)
            self._client = client
            try:
                yield
            finally:
                self._client = None

    async def __call__(self, cc: str) -> dict[str, Any]:
        if self._client is None:
            raise RuntimeError("AsyncFlagTask: await it inside `async with task.session()`")
        name = cc.lower()
        resp = await self._client.get(f"{self.base_url}/{name}/{name}.gif")
        return save_flag(resp, name, self.dest)
