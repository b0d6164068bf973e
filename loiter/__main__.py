"""``python -m loiter`` works like ``loiter-viz``."""

from .cli import main

main()
