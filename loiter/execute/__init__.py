"""Run experiments: executors (thread, process, dask), the strategies that drive them, sweeps."""
