"""Plug the fork server into nbclient via jupyter_client's extension points.

:class:`ForkServerKernelManager` is an ``AsyncKernelManager`` whose provisioner asks a
:class:`~autograder.sandbox.forkserver.ForkServer` for a kernel instead of starting a process, and whose
kernel spec says ``interrupt_mode: message`` (a SIGINT must go to the kernel through its control
channel, not to a process the grader cannot see inside the PID namespace). The link is ZMQ
``ipc`` in a fresh folder per kernel, inside the link folder bound into the sandbox (TCP cannot
cross ``--unshare-net``): the same sockets have one absolute path here and another in there.

The client's sockets refuse any single message larger than :data:`MAX_MESSAGE_BYTES`, so a kernel
cannot make the grader hold one huge output in memory (zmq drops such a message unread).
"""

from __future__ import annotations

import secrets
import signal
from typing import Any

import zmq
import zmq.asyncio
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import default

from autograder.sandbox.forkserver import ForkServer, ForkServerError

MAX_MESSAGE_BYTES = 32 << 20  # far above any honest output message, far below what hurts a worker
KERNEL_SPEC = KernelSpec(argv=["(forked by autograder.sandbox.forkserver)"], display_name="Python 3 (sandboxed)",
                         language="python", interrupt_mode="message", metadata={})


class ForkServerProvisioner(LocalProvisioner):
    """A kernel "process" that is a child of the fork server, known to us only by its pid in the sandbox."""

    def __init__(self, server: ForkServer, cpu_seconds: int | None = None, sandbox_ip: str = "", **kw: Any):
        super().__init__(**kw)
        self.server = server
        self.cpu_seconds = cpu_seconds
        self.sandbox_ip = sandbox_ip  # the sockets' path as the kernel sees it
        self.kernel_pid: int | None = None
        self.exit_code: int | None = None

    @property
    def has_process(self) -> bool:
        return self.kernel_pid is not None

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        self.kernel_pid = self.server.spawn(self.connection_info_for_kernel(), self.cpu_seconds)
        self.pid = self.kernel_pid
        return self.connection_info

    def connection_info_for_kernel(self) -> dict:
        info = dict(self.connection_info)
        info["key"] = info["key"].decode() if isinstance(info["key"], bytes) else info["key"]
        info["ip"] = self.sandbox_ip
        return info

    async def poll(self) -> int | None:
        if self.kernel_pid is None:
            return self.exit_code if self.exit_code is not None else 0
        try:
            code = self.server.poll(self.kernel_pid)
        except ForkServerError:
            code = -signal.SIGKILL  # the server died, and its children with it
        if code is not None:
            self.exit_code = code
        return code

    async def wait(self) -> int | None:
        import asyncio

        while await self.poll() is None:
            await asyncio.sleep(0.05)
        self.kernel_pid = None
        return self.exit_code

    async def send_signal(self, signum: int) -> None:
        if self.kernel_pid is not None:
            try:
                self.server.signal(self.kernel_pid, signum)
            except ForkServerError:
                pass

    async def kill(self, restart: bool = False) -> None:
        await self.send_signal(signal.SIGKILL)

    async def terminate(self, restart: bool = False) -> None:
        await self.send_signal(signal.SIGTERM)

    async def cleanup(self, restart: bool = False) -> None:
        pass  # no ports to return: the link is ipc


class ForkServerKernelManager(AsyncKernelManager):
    """A kernel manager for one notebook on a warm, sandboxed worker."""

    def __init__(self, server: ForkServer, cpu_seconds: int | None = None, **kw: Any):
        super().__init__(transport="ipc", **kw)
        self.server = server
        self.cpu_seconds = cpu_seconds  # RLIMIT_CPU of the kernel: a backstop behind the wall-clock timeouts
        folder, self.sandbox_folder = server.kernel_link()
        self.ip = str(folder / "kernel")  # absolute; the kernel gets the same sockets under sandbox_folder
        self.connection_file = str(server.private_dir / f"kernel-{secrets.token_hex(8)}.json")

    @property
    def sandbox_ip(self) -> str:
        return f"{self.sandbox_folder}/kernel"

    @default("context")
    def _capped_context_default(self) -> zmq.asyncio.Context:
        self._created_context = True
        return capped_context()

    def client(self, **kw: Any):
        """A client on this manager's capped context (by default a client makes an uncapped one)."""
        return super().client(context=self.context, **kw)

    @property
    def kernel_spec(self) -> KernelSpec:
        return KERNEL_SPEC

    async def _async_pre_start_kernel(self, **kw: Any):
        if self.provisioner is None:
            self.provisioner = ForkServerProvisioner(self.server, self.cpu_seconds, self.sandbox_ip, kernel_id=self.kernel_id or secrets.token_hex(8),
                                                     kernel_spec=KERNEL_SPEC, parent=self)
        return await super()._async_pre_start_kernel(**kw)


def capped_context() -> zmq.asyncio.Context:
    """A zmq context whose every socket drops (unread) any message over :data:`MAX_MESSAGE_BYTES`."""
    context = zmq.asyncio.Context()
    context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
    return context
