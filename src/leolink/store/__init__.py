"""The store: service-control data and its audit log in SQLite or PostgreSQL (SQLAlchemy 2).

This is the only package of leolink that talks to a database.  `Store` is its API: every
change runs in one transaction together with its record in the hash-chained, signed audit
log (`leolink.policy.audit`); reads hand out the frozen records of `leolink.policy.records`.
The schema (`leolink.store.models`) is created and upgraded by Alembic migrations shipped
in the package and run in code (`leolink.store.migrate`).

    from leolink.store import Store
    store = Store.open()                                     # SQLite in the user data dir
    store = Store.open("postgresql+psycopg://u:p@host/db")   # or PostgreSQL
"""

from leolink.policy.records import (
    ApiKey,
    ChangeState,
    CountryStatus,
    CountryStatusChange,
    CustomerClass,
    Geofence,
    GeofenceEffect,
    GeofenceSpec,
    Plan,
    PolicySnapshot,
    PositionReport,
    Role,
    Terminal,
    TerminalState,
)
from leolink.store.checks import TwoPersonRule
from leolink.store.engine import default_url, make_engine
from leolink.store.migrate import upgrade
from leolink.store.store import UNCHANGED, Store, Unchanged

__all__ = [
    "UNCHANGED",
    "ApiKey",
    "ChangeState",
    "CountryStatus",
    "CountryStatusChange",
    "CustomerClass",
    "Geofence",
    "GeofenceEffect",
    "GeofenceSpec",
    "Plan",
    "PolicySnapshot",
    "PositionReport",
    "Role",
    "Store",
    "Terminal",
    "TerminalState",
    "TwoPersonRule",
    "Unchanged",
    "default_url",
    "make_engine",
    "upgrade",
]
