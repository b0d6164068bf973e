"""A process-pool run with a chosen start method, for tests that kill its caller.

``python -m helpers.poolrun METHOD`` (fork, forkserver, spawn or auto) prints
``running`` once the pool is warm and its two 20 s tasks start, then runs until killed.
"""

from __future__ import annotations

import sys

from loiter.execute.runner import Experiment, run_experiment
from loiter.model.scenarios import Scenario


def started(*_: object) -> None:
    print("running", flush=True)


if __name__ == "__main__":
    method = None if sys.argv[1] == "auto" else sys.argv[1]
    exp = Experiment([Scenario("long", (20, 20))], ["map"], "process", 3, 1.0, start_method=method)
    run_experiment(exp, on_start=started)
