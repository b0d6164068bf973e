"""Run a script or module as ``__main__``, then write this process's own peak RSS (KiB) to a file.

    python -m benchmarks.peak OUT SCRIPT [ARG...]
    python -m benchmarks.peak OUT -m MODULE [ARG...]

Why not ``ru_maxrss`` of a child: Linux carries the parent's high-water mark
into a forked child and keeps it across exec, so a child of a benchmark that
holds 400 MB "peaks" at 400 MB whatever it does. ``VmHWM`` in
/proc/self/status belongs to the address space exec made: only what this
process touched. The launcher holds nothing but runpy; it writes the figure
even when the workload exits with an error (the exit status is kept).
"""

import runpy
import sys


def own_peak_kib() -> int:
    """This process's peak resident set (VmHWM), KiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise OSError("no VmHWM in /proc/self/status (Linux only)")


def main() -> None:
    out, *argv = sys.argv[1:]
    try:
        if argv[0] == "-m":
            sys.argv = argv[1:]
            runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        else:
            sys.argv = argv
            runpy.run_path(argv[0], run_name="__main__")
    finally:
        with open(out, "w") as file:
            file.write(f"{own_peak_kib()}\n")


if __name__ == "__main__":
    main()
