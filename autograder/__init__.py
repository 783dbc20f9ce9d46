"""Checks and grading for the PyTorch autograd course.

Students meet :func:`autograder.checks.Checker` in their notebooks; instructors use the
``autograder`` command (see :mod:`autograder.cli`).
"""

__version__ = "0.1.0"
