"""Where notebooks run: an interface small enough for a cluster engine to implement later.

An executor takes :class:`~autograder.execute.Task` objects (plain data) and yields
``(task, outcome)`` pairs as they finish, in any order. The grader's trusted process does all the
deciding and recording; an executor only runs notebooks.
"""

from __future__ import annotations

import os
import tempfile
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Iterable, Iterator, Protocol

from .execute import Outcome, Task, run


class Executor(Protocol):
    def map(self, tasks: Iterable[Task]) -> Iterator[tuple[Task, Outcome]]: ...


def run_in_scratch(task: Task) -> Outcome:
    """Run ``task`` in a fresh scratch folder that nothing else can see or reuse."""
    with tempfile.TemporaryDirectory(prefix="autograder-") as scratch:
        return run(task, Path(scratch))


class LocalExecutor:
    """Notebooks in parallel on this machine, one fresh kernel per notebook."""

    def __init__(self, workers: int | None = None):
        self.workers = workers or os.cpu_count() or 1

    def map(self, tasks: Iterable[Task]) -> Iterator[tuple[Task, Outcome]]:
        tasks = list(tasks)
        if self.workers == 1:
            for task in tasks:
                yield task, run_in_scratch(task)
            return
        with ProcessPoolExecutor(self.workers) as pool:
            futures = {pool.submit(run_in_scratch, task): task for task in tasks}
            for future in as_completed(futures):
                task = futures[future]
                try:
                    yield task, future.result()
                except Exception as error:  # noqa: BLE001 - a lost worker is one notebook's problem
                    yield task, Outcome("error", {}, "", 0.0, f"worker failed: {type(error).__name__}: {error}")
