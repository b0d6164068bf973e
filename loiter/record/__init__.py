"""The hot path: time each task in the worker, note submits, deliveries and waits in the caller."""
