"""Regenerate the README's pictures from real runs (about 20 seconds).

    python docs/make_images.py            # writes docs/images/*.png and replay.gif

Each picture is what the command under it in the README produces; sizes and
dpi are chosen so every file stays under 200 KB.
"""

from __future__ import annotations

import random
import subprocess
import sys
import tempfile
from pathlib import Path

from loiter.execute.runner import Experiment, run_experiment
from loiter.model.atomic import write_atomic
from loiter.model.scenarios import custom, preset
from loiter.render.animate import animate
from loiter.render.gantt import figure_for, render

OUT = Path(__file__).resolve().parent / "images"


def save(trace, name: str, dpi: int, **options) -> None:
    path = write_atomic(OUT / name, render(figure_for(trace, **options), "png", dpi))
    print(f"{path.relative_to(OUT.parent.parent)}  {path.stat().st_size // 1024} KB")


def main() -> None:
    # loiter-viz --scenario slow-first --unit 0.25   (and --style dark / projector)
    slow_first = run_experiment(
        Experiment([preset("slow-first")], ["map", "as_completed"], "thread", 3, 0.25)
    )
    save(slow_first, "slow-first.png", 80)
    save(slow_first, "slow-first-dark.png", 80, style="dark")
    save(slow_first, "slow-first-projector.png", 55, style="projector")
    # loiter-viz --durations <200 random 1..9> --unit 0.005 --workers 4   (auto: worker lanes)
    rng = random.Random(1)
    durations = tuple(rng.randint(1, 9) for _ in range(200))
    many = run_experiment(
        Experiment([custom(durations)], ["map", "as_completed"], "thread", 4, 0.005)
    )
    save(many, "worker-lanes.png", 70)
    # loiter-viz trace tests/programs/slow_first.py 0.5
    with tempfile.TemporaryDirectory() as out:
        script = Path(__file__).resolve().parent.parent / "tests" / "programs" / "slow_first.py"
        command = ["-m", "loiter", "trace", "--quiet", "--dpi", "70", "--out", out, str(script)]
        subprocess.run([sys.executable, *command, "0.5"], check=True, stdout=subprocess.DEVNULL)
        traced = write_atomic(
            OUT / "trace-slow_first.png", (Path(out) / "trace-slow_first.png").read_bytes()
        )
    print(f"{traced.relative_to(OUT.parent.parent)}  {traced.stat().st_size // 1024} KB")
    # loiter-viz animate plots/loiter-thread-3w.json --speed 0.4 --dpi 60
    (gif,) = animate(slow_first, OUT / "replay.gif", speed=0.4, dpi=60)
    print(f"{gif.relative_to(OUT.parent.parent)}  {gif.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
