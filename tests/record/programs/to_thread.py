"""asyncio.to_thread: the loop's default executor, made by asyncio, not by this program."""

import asyncio
import sys
import time


def nap(n: int) -> int:
    time.sleep(n * float(sys.argv[1]))
    return n * 10


async def main() -> None:
    print(await asyncio.gather(*(asyncio.to_thread(nap, n) for n in (2, 1))))


asyncio.run(main())
