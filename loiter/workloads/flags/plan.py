"""What a flags run needs besides the pool: countries, how the server behaves, where files go."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...model.scenarios import Scenario
from .countries import POP20_CC

if TYPE_CHECKING:  # the server (http.server, Pillow) loads when a run starts, not for --help
    from .server import Behaviour

DEFAULT_DELAY = (0.1, 0.5)


@dataclass(frozen=True)
class FlagsPlan:
    """Countries, server behaviour and the downloads folder of one flags experiment."""

    countries: tuple[str, ...]
    behaviour: Behaviour
    downloads: Path
    timeout: float

    @property
    def scenario(self) -> Scenario:
        return Scenario("flags", self.countries)

    @contextmanager
    def task(self, on_loop: bool = False) -> Iterator[Callable[[str], Any]]:
        """A server on a free loopback port for the block, and the task that downloads from it:
        a function for pools, or ``on_loop`` a coroutine task sharing one AsyncClient per run."""
        from .server import serving

        with serving(self.behaviour) as server:
            if on_loop:
                from .aiodownload import AsyncFlagTask

                yield AsyncFlagTask(server.base_url, self.downloads, self.timeout)
            else:
                from .download import flag_task

                yield flag_task(server.base_url, self.downloads, self.timeout)

    def options(self) -> dict[str, Any]:
        """What the trace file keeps about the server (Run.options)."""
        b = self.behaviour
        return {"delay": list(b.delay), "error_rate": b.error_rate, "seed": b.seed}


def default_plan(downloads: Path) -> FlagsPlan:
    """The book's 20 countries from a server with the default delays and no errors."""
    from .server import Behaviour

    return FlagsPlan(POP20_CC, Behaviour(DEFAULT_DELAY, 0.0, 0), downloads, 10.0)
