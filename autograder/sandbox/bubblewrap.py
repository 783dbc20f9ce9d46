"""The bubblewrap sandbox a student's kernel runs in (see DESIGN.md §4).

Inside: no network, its own PID/IPC/UTS namespaces, no capabilities, an unprivileged uid (so
RLIMIT_NPROC binds; it never binds root), the host read-only and only what Python needs visible
(system dirs, the interpreter, the venv, this package). Writable: size-capped tmpfs mounts for the
kernel's cwd, /tmp and /dev/shm (each kernel gets fresh ones, see :mod:`autograder.sandbox.forkserver`),
and the link folder that carries the kernel's ZMQ ``ipc`` sockets, since TCP cannot cross
``--unshare-net``: a size-capped tmpfs the grader mounts (:class:`LinkFolder`), in which the grader
makes a fresh subfolder for each kernel. The course root, gradebook, solutions/, other
submissions and /root stay invisible because they are never bound.
"""

from __future__ import annotations

import ctypes
import logging
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import autograder

PACKAGE_DIR = Path(autograder.__file__).resolve().parent
WORK_DIR = "/home/student"  # the kernel's cwd inside the sandbox: a tmpfs, fresh for every notebook
LINK_DIR = "/run/autograder"  # where the link folder appears inside the sandbox
SYSTEM_DIRS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"]
SYSTEM_FILES = ["/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/nsswitch.conf"]
# Caps the server needs only to drop to the sandbox uid; setpriv drops them (bounding set too) before Python runs.
CAPS_TO_SWITCH_UID = ["CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP"]
THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}  # fork-safe: no pools
GIB = 1 << 30
MIB = 1 << 20
LINK_SIZE = 16 * MIB  # the link folder holds sockets and nothing else worth a byte
CPU_PERIOD_US = 100_000
log = logging.getLogger("autograder.sandbox.bubblewrap")


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
    argv += traversable_parents(private + [LINK_DIR])
    for path in private:
        argv += ["--ro-bind", path, path]
    argv += ["--bind", link_dir, LINK_DIR, "--chdir", WORK_DIR, "--clearenv"]
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
    """A best-effort cap on a whole sandbox's memory, processes and CPU (cgroup v1 or v2, where writable).

    RLIMIT_AS binds one process, so a student who forks could still add up many limits; the
    cgroup caps the sum (tmpfs pages included). The CPU quota (one core per sandbox) keeps a
    notebook that starts many busy processes, each in its own session, from starving the other
    workers' notebooks. Each controller is set up on its own: where one cannot be made (a
    locked-down container), a log line says so and the per-process rlimits remain."""

    def __init__(self, dirs: list[Path]):
        self.dirs = dirs

    @classmethod
    def create(cls, memory: int, processes: int, cores: float = 1.0, prefix: str = "autograder") -> Cgroup | None:
        name = f"{prefix}-{os.getpid()}-{os.urandom(4).hex()}"
        made: list[Path] = []
        plan = cls.plan(memory, processes, cores)
        for controller, files in plan.items():
            folder = make_cgroup(controller / name, files)
            if folder:
                made.append(folder)
        missing = {"memory", "pids", "cpu"} - {kind for folder in made for kind in cgroup_kinds(folder)}
        if missing:
            log.warning("no cgroup for %s here: those limits on the sandbox are per process only", ", ".join(sorted(missing)))
        return cls(made) if made else None

    @staticmethod
    def plan(memory: int, processes: int, cores: float = 1.0) -> dict[Path, dict[str, int | str]]:
        """Parent cgroup folder -> limits to write, for the hierarchies this process belongs to."""
        own = {}
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            for controller in controllers.split(",") if controllers else [""]:
                own[controller] = path.lstrip("/")
        root, quota = Path("/sys/fs/cgroup"), int(cores * CPU_PERIOD_US)
        v1 = {"memory": {"memory.limit_in_bytes": memory}, "pids": {"pids.max": processes},
              "cpu": {"cpu.cfs_period_us": CPU_PERIOD_US, "cpu.cfs_quota_us": quota, "cpu.shares": 1024}}
        plan: dict[Path, dict[str, int | str]] = {}
        for controller, files in v1.items():
            folder = v1_hierarchy(root, controller)
            if folder is not None and controller in own:
                plan.setdefault(folder / own[controller], {}).update(files)
        if not plan and (root / "cgroup.controllers").exists() and "" in own:  # v2
            plan[root / own[""]] = {"memory.max": memory, "pids.max": processes, "cpu.max": f"{quota} {CPU_PERIOD_US}",
                                    "cpu.weight": 100}
        return plan

    def folder(self, kind: str) -> Path | None:
        """The cgroup folder that holds ``kind``'s limits (memory, pids, cpu), if there is one."""
        return next((folder for folder in self.dirs if kind in cgroup_kinds(folder)), None)

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

    @classmethod
    def remove_all(cls, prefix: str, wait: float = 5.0) -> None:
        """Remove every cgroup named ``prefix-…`` (those of workers killed before they could remove theirs)."""
        import time

        left = [folder for parent in cls.plan(0, 0) for folder in parent.glob(f"{prefix}-*")]
        deadline = time.monotonic() + wait
        while left and time.monotonic() < deadline:
            cls(left).remove()  # a killed sandbox's processes take a moment to go
            left = [folder for folder in left if folder.exists()]
            if left:
                time.sleep(0.1)


def v1_hierarchy(root: Path, controller: str) -> Path | None:
    """The cgroup v1 mount that carries ``controller`` (cpu may be mounted alone or as cpu,cpuacct)."""
    for name in (controller, f"{controller},cpuacct", f"cpuacct,{controller}"):
        if (root / name / "cgroup.procs").exists():
            return root / name
    return None


def make_cgroup(folder: Path, files: dict[str, int | str]) -> Path | None:
    """``folder`` with every limit in ``files`` written, or None (and nothing left) if any write fails."""
    try:
        folder.mkdir()
    except OSError as error:
        log.warning("cannot create cgroup %s: %s", folder, error)
        return None
    try:
        for file, value in files.items():
            if (folder / file).exists():
                (folder / file).write_text(str(value))
        return folder
    except OSError as error:
        log.warning("cannot set %s in %s: %s", file, folder, error)
        try:
            folder.rmdir()
        except OSError:
            pass
        return None


def cgroup_kinds(folder: Path) -> set[str]:
    """Which of memory, pids and cpu a cgroup folder limits (v2 folders limit all three)."""
    kinds = {kind for kind, file in (("memory", "memory.max"), ("memory", "memory.limit_in_bytes"), ("pids", "pids.max"),
                                     ("cpu", "cpu.max"), ("cpu", "cpu.cfs_quota_us")) if (folder / file).exists()}
    return kinds


# --------------------------------------------------------------------------- the link folder

MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_NOSYMFOLLOW = 0x2, 0x4, 0x8, 0x100
MNT_DETACH = 2
_libc = ctypes.CDLL(None, use_errno=True)


class LinkFolder:
    """The host folder that carries one worker's kernel sockets: a size-capped tmpfs, root's, 0711.

    The sandbox uid can neither list it nor create anything in it; for each kernel the grader (root)
    makes a fresh subfolder owned by the sandbox uid, and removes it after the notebook. Symlinks
    are not followed on it, so a kernel cannot point the grader's socket connections elsewhere.
    Where no tmpfs can be mounted, it is a plain folder, and a log line says that it is uncapped."""

    def __init__(self, path: Path, mounted: bool):
        self.path, self.mounted = path, mounted

    @classmethod
    def create(cls, parent: str | None, size: int = LINK_SIZE) -> LinkFolder:
        import tempfile

        path = Path(tempfile.mkdtemp(prefix="autograder-link-", dir=parent))
        os.chmod(path, 0o711)
        options = f"size={size},nr_inodes=4096,mode=0711,uid=0,gid=0".encode()
        flags = MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOSYMFOLLOW
        mounted = _libc.mount(b"tmpfs", str(path).encode(), b"tmpfs", flags, options) == 0
        if not mounted:
            log.warning("cannot mount a size-capped tmpfs on %s (%s): the kernels' link folder is uncapped",
                        path, os.strerror(ctypes.get_errno()))
        return cls(path, mounted)

    def new_subfolder(self, uid: int) -> Path:
        """A fresh, empty folder for one kernel's sockets, writable only by the sandbox uid."""
        sub = self.path / f"k-{os.urandom(8).hex()}"
        sub.mkdir(mode=0o700)
        os.chown(sub, uid, uid)
        return sub

    def remove_subfolder(self, sub: Path) -> None:
        shutil.rmtree(sub, ignore_errors=True)  # as root: a kernel's 0555 folders do not stop it

    def close(self) -> None:
        if self.mounted:
            _libc.umount2(str(self.path).encode(), MNT_DETACH)
        shutil.rmtree(self.path, ignore_errors=True)


def unmount_all_under(folder: str) -> None:
    """Detach every mount below ``folder`` (link folders whose worker died before closing them)."""
    prefix = os.path.realpath(folder) + "/"
    with open("/proc/self/mountinfo", encoding="utf-8") as f:
        points = [line.split()[4] for line in f]
    for point in sorted((p for p in points if p.startswith(prefix)), key=len, reverse=True):
        _libc.umount2(point.encode(), MNT_DETACH)
