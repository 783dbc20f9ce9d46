"""What isolating notebooks from each other costs on a warm, sandboxed worker.

    .venv/bin/python benchmarks/isolation.py [N]

Every kernel gets its own user, mount and IPC namespaces and fresh tmpfs mounts (see
autograder/forkserver.py). In one run, side by side:

1. inside the sandbox, N children forked plainly vs N forked into fresh namespaces and mounts
   (the step each kernel now takes), so the difference is the isolation's own cost;
2. the same small notebook N times on one warm worker: seconds per notebook, and the reset after it;
3. the alternative that needs no namespaces: a new sandbox (fork server start-up) per notebook;
4. the grader's peak memory for a notebook that prints 300 MB, with today's output caps and with
   the client as it was (no message-size cap, every output kept), each in a process of its own.
"""

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402

from autograder.grading.execute import Task  # noqa: E402
from autograder.sandbox import executors  # noqa: E402
from autograder.sandbox.bubblewrap import Limits, unavailable_reason  # noqa: E402
from autograder.sandbox.forkserver import ForkServer  # noqa: E402

SMALL_NOTEBOOK = ["import torch\nx = torch.tensor(3.0, requires_grad=True)\n(x * x).backward()", "print(x.grad)"]

FORK_TIMING = r"""
import json, os, time
from autograder.sandbox.forkserver import enter_fresh_namespaces
def children(n, isolate):
    started = time.perf_counter()
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            try:
                if isolate:
                    enter_fresh_namespaces({'/tmp': 1 << 26, '/dev/shm': 1 << 26, '/home/student': 1 << 26})
                os._exit(0)
            finally:
                os._exit(1)
        assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0, 'the child failed'
    return (time.perf_counter() - started) / n
print('TIMING', json.dumps({'plain': children(%d, False), 'fresh': children(%d, True)}))
"""


def task(cells: list[str]) -> Task:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    return Task("bench", "isolation", "b.ipynb", nbformat.writes(nb), {}, 60, 120)


def timed_resets() -> list[float]:
    """Wrap ForkServer.reset so that each call's seconds are recorded."""
    seconds: list[float] = []
    original = ForkServer.reset

    def reset(self):
        started = time.perf_counter()
        try:
            return original(self)
        finally:
            seconds.append(time.perf_counter() - started)

    ForkServer.reset = reset
    return seconds


def output_memory(mode: str) -> str:
    """In this process: one 300 MB print on a warm worker; the grader's peak RSS before and after."""
    from nbclient import NotebookClient

    from autograder.grading import execute
    from autograder.sandbox import warmkernel

    if mode == "uncapped":  # the client as it was: any message size, every output kept
        warmkernel.MAX_MESSAGE_BYTES = -1
        execute.ProbingClient.output = NotebookClient.output
    limits = Limits()
    executors.run_warm(task(["pass"]), limits)  # the sandbox is up: its start-up is not counted
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10
    outcome = executors.run_warm(task(["print('x' * 300_000_000)", "print('after')"]), limits)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10
    executors._server.close()
    return (f"{mode:>8}: grader peak RSS {before} -> {after} MiB, autograded notebook {len(outcome.nb_json) / 1e6:.1f} MB, "
            f"status {outcome.status}")


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--output-memory":
        print(output_memory(sys.argv[2]))
        return 0
    if unavailable_reason():
        print(f"cannot sandbox here: {unavailable_reason()}")
        return 1
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    limits = Limits()
    resets = timed_resets()
    executors.run_warm(task(["pass"]), limits)  # the worker's sandbox starts: not counted
    if not executors._server.isolated:
        print("kernels cannot have namespaces of their own here: every notebook restarts the sandbox")

    outcome = executors.run_warm(task([FORK_TIMING % (n * 5, n * 5)]), limits)
    text = "".join(out.get("text", "") for cell in nbformat.reads(outcome.nb_json, as_version=4).cells for out in cell.outputs)
    forks = json.loads(text.split("TIMING", 1)[1].strip().splitlines()[0])

    resets.clear()
    per_notebook = []
    for _ in range(n):
        started = time.perf_counter()
        outcome = executors.run_warm(task(SMALL_NOTEBOOK), limits)
        per_notebook.append(time.perf_counter() - started)
        assert outcome.status == "ok", outcome.detail
    executors._server.close()

    started = time.perf_counter()
    for _ in range(3):
        ForkServer(limits).close()
    restart = (time.perf_counter() - started) / 3

    mean = sum(per_notebook) / n
    print(f"fork only, in the sandbox:                  {forks['plain'] * 1000:7.1f} ms per child ({n * 5} children)")
    print(f"fork + fresh namespaces and tmpfs mounts:   {forks['fresh'] * 1000:7.1f} ms per child")
    print(f"  isolation's own cost:                     {(forks['fresh'] - forks['plain']) * 1000:7.1f} ms per notebook")
    print(f"small notebook on the warm worker:          {mean:7.3f} s per notebook (mean of {n}; min {min(per_notebook):.3f})")
    print(f"  of which the reset after it:              {sum(resets) / len(resets):7.3f} s")
    print(f"a new sandbox per notebook instead:         {restart:7.3f} s per notebook (fork server start-up and close)")
    print(f"  ratio, new sandbox / isolation's cost:    {restart / max(forks['fresh'] - forks['plain'], 1e-6):7.0f} x")
    print("a notebook that prints 300 MB:")
    for mode in ("capped", "uncapped"):
        run = subprocess.run([sys.executable, __file__, "--output-memory", mode], capture_output=True, text=True)
        print("  " + (run.stdout.strip() or run.stderr.strip()[-500:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
