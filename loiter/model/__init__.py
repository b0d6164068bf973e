"""The data: Trace, Run, Task, their metrics, the names, the options and the trace file.

Depends on nothing else in the package (see the Architecture section of the README).
"""
