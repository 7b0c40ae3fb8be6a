"""End to end: the Audit tab's transparency log over a service with two witness processes.

The tab lists checkpoints with the witnesses that cosigned them, and a click on a record's
number proves it: the inclusion proof is checked in the browser against the published root.
Every signature of every checkpoint (the log's, each witness's cosignature) is checked in the
browser with WebCrypto's Ed25519: a service that serves a tampered signature gets ✗.
Desktop and phone (390x844) screenshots are saved for a human eye.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.leolink_cli import run_leolink
from tests.service.witness_helpers import WitnessProcess, free_port
from tests.web.conftest import AT, Service, _serve
from tests.web.pages import api, open_map

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def witnessed_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """``leolink serve --witnesses`` with two witness processes, both required (2 of 2)."""
    home = tmp_path_factory.mktemp("leolink-witnessed")
    started: list[WitnessProcess] = []

    def serve_args(common: list[str], env: dict[str, str]) -> list[str]:
        public_key = run_leolink("audit", "public-key", *common, env=env)
        assert public_key.returncode == 0, public_key.stderr
        vkey = public_key.stdout.strip()
        lines = ["quorum = 2"]
        for name in ("witness-a.example", "witness-b.example"):
            w = WitnessProcess(name, home, vkey, free_port())
            w.start()
            started.append(w)
            lines += ["[[witness]]", f'key = "{w.vkey}"', f'url = "{w.url}"']
        policy = home / "witnesses.toml"
        policy.write_text("\n".join(lines) + "\n")
        return ["--witnesses", str(policy)]

    try:
        yield from _serve(home, serve_args=serve_args)
    finally:
        for w in started:
            w.stop()


def _published_size(service: Service) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        items = api(service, "/v1/log/checkpoints")["items"]
        done = [i for i in items if i["published"]]
        if done:
            return int(done[0]["size"])
        time.sleep(0.5)
    raise AssertionError("no checkpoint was published within 60 s")


def test_audit_tab_shows_cosigned_checkpoints_and_proves_a_record(
    page: Any, witnessed_service: Service, screenshots: Path
) -> None:
    size = _published_size(witnessed_service)
    open_map(page, witnessed_service, f"at={AT}")
    page.locator('#tabs [data-tab="operator"]').click()
    page.fill("#op-key", witnessed_service.tokens["audrey"])
    page.click("#op-key-use")
    page.locator('#tabs [data-tab="audit"]').click()
    published = page.locator('#tlog-checkpoints tr[data-published="true"]').first
    published.wait_for(timeout=30_000)
    assert published.locator(".cosig").all_inner_texts() == [
        "witness-a.example",
        "witness-b.example",
    ]
    assert "2 of 2 witnesses" in page.locator("#tlog-witnesses").inner_text()
    page.locator("#audit-rows tr").first.wait_for(timeout=30_000)

    button = page.locator("#audit-rows button.prove").last
    seq = int(button.get_attribute("data-seq"))
    assert 1 <= seq <= size
    button.click()
    proved = page.locator('#tlog-proof [data-proved="true"]')
    proved.wait_for(timeout=30_000)
    text = proved.inner_text()
    assert f"Record #{seq} is in the checkpoint of {size} records" in text
    assert "cosigned by witness-a.example, witness-b.example" in text
    page.screenshot(path=screenshots / "audit-transparency.png")

    # A record beyond the published checkpoint cannot be proved in it, and says so.
    page.fill("#tlog-seq", str(size + 1))
    page.click("#tlog-prove button")
    refused = page.locator('#tlog-proof [data-proved="false"]')
    refused.wait_for(timeout=30_000)
    assert f"not in the published checkpoint of {size} records" in refused.inner_text()

    # The check is the browser's own: a listed hash the log does not hold is not "proved".
    page.evaluate(
        f"""document.querySelector('#audit-rows button.prove[data-seq="{seq}"]').dataset.hash ="""
        """ '00'.repeat(32)"""
    )
    page.locator(f'#audit-rows button.prove[data-seq="{seq}"]').click()
    page.wait_for_function(
        "document.querySelector('#tlog-proof').innerText.includes('another hash')", timeout=30_000
    )


def test_audit_tab_on_a_phone(page: Any, witnessed_service: Service, screenshots: Path) -> None:
    _published_size(witnessed_service)
    page.set_viewport_size({"width": 390, "height": 844})
    open_map(page, witnessed_service, f"at={AT}")
    page.locator('#tabs [data-tab="audit"]').click()
    page.fill("#tlog-seq", "1")
    page.click("#tlog-prove button")
    page.locator('#tlog-proof [data-proved="true"]').wait_for(timeout=30_000)
    box = page.locator("#tlog").bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 390 + 1  # nothing runs off the screen
    page.screenshot(path=screenshots / "audit-transparency-phone.png")


def _tamper(note: str, signer: str) -> str:
    """``note`` with one bit of ``signer``'s signature flipped (its last byte)."""
    lines = note.split("\n")
    for i, line in enumerate(lines):
        if line.startswith(f"\u2014 {signer} "):
            blob = bytearray(base64.b64decode(line.rsplit(" ", 1)[1]))
            blob[-1] ^= 1
            lines[i] = f"\u2014 {signer} {base64.b64encode(bytes(blob)).decode()}"
    return "\n".join(lines)


def test_audit_tab_checks_every_signature_and_sees_a_tampered_one(
    page: Any, witnessed_service: Service, screenshots: Path
) -> None:
    _published_size(witnessed_service)
    open_map(page, witnessed_service, f"at={AT}")
    page.evaluate("localStorage.removeItem('leolink.tlog.keys')")
    page.locator('#tabs [data-tab="audit"]').click()
    row = page.locator('#tlog-checkpoints tr[data-published="true"]').first
    row.locator(".sig").first.wait_for(timeout=30_000)
    signers = {
        s.get_attribute("data-signer"): s.get_attribute("data-valid")
        for s in row.locator(".sig").all()
    }
    assert signers == {
        "leolink.local/audit": "true",
        "witness-a.example": "true",
        "witness-b.example": "true",
    }
    assert row.get_attribute("data-signatures") == "valid"
    assert "✓ witness-a.example" in row.locator(".sigs").inner_text()

    # Only the log's key in the box: the witnesses' cosignatures cannot be checked ("?").
    log_key = api(witnessed_service, "/v1/log/witnesses")["log_key"]
    page.locator("#tlog-keys summary").click()
    page.fill("#tlog-keys-text", log_key)
    page.click("#tlog-keys-use")
    page.wait_for_function(
        "document.querySelector('#tlog-checkpoints tr .sig[data-signer=\"witness-a.example\"]')"
        ".dataset.valid === 'null'",
        timeout=30_000,
    )
    assert "you gave" in page.locator("#tlog-keys-note").inner_text()
    page.click("#tlog-keys-service")

    # A service that serves a tampered cosignature: the browser's own check says ✗.
    def tampered(route: Any) -> None:
        body = route.fetch().json()
        for item in body["items"]:
            item["note"] = _tamper(item["note"], "witness-a.example")
        route.fulfill(json=body)

    page.route("**/v1/log/checkpoints*", tampered)
    page.locator('#tabs [data-tab="layers"]').click()
    page.locator('#tabs [data-tab="audit"]').click()
    bad = page.locator('#tlog-checkpoints tr[data-published="true"] .sig.invalid').first
    bad.wait_for(timeout=30_000)
    assert bad.get_attribute("data-signer") == "witness-a.example"
    assert bad.inner_text().startswith("✗")
    good = page.locator('#tlog-checkpoints tr[data-published="true"]').first
    assert good.locator('.sig[data-signer="witness-b.example"]').get_attribute("data-valid") == (
        "true"
    )
    assert good.get_attribute("data-signatures") == "invalid"
    page.screenshot(path=screenshots / "audit-signatures-tampered.png")
    page.unroute("**/v1/log/checkpoints*")
