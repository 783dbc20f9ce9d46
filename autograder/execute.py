"""Run one submitted notebook and collect the plain results of its probes.

Student cells run in order in a fresh kernel; where a check cell stands, the grader sends that
item's probes instead of the cell's code. Probe results come back in the ``user_expressions`` of
the execute reply: a channel on the shell socket that printed output cannot imitate, evaluated
without IPython's input transformers, by a harness defined before any student code runs.
Everything here returns data; nothing here decides a score.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from . import plain
from .reference import is_check_cell

HARNESS_SOURCE = inspect.getsource(plain)
CELL_TIMEOUT = 30
NOTEBOOK_TIMEOUT = 300
STARTUP_TIMEOUT = 60
RESPONSIVE_TIMEOUT = 5  # after a timed-out cell: seconds the interrupted kernel gets to answer again


@dataclass
class Task:
    """One notebook to run: what a worker (local or remote) needs, all of it plain data."""

    student: str
    assignment: str
    notebook: str  # file name, e.g. ex01.ipynb
    nb_json: str  # the sanitized notebook
    probes: dict[str, list[str]]  # grade_id -> probe expressions, in order
    cell_timeout: int = CELL_TIMEOUT
    notebook_timeout: int = NOTEBOOK_TIMEOUT


@dataclass
class Outcome:
    status: str  # ok | timeout | crashed | error
    observed: dict[str, list | None] = field(default_factory=dict)  # grade_id -> probe results
    nb_json: str = ""  # the executed notebook
    seconds: float = 0.0
    detail: str = ""


class KernelStuck(Exception):
    """The kernel ignored the interrupt after a cell timeout (e.g. a loop that swallows KeyboardInterrupt)."""


class ProbingClient(NotebookClient):
    """An nbclient that evaluates the grader's probes at the position of each check cell."""

    def __init__(self, nb, probes: dict[str, list[str]], **kw):
        super().__init__(nb, allow_errors=True, interrupt_on_timeout=True, **kw)
        self.probes = probes
        self.observed: dict[str, list | None] = {}
        self.harness = f"_autograder_{secrets.token_hex(8)}"
        self.timed_out_cells = 0

    async def define_harness(self) -> None:
        code = f"{self.harness} = {{}}\nexec({HARNESS_SOURCE!r}, {self.harness})"
        reply = await self.request(code)
        if reply is None or reply["content"]["status"] != "ok":
            raise RuntimeError("could not set up the probe harness in the kernel")

    async def request(self, code: str, user_expressions: dict | None = None):
        msg_id = self.kc.execute(code, silent=True, store_history=False, user_expressions=user_expressions or {})
        return await self.async_wait_for_reply(msg_id)

    async def probe(self, grade_id: str) -> None:
        expressions = self.probes.get(grade_id, [])
        call = f"{self.harness}['probe']({expressions!r}, globals())"
        reply = await self.request("", {"result": call})
        self.observed[grade_id] = parse_probe_reply(reply, len(expressions))

    async def run_cells(self) -> None:
        await self.define_harness()
        for index, cell in enumerate(self.nb.cells):
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if cell.cell_type == "code" and is_check_cell(cell):
                await self.probe(grade_id)
                continue
            timed_out_before = self.timed_out_cells
            await self.async_execute_cell(cell, index)
            if self.timed_out_cells > timed_out_before:
                cell.outputs.append(nbformat.v4.new_output("error", **self.error_on_timeout))
                if not await self.responds(RESPONSIVE_TIMEOUT):
                    raise KernelStuck(f"cell {index} ran longer than {self.timeout} s and ignored the interrupt")

    async def _async_handle_timeout(self, timeout: int, cell=None):
        # nbclient's timeout reply never reaches the cell's outputs: count timeouts here instead
        self.timed_out_cells += 1
        return await super()._async_handle_timeout(timeout, cell)

    async def responds(self, timeout: float) -> bool:
        """Does the kernel answer an empty request within ``timeout`` seconds?"""
        msg_id = self.kc.execute("", silent=True, store_history=False)
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                msg = await self.kc.shell_channel.get_msg(timeout=left)
            except Exception:  # noqa: BLE001 - queue.Empty: no answer in time
                return False
            if msg["parent_header"].get("msg_id") == msg_id:
                return True
        return False


def parse_probe_reply(reply: dict | None, count: int) -> list | None:
    """The probe results in an execute reply, or None if there are none to trust."""
    try:
        data = reply["content"]["user_expressions"]["result"]
        if data["status"] != "ok":
            return None
        results = json.loads(ast.literal_eval(data["data"]["text/plain"]))
    except (KeyError, TypeError, ValueError, SyntaxError):
        return None
    if not isinstance(results, list) or len(results) != count or not all(isinstance(r, dict) for r in results):
        return None
    return results


async def run_async(task: Task, cwd: Path, make_client_kw: Callable[[], dict] | None = None) -> Outcome:
    """Execute ``task`` with a fresh kernel in ``cwd``; never raises for anything the notebook does.

    ``make_client_kw`` may supply extra NotebookClient arguments, e.g. ``km`` (a kernel manager
    that gets the kernel from a sandboxed fork server, see :mod:`autograder.warmkernel`)."""

    nb = nbformat.reads(task.nb_json, as_version=4)
    client = ProbingClient(
        nb, task.probes, timeout=task.cell_timeout, startup_timeout=STARTUP_TIMEOUT,
        error_on_timeout={"ename": "CellTimeoutError", "evalue": f"cell ran longer than {task.cell_timeout} s", "traceback": []},
        resources={"metadata": {"path": str(cwd)}}, shutdown_kernel="immediate", **(make_client_kw() if make_client_kw else {}),
    )
    started = time.perf_counter()
    status, detail = "ok", ""
    try:
        async with client.async_setup_kernel():
            try:
                await within_deadline(client.run_cells(), task.notebook_timeout)
            except NotebookDeadline:
                status, detail = "timeout", f"the notebook ran longer than {task.notebook_timeout} s"
            except KernelStuck as stuck:
                status, detail = "timeout", str(stuck)
            if status == "ok" and client.timed_out_cells:
                status, detail = "timeout", f"{client.timed_out_cells} cell(s) ran longer than {task.cell_timeout} s"
    except DeadKernelError:
        status, detail = "crashed", "the kernel died (os._exit, a crash, or the memory limit)"
    except Exception as error:  # noqa: BLE001 - whatever happens, the batch goes on
        status, detail = "error", f"{type(error).__name__}: {error}"
    observed = {gid: client.observed.get(gid) for gid in task.probes}
    return Outcome(status, observed, nbformat.writes(nb), time.perf_counter() - started, detail)


class NotebookDeadline(Exception):
    pass


async def within_deadline(work, seconds: float) -> None:
    """Await ``work``; raise NotebookDeadline if it takes longer than ``seconds``.

    Not ``asyncio.wait_for``: cancelling nbclient mid-cell makes it raise DeadKernelError in place of
    the CancelledError, which wait_for passes on, so a deadline would read as a crash."""
    job = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({job}, timeout=seconds)
    if job in done:
        return job.result()
    job.cancel()
    try:
        await job
    except BaseException:  # noqa: BLE001 - whatever the cancelled job says, this is a deadline
        pass
    raise NotebookDeadline


def run(task: Task, cwd: Path, **kw) -> Outcome:
    return asyncio.run(run_async(task, cwd, **kw))
