"""Make the helper modules in tests/ (fairness, submissions) importable from the test files."""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))
