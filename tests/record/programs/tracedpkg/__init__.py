"""A package run with ``-m tracedpkg``."""
