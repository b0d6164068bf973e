"""What the tests share: task functions worker processes can import, fixed traces, the test unit.

Importable as ``helpers`` (pytest puts tests/ on sys.path); tests never import
each other or conftest.
"""

UNIT = 0.05  # seconds per duration unit: short, but far above scheduling noise
