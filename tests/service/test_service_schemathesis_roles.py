"""Schemathesis with every check, as each role and as nobody, on SQLite and PostgreSQL.

`test_service_schemathesis` explores deeply as an admin with the response checks; this one runs
every check schemathesis has (`schemathesis.checks.CHECKS`: server errors, status codes,
content types, headers, schemas, negative data rejected, positive data accepted, missing
headers, unsupported methods and their ``Allow``, ignored authentication, use after free,
resource availability, object-level authorization) with each role's key and with none, a few
examples per operation and mode, so that the ten runs (5 keys x 2 databases) take about two
minutes.  Each run prints its count of calls (run pytest with ``-s`` to see them).
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import Case, GenerationMode
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig
from tests.service.service_helpers import Keys
from tests.service.test_service_schemathesis import REQUEST_TIMEOUT_S, _has_input, _seed

from leolink.store import Store

#: Examples per operation and mode for each key (``LEOLINK_SCHEMATHESIS_ROLE_EXAMPLES``).
EXAMPLES = int(os.environ.get("LEOLINK_SCHEMATHESIS_ROLE_EXAMPLES", "2"))

load_all_checks()
ALL_CHECKS = CHECKS.get_all()
#: Schema-valid data may still be refused with a 422 naming the input: JSON Schema cannot say
#: that an instant is in range, a window ends after it starts or a country code exists.  A
#: schema-valid request must never be a 400, 405, 413 or a server error.
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "401", "403", "404", "409", "422"]
            }
        }
    }
)


@pytest.mark.slow
@pytest.mark.parametrize("role", ["anonymous", "terminal", "operator", "auditor", "admin"])
def test_every_check_holds_for_every_role(
    app: FastAPI, store: Store, keys: Keys, db_url: str, role: str
) -> None:
    assert len(ALL_CHECKS) >= 14
    _seed(store)
    headers = {} if role == "anonymous" else keys(role)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)
    operations = [result.ok() for result in schema.get_all_operations()]
    calls: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        for operation in operations:
            if mode is GenerationMode.NEGATIVE and not _has_input(operation):
                continue

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def check(case: Case) -> None:
                response = case.call_and_validate(
                    headers=headers, checks=ALL_CHECKS, timeout=REQUEST_TIMEOUT_S
                )
                calls[case.operation.label] += 1
                statuses[response.status_code] += 1

            check()
    backend = db_url.split(":", 1)[0].split("+", 1)[0]
    print(
        f"\nschemathesis {backend} {role}: {sum(calls.values())} calls over {len(calls)} "
        f"operations, {len(ALL_CHECKS)} checks each, statuses {dict(sorted(statuses.items()))}"
    )
    assert set(calls) == {o.label for o in operations}
    if role == "anonymous":
        assert statuses[401] > 0  # the authenticated operations refused nobody's call
