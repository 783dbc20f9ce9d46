"""The sandbox and the warm fork-server workers: what a submission can and cannot do.

Most tests run several notebooks one after another on ONE warm worker (as in a real batch), so
each also checks that a student's mischief does not reach the next student graded there.
"""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from warm_worker import LIMITS, close_worker, host_processes_of, needs_sandbox, run_on_worker

from autograder.sandbox import executors
from autograder.sandbox.bubblewrap import GIB, Limits, bwrap_argv, parse_size

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- helpers

@pytest.fixture(scope="module")
def worker():
    """One warm sandboxed worker, shared by the module's tests like a pool worker shares a batch."""
    yield lambda *cells, **kw: run_on_worker(*cells, **kw)
    close_worker()


def assert_next_student_is_unaffected(worker) -> None:
    outcome, text = worker("import torch\nx = torch.tensor(3.0, requires_grad=True)\n(x * x).backward()\nprint('grad', x.grad.item())")
    assert outcome.status == "ok", outcome.detail
    assert "grad 6.0" in text


# --------------------------------------------------------------------------- no bwrap needed

def test_parse_size():
    assert parse_size("4G") == 4 * GIB
    assert parse_size("512M") == 512 << 20
    assert parse_size("1GiB") == GIB
    assert parse_size("1000") == 1000


def test_sandbox_command_has_the_essential_flags():
    argv = bwrap_argv(["python"], link_dir="/tmp/link", uid=201234, limits=Limits())
    for flag in ["--unshare-net", "--unshare-pid", "--die-with-parent", "--clearenv", "--reuid=201234", "--no-new-privs"]:
        assert flag in argv
    assert argv[argv.index("--cap-drop") + 1] == "ALL"
    bound = {argv[i + 1] for i, a in enumerate(argv) if a in ("--bind", "--ro-bind", "--ro-bind-try")}
    assert str(ROOT) not in bound and "/root" not in bound and "/" not in bound
    assert not any(b.endswith("solutions") or b.endswith("gradebook.db") for b in bound)
    writable = {argv[i + 1] for i, a in enumerate(argv) if a == "--bind"}
    assert writable == {"/tmp/link"}


def test_grading_refuses_without_a_sandbox_unless_told(monkeypatch, capsys):
    monkeypatch.setattr("autograder.sandbox.bubblewrap.unavailable_reason", lambda: "`bwrap` is not installed")
    with pytest.raises(SystemExit, match="--no-sandbox"):
        executors.make_executor(2)
    assert isinstance(executors.make_executor(2, sandbox=False), executors.LocalExecutor)
    assert "UNSANDBOXED" in capsys.readouterr().err


# --------------------------------------------------------------------------- inside the sandbox

@needs_sandbox
@pytest.mark.slow
def test_no_network(worker):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    try:
        outcome, text = worker(
            "import socket\ntry:\n"
            f"    socket.create_connection(('127.0.0.1', {port}), timeout=3); print('CONNECTED')\n"
            "except OSError as e:\n    print('blocked', type(e).__name__)\n"
            "try:\n    socket.create_connection(('1.1.1.1', 53), timeout=3); print('CONNECTED')\n"
            "except OSError as e:\n    print('blocked', type(e).__name__)")
    finally:
        listener.close()
    assert outcome.status == "ok", outcome.detail
    assert "CONNECTED" not in text and text.count("blocked") == 2


@needs_sandbox
@pytest.mark.slow
def test_cannot_read_solutions_gradebook_other_students_or_root(worker, tmp_path):
    other = tmp_path / "submitted" / "bob"
    other.mkdir(parents=True)
    (other / "ex01.ipynb").write_text("bob's answers")
    secrets_to_try = [ROOT / "solutions" / "ex01" / "ex01.ipynb", ROOT / "gradebook.db", other / "ex01.ipynb",
                      ROOT / "nbgrader_config.py", Path("/root/.bashrc"), Path("/etc/shadow")]
    code = "for p in %r:\n    try:\n        open(p).read(1); print('READ', p)\n    except OSError as e:\n        print('denied', type(e).__name__)" % [str(p) for p in secrets_to_try]
    outcome, text = worker(code, f"import os\nprint('listing', sorted(os.listdir({str(ROOT)!r})))")
    assert outcome.status == "ok", outcome.detail
    assert "READ" not in text and text.count("denied") == len(secrets_to_try)
    assert "listing ['.venv', 'autograder']" in text  # the course root holds only what Python needs


@needs_sandbox
@pytest.mark.slow
def test_cannot_write_outside_its_scratch(worker, tmp_path):
    token = secrets.token_hex(4)
    targets = [ROOT / f"x-{token}", ROOT / "autograder" / f"x-{token}", tmp_path / "x", Path("/usr") / f"x-{token}"]
    code = (f"for p in {[str(p) for p in targets]!r}:\n    try:\n        open(p, 'w').write('x'); print('WROTE', p)\n"
            "    except OSError as e:\n        print('denied', type(e).__name__)\n"
            f"open('/tmp/x-{token}', 'w').write('only in the sandbox tmpfs')\nopen('here.txt', 'w').write('scratch')\nprint('scratch ok')")
    outcome, text = worker(code)
    assert outcome.status == "ok", outcome.detail
    assert "scratch ok" in text
    # Read-only mounts refuse the write wherever the course lives. The course root itself is writable only
    # as a folder of the kernel's own fresh /tmp when the course was cloned under /tmp: nothing reaches the host.
    for p in [ROOT / "autograder" / f"x-{token}", Path("/usr") / f"x-{token}"]:
        assert f"WROTE {p}" not in text, text
    if not str(ROOT).startswith("/tmp/"):
        assert f"WROTE {ROOT}" not in text, text
    assert not any(p.exists() for p in targets) and not Path(f"/tmp/x-{token}").exists()


@needs_sandbox
@pytest.mark.slow
def test_no_capabilities_and_an_unprivileged_uid(worker):
    outcome, text = worker("import os\nprint('uid', os.getuid())\n"
                           "print([l for l in open('/proc/self/status') if l.startswith(('CapEff', 'CapBnd', 'NoNewPrivs'))])\n"
                           "print('JPY_PARENT_PID' in os.environ, sorted(os.environ)[:3])")
    assert outcome.status == "ok", outcome.detail
    assert "uid 0" not in text and "CapEff:\\t0000000000000000" in text and "CapBnd:\\t0000000000000000" in text
    assert "NoNewPrivs:\\t1" in text and "False" in text


@needs_sandbox
@pytest.mark.slow
def test_monkeypatches_files_and_processes_do_not_reach_the_next_student(worker):
    outcome, _ = worker("import torch, builtins, subprocess\n"
                        "torch.Tensor.backward = lambda *a, **k: None\n"
                        "builtins.LEAK = 'from the last student'\n"
                        "open('/tmp/leak', 'w').write('x'); open('leak', 'w').write('x'); open('/dev/shm/leak', 'w').write('x')\n"
                        "subprocess.Popen(['sleep', '600'], start_new_session=True)")  # a straggler
    assert outcome.status == "ok", outcome.detail
    assert len(host_processes_of(executors._server.uid)) == 1, "a straggler survived the reset (1 = the server)"
    outcome, text = worker("import torch, builtins, os\nx = torch.tensor(3.0, requires_grad=True)\n(x * x).backward()\n"
                           "print('grad', x.grad, hasattr(builtins, 'LEAK'))\n"
                           "print('files', [p for p in ('/tmp/leak', 'leak', '/dev/shm/leak') if os.path.exists(p)])")
    assert outcome.status == "ok", outcome.detail
    assert "grad tensor(6.) False" in text and "files []" in text


@needs_sandbox
@pytest.mark.slow
def test_fork_bomb_is_contained(worker):
    bomb = ("import os, time\nforked = 0\ntry:\n    while True:\n        if os.fork() == 0:\n"
            "            time.sleep(600); os._exit(0)\n        forked += 1\n"
            "except OSError as e:\n    print('fork refused after', forked, type(e).__name__)")
    outcome, text = worker(bomb)
    assert "fork refused after" in text
    assert int(text.split("fork refused after")[1].split()[0]) < LIMITS.processes
    assert len(host_processes_of(executors._server.uid)) == 1  # only the server
    outcome, _ = worker("import os\ndef bomb():\n    while True:\n        try:\n            os.fork()\n        except OSError:\n            pass\nbomb()",
                        cell_timeout=3, notebook_timeout=30)  # a real one: every copy forks too
    assert outcome.status in ("timeout", "crashed")
    assert_next_student_is_unaffected(worker)


@needs_sandbox
@pytest.mark.slow
def test_memory_hog_and_giant_file_are_contained(worker):
    outcome, text = worker("try:\n    hog = bytearray(8 * 2**30)\nexcept MemoryError:\n    print('no memory')",
                           "import torch\ntry:\n    t = torch.ones(2**31)\nexcept RuntimeError:\n    print('no tensor')",
                           "try:\n    with open('big', 'wb') as f:\n        for _ in range(2048):\n            f.write(b'x' * 2**20)\n"
                           "except OSError as e:\n    print('file capped', e.errno)")
    assert outcome.status in ("ok", "crashed"), outcome.detail
    assert "no memory" in text and "no tensor" in text and "file capped" in text
    assert_next_student_is_unaffected(worker)


@needs_sandbox
@pytest.mark.slow
def test_loop_that_swallows_interrupts_times_out_and_the_batch_goes_on(worker):
    outcome, _ = worker("import time\nwhile True:\n    try:\n        time.sleep(0.1)\n    except KeyboardInterrupt:\n        pass",
                        "print('never')", cell_timeout=2, notebook_timeout=30)
    assert outcome.status == "timeout", outcome.detail
    assert_next_student_is_unaffected(worker)


@needs_sandbox
@pytest.mark.slow
def test_os_exit_and_killing_the_server_crash_only_that_notebook(worker):
    outcome, _ = worker("import os\nos._exit(1)", "print('never')")
    assert outcome.status == "crashed", outcome.detail
    assert_next_student_is_unaffected(worker)
    outcome, _ = worker("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nimport time; time.sleep(2)")
    assert outcome.status in ("crashed", "error", "ok")  # the server is gone; the next task restarts it
    assert_next_student_is_unaffected(worker)


@needs_sandbox
@pytest.mark.slow
def test_a_batch_through_the_cli_with_mischief_before_a_good_student(tmp_path):
    """End to end on one warm worker: hostile submissions first, then the solution still gets full marks."""
    solution = nbformat.read(ROOT / "solutions" / "ex01" / "ex01.ipynb", as_version=4)
    mischief = {
        "a_exit": "import os\nos._exit(1)",
        "b_patch": "import torch\ntorch.Tensor.backward = lambda *a, **k: None\nimport builtins\nbuiltins.check = lambda *a, **k: None",
        "c_stuck": "import time\nwhile True:\n    try:\n        time.sleep(0.1)\n    except KeyboardInterrupt:\n        pass",
    }
    submissions = tmp_path / "submitted"
    for student, code in {**mischief, "z_good": None}.items():
        nb = nbformat.from_dict(solution)
        if code:
            answer = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "q1_answer")
            answer.source = code + "\n" + answer.source
        (submissions / student).mkdir(parents=True)
        nbformat.write(nb, submissions / student / "ex01.ipynb")
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", "ex01", "--submissions", str(submissions),
                          "--out", str(out), "--db-url", f"sqlite:///{tmp_path / 'gb.db'}", "--workers", "1",
                          "--cell-timeout", "5", "--timeout", "120", "--no-progress"],
                         cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    rows = {line.split(",")[0]: line.split(",") for line in (out / "grades.csv").read_text().splitlines()[1:]}
    assert rows["a_exit"][4] == "crashed" and rows["c_stuck"][4] == "timeout"
    assert float(rows["z_good"][2]) == float(rows["z_good"][3]) > 0 and rows["z_good"][4] == "ok"  # full marks
