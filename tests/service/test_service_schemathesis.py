"""Property-based tests of the whole API from its own OpenAPI document (schemathesis).

Schemathesis generates requests for every operation, valid and invalid, and checks the
responses: never a server error, only documented status codes and content types, bodies that
match the documented schemas.  Calls go through the ASGI app in process, as an admin (so that
the authenticated operations run too), on a store that holds a little of everything.  The
number of examples per operation is bounded so that the test takes about a minute.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tests.service.service_helpers import Keys

from leolink.policy.records import GeofenceSpec
from leolink.store import Store

#: Examples per operation and mode: ~25 operations x 2 modes x this is about a minute.
#: ``LEOLINK_SCHEMATHESIS_EXAMPLES=500`` explores deeper (minutes).
EXAMPLES = int(os.environ.get("LEOLINK_SCHEMATHESIS_EXAMPLES", "20"))
#: Seconds a call may take: generous, as speed is the benchmarks' business, not these tests'
#: (schemathesis's own default of 10 s failed a cold coverage sweep on a loaded machine).
REQUEST_TIMEOUT_S = 300.0
#: What every response must satisfy.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _seed(store: Store) -> None:
    """A status, a geofence and a terminal, so that reads and decisions have data."""
    change = store.propose_country_status(
        "UA",
        "available",
        effective_from="2022-02-26T00:00:00Z",
        source="test",
        actor="a",
        reason="seed",
    )
    store.approve_country_status(change.id, actor="b", reason="seed")
    store.propose_geofence(
        GeofenceSpec(name="kyiv", effect="deny", reason="seed", cells=("851e6387fffffff",)),
        actor="a",
        geofence_id="gf-1",
    )
    store.register_terminal(
        "UT-0001",
        account="acct",
        home_country="UA",
        customer_class="residential",
        actor="a",
        reason="seed",
    )


def _has_input(operation: APIOperation) -> bool:
    """True if the operation takes parameters or a body that could be made invalid."""
    return bool(list(operation.iter_parameters()) or operation.get_request_payload_content_types())


@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_has_no_server_errors_and_keeps_its_schema(
    app: FastAPI, store: Store, keys: Keys, mode: GenerationMode
) -> None:
    _seed(store)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    calls: list[str] = []
    for operation in operations:
        if mode is GenerationMode.NEGATIVE and not _has_input(operation):
            continue  # nothing to make invalid (GET /v1/health): the positive run covers it

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Case) -> None:
            calls.append(case.operation.label)
            case.call_and_validate(headers=keys("admin"), checks=CHECKS, timeout=REQUEST_TIMEOUT_S)

        check()
    # Every operation was called, most many times.
    assert {o.label for o in operations if mode is GenerationMode.POSITIVE or _has_input(o)} == (
        set(calls)
    )
    assert len(calls) >= 5 * len(set(calls))
