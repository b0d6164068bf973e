"""The chapter's ``get_flag`` + ``save_flag`` as one picklable task, over a real HTTP client.

Each worker thread (or process) keeps one ``httpx.Client``, so a worker's
downloads reuse its connection, as a real crawler's would. The client binds to
loopback and ignores proxy settings: a flag request cannot leave this machine.
"""

from __future__ import annotations

import ipaddress
import threading
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from loiter.model.atomic import write_atomic
from loiter.model.trace import ERROR, OK, Run

_local = threading.local()


class HTTPStatusError(Exception):
    """A 4xx/5xx answer. Plain args, so a process pool carries it back intact."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(status, reason)
        self.status = status
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.status} {self.reason}"


class NotFound(HTTPStatusError):
    """404: the book's second outcome, counted apart from other errors."""


def loopback(base_url: str) -> str:
    """``base_url`` without its trailing slash; ValueError unless it is on this machine."""
    host = urlsplit(base_url).hostname or ""
    try:
        local = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = False
    if not local:
        raise ValueError(f"{base_url}: flag downloads only go to a loopback address")
    return base_url.rstrip("/")


def flag_task(base_url: str, dest: str | Path, timeout: float = 10.0) -> partial[dict[str, Any]]:
    """``download_one`` bound to a loopback server and a folder (picklable for process pools)."""
    base_url = loopback(base_url)
    # httpx imports parts of itself on the first Client (~15 ms of GIL): pay that
    # here, not in whichever worker thread happens to download first.
    _client(timeout)
    return partial(download_one, base_url=base_url, dest=str(dest), timeout=timeout)


def download_one(cc: str, *, base_url: str, dest: str, timeout: float) -> dict[str, Any]:
    """GET one flag and save it as ``<cc>.gif``; the result is what the trace keeps."""
    name = cc.lower()
    return save_flag(_client(timeout).get(f"{base_url}/{name}/{name}.gif"), name, dest)


def save_flag(resp: httpx.Response, name: str, dest: str | Path) -> dict[str, Any]:
    """The book's ``save_flag`` after its ``get_flag``: an error status raises, a GIF is saved."""
    if resp.status_code == 404:
        raise NotFound(404, resp.reason_phrase)
    if resp.is_error:
        raise HTTPStatusError(resp.status_code, resp.reason_phrase)
    write_atomic(Path(dest) / f"{name}.gif", resp.content)
    return {"status": resp.status_code, "bytes": len(resp.content)}


def _client(timeout: float) -> httpx.Client:
    client = getattr(_local, "client", None)
    if client is None or client.timeout.read != timeout:
        client = httpx.Client(
            timeout=timeout,
            trust_env=False,
            verify=False,
            # Plain HTTP to loopback: loading the CA bundle would only burn ~20 ms of
            # GIL per worker and show up as a slow first download.
            transport=httpx.HTTPTransport(local_address="127.0.0.1", verify=False),
        )
        _local.client = client
    return client


def tally(run: Run) -> dict[str, int]:
    """The book's counters of delivered outcomes (ok / not found / error), then the rest."""
    counts: Counter[str] = Counter()
    for task in run.tasks:
        if task.outcome == OK:
            counts["ok"] += 1
        elif task.outcome == ERROR and (task.error or "").startswith(f"{NotFound.__name__}:"):
            counts["not found"] += 1
        elif task.outcome == ERROR:
            counts["error"] += 1
        else:
            counts[task.outcome.replace("_", " ")] += 1
    return dict(counts)
