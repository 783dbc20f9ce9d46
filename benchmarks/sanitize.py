"""Time of reading hidden-test markers out of a check cell full of ``### BEGIN HIDDEN TESTS`` lines.

The regular expression sanitize used before backtracked from every BEGIN line (quadratic); the
line scan that replaced it is linear. Both run side by side on the same inputs, and must agree.
Run: .venv/bin/python benchmarks/sanitize.py
"""

import re
import time

from autograder.grading.sanitize import BEGIN_HIDDEN, without_hidden_tests

OLD = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?", re.M | re.S)
OLD_UP_TO = 10_000  # lines: beyond this the old expression takes minutes


def seconds(function, text):
    started = time.perf_counter()
    result = function(text)
    return time.perf_counter() - started, result


def main():
    print(f"{'lines':>7} {'MB':>5} {'regex s':>9} {'line scan s':>12} {'ratio':>8}")
    for lines in (2_500, 5_000, 10_000, 45_000):
        text = 'check("q1")\n' + f"{BEGIN_HIDDEN}\n" * lines
        t_new, new = seconds(without_hidden_tests, text)
        if lines <= OLD_UP_TO:
            t_old, old = seconds(lambda s: OLD.sub("", s).strip(), text)
            assert old == new
            print(f"{lines:>7} {len(text) / 1e6:>5.2f} {t_old:>9.3f} {t_new:>12.4f} {t_old / t_new:>8.0f}")
        else:
            print(f"{lines:>7} {len(text) / 1e6:>5.2f} {'(skipped)':>9} {t_new:>12.4f}")


if __name__ == "__main__":
    main()
