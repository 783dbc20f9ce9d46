"""The grading pipeline, in the instructor's (trusted) process, one module per step:

collect -> sanitize -> execute (on an executor, see :mod:`autograder.sandbox`) -> decide -> record -> report.
Around them: ``untrusted`` (what a kernel returns is checked before use), ``reference`` (expected values
from the solution), ``secret`` (the course secret hidden inputs are drawn from), ``integrity`` (signs of a
tampered harness), ``inert`` (student output made harmless before an instructor opens it), ``results`` (the
stored verdicts) and ``grade`` (the batch that ties them together).
"""
