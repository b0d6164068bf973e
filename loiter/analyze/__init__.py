"""Pure functions of a Trace: the ideal schedule, fidelity, advice, sweep statistics."""
