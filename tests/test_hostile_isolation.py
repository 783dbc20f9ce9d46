"""Hostile notebooks against each other on one warm worker, against the worker, and against the batch.

Notebook A plants something in every place it can write, and notebook B, run next on the SAME warm
worker, must find none of it; a notebook that walks the whole file system finds only places made
fresh for it; a huge print does not make the grader keep it; a notebook's processes run inside a
CPU-capped cgroup; and a worker that dies has its notebooks run again.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import threading
import time
from pathlib import Path

import nbformat
import pytest
from warm_worker import LIMITS, close_worker, host_processes_of, needs_sandbox, outputs_text, run_on_worker

from autograder.grading.execute import Outcome, Task
from autograder.sandbox import executors
from autograder.sandbox.bubblewrap import WORK_DIR, Limits

FRESH_ROOTS = ["/tmp", "/dev/shm", WORK_DIR]  # written literally: what the sandbox promises, not what it computes


@pytest.fixture(scope="module")
def worker():
    """One warm sandboxed worker for the whole module, as a pool worker serves a batch."""
    yield lambda *cells, **kw: run_on_worker(*cells, **{"cell_timeout": 20, "notebook_timeout": 120, **kw})
    close_worker()


# --------------------------------------------------------------------------- what notebook A plants

SYSV = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
KEY, IPC_CREAT = 0x5EED, 0o1000
"""

PLANT = SYSV + r"""
import builtins, glob, json, os, stat, subprocess, sys
planted = []
def plant(path, text='planted'):
    os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)
    planted.append(path)

startup = '/tmp/.ipython/profile_default/startup'
plant(startup + '/00-planted.py', 'import builtins\nbuiltins.PLANTED_STARTUP = True\nprint("PLANTED STARTUP RAN")\n')
os.chmod(startup, 0o555)   # the trick that beat a reset run as the sandbox uid
os.chmod('/tmp/.ipython/profile_default', 0o555)
plant('/tmp/.matplotlib/matplotlibrc', 'backend: planted\n')
plant('/tmp/planted-tmp')
os.makedirs('/tmp/planted-ro/inner'); plant('/tmp/planted-ro/inner/x'); os.chmod('/tmp/planted-ro/inner', 0o555); os.chmod('/tmp/planted-ro', 0o555)
plant('/dev/shm/planted-shm')
plant('planted-cwd')
plant('sitecustomize.py', 'import builtins\nbuiltins.PLANTED_SITE = True\n')
plant('usercustomize.py', 'import builtins\nbuiltins.PLANTED_USER = True\n')
plant(os.path.expanduser('~/.ipython/profile_default/startup/00-planted.py'), 'import builtins\nbuiltins.PLANTED_HOME = True\n')
plant(os.path.expanduser('~/.config/matplotlib/matplotlibrc'), 'backend: planted\n')
plant(os.path.expanduser('~/.local/lib/python%d.%d/site-packages/planted.pth' % sys.version_info[:2]), 'import builtins; builtins.PLANTED_PTH = True\n')
plant(os.path.expanduser('~/.pythonrc'), 'import builtins; builtins.PLANTED_RC = True\n')
link = os.path.dirname(json.load(open(glob.glob('/tmp/.kernel-*.json')[0]))['ip'])
plant(link + '/planted-link')
os.makedirs(link + '/planted-dir'); os.chmod(link + '/planted-dir', 0o555)
try:
    plant(os.path.dirname(link) + '/planted-next-to-link')
except OSError as e:
    print('link folder itself refused', type(e).__name__)
shm = libc.shmget(KEY, 4096, IPC_CREAT | 0o666); msg = libc.msgget(KEY, IPC_CREAT | 0o666); sem = libc.semget(KEY, 1, IPC_CREAT | 0o666)
print('sysv', shm >= 0, msg >= 0, sem >= 0)
survivor = "import os, signal, time\nfor s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT): signal.signal(s, signal.SIG_IGN)\nif os.fork(): os._exit(0)\nos.setsid()\nwhile True:\n    open('/tmp/planted-by-survivor', 'w').write('alive'); time.sleep(0.1)\n"
subprocess.Popen([sys.executable, '-c', survivor, 'planted-survivor'], start_new_session=True)
import time; time.sleep(0.5)
builtins.PLANTED_BUILTIN = True
print('planted', len(planted), 'all there', all(os.path.exists(p) for p in planted))
"""

INSPECT = SYSV + r"""
import builtins, glob, json, os
names = [n for n in dir(builtins) if n.startswith('PLANTED')]
found = []
link = os.path.dirname(json.load(open(glob.glob('/tmp/.kernel-*.json')[0]))['ip'])
# Read-only mounts are the grader's (the venv and this package, under /tmp when the course was cloned there).
read_only = {f.split()[4] for f in open('/proc/self/mountinfo') if 'ro' in f.split()[5].split(',')}
for top in ['/tmp', '/dev/shm', os.getcwd(), os.path.expanduser('~'), link]:
    for folder, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if os.path.join(folder, d) not in read_only]
        found += [os.path.join(folder, n) for n in dirs + files if 'planted' in n or n in ('sitecustomize.py', 'usercustomize.py', 'matplotlibrc', '.pythonrc')]
startup_files = sorted(glob.glob('/tmp/.ipython/profile_default/startup/*.py') + glob.glob('/tmp/.ipython/profile_default/startup/*.ipy'))
cmdlines = []
for pid in filter(str.isdigit, os.listdir('/proc')):
    try:
        cmdlines.append(open(f'/proc/{pid}/cmdline', 'rb').read().decode(errors='replace'))
    except OSError:
        pass
sysv = [libc.shmget(KEY, 0, 0) >= 0, libc.msgget(KEY, 0) >= 0, libc.semget(KEY, 0, 0) >= 0]
print('REPORT', json.dumps({'builtins': names, 'found': found, 'startup': startup_files,
                            'survivors': [c for c in cmdlines if 'planted' in c], 'sysv': sysv}))
"""


@needs_sandbox
@pytest.mark.slow
def test_nothing_a_notebook_plants_reaches_the_next_on_the_same_worker(worker):
    outcome, text = worker(PLANT)
    assert outcome.status == "ok", outcome.detail
    assert "planted 13 all there True" in text, text  # A really did write every one of them
    assert "link folder itself refused PermissionError" in text and "sysv True True True" in text
    server = executors._server
    assert len(host_processes_of(server.uid)) == 1, "the survivor outlived its notebook (1 = the fork server)"

    outcome, text = worker(INSPECT)
    assert executors._server is server, "the same warm worker served both notebooks"
    assert outcome.status == "ok", outcome.detail
    assert "PLANTED STARTUP RAN" not in text
    report = json.loads(text.split("REPORT", 1)[1].strip().splitlines()[0])
    assert report == {"builtins": [], "found": [], "startup": [], "survivors": [], "sysv": [False, False, False]}


WALK = r"""
import glob, json, os
link = os.path.dirname(json.load(open(glob.glob('/tmp/.kernel-*.json')[0]))['ip'])
writable = []
for top in ['/', link]:  # / cannot list /run/autograder (0711): the kernel's own subfolder is walked by name
    for folder, dirs, files in os.walk(top):
        if folder == '/':
            dirs[:] = [d for d in dirs if d not in ('proc', 'sys')]
        try:
            fd = os.open(os.path.join(folder, '.probe-write'), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except OSError:
            continue
        os.close(fd); os.unlink(os.path.join(folder, '.probe-write'))
        writable.append(folder)
mounts = {line.split()[4]: line for line in open('/proc/self/mountinfo')}
print('WRITABLE', sorted(writable))
for root in %r + [link]:
    print('MOUNT', root, mounts.get(root, 'not a mount point').split(' - ')[-1].strip())
"""


@needs_sandbox
@pytest.mark.slow
def test_every_writable_place_is_fresh_and_capped(worker):
    outcome, text = worker(WALK % FRESH_ROOTS)
    assert outcome.status == "ok", outcome.detail
    writable = eval(text.split("WRITABLE", 1)[1].strip().splitlines()[0])  # noqa: S307 - a list printed by the test's own code
    link = next(line.split()[1] for line in text.splitlines() if line.startswith("MOUNT /run/"))
    assert link.startswith("/run/autograder/k-")
    assert {"/tmp", "/dev/shm", WORK_DIR, link} <= set(writable)
    assert all(any(w == r or w.startswith(r + "/") for r in [*FRESH_ROOTS, link]) for w in writable), writable
    mounts = {line.split()[1]: line for line in text.splitlines() if line.startswith("MOUNT")}
    for root in FRESH_ROOTS:  # a tmpfs of its own (owned by the kernel's uid), with a size cap
        assert f"size={LIMITS.file_size // 1024}k" in mounts[root] and "uid=" in mounts[root], mounts[root]


UNCOVER = r"""
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
uid = os.getuid()
assert libc.unshare(0x10000000 | 0x00020000) == 0  # a user and mount namespace of its own, with all capabilities in it
open('/proc/self/setgroups', 'w').write('deny'); open('/proc/self/uid_map', 'w').write(f'{uid} {uid} 1')
for folder in ('/tmp', '/dev/shm', '/home/student'):
    print(folder, 'unmounted' if libc.umount2(folder.encode(), 2) == 0 else 'refused')
"""


@needs_sandbox
@pytest.mark.slow
def test_a_kernel_cannot_uncover_what_lies_under_its_fresh_mounts(worker):
    outcome, text = worker(f"import subprocess, sys\nprint(subprocess.run([sys.executable, '-c', {UNCOVER!r}], capture_output=True, text=True).stdout)")
    assert outcome.status == "ok", outcome.detail
    assert text.count("refused") == 3 and "unmounted" not in text, text


@needs_sandbox
@pytest.mark.slow
def test_the_link_folder_is_a_capped_root_tmpfs_with_a_fresh_subfolder_per_kernel(worker):
    outcome, text = worker("import glob, json, os\nip = json.load(open(glob.glob('/tmp/.kernel-*.json')[0]))['ip']\n"
                           "try:\n    open(os.path.dirname(ip) + '/fill', 'wb').write(b'x' * (40 << 20)); print('WROTE 40 MiB')\n"
                           "except OSError as e:\n    print('capped', e.errno)")
    assert outcome.status == "ok", outcome.detail
    assert "capped 28" in text  # ENOSPC: 16 MiB tmpfs, below the kernel's own 64 MiB file-size limit
    links = executors._server.links
    assert links.mounted and oct(os.stat(links.path).st_mode & 0o777) == "0o711" and os.stat(links.path).st_uid == 0
    assert list(links.path.iterdir()) == [], "the kernel's subfolder is gone once its notebook is done"


# --------------------------------------------------------------------------- outputs

@needs_sandbox
@pytest.mark.slow
def test_a_huge_print_is_not_kept_and_the_other_cells_still_count(worker):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss << 10
    outcome, text = worker("answer = 42",
                           "print('x' * 300_000_000)",  # one 300 MB message: refused unread
                           "for _ in range(30):\n    print('y' * 1_000_000, flush=True)",  # 30 MB in many messages: truncated
                           "print('still here', answer)",
                           probes={"q1": ["answer"]})
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss << 10) - before
    assert outcome.status == "ok", outcome.detail
    assert outcome.observed["q1"][0]["value"] == 42
    assert "still here 42" in text
    assert "output truncated by the grader" in text and "did not reach the grader" in text
    assert len(outcome.nb_json) < 1_000_000, len(outcome.nb_json)  # per output: 200 000 characters and a note
    assert grown < 150 << 20, f"the grader's peak memory grew by {grown >> 20} MiB"


# --------------------------------------------------------------------------- CPU share

@needs_sandbox
@pytest.mark.slow
def test_a_notebooks_processes_run_in_the_sandboxs_cpu_capped_cgroup(worker):
    worker("pass")  # the worker's sandbox is up
    server = executors._server
    cpu = server.cgroup.folder("cpu") if server.cgroup else None
    if cpu is None:
        pytest.skip("no writable cpu cgroup on this machine")
    seen: dict = {}
    busy = ("import subprocess, sys, time\n"
            "procs = [subprocess.Popen([sys.executable, '-c', 'while True: pass'], start_new_session=True) for _ in range(2)]\n"
            "time.sleep(4)")
    runner = threading.Thread(target=lambda: seen.setdefault("outcome", worker(busy)[0]))
    runner.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(host_processes_of(server.uid)) < 4:
        time.sleep(0.1)  # the server, the kernel and its two busy processes
    sandbox_processes = set(host_processes_of(server.uid))
    in_cgroup = {int(pid) for pid in (cpu / "cgroup.procs").read_text().split()}
    runner.join()
    assert len(sandbox_processes) >= 4
    assert sandbox_processes <= in_cgroup
    if (cpu / "cpu.cfs_quota_us").exists():  # cgroup v1
        assert (cpu / "cpu.cfs_quota_us").read_text().strip() == "100000"
        assert (cpu / "cpu.cfs_period_us").read_text().strip() == "100000"
    else:
        assert (cpu / "cpu.max").read_text().split() == ["100000", "100000"]
    assert seen["outcome"].status == "ok"


# --------------------------------------------------------------------------- a worker that dies

def run_or_kill_the_worker(task: Task) -> Outcome:
    """A stand-in for a notebook run: 'killer' takes its worker process down, like the OOM killer would;
    'once' does so only the first time (its marker file says it already did)."""
    marker = Path(task.nb_json)
    if task.student == "killer" or (task.student == "once" and not marker.exists()):
        marker.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.2)
    return Outcome("ok", {}, "", 0.2, f"ran {task.student} in {os.getpid()}")


def test_a_lost_worker_runs_its_notebooks_again_and_only_a_repeat_killer_gets_error(tmp_path):
    students = ["a", "b", "killer", "c", "once", "d", "e", "f"]
    tasks = [Task(s, "ex", "nb.ipynb", str(tmp_path / s), {}) for s in students]
    results = dict((task.student, outcome) for task, outcome in executors.LocalExecutor(2, run_or_kill_the_worker).map(tasks))
    assert sorted(results) == sorted(students)
    assert results["killer"].status == "error" and "died twice" in results["killer"].detail
    assert all(results[s].status == "ok" and results[s].detail.startswith(f"ran {s}") for s in students if s != "killer")


def test_output_limit_keeps_each_output_and_the_notebook_under_their_caps_with_one_note_per_cell():
    from autograder.grading.execute import OutputLimit

    # letters that the truncation note does not contain, so counting them counts what was kept
    limit = OutputLimit(per_output=1000, per_notebook=3000)
    stream = lambda text: nbformat.v4.new_output("stream", name="stdout", text=text)  # noqa: E731
    small = limit.admit(stream("q" * 500), 0)
    cut = limit.admit(stream("x" * 2000), 1)
    again = limit.admit(stream("z" * 2000), 1)
    other = limit.admit(stream("w" * 500), 2)
    late = limit.admit(stream("v" * 900), 3)
    image = limit.admit(nbformat.v4.new_output("display_data", data={"image/png": "j" * 9000}), 4)
    assert small["text"] == "q" * 500 and other["text"] == "w" * 500
    assert cut["text"].startswith("x" * 1000) and cut["text"].count("x") == 1000 and "1000 characters not kept" in cut["text"]
    assert again is None  # cell 1 already has its note
    assert late["text"].startswith("v") and late["text"].count("v") < 900 and "output truncated by the grader" in late["text"]
    assert image["output_type"] == "stream" and "j" not in image["text"].split("[")[0] and "not kept" in image["text"]
    kept = sum(out["text"].count(letter) for out, letter in [(small, "q"), (cut, "x"), (other, "w"), (late, "v")])
    assert kept <= 3000


def run_warm_or_kill_the_worker(task: Task, limits: Limits, run_dir: str) -> Outcome:
    if task.student == "killer":
        os.kill(os.getpid(), signal.SIGKILL)  # as the OOM killer would, with the worker's fork server in it
    return executors.run_warm(task, limits, run_dir)


@needs_sandbox
@pytest.mark.slow
def test_warm_sandboxed_workers_survive_a_lost_worker_and_leave_no_mount_behind():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('graded', 6 * 7)")])
    students = ["a", "killer", "b", "c"]
    tasks = [Task(s, "ex", "nb.ipynb", nbformat.writes(nb), {}, 20, 120) for s in students]
    executor = executors.WarmSandboxExecutor(2, LIMITS, run_task=run_warm_or_kill_the_worker)
    executor.start()
    run_dir = executor.run_dir
    results = {task.student: outcome for task, outcome in executor.map(tasks)}
    assert results["killer"].status == "error" and "died twice" in results["killer"].detail
    for student in ("a", "b", "c"):
        assert results[student].status == "ok", results[student].detail
        assert "graded 42" in outputs_text(results[student].nb_json)
    assert run_dir not in Path("/proc/self/mountinfo").read_text() and not Path(run_dir).exists()
    left = [p for depth in ("*", "*/*", "*/*/*") for p in Path("/sys/fs/cgroup").glob(f"{depth}/autograder-{Path(run_dir).name}-*")]
    assert not left, "a killed worker's cgroup was left"
