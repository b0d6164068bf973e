import sys
from concurrent.futures import ThreadPoolExecutor

with ThreadPoolExecutor(2) as pool:
    print(__name__, __spec__.name, sys.argv[1:], list(pool.map(abs, [-1, -2])))
