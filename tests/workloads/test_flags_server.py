"""The local flag server over real HTTP on 127.0.0.1: images, 404s, overlap, seeded flakiness."""

from __future__ import annotations

import io
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from helpers.timing import quiet, tolerance
from PIL import Image

from loiter.workloads.flags.countries import COUNTRY_CODES, POP20_CC
from loiter.workloads.flags.images import HEIGHT, WIDTH, flag_gif
from loiter.workloads.flags.server import Behaviour, serving

NO_DELAY = Behaviour(delay=(0.0, 0.0))


def get(url: str) -> httpx.Response:
    with httpx.Client(trust_env=False) as client:
        return client.get(url)


def client() -> httpx.Client:
    """One client shared by threads: building one per request (CA bundle) would cost 20 ms
    of GIL each, delaying the server's own threads."""
    return httpx.Client(trust_env=False, verify=False, limits=httpx.Limits(max_connections=None))


def test_every_code_is_a_distinct_valid_gif_over_http() -> None:
    with serving(NO_DELAY) as server, httpx.Client(trust_env=False) as client:
        bodies = {}
        for cc in COUNTRY_CODES:
            resp = client.get(f"{server.base_url}/{cc.lower()}/{cc.lower()}.gif")
            assert resp.status_code == 200
            assert resp.headers["content-type"] == "image/gif"
            bodies[cc] = resp.content
    assert len(COUNTRY_CODES) >= 200
    assert len(set(bodies.values())) == len(COUNTRY_CODES)
    for cc in ("CN", "BR", "ZW"):
        assert bodies[cc] == flag_gif(cc)
        image = Image.open(io.BytesIO(bodies[cc]))
        assert (image.format, image.size) == ("GIF", (WIDTH, HEIGHT))
        assert len(image.convert("RGB").getcolors()) == 3  # three stripes


@pytest.mark.parametrize(
    "path", ["/flags/xx/xx.gif", "/flags/cn/us.gif", "/flags/CN/CN.gif", "/", "/flags/cn/"]
)
def test_unknown_codes_and_paths_are_404(path: str) -> None:
    with serving(NO_DELAY) as server:
        resp = get(f"http://127.0.0.1:{server.server_address[1]}{path}")
    assert resp.status_code == 404
    assert [s.status for s in server.served] == [404]


def test_listens_on_loopback_only_on_a_free_port() -> None:
    with serving(NO_DELAY) as one, serving(NO_DELAY) as two:
        assert one.server_address[0] == two.server_address[0] == "127.0.0.1"
        assert one.server_address[1] != two.server_address[1]
        assert one.base_url.startswith("http://127.0.0.1:")


def test_concurrent_requests_overlap_on_the_server() -> None:
    def measure(delay: float):
        with serving(Behaviour(delay=(delay, delay))) as server, ThreadPoolExecutor(10) as pool:
            urls = [f"{server.base_url}/{cc.lower()}/{cc.lower()}.gif" for cc in POP20_CC[:10]]
            t0 = time.perf_counter()
            with client() as shared:
                statuses = [r.status_code for r in pool.map(shared.get, urls)]
            wall = time.perf_counter() - t0
        return delay, statuses, wall, server.served

    def judge(measured) -> None:
        delay, statuses, wall, served = measured
        assert statuses == [200] * 10
        assert len({s.thread for s in served}) == 10
        for s in served:
            assert s.sent - s.received >= delay - 0.001
        # How late the server's sleeps woke, and how spread out the client's requests came:
        late = {f"{s.path} slept over": s.sent - s.received - delay for s in served}
        late["requests spread"] = max(s.received for s in served) - min(s.received for s in served)
        tolerance(late, delay)
        # Every request arrived before any answer left: all ten were in flight together.
        assert max(s.received for s in served) < min(s.sent for s in served)
        assert wall < 3 * delay  # sequential would take 10 * delay

    quiet(measure, judge, 0.1)


def served_plan(behaviour: Behaviour, order: list[str]) -> dict[str, tuple[int, float]]:
    """Status and server-side latency per country, requesting ``order`` concurrently."""
    with serving(behaviour) as server, ThreadPoolExecutor(len(order)) as pool, client() as shared:
        urls = [f"{server.base_url}/{cc.lower()}/{cc.lower()}.gif" for cc in order]
        list(pool.map(shared.get, urls))
    return {s.path.split("/")[2].upper(): (s.status, s.sent - s.received) for s in server.served}


def test_seeded_delays_and_errors_reproduce_whatever_the_request_order() -> None:
    countries = list(POP20_CC)

    def measure(top: float):
        behaviour = Behaviour(delay=(0.0, top), error_rate=0.3, seed=7)
        first = served_plan(behaviour, countries)
        return behaviour, top, first, served_plan(behaviour, countries[::-1])

    def judge(measured) -> None:
        behaviour, top, first, second = measured
        assert {cc: s for cc, (s, _) in first.items()} == {cc: s for cc, (s, _) in second.items()}
        late = {}
        for cc in countries:
            planned, fails = behaviour.plan(cc)
            assert first[cc][0] == (503 if fails else 200)
            for name, served in (("first", first), ("second", second)):
                assert served[cc][1] >= planned - 0.001  # the planned delay, then the answer
                late[f"{cc} {name} slept over"] = served[cc][1] - planned
        # Planned delays spread over (0, top): a wrong one would be off by a good part of it.
        tolerance(late, top / 2)
        failed = {cc for cc, (status, _) in first.items() if status == 503}
        assert 0 < len(failed) < len(countries)
        other_seed = Behaviour(delay=(0.0, top), error_rate=0.3, seed=8)
        assert [other_seed.plan(cc) for cc in countries] != [behaviour.plan(cc) for cc in countries]

    quiet(measure, judge, 0.1)


@pytest.mark.parametrize(("rate", "expected"), [(0.0, 200), (1.0, 503)])
def test_error_rate_extremes(rate: float, expected: int) -> None:
    with serving(Behaviour(delay=(0.0, 0.0), error_rate=rate)) as server:
        assert get(f"{server.base_url}/cn/cn.gif").status_code == expected


def test_delays_are_uniform_within_the_range() -> None:
    behaviour = Behaviour(delay=(0.2, 0.4), seed=3)
    delays = [behaviour.plan(cc)[0] for cc in COUNTRY_CODES]
    assert min(delays) >= 0.2 and max(delays) <= 0.4
    assert min(delays) < 0.22 and max(delays) > 0.38  # spread over the range, not one value


def test_stopping_cuts_short_a_request_in_flight() -> None:
    with ThreadPoolExecutor(1) as pool:
        with serving(Behaviour(delay=(5.0, 5.0))) as server:
            pending = pool.submit(get, f"{server.base_url}/cn/cn.gif")
            time.sleep(0.1)
            t0 = time.perf_counter()
        assert time.perf_counter() - t0 < 1.0
        assert isinstance(pending.exception(timeout=2), httpx.HTTPError)
    assert server.served == []
