"""Each client's share of the decision turns: one client's flood leaves the others theirs.

`leolink.service.shares.ClientShares` with real worker threads (work that waits on an event,
so that the test decides when it ends), and the client identity of real requests (an address,
or a valid API key of the store on SQLite and PostgreSQL).
"""

from __future__ import annotations

import threading

import anyio
import pytest
from fastapi.testclient import TestClient
from tests.service.service_helpers import Keys, assert_problem

from leolink.service.problems import ProblemError
from leolink.service.shares import ClientShares, KeyIdentities, client_of
from leolink.service.state import ServiceLimits
from leolink.store import Store


def _shares(process_turns: int = 4, per_client: int = 2, queue: int = 3) -> ClientShares:
    return ClientShares(process_turns, per_client, queue, wait_s=5.0)


def test_a_flooding_client_holds_its_share_and_another_is_served_meanwhile() -> None:
    shares = _shares()
    release = threading.Event()
    running: list[str] = []
    lock = threading.Lock()

    def slow(who: str) -> str:
        with lock:
            running.append(who)
        release.wait(10.0)
        return who

    async def main() -> None:
        results: list[str] = []
        refused: list[ProblemError] = []

        async def ask(who: str) -> None:
            try:
                results.append(await shares.run(who, slow, who))
            except ProblemError as exc:
                refused.append(exc)

        async with anyio.create_task_group() as tg:
            for _ in range(6):  # 2 computing, 3 waiting: the client's share and queue, + 1
                tg.start_soon(ask, "addr:flood")
            await anyio.sleep(0.3)
            # The flood computes two at once (its share), not the process's four.
            assert running.count("addr:flood") == 2
            assert shares.pending("addr:flood") == 5
            assert len(refused) == 1
            assert refused[0].status == 429
            assert refused[0].headers is not None
            assert "Retry-After" in refused[0].headers
            # Another client is computed at once, beside the flood.
            with anyio.fail_after(5.0):
                other = anyio.Event()

                async def small() -> None:
                    results.append(await shares.run("addr:other", lambda: "other"))
                    other.set()

                tg.start_soon(small)
                await other.wait()
            assert "other" in results
            release.set()
        assert results.count("addr:flood") == 5
        assert shares.pending("addr:flood") == 0

    anyio.run(main)


def test_a_request_that_waits_too_long_for_a_turn_is_503() -> None:
    shares = ClientShares(1, 1, 5, wait_s=0.2)
    release = threading.Event()

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(shares.run, "addr:a", release.wait, 5.0)
            await anyio.sleep(0.05)
            with pytest.raises(ProblemError) as refused:
                await shares.run("addr:b", lambda: None)
            assert refused.value.status == 503
            release.set()

    anyio.run(main)


def test_the_client_is_a_valid_key_else_the_address(store: Store, keys: Keys) -> None:
    identities = KeyIdentities(store)
    token = keys("viewer")["Authorization"].removeprefix("Bearer ")
    key = store.authenticate(token)
    assert key is not None
    seen: dict[str, str] = {}

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        from fastapi import Request

        seen["client"] = await client_of(Request(scope, receive), identities)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    client = TestClient(app)  # no lifespan: the app above answers http only
    client.get("/", headers={"Authorization": f"Bearer {token}"})
    assert seen["client"] == f"key:{key.id}"
    client.get("/", headers={"Authorization": "Bearer lk_nope_nope"})
    assert seen["client"] == "addr:testclient"
    client.get("/")
    assert seen["client"] == "addr:testclient"


def test_over_http_a_full_queue_is_429_with_retry_after(store: Store, catalog: object) -> None:
    """With a share of one turn and no queue, a second decision of the same client while the
    first computes is refused; the first is answered."""
    from leolink.service import create_app

    application = create_app(
        store=store,
        catalog=catalog,  # type: ignore[arg-type]
        limits=ServiceLimits(client_decision_turns=1, client_decision_queue=0),
    )
    state = application.state.leolink
    release = threading.Event()
    entered = threading.Event()
    decide = state.decider.decide

    def held(*args: object) -> object:
        entered.set()
        release.wait(10.0)
        return decide(*args)  # type: ignore[arg-type]

    with TestClient(application, raise_server_exceptions=False) as client:
        state.decider.decide = held
        answers: list[int] = []
        first = threading.Thread(
            target=lambda: answers.append(
                client.post("/v1/decisions", json={"lat": 0.0, "lon": 0.0}).status_code
            )
        )
        first.start()
        assert entered.wait(10.0)
        body = assert_problem(client.post("/v1/decisions", json={"lat": 1.0, "lon": 1.0}), 429)
        assert "share" in body["detail"]
        release.set()
        first.join(10.0)
        assert answers == [200]
