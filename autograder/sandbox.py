"""The bubblewrap sandbox a student's kernel runs in (see DESIGN.md §4).

Inside: no network, its own PID/IPC/UTS namespaces, no capabilities, an unprivileged uid (so
RLIMIT_NPROC binds; it never binds root), the host read-only and only what Python needs visible
(system dirs, the interpreter, the venv, this package). Writable: a size-capped tmpfs for the
kernel's cwd and /tmp, and one host folder (``link_dir``) that carries the kernel's ZMQ ``ipc``
sockets, since TCP cannot cross ``--unshare-net``. The course root, gradebook, solutions/, other
submissions and /root stay invisible because they are never bound.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import autograder

PACKAGE_DIR = Path(autograder.__file__).resolve().parent
WORK_DIR = "/home/student"  # the kernel's cwd inside the sandbox: a tmpfs, wiped between notebooks
SYSTEM_DIRS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"]
SYSTEM_FILES = ["/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/nsswitch.conf"]
# Caps the server needs only to drop to the sandbox uid; setpriv drops them (bounding set too) before Python runs.
CAPS_TO_SWITCH_UID = ["CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP"]
THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}  # fork-safe: no pools
GIB = 1 << 30
MIB = 1 << 20


@dataclass
class Limits:
    """Caps on one notebook's kernel (memory, file size, CPU) and on the worker's sandbox (processes)."""

    memory: int = 4 * GIB  # RLIMIT_AS of the kernel process
    file_size: int = 256 * MIB  # RLIMIT_FSIZE; also the size of each tmpfs
    cpu_seconds: int = 600  # RLIMIT_CPU when a task names none: a backstop behind the wall-clock timeouts
    processes: int = 256  # RLIMIT_NPROC of the sandbox uid (threads count too)


class SandboxUnavailable(RuntimeError):
    pass


def unavailable_reason() -> str | None:
    """Why this machine cannot sandbox kernels, or None if it can."""
    if not sys.platform.startswith("linux"):
        return f"bubblewrap sandboxing needs Linux (this is {sys.platform})"
    for tool in ("bwrap", "setpriv"):
        if shutil.which(tool) is None:
            return f"`{tool}` is not installed (Debian/Ubuntu: apt-get install bubblewrap util-linux)"
    if os.geteuid() != 0:
        return "the sandbox drops to a per-worker uid, which needs the grader to run as root"
    return None


def parse_size(text: str) -> int:
    """'4G', '512M', '1024K' or plain bytes -> bytes."""
    text = text.strip().upper().removesuffix("B").removesuffix("I")
    units = {"K": 1 << 10, "M": MIB, "G": GIB, "T": 1 << 40}
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def sandbox_uid(seed: int) -> int:
    """An otherwise unused uid for one worker: RLIMIT_NPROC counts per uid across the whole host,
    so workers (and concurrent grading runs) must not share one."""
    return 200_000 + seed % 100_000


def python_dirs() -> list[str]:
    """The interpreter, its standard library and the venv, wherever they live (pyenv keeps them under /root)."""
    dirs = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix), sys.prefix}
    dirs.add(os.path.dirname(os.path.realpath(sys.executable)))
    return sorted(dirs)


def bwrap_argv(command: list[str], *, link_dir: str, uid: int, limits: Limits) -> list[str]:
    """bwrap + setpriv command line that runs ``command`` in the sandbox as ``uid``."""
    argv = ["bwrap", "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session", "--hostname", "sandbox", "--cap-drop", "ALL"]
    for cap in CAPS_TO_SWITCH_UID:
        argv += ["--cap-add", cap]
    for path in SYSTEM_DIRS + SYSTEM_FILES:
        argv += ["--ro-bind-try", path, path]
    argv += ["--proc", "/proc", "--dev", "/dev"]
    size = str(limits.file_size)
    argv += ["--size", size, "--perms", "1777", "--tmpfs", "/tmp", "--size", size, "--perms", "1777", "--tmpfs", "/dev/shm",
             "--size", size, "--perms", "0777", "--tmpfs", WORK_DIR]
    # Binds after the tmpfs mounts, which would hide them: the course may well live under /tmp.
    private = python_dirs() + [str(PACKAGE_DIR)]
    argv += traversable_parents(private + [link_dir])
    for path in private:
        argv += ["--ro-bind", path, path]
    argv += ["--bind", link_dir, link_dir, "--chdir", WORK_DIR, "--clearenv"]
    for key, value in sandbox_env().items():
        argv += ["--setenv", key, value]
    argv += ["--", shutil.which("setpriv") or "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
             "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
    return argv + command


def traversable_parents(paths: list[str]) -> list[str]:
    """bwrap makes missing parents of a mount point mode 0700, which the sandbox uid could not
    cross (/root/.pyenv, /work/main/.venv): create them 0755 first (they hold only the mounts)."""
    parents = sorted({str(p) for path in paths for p in Path(path).parents if str(p) != "/"}, key=len)
    argv = []
    for parent in parents:
        argv += ["--perms", "0755", "--dir", parent]
    return argv


def sandbox_env() -> dict[str, str]:
    """The whole environment inside: nothing of the grader's leaks in (no JPY_PARENT_PID, no secrets)."""
    path = os.pathsep.join([os.path.join(sys.prefix, "bin"), "/usr/local/bin", "/usr/bin", "/bin"])
    return {"PATH": path, "HOME": WORK_DIR, "USER": "student", "LANG": "C.UTF-8", "PYTHONNOUSERSITE": "1",
            "IPYTHONDIR": "/tmp/.ipython", "MPLCONFIGDIR": "/tmp/.matplotlib", "PYTHONDONTWRITEBYTECODE": "1",
            **THREAD_ENV}


class Cgroup:
    """A best-effort cap on a whole sandbox's memory and processes (cgroup v1 or v2, where writable).

    RLIMIT_AS binds one process, so a student who forks could still add up many limits; the
    cgroup caps the sum (tmpfs pages included). Where no cgroup can be made (a locked-down
    container), the per-process rlimits and RLIMIT_NPROC remain."""

    def __init__(self, dirs: list[Path]):
        self.dirs = dirs

    @classmethod
    def create(cls, memory: int, processes: int) -> Cgroup | None:
        name = f"autograder-{os.getpid()}-{os.urandom(4).hex()}"
        made: list[Path] = []
        try:
            for controller, files in cls.plan(memory, processes).items():
                folder = controller / name
                folder.mkdir()
                made.append(folder)
                for file, value in files.items():
                    (folder / file).write_text(str(value))
            return cls(made) if made else None
        except OSError:
            cls(made).remove()
            return None

    @staticmethod
    def plan(memory: int, processes: int) -> dict[Path, dict[str, int]]:
        """Parent cgroup folder -> limits to write, for the hierarchies this process belongs to."""
        own = {}
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            for controller in controllers.split(",") if controllers else [""]:
                own[controller] = path.lstrip("/")
        root = Path("/sys/fs/cgroup")
        if (root / "memory").is_dir() and "memory" in own:  # v1
            plan = {root / "memory" / own["memory"]: {"memory.limit_in_bytes": memory}}
            if (root / "pids").is_dir() and "pids" in own:
                plan[root / "pids" / own["pids"]] = {"pids.max": processes}
            return plan
        if (root / "cgroup.controllers").exists() and "" in own:  # v2
            return {root / own[""]: {"memory.max": memory, "pids.max": processes}}
        return {}

    def wrap(self, argv: list[str]) -> list[str]:
        """``argv`` started inside the cgroup(s), so that everything it forks is counted from the start."""
        enter = "; ".join(f"echo $$ > '{folder / 'cgroup.procs'}'" for folder in self.dirs)
        return ["sh", "-c", f'set -e; {enter}; exec "$@"', "sh", *argv]

    def remove(self) -> None:
        for folder in self.dirs:
            try:
                folder.rmdir()  # only possible once its processes are gone
            except OSError:
                pass
