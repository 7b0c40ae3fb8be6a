"""Fixtures of the web map's end-to-end tests: the real service and Debian's Chromium.

``service`` runs ``leolink serve`` in a subprocess on a free loopback port over a throw-away
SQLite store (seeded with the default policy, as ``leolink serve`` does), with two operators'
keys and an auditor's key made by ``leolink keys create``; it is stopped at the end.
``leolink`` commands on the store run in this process (`tests.leolink_cli.run_leolink`).
``crimea_service`` is the same over a store into which the ``crimea-2022`` scenario was
replayed, ``reconstruction_service`` over a store into which ``leolink scenario load
crimea-2022`` wrote it as a reconstruction of the past.  ``browser_context`` is Debian's
``/usr/bin/chromium`` driven by Playwright's Python API (never a browser that Playwright
downloads: ``scripts/install_browser.sh`` installs Chromium), started headless with the flags
that keep it off the network, and a fresh profile.  Screenshots go to ``out/web-screenshots/``
(git-ignored) or ``$LEOLINK_SCREENSHOTS``.

The services and the browser last while the tests of this package run (``package`` scope):
Playwright's sync API runs an asyncio loop in the thread that started it, so a test after them
on the same worker could not call ``asyncio.run``; they stop when the worker leaves the package.
Under pytest-xdist, the tests that use a service run on one worker (`xdist_group`, below), in
the order they were written, and the service starts once.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tests.leolink_cli import run_leolink

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # WebGL runs on the CPU here (SwiftShader): without multisampling a frame of the map costs
    # about a third less, and the colours the tests count inside areas and lines are the same.
    "--webgl-antialiasing-mode=none",
]
ROOT = Path(__file__).resolve().parents[2]
#: Seconds the service may take to load its catalog and borders and answer /v1/health.
SERVICE_START_S = 120.0
#: An instant at the embedded catalog's epochs (2026-05-12/13), so that positions are exact.
AT = "2026-05-13T12:00:00Z"


@dataclass(frozen=True)
class Service:
    """A running ``leolink serve``: its address and the tokens of its keys by holder name."""

    url: str
    tokens: dict[str, str]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _leolink(*args: str) -> list[str]:
    return [sys.executable, "-c", "from leolink.cli.main import main; main()", *args]


def _serve(
    home: Path,
    scenario: str | None = None,
    serve_args: Callable[[list[str], dict[str, str]], list[str]] | None = None,
    before: tuple[tuple[str, ...], ...] = (),
) -> Iterator[Service]:
    """Run ``leolink serve`` over a store in ``home``, after replaying ``scenario`` into it and
    running the ``leolink`` command lines of ``before`` on the store;
    ``serve_args(store options, environment)`` gives more options (run once the keys exist)."""
    env = {**os.environ, "XDG_DATA_HOME": str(home), "HOME": str(home)}
    db = f"sqlite:///{home / 'store.db'}"
    key_file = home / "signing-key.pem"
    from leolink.store.signing import load_or_create_key

    load_or_create_key(key_file)  # --signing-key must name an existing key
    common = ["--db", db, "--signing-key", str(key_file)]
    if scenario is not None:
        from leolink.policy.scenarios import load_scenario, run_scenario
        from leolink.store import Store

        opened: list[Store] = []

        def open_store(clock: Callable[[], np.datetime64]) -> Store:
            opened.append(Store.open(db, signing_key=key_file, clock=clock))
            return opened[-1]

        run = run_scenario(load_scenario(scenario), open_store)
        for store in opened:
            store.close()
        assert run.ok, f"scenario {scenario} did not replay: {run.to_dict()}"
    for command in before:
        done = run_leolink(*command, *common, env=env)
        assert done.returncode == 0, done.stderr
    tokens = {}
    for name, role in [("alice", "operator"), ("bob", "operator"), ("audrey", "auditor")]:
        made = run_leolink("keys", "create", "--role", role, "--name", name, *common, env=env)
        assert made.returncode == 0, made.stderr
        tokens[name] = made.stdout.strip().splitlines()[-1]
    extra = serve_args(common, env) if serve_args is not None else []
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (home / "serve.log").open("w")
    process = subprocess.Popen(
        _leolink("serve", "--host", "127.0.0.1", "--port", str(port), *common, *extra),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + SERVICE_START_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"leolink serve exited: {(home / 'serve.log').read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/v1/health", timeout=5) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass  # not listening yet: poll again until the deadline
            if time.monotonic() > deadline:
                pytest.fail(f"leolink serve did not answer within {SERVICE_START_S} s")
            time.sleep(0.5)
        yield Service(url, tokens)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A web test that uses a running service (a fixture named ``*service``) is in the xdist
    group of that service: under ``--dist loadgroup`` its tests run on one worker, which starts
    the service once and keeps the order in which the tests were written."""
    here = Path(__file__).parent
    for item in items:
        if here not in item.path.parents:
            continue
        for name in item.fixturenames:
            if name.endswith("service"):
                item.add_marker(pytest.mark.xdist_group(f"web-{name}"))
                break


@pytest.fixture(scope="package")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """``leolink serve`` over a fresh store seeded with the default policy; keys alice, bob
    (operators) and audrey (auditor)."""
    yield from _serve(tmp_path_factory.mktemp("leolink-service"))


@pytest.fixture(scope="package")
def crimea_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """``leolink serve`` over a store into which the crimea-2022 scenario was replayed."""
    yield from _serve(tmp_path_factory.mktemp("leolink-crimea"), scenario="crimea-2022")


@pytest.fixture(scope="package")
def reconstruction_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """``leolink serve`` over a store into which ``leolink scenario load crimea-2022`` put the
    scenario's records as a reconstruction (recorded today, about September 2022)."""
    yield from _serve(
        tmp_path_factory.mktemp("leolink-reconstruction"),
        before=(("scenario", "load", "crimea-2022"),),
    )


@pytest.fixture(scope="package")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Debian's Chromium under Playwright, headless, off the network, with a fresh profile."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install_browser.sh (apt-get chromium)")
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1280, "height": 800},
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser_context: object) -> Iterator[object]:
    """A new tab; JavaScript errors of the page fail the test that opened it."""
    tab = browser_context.new_page()  # type: ignore[attr-defined]
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    tab.close()
    assert not errors, f"errors in the page: {errors}"


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Where the tests save their screenshots (out/ is git-ignored)."""
    directory = Path(os.environ.get("LEOLINK_SCREENSHOTS", ROOT / "out" / "web-screenshots"))
    directory.mkdir(parents=True, exist_ok=True)
    return directory
