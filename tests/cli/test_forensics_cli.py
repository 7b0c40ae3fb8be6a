"""``leolink forensics simulate`` and ``infer``, in process."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from leolink.cli.main import app
from leolink.errors import InputError

runner = CliRunner()


def test_simulate_then_infer_against_a_scenarios_log(tmp_path: Path) -> None:
    out = tmp_path / "crimea.jsonl"
    sim = runner.invoke(
        app,
        [
            "forensics",
            "simulate",
            "crimea-2022",
            "--out",
            str(out),
            "--terminals",
            "1000",
            "--hours",
            "6",
            "--start",
            "2022-09-15T22:00:00Z",
            "--seed",
            "2",
            "--restriction",
            "46.9,31.2,2,2022-09-15T23:00:00Z,2022-09-16T02:00:00Z",
            "--format",
            "json",
        ],
    )
    assert sim.exit_code == 0, sim.output
    truth = json.loads(sim.stdout)
    assert [t["logged"] for t in truth] == [True, False]
    with out.open("a") as f:
        f.write('{"terminal_id": "UT-X", "time": "yesterday"}\n')
    res = runner.invoke(
        app,
        [
            "forensics",
            "infer",
            "--reports",
            str(out),
            "--scenario",
            "crimea-2022",
            "--format",
            "json",
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["reports"]["skipped"] == 1
    policy = [f for f in data["findings"] if f["kind"] == "policy_restriction"]
    by_logged = {f["logged"]: f for f in policy}
    assert set(by_logged) == {True, False}
    assert by_logged[True]["log_records"]
    assert by_logged[True]["evidence"]["log"]["geofences"] == ["gf-crimea-coast-2022"]
    assert by_logged[True]["start"] <= "2022-09-16T00:10:00Z"  # the geofence's window starts 00:00
    assert by_logged[True]["evidence"]["coverage"]["checked"] is False


def test_bad_input_is_exit_2(tmp_path: Path) -> None:
    res = runner.invoke(app, ["forensics", "infer", "--reports", str(tmp_path / "r.txt")])
    assert res.exit_code == 2 or "expected .jsonl" in str(res.exception)
    res = runner.invoke(
        app,
        [
            "forensics",
            "simulate",
            "crimea-2022",
            "--out",
            str(tmp_path / "x.jsonl"),
            "--restriction",
            "46,32",
        ],
    )
    assert "expected LAT,LON,RINGS,START,END" in str(res.exception)


def test_infer_over_reports_stored_in_the_store(tmp_path: Path) -> None:
    """``--db URL --start --end`` reads the telemetry terminals posted, not a file."""
    from leolink import forensics as fx
    from leolink.policy.records import CustomerClass
    from leolink.store import Store

    t0 = np.datetime64("2026-05-13T00:00:00", "ns")
    hour = np.timedelta64(1, "h")
    sim = fx.Simulation(
        fx.disk(48.5, 31.0, 3),
        t0,
        t0 + 3 * hour,
        terminals=120,
        seed=2,
        restrictions=[fx.Restriction(fx.disk(48.5, 31.0, 1), t0 + hour, t0 + 2 * hour)],
    )
    reports = fx.simulate(sim)
    url = f"sqlite:///{tmp_path}/store.db"
    with Store.open(url, signing_key=Ed25519PrivateKey.generate()) as store:
        for tid in reports.terminal_ids:
            store.register_terminal(
                tid,
                account="a",
                home_country="UA",
                customer_class=CustomerClass.RESIDENTIAL,
                actor="op:t",
                reason="t",
            )
        store.telemetry.add(reports)
    args = ["forensics", "infer", "--db", url, "--format", "json"]
    res = runner.invoke(
        app, [*args, "--start", "2026-05-13T00:00:00Z", "--end", "2026-05-13T03:00:00Z"]
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["reports"]["lines"] == len(reports)
    assert [f["logged"] for f in doc["findings"] if f["kind"] == "policy_restriction"] == [False]
    res = runner.invoke(app, args)  # `main` turns the InputError into exit 2
    assert isinstance(res.exception, InputError)
    assert "--start and --end" in str(res.exception)
