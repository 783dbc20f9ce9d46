"""A warm kernel factory: pay ``import torch`` and ipykernel's imports once per worker, not per notebook.

One long-lived process per worker runs inside the sandbox (``python -m autograder.sandbox.forkserver``),
imports the heavy modules once, and for each notebook forks a child that becomes a fresh
ipykernel. Every notebook thus gets a pristine process: a student's monkeypatches and globals die
with their child.

Nothing a kernel writes can reach the next one, because no writable place is shared: before it
becomes the kernel, the child enters its own user, mount and IPC namespaces and mounts fresh,
size-capped tmpfs on /tmp, /dev/shm and the work dir (where IPython, matplotlib and HOME keep
their start-up files), then drops every capability. Those mounts and SysV IPC objects die with the
kernel's namespaces, whatever modes or owners the student gave them; its sockets' subfolder is
made and removed by the grader, as root. After each notebook :meth:`ForkServer.reset` kills every
other process in the sandbox (stragglers a student left behind). Where the kernel cannot have
namespaces of its own, the server says so at start-up and the grader starts a new sandbox after
every notebook instead.

The server talks to the grader over its stdin/stdout, one JSON object per line; all it does is
spawn, poll, signal and reset. Forking is safe because nothing it imports starts a thread
(``OMP_NUM_THREADS`` & co. are 1, see :data:`autograder.sandbox.bubblewrap.THREAD_ENV`).
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

log = logging.getLogger("autograder.sandbox.forkserver")

PRELOAD = ["numpy", "torch", "zmq", "tornado.ioloop", "IPython", "ipykernel.kernelapp", "ipykernel.ipkernel",
           "ipykernel.zmqshell", "jupyter_client.session"]
# torch imports some of its parts on first use: the first optimizer pulls in torch._dynamo, the first
# assert_close torch.distributed.tensor (about a second each). Paid here once, not in every notebook of
# a batch; a server that runs one notebook (a late submission) skips them and starts seconds sooner.
PRELOAD_FOR_BATCHES = ["torch.optim", "torch.testing", "torch._dynamo", "torch.distributed.tensor"]
PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 4, 24, 47, 4
CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWIPC = 0x00020000, 0x10000000, 0x08000000
MS_NOSUID, MS_NODEV, MS_BIND, MS_REC = 0x2, 0x4, 0x1000, 0x4000
FRESH_MODES = {"/tmp": "1777", "/dev/shm": "1777"}  # the work dir: 0755, the kernel's own
TMPFS_INODES = 65536
_libc = ctypes.CDLL(None, use_errno=True)


# --------------------------------------------------------------------------- inside the sandbox

class Server:
    def __init__(self, work_dir: str, tmpfs_size: int, processes: int):
        self.work_dir, self.tmpfs_size = work_dir, tmpfs_size
        self.exits: dict[int, int] = {}  # pid -> exit status of children already reaped
        import resource

        resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
        set_dumpable(False)  # children (same uid) must not ptrace or read the memory of this process

    def spawn(self, connection: dict, limits: dict, env: dict) -> dict:
        pid = os.fork()
        if pid == 0:
            become_kernel(connection, limits, env, self.work_dir, self.fresh_dirs())  # never returns
        return {"pid": pid}

    def fresh_dirs(self) -> dict[str, int]:
        """Where the kernel gets fresh tmpfs mounts, and their size."""
        return {path: self.tmpfs_size for path in ("/tmp", "/dev/shm", self.work_dir)}

    def can_isolate(self) -> bool:
        """Can a child here get namespaces and fresh mounts of its own? (A container may forbid user namespaces.)"""
        pid = os.fork()
        if pid == 0:
            try:
                set_dumpable(True)  # else /proc/self/uid_map belongs to root and cannot be written
                enter_fresh_namespaces(self.fresh_dirs())
                os._exit(0)
            finally:
                os._exit(1)
        return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0

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
        """Kill everything in the sandbox but this server (and bwrap's init).

        No file needs wiping: every place a kernel could write was its own mount, gone with it."""
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
        replies.write(json.dumps({"ready": True, "pid": os.getpid(), "isolated": self.can_isolate()}) + "\n")
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


def become_kernel(connection: dict, limits: dict, env: dict, work_dir: str, fresh_dirs: dict[str, int]) -> None:
    """In the forked child: drop the server's channel, get fresh namespaces and mounts, apply the
    notebook's limits, run an ipykernel."""
    try:
        import resource

        os.setsid()  # own process group: a kill of the kernel reaches what it spawned
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        os.closerange(3, 65536)  # the server's request/reply pipes included
        set_dumpable(True)  # else /proc/self/uid_map belongs to root and cannot be written
        try:
            enter_fresh_namespaces(fresh_dirs)
        except OSError:
            pass  # the server said at start-up that it cannot isolate: the grader restarts the sandbox after this kernel
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


def enter_fresh_namespaces(fresh_dirs: dict[str, int]) -> None:
    """Own user, mount and IPC namespaces; a fresh size-capped tmpfs on each of ``fresh_dirs``; no capabilities.

    The uid stays the same (mapped to itself), so processes and limits are accounted as before, and
    the server can still kill whatever the kernel leaves running."""
    uid, gid = os.getuid(), os.getgid()
    if _libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWIPC) != 0:
        raise OSError(ctypes.get_errno(), f"unshare: {os.strerror(ctypes.get_errno())}")
    try:
        write_file("/proc/self/setgroups", "deny")
        write_file("/proc/self/uid_map", f"{uid} {uid} 1")
        write_file("/proc/self/gid_map", f"{gid} {gid} 1")
        for folder, size in fresh_dirs.items():
            mount_fresh_tmpfs(folder, size, FRESH_MODES.get(folder, "0755"))
    finally:
        drop_capabilities()  # whichever step failed, the kernel keeps none of the namespace's capabilities


def mount_fresh_tmpfs(folder: str, size: int, mode: str) -> None:
    """An empty tmpfs over ``folder``; read-only binds below it (a venv under /tmp) are put back on top."""
    below = [point for point in sorted(mount_points()) if point.startswith(folder.rstrip("/") + "/")]
    below = [p for p in below if not any(p.startswith(q + "/") for q in below)]  # REC binds carry the nested ones
    kept = {point: os.open(point, os.O_PATH | os.O_CLOEXEC) for point in below}
    options = f"size={size},nr_inodes={TMPFS_INODES},mode={mode}".encode()
    if _libc.mount(b"tmpfs", folder.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options) != 0:
        raise OSError(ctypes.get_errno(), f"mount tmpfs on {folder}: {os.strerror(ctypes.get_errno())}")
    for point, fd in kept.items():
        os.makedirs(point, mode=0o755, exist_ok=True)
        if _libc.mount(f"/proc/self/fd/{fd}".encode(), point.encode(), None, MS_BIND | MS_REC, None) != 0:
            raise OSError(ctypes.get_errno(), f"bind {point}: {os.strerror(ctypes.get_errno())}")
        os.close(fd)


def drop_capabilities() -> None:
    """Give up the capabilities the new user namespace granted, for good (bounding set, ambient, all sets)."""
    for cap in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() == 22:  # EINVAL: past the last cap
            break
    _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable: all zero (two 32-bit words each)
    if _libc.capset(header, data) != 0:
        raise OSError(ctypes.get_errno(), f"capset: {os.strerror(ctypes.get_errno())}")


def write_file(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


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


def main() -> None:
    work_dir, tmpfs_size, processes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    batch = sys.argv[4:] != ["light"]
    requests, replies = os.fdopen(os.dup(0), "r"), os.fdopen(os.dup(1), "w")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)  # nothing but replies may reach the grader's end of the pipe
    import importlib

    for module in PRELOAD + (PRELOAD_FOR_BATCHES if batch else []):
        importlib.import_module(module)
    import torch

    torch.set_num_threads(1)
    assert threading.active_count() == 1, "a preloaded module started a thread: forking would be unsafe"
    Server(work_dir, tmpfs_size, processes).serve(requests, replies)


# --------------------------------------------------------------------------- on the grader's side

def cgroup_prefix(run_dir: str | None) -> str:
    """Cgroup names of one grading run's sandboxes start with this, so the run can remove them all at the end."""
    return f"autograder-{Path(run_dir).name}" if run_dir else "autograder"


class ForkServerError(RuntimeError):
    pass


class ForkServer:
    """The grader's handle on one sandboxed fork server (one per worker process)."""

    def __init__(self, limits=None, uid: int | None = None, parent_dir: str | None = None, startup_timeout: float = 120,
                 light: bool = False):
        import tempfile

        from autograder.sandbox.bubblewrap import (
            WORK_DIR,
            Cgroup,
            Limits,
            LinkFolder,
            bwrap_argv,
            sandbox_uid,
        )

        self.limits = limits or Limits()
        self.uid = uid if uid is not None else sandbox_uid(os.getpid())
        self.links = LinkFolder.create(parent_dir)
        self.link_dir = self.links.path
        self.private_dir = Path(tempfile.mkdtemp(prefix="autograder-conn-", dir=parent_dir))  # root's 0700: connection files
        self.kernel_dirs: list[Path] = []
        self.isolated = False
        command = [sys.executable, "-m", "autograder.sandbox.forkserver", WORK_DIR, str(self.limits.file_size),
                   str(self.limits.processes)] + (["light"] if light else [])
        self.lock = threading.Lock()
        argv = bwrap_argv(command, link_dir=str(self.link_dir), uid=self.uid, limits=self.limits)
        # the sum over the sandbox: the server (~0.5 GiB with torch) + one kernel at its limit + its tmpfs
        self.cgroup = Cgroup.create(self.limits.memory + self.limits.file_size + (1 << 30), self.limits.processes,
                                    prefix=cgroup_prefix(parent_dir))
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
        self.isolated = bool(hello.get("isolated"))
        if not self.isolated:
            log.warning("kernels cannot have namespaces of their own here (user namespaces refused): "
                        "the sandbox is restarted after every notebook instead")

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

    def kernel_link(self) -> tuple[Path, str]:
        """A fresh folder for one kernel's sockets: its path here, and inside the sandbox."""
        from autograder.sandbox.bubblewrap import LINK_DIR

        folder = self.links.new_subfolder(self.uid)
        self.kernel_dirs.append(folder)
        return folder, f"{LINK_DIR}/{folder.name}"

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
        """Between two notebooks: no process, file or IPC object of the last one survives.

        Files and IPC objects died with the kernel's namespaces; its link subfolder goes here, as root."""
        left = self.call("reset", timeout=60)["left"]
        self.remove_kernel_dirs()
        if left:
            raise ForkServerError(f"processes survived the reset: {left}")
        if not self.isolated:
            raise ForkServerError("kernels here share the sandbox's writable places: it must be restarted")

    def remove_kernel_dirs(self) -> None:
        for folder in self.kernel_dirs:
            self.links.remove_subfolder(folder)
        self.kernel_dirs.clear()
        for leftover in self.private_dir.iterdir():
            leftover.unlink()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()  # bwrap; --die-with-parent and the PID namespace take the rest down
            self.process.wait()
        self.links.close()
        shutil.rmtree(self.private_dir, ignore_errors=True)
        if self.cgroup:
            for _ in range(50):  # the sandbox's processes take a moment to go
                self.cgroup.remove()
                if not any(folder.exists() for folder in self.cgroup.dirs):
                    break
                time.sleep(0.1)


if __name__ == "__main__":
    main()
