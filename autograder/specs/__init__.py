"""One module per assignment; each defines ``SPEC``, an :class:`autograder.spec.Assignment`."""
