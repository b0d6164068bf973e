"""A fixed, hand-written trace: renderers and the file format are tested on known numbers."""

from __future__ import annotations

from loiter.model.trace import Blocked, Run, Task, Trace


def slow_first_map() -> Run:
    """The ideal slow-first run under map at unit 1 s: #1..#4 held until 4 s."""
    finished = [4.0, 3.0, 2.0, 3.0, 3.0]
    started = [0.0, 0.0, 0.0, 2.0, 3.0]
    workers = ["T_0", "T_1", "T_2", "T_2", "T_1"]
    tasks = [
        Task(i, 4 - i, 0.0, started[i], finished[i], 4.0, workers[i], "ok", (4 - i) * 10)
        for i in range(5)
    ]
    blocked = [Blocked(0.0, 4.0, 0)] + [Blocked(4.0, 4.0, i) for i in range(1, 5)]
    return Run("slow-first", "map", "thread", 3, 1.0, tasks, blocked, wall_origin=0.0)


def slow_first_as_completed() -> Run:
    finished = [4.0, 3.0, 2.0, 3.0, 3.0]
    started = [0.0, 0.0, 0.0, 2.0, 3.0]
    workers = ["T_0", "T_1", "T_2", "T_2", "T_1"]
    tasks = [
        Task(i, 4 - i, 0.0, started[i], finished[i], finished[i], workers[i], "ok", (4 - i) * 10)
        for i in range(5)
    ]
    blocked = [
        Blocked(0.0, 2.0, 2),
        Blocked(2.0, 3.0, 1),
        Blocked(3.0, 3.0, 3),
        Blocked(3.0, 3.0, 4),
        Blocked(3.0, 4.0, 0),
    ]
    return Run("slow-first", "as_completed", "thread", 3, 1.0, tasks, blocked, wall_origin=0.0)


def failing_map() -> Run:
    """map where #1 raised: #2 finished unseen, #3 was cancelled."""
    tasks = [
        Task(0, 1, 0.0, 0.0, 1.0, 1.0, "T_0", "ok", 10),
        Task(1, 2, 0.0, 0.0, 2.0, 2.0, "T_1", "error", None, "ValueError: bad"),
        Task(2, 3, 0.0, 1.0, 4.0, None, "T_0", "undelivered"),
        Task(3, 1, 0.0, None, None, None, None, "cancelled"),
    ]
    blocked = [Blocked(0.0, 1.0, 0), Blocked(1.0, 2.0, 1)]
    return Run("custom", "map", "thread", 2, 1.0, tasks, blocked, error="ValueError: bad")


def sample_trace() -> Trace:
    return Trace([slow_first_map(), slow_first_as_completed(), failing_map()])


def many_tasks(n: int, workers: int = 4, strategy: str = "map", seed: int = 0) -> Run:
    """A synthetic run of n tasks with random durations, as a FIFO pool would schedule them.

    Under map the caller waits for each task in input order, so every task that
    finishes before an earlier one is stalled: the big-run shape renderers must draw.
    """
    import heapq
    import random

    rng = random.Random(seed)
    free = [(0.0, w) for w in range(workers)]
    tasks = []
    for i in range(n):
        start, w = heapq.heappop(free)
        finish = start + rng.uniform(0.01, 0.1)
        heapq.heappush(free, (finish, w))
        tasks.append(Task(i, i, 0.0, start, finish, None, f"T_{w}", "ok"))
    order = range(n) if strategy == "map" else sorted(range(n), key=lambda i: tasks[i].finished)
    blocked, now = [], 0.0
    for i in order:
        got = max(now, tasks[i].finished)
        blocked.append(Blocked(now, got, i))
        tasks[i].delivered = now = got
    return Run("random", strategy, "thread", workers, 0.05, tasks, blocked, wall_origin=0.0)


def signals_default() -> None:
    """``Popen(preexec_fn=...)`` for the tests that send a stop signal: a shell that runs
    the suite in the background ignores SIGINT, ``nohup`` ignores SIGHUP, and children
    inherit that (loiter-viz then rightly keeps ignoring them). A real terminal's Ctrl-C,
    hangup or ``kill`` reaches a process with the defaults."""
    import signal

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


def blocked_loop() -> Run:
    """spin on an event loop, 3 slots: the tasks ran one after another while the loop was
    blocked (0-0.2 s, 0.25-0.5 s); #0 came out in the gap between, the rest at the end."""
    tasks = [
        Task(0, 2, 0.0, 0.0, 0.2, 0.21, "s1", "ok", 20),
        Task(1, 1, 0.0, 0.2, 0.3, 0.5, "s2", "ok", 10),
        Task(2, 2, 0.0, 0.3, 0.5, 0.5, "s3", "ok", 20),
    ]
    blocked = [Blocked(0.0, 0.21, 0), Blocked(0.21, 0.5, 1), Blocked(0.5, 0.5, 2)]
    return Run(
        "cpu",
        "as_completed",
        "asyncio",
        3,
        0.1,
        tasks,
        blocked,
        workload="spin",
        loop_blocked=[(0.0, 0.2), (0.25, 0.5)],
    )


def noop_run(n: int, seed: int = 1) -> Run:
    """n no-op tasks as a bounded loop on 4 threads records them: times at ns resolution
    over about n * 100 µs, workers from a small set, arg and result 0, a caller wait per task."""
    import itertools
    import random

    rng = random.Random(seed)
    now = 0.0
    tasks, blocked = [], []
    for i in range(n):
        now += rng.uniform(0, 2e-4)
        times = [
            round(now + step, 9)
            for step in itertools.accumulate(rng.uniform(0, 5e-5) for _ in range(4))
        ]
        tasks.append(Task(i, 0, *times, f"ThreadPoolExecutor-0_{i % 4}", "ok", 0))
        blocked.append(Blocked(times[2], times[3], i))
    return Run("custom", "bounded", "thread", 4, 0.5, tasks, blocked, wall_origin=1.7e9)
