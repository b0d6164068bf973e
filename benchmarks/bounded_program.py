"""The bounded workload of the many-tasks benchmark: N no-op calls, at most 3 ahead of the caller.

    python bounded_program.py N raw        # a hand-written bounded loop, no loiter imported
    python bounded_program.py N untraced   # the same loop with traced's imports loaded
    python bounded_program.py N traced     # the same calls through loiter's recording

Both run what ``loiter-viz --durations 0*N --strategy bounded`` runs (3
threads, 3 ahead, ``loiter(0)``: an Event wait of 0 s), so their peak memory
differs by what recording keeps (``untraced`` has loaded the same modules,
so what they cost, once, is not counted per task). ``traced`` freezes the recording into a Trace
at the end, as the CLI does, and first prints its peak RSS (KiB) before the freeze.
"""

import sys
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor

WORKERS = AHEAD = 3
STOP = threading.Event()


def loiter(n: float) -> float:
    """loiter.workloads.loiter.loiter with unit 1, written out so ``raw`` imports no loiter."""
    STOP.wait(n)
    return n * 10


def raw(args: list[float]) -> None:
    with ThreadPoolExecutor(WORKERS) as pool:
        calls = iter(args)
        pending = deque(pool.submit(loiter, arg) for _, arg in zip(range(AHEAD), calls))
        while pending:
            for arg in calls:
                pending.append(pool.submit(loiter, arg))
                break
            pending.popleft().result()


def untraced(args: list[float]) -> None:
    import loiter.execute.strategies
    import loiter.record.traced  # noqa: F401

    raw(args)


def traced(args: list[float]) -> None:
    from benchmarks.peak import own_peak_kib
    from loiter.execute.strategies import run_bounded
    from loiter.model.options import Options
    from loiter.record.traced import TracedExecutor

    with ThreadPoolExecutor(WORKERS) as pool:
        ex = TracedExecutor(pool)
        run_bounded(ex, loiter, args, Options(buffersize=AHEAD))
    print(own_peak_kib(), flush=True)
    ex.freeze()


if __name__ == "__main__":
    tasks, mode = int(sys.argv[1]), sys.argv[2]
    {"raw": raw, "untraced": untraced, "traced": traced}[mode]([0.0] * tasks)
