"""Run one submitted notebook and collect the plain results of its probes.

Student cells run in order in a fresh kernel; where a check cell stands, the grader sends that
item's probes instead of the cell's code. Probe results come back in the ``user_expressions`` of
the execute reply: a channel on the shell socket that printed output cannot imitate, evaluated
without IPython's input transformers, by a harness defined before any student code runs.
Everything here returns data; nothing here decides a score.

What the grader keeps of a notebook's outputs is capped (:class:`OutputLimit`, like nbgrader's
LimitOutput): a student who prints gigabytes gets a truncation note, not a worker that runs out of
memory. Widget (comm) messages and updates to displayed outputs are not kept at all.
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

from autograder import plain
from autograder.grading.integrity import HarnessWatch
from autograder.grading.reference import is_check_cell

HARNESS_SOURCE = inspect.getsource(plain)
CELL_TIMEOUT = 30
NOTEBOOK_TIMEOUT = 300
STARTUP_TIMEOUT = 60
RESPONSIVE_TIMEOUT = 5  # after a timed-out cell: seconds the interrupted kernel gets to answer again
MAX_OUTPUT_CHARS = 200_000  # per output: a long traceback or a plot fits; nbgrader's LimitOutput keeps 10 000
MAX_NOTEBOOK_OUTPUT_CHARS = 4_000_000  # all the outputs the grader keeps of one notebook


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
    review: str = ""  # signs of tampering with the probe harness (integrity.REVIEW), for the instructor


class OutputLimit:
    """What the grader keeps of a notebook's outputs: each output capped, and all of them together.

    An output over the limit is cut (a stream) or replaced (anything else) by a note; once a cell
    has its note, its further outputs over the limit are dropped without another."""

    def __init__(self, per_output: int = MAX_OUTPUT_CHARS, per_notebook: int = MAX_NOTEBOOK_OUTPUT_CHARS):
        self.per_output, self.per_notebook = per_output, per_notebook
        self.kept = 0
        self.noted_cells: set[int] = set()

    def note(self, dropped: int) -> str:
        return (f"\n[output truncated by the grader: {dropped} characters not kept; it keeps {self.per_output} "
                f"characters per output and {self.per_notebook} per notebook]\n")

    def admit(self, out, cell_index: int):
        """``out`` itself, a truncated copy with a note, or None (drop it)."""
        size = len(json.dumps(out))
        room = max(0, min(self.per_output, self.per_notebook - self.kept))
        if size <= room:
            self.kept += size
            return out
        if cell_index in self.noted_cells:
            return None
        self.noted_cells.add(cell_index)
        if out.get("output_type") == "stream" and isinstance(out.get("text"), str):
            kept_text = out["text"][:room]
            out = nbformat.v4.new_output("stream", name=out.get("name", "stdout"), text=kept_text + self.note(len(out["text"]) - len(kept_text)))
        else:
            out = nbformat.v4.new_output("stream", name="stderr", text=self.note(size))
        self.kept += len(json.dumps(out))
        return out


class KernelStuck(Exception):
    """The kernel ignored the interrupt after a cell timeout (e.g. a loop that swallows KeyboardInterrupt)."""


OUTPUT_LOST = ("[some output of this cell did not reach the grader: a single message over the size the grader "
               "accepts is dropped unread]\n")


class ProbingClient(NotebookClient):
    """An nbclient that evaluates the grader's probes at the position of each check cell."""

    def __init__(self, nb, probes: dict[str, list[str]], **kw):
        super().__init__(nb, allow_errors=True, interrupt_on_timeout=True, **kw)
        self.probes = probes
        self.observed: dict[str, list | None] = {}
        self.harness = f"_autograder_{secrets.token_hex(8)}"
        self.watch = HarnessWatch(self.harness)  # notes tampering with the harness, for review
        self.timed_out_cells = 0
        self.output_limit = OutputLimit()
        self.cells_awaiting_output: set[int] = set()  # sent to the kernel, its "idle" not yet seen

    async def define_harness(self) -> None:
        code = f"{self.harness} = {{}}\nexec({HARNESS_SOURCE!r}, {self.harness})"
        reply = await self.request(code, self.watch.baseline_expressions())
        self.watch.set_baseline(reply)
        if reply is None or reply["content"]["status"] != "ok":
            raise RuntimeError("could not set up the probe harness in the kernel")

    async def request(self, code: str, user_expressions: dict | None = None):
        msg_id = self.kc.execute(code, silent=True, store_history=False, user_expressions=user_expressions or {})
        return await self.async_wait_for_reply(msg_id)

    async def probe(self, grade_id: str) -> None:
        expressions = self.probes.get(grade_id, [])
        call = f"{self.harness}['probe']({expressions!r}, globals())"
        reply = await self.request("", {"result": call, **self.watch.expressions()})
        self.watch.check(reply, grade_id)
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
            if index in self.cells_awaiting_output and self.timed_out_cells == timed_out_before:
                cell.outputs.append(nbformat.v4.new_output("stream", name="stderr", text=OUTPUT_LOST))
                await self.reconnect_iopub()
            if self.timed_out_cells > timed_out_before:
                cell.outputs.append(nbformat.v4.new_output("error", **self.error_on_timeout))
                if not await self.responds(RESPONSIVE_TIMEOUT):
                    raise KernelStuck(f"cell {index} ran longer than {self.timeout} s and ignored the interrupt")

    def output(self, outs, msg, display_id, cell_index):
        out = super().output(outs, msg, display_id, cell_index)
        if out is None or not outs or outs[-1] is not out:
            return out
        admitted = self.output_limit.admit(out, cell_index)
        if admitted is None:
            outs.pop()
        else:
            outs[-1] = admitted
        return admitted

    def _update_display_id(self, display_id, msg) -> None:
        pass  # not kept: one update could put a large output in every place that shows that display id

    def handle_comm_msg(self, outs, msg, cell_index) -> None:
        pass  # widget state is not kept: grading needs none, and it is unbounded student data

    async def _async_poll_output_msg(self, parent_msg_id: str, cell, cell_index: int) -> None:
        self.cells_awaiting_output.add(cell_index)
        await super()._async_poll_output_msg(parent_msg_id, cell, cell_index)
        self.cells_awaiting_output.discard(cell_index)  # the kernel's "idle" arrived: nothing was dropped on the way

    async def reconnect_iopub(self, timeout: float = 10) -> None:
        """A fresh output channel: zmq closes a connection that brought an oversized message for good.

        Returns once the new channel carries messages (a subscription takes a moment to reach the kernel)."""
        lost, self.kc._iopub_channel = self.kc._iopub_channel, None
        if lost is not None:
            lost.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg_id = self.kc.kernel_info()  # its "busy"/"idle" on the new channel says the channel is live
            try:
                while True:
                    msg = await self.kc.iopub_channel.get_msg(timeout=0.5)
                    if msg["parent_header"].get("msg_id") == msg_id:
                        return
            except Exception:  # noqa: BLE001 - queue.Empty: not yet subscribed, ask again
                continue

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
    """The probe results in an execute reply, each checked (see :mod:`autograder.grading.untrusted`), or None
    if the reply holds no list of ``count`` results at all. Never raises, whatever the reply holds."""
    from autograder.grading.untrusted import MAX_REPLY_CHARS, parse_reply_text

    try:
        data = reply["content"]["user_expressions"]["result"]
        if data["status"] != "ok":
            return None
        shown = data["data"]["text/plain"]
        if not isinstance(shown, str) or len(shown) > 2 * MAX_REPLY_CHARS:
            return None
        text = ast.literal_eval(shown)
    except (KeyError, TypeError, ValueError, SyntaxError, RecursionError, MemoryError):
        return None
    return parse_reply_text(text, count)


async def run_async(task: Task, cwd: Path, make_client_kw: Callable[[], dict] | None = None) -> Outcome:
    """Execute ``task`` with a fresh kernel in ``cwd``; never raises for anything the notebook does.

    ``make_client_kw`` may supply extra NotebookClient arguments, e.g. ``km`` (a kernel manager
    that gets the kernel from a sandboxed fork server, see :mod:`autograder.sandbox.warmkernel`)."""

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
    return Outcome(status, observed, nbformat.writes(nb), time.perf_counter() - started, detail, client.watch.summary())


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
