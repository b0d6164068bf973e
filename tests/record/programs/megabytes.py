"""300 tasks with 1 MB arguments (or results), 4 in flight, traced or not; prints the peak RSS.

Run as its own process so the peak (VmHWM) is this program's alone.
"""

import concurrent.futures as cf
import sys

import loiter

MB = 2**20


def echo(data: bytes) -> int:
    return len(data)


def make(n: int) -> bytes:
    return bytes([n % 256]) * MB


def bounded(ex: cf.Executor, fn: object, args: object, ahead: int = 4) -> None:
    """The chapter's bounded loop: never more than ``ahead`` tasks in flight."""
    pending: set[cf.Future[object]] = set()
    for arg in args:  # type: ignore[attr-defined]
        if len(pending) >= ahead:
            done, pending = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            for future in done:
                future.result()
        pending.add(ex.submit(fn, arg))  # type: ignore[arg-type]
    for future in pending:
        future.result()


def peak_kib() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def main(mode: str, direction: str) -> None:
    """``mode``: traced, raw, or hoarding (raw, keeping every argument: the control)."""
    pool = cf.ThreadPoolExecutor(4)
    ex = loiter.traced(pool) if mode == "traced" else pool
    hoard: list[bytes] = []
    keep = hoard.append if mode == "hoarding" else lambda data: None
    if direction == "arguments":
        bounded(ex, echo, (keep(data) or data for data in map(make, range(300))))
    else:
        bounded(ex, make, range(300))
    ex.shutdown()
    print(peak_kib())


if __name__ == "__main__":
    main(*sys.argv[1:])
