"""A warm kernel factory: pay ``import torch`` and ipykernel's imports once per worker, not per notebook.

One long-lived process per worker runs inside the sandbox (``python -m autograder.forkserver``),
imports the heavy modules once, and for each notebook forks a child that becomes a fresh
ipykernel. Every notebook thus gets a pristine process: a student's monkeypatches and globals die
with their child. After each notebook :meth:`ForkServer.reset` kills every other process in the
sandbox (stragglers a student left behind) and wipes every writable place, so nothing passes from
one student to the next.

The server talks to the grader over its stdin/stdout, one JSON object per line; all it does is
spawn, poll, signal and reset. Forking is safe because nothing it imports starts a thread
(``OMP_NUM_THREADS`` & co. are 1, see :data:`autograder.sandbox.THREAD_ENV`).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

# torch imports some of its parts on first use: the first optimizer pulls in torch._dynamo, the first
# assert_close torch.distributed.tensor (about a second each). Paid here once, not in every notebook.
PRELOAD = ["numpy", "torch", "torch.optim", "torch.testing", "torch._dynamo", "torch.distributed.tensor", "zmq", "tornado.ioloop", "IPython", "ipykernel.kernelapp", "ipykernel.ipkernel",
           "ipykernel.zmqshell", "jupyter_client.session"]
WIPED_DIRS = ["/tmp", "/dev/shm"]  # plus the work dir and the link dir, given on the command line
PR_SET_DUMPABLE = 4


# --------------------------------------------------------------------------- inside the sandbox

class Server:
    def __init__(self, work_dir: str, link_dir: str, processes: int):
        self.work_dir, self.link_dir = work_dir, link_dir
        self.exits: dict[int, int] = {}  # pid -> exit status of children already reaped
        import resource

        resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
        set_dumpable(False)  # children (same uid) must not ptrace or read the memory of this process

    def spawn(self, connection: dict, limits: dict, env: dict) -> dict:
        pid = os.fork()
        if pid == 0:
            become_kernel(connection, limits, env, self.work_dir)  # never returns
        return {"pid": pid}

    def poll(self, pid: int) -> dict:
        self.reap()
        return {"exit": self.exits.get(pid)}

    def signal(self, pid: int, signum: int) -> dict:
        for target in (lambda: os.killpg(pid, signum), lambda: os.kill(pid, signum)):
            try:
                target()
                return {}
            except (ProcessLookupError, PermissionError):
                continue
        return {}

    def reset(self) -> dict:
        """Kill everything in the sandbox but this server (and bwrap's init), then wipe all writable places."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(-1, signal.SIGKILL)  # in a PID namespace: every process but init and the caller
            except ProcessLookupError:
                pass
            self.reap()
            if not other_processes():
                break
            time.sleep(0.01)
        self.exits.clear()
        for folder in [self.work_dir, self.link_dir, *WIPED_DIRS]:
            empty_folder(folder)
        subprocess.run(["ipcrm", "--all"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        return {"left": other_processes()}

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.exits[pid] = os.waitstatus_to_exitcode(status)

    def serve(self, requests, replies) -> None:
        replies.write(json.dumps({"ready": True, "pid": os.getpid()}) + "\n")
        replies.flush()
        for line in requests:
            request = json.loads(line)
            op = request.pop("op")
            try:
                reply = getattr(self, op)(**request) if op in ("spawn", "poll", "signal", "reset") else {"error": op}
            except Exception as error:  # noqa: BLE001 - report, keep serving
                reply = {"error": f"{type(error).__name__}: {error}"}
            replies.write(json.dumps(reply) + "\n")
            replies.flush()


def become_kernel(connection: dict, limits: dict, env: dict, work_dir: str) -> None:
    """In the forked child: drop the server's channel, apply the notebook's limits, run an ipykernel."""
    try:
        import resource

        os.setsid()  # own process group: a kill of the kernel reaches what it spawned
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        os.closerange(3, 65536)  # the server's request/reply pipes included
        set_dumpable(True)
        resource.setrlimit(resource.RLIMIT_AS, (limits["memory"], limits["memory"]))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_size"], limits["file_size"]))
        resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu_seconds"], limits["cpu_seconds"] + 5))
        os.environ.update(env)
        os.environ.pop("JPY_PARENT_PID", None)  # with --unshare-pid the parent check would kill the kernel
        os.chdir(work_dir)
        path = os.path.join("/tmp", f".kernel-{secrets.token_hex(8)}.json")
        with open(path, "w") as f:
            json.dump(connection, f)
        sys.argv = ["ipykernel", "-f", path, "--HistoryManager.enabled=False"]
        from ipykernel.kernelapp import IPKernelApp

        app = IPKernelApp.instance()
        app.initialize(sys.argv[1:])
        app.start()
    finally:
        os._exit(0)


def set_dumpable(on: bool) -> None:
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, int(on), 0, 0, 0)
    except (OSError, AttributeError):
        pass


def other_processes() -> list[str]:
    """Processes in the sandbox besides bwrap's init and this server, as 'pid:state' (Z = a zombie init has yet to reap)."""
    me, found = os.getpid(), []
    for pid in os.listdir("/proc"):
        if pid.isdigit() and int(pid) not in (1, me):
            try:
                with open(f"/proc/{pid}/stat") as f:
                    found.append(f"{pid}:{f.read().rsplit(')', 1)[1].split()[0]}")
            except OSError:
                pass  # gone meanwhile
    return found


def mount_points() -> set[str]:
    with open("/proc/self/mountinfo", encoding="utf-8") as f:
        return {line.split()[4] for line in f}


def empty_folder(folder: str, mounts: set[str] | None = None) -> None:
    """Remove everything in ``folder`` but the read-only mounts in it (the venv may live under /tmp)."""
    mounts = mount_points() if mounts is None else mounts
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        try:
            if entry.path in mounts:
                continue
            if any(m.startswith(entry.path + "/") for m in mounts):
                empty_folder(entry.path, mounts)
            elif entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.unlink(entry.path)
        except OSError:
            pass


def main() -> None:
    work_dir, link_dir, processes = sys.argv[1], sys.argv[2], int(sys.argv[3])
    requests, replies = os.fdopen(os.dup(0), "r"), os.fdopen(os.dup(1), "w")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)  # nothing but replies may reach the grader's end of the pipe
    import importlib

    for module in PRELOAD:
        importlib.import_module(module)
    import torch

    torch.set_num_threads(1)
    assert threading.active_count() == 1, "a preloaded module started a thread: forking would be unsafe"
    Server(work_dir, link_dir, processes).serve(requests, replies)


# --------------------------------------------------------------------------- on the grader's side

class ForkServerError(RuntimeError):
    pass


class ForkServer:
    """The grader's handle on one sandboxed fork server (one per worker process)."""

    def __init__(self, limits=None, uid: int | None = None, parent_dir: str | None = None, startup_timeout: float = 120):
        import tempfile

        from .sandbox import WORK_DIR, Cgroup, Limits, bwrap_argv, sandbox_uid

        self.limits = limits or Limits()
        self.uid = uid if uid is not None else sandbox_uid(os.getpid())
        self.link_dir = Path(tempfile.mkdtemp(prefix="autograder-link-", dir=parent_dir))
        os.chown(self.link_dir, self.uid, self.uid)
        command = [sys.executable, "-m", "autograder.forkserver", WORK_DIR, str(self.link_dir), str(self.limits.processes)]
        self.lock = threading.Lock()
        argv = bwrap_argv(command, link_dir=str(self.link_dir), uid=self.uid, limits=self.limits)
        # the sum over the sandbox: the server (~0.5 GiB with torch) + one kernel at its limit + its tmpfs
        self.cgroup = Cgroup.create(self.limits.memory + self.limits.file_size + (1 << 30), self.limits.processes)
        if self.cgroup:
            argv = self.cgroup.wrap(argv)
        self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        try:
            hello = self._read(startup_timeout)
        except ForkServerError:
            self.close()
            raise
        if not hello.get("ready"):
            self.close()
            raise ForkServerError(f"the sandboxed fork server did not start: {hello}")

    def _read(self, timeout: float) -> dict:
        import selectors

        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            if not selector.select(timeout):
                raise ForkServerError(f"no answer from the fork server in {timeout} s")
        line = self.process.stdout.readline()
        if not line:
            raise ForkServerError(f"the fork server exited (status {self.process.poll()})")
        return json.loads(line)

    def call(self, op: str, timeout: float = 30, **args) -> dict:
        with self.lock:
            if self.process.poll() is not None:
                raise ForkServerError(f"the fork server exited (status {self.process.returncode})")
            try:
                self.process.stdin.write(json.dumps({"op": op, **args}) + "\n")
                self.process.stdin.flush()
            except (BrokenPipeError, OSError) as error:
                raise ForkServerError(f"the fork server went away: {error}") from error
            try:
                reply = self._read(timeout)
            except ForkServerError:
                self.close()  # a late reply would answer the next request: this channel is done
                raise
        if "error" in reply:
            raise ForkServerError(reply["error"])
        return reply

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def spawn(self, connection: dict, cpu_seconds: int | None = None) -> int:
        """A fresh kernel listening on ``connection``; its pid inside the sandbox."""
        limits = {"memory": self.limits.memory, "file_size": self.limits.file_size,
                  "cpu_seconds": cpu_seconds or self.limits.cpu_seconds}
        return self.call("spawn", connection=connection, limits=limits, env={})["pid"]

    def poll(self, pid: int) -> int | None:
        return self.call("poll", pid=pid)["exit"]

    def signal(self, pid: int, signum: int) -> None:
        self.call("signal", pid=pid, signum=int(signum))

    def reset(self) -> None:
        """Between two notebooks: no process, file or IPC object of the last one survives."""
        left = self.call("reset", timeout=60)["left"]
        empty_folder(str(self.link_dir))  # also what the grader wrote there (connection files)
        if left:
            raise ForkServerError(f"processes survived the reset: {left}")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()  # bwrap; --die-with-parent and the PID namespace take the rest down
            self.process.wait()
        shutil.rmtree(self.link_dir, ignore_errors=True)
        if self.cgroup:
            for _ in range(50):  # the sandbox's processes take a moment to go
                self.cgroup.remove()
                if not any(folder.exists() for folder in self.cgroup.dirs):
                    break
                time.sleep(0.1)


if __name__ == "__main__":
    main()
