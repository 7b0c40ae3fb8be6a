"""Witnesses as real processes (``leolink witness serve``) and a service as a real server."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from tests.leolink_cli import LEOLINK, run_leolink

from leolink.policy.notes import verifier_from_vkey
from leolink.service.witnessing import Witness, WitnessPolicy


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class WitnessProcess:
    """One witness: its name, files, verifier key and (while running) its process."""

    name: str
    folder: Path
    log_key: str
    port: int
    vkey: str = ""
    process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def witness(self) -> Witness:
        """As a service's witness policy names it."""
        return Witness(verifier_from_vkey(self.vkey), self.url)

    def start(self) -> None:
        """Start ``leolink witness serve`` and wait until it answers."""
        key = self.folder / f"{self.name}.pem"
        self.vkey = run_leolink(
            "witness", "public-key", "--key", str(key), "--name", self.name
        ).stdout.strip()
        log = (self.folder / f"{self.name}.log").open("a")
        self.process = subprocess.Popen(
            [
                LEOLINK,
                "witness",
                "serve",
                "--key",
                str(key),
                "--name",
                self.name,
                "--state",
                str(self.folder / f"{self.name}.json"),
                "--log-key",
                self.log_key,
                "--port",
                str(self.port),
            ],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            start_new_session=True,
        )
        log.close()  # the child has its own descriptor
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == self.url
        wait_for(lambda: self.status() is not None, f"witness {self.name} answers")

    def stop(self) -> None:
        """Stop the process (its state file stays)."""
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None

    def status(self) -> dict[str, Any] | None:
        """``GET /status``, or None while it does not answer."""
        try:
            with urllib.request.urlopen(f"{self.url}/status", timeout=5) as response:
                body: dict[str, Any] = json.load(response)
                return body
        except OSError:
            return None


@contextmanager
def witnesses(folder: Path, log_key: str, *names: str) -> Iterator[list[WitnessProcess]]:
    """Witness processes named ``names`` (not started), stopped at the end."""
    made = [WitnessProcess(n, folder, log_key, free_port()) for n in names]
    try:
        yield made
    finally:
        for w in made:
            w.stop()


def policy(quorum: int, *ws: WitnessProcess) -> WitnessPolicy:
    """A k-of-n witness policy over ``ws``."""
    return WitnessPolicy(quorum, tuple(w.witness for w in ws))


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """``app`` served by uvicorn on 127.0.0.1 in a thread; its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started, "the service starts", timeout_s=180)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def wait_for(condition: Any, what: str, timeout_s: float = 60) -> None:
    """Poll ``condition()`` until true (a wait for a process, not a speed check)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting until {what}")
