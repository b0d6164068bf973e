"""asyncio on its own: a gather of sleeps (slowest first), a task that fails, then an exit code."""

import asyncio
import sys
from asyncio import gather


async def nap(n: int) -> int:
    await asyncio.sleep(n * float(sys.argv[1]))
    return n * 10


async def fail() -> None:
    raise ValueError("no")


async def main() -> None:
    print(await gather(nap(3), nap(1), nap(2)))
    try:
        await asyncio.create_task(fail())
    except ValueError as exc:
        print("failed:", exc)


asyncio.run(main())
sys.exit(4)
