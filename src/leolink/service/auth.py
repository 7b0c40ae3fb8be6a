"""Who may do what: API keys (``Authorization: Bearer <token>``), roles and permissions.

A key carries one role (`leolink.store.Role`); a role grants the permissions of
`ROLE_PERMISSIONS`:

==========================  ======  ========  ========  =======  =====
permission                  viewer  terminal  operator  auditor  admin
==========================  ======  ========  ========  =======  =====
``read``                    yes               yes       yes      yes
``report_own_positions``            yes                          yes
``report_positions``                          yes                yes
``manage_policy``                             yes                yes
``manage_terminals``                          yes                yes
``read_audit``                                          yes      yes
==========================  ======  ========  ========  =======  =====

``read`` covers country statuses, geofences and terminals (nothing secret: API keys are never
served); ``manage_policy`` proposing, approving, rejecting and withdrawing country-status
changes and geofences, and previewing a geofence's impact; ``manage_terminals`` registering and
suspending terminals; ``read_audit`` the audit log and its verification.  A ``terminal`` key
reports only for the terminal whose id is the key's name (``leolink keys create --role terminal
--name UT-0001``).  Public reads (health, countries, availability, satellites, visible,
decisions) need no key.

The actor recorded in the audit log is the key's name, so that the two-person rule compares
people: give each person's keys their name (two keys named ``alice`` are one person).  The
key's id is in the audit record of its creation.  A missing, malformed, unknown or revoked key
gives 401; a key whose role lacks the permission gives 403.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Final

from fastapi import Depends, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes

from leolink.api import ApiKey, Role
from leolink.service.problems import ProblemError
from leolink.service.state import ServiceState, get_state

__all__ = [
    "ROLE_PERMISSIONS",
    "Permission",
    "Principal",
    "check_reporter",
    "require",
]


class Permission(StrEnum):
    """What a route needs (see the module docstring for the role table)."""

    READ = "read"
    REPORT_OWN_POSITIONS = "report_own_positions"
    REPORT_POSITIONS = "report_positions"
    MANAGE_POLICY = "manage_policy"
    MANAGE_TERMINALS = "manage_terminals"
    READ_AUDIT = "read_audit"


#: The permissions of each role.
ROLE_PERMISSIONS: Final[Mapping[Role, frozenset[Permission]]] = {
    Role.VIEWER: frozenset({Permission.READ}),
    Role.TERMINAL: frozenset({Permission.REPORT_OWN_POSITIONS}),
    Role.OPERATOR: frozenset(
        {
            Permission.READ,
            Permission.REPORT_POSITIONS,
            Permission.MANAGE_POLICY,
            Permission.MANAGE_TERMINALS,
        }
    ),
    Role.AUDITOR: frozenset({Permission.READ, Permission.READ_AUDIT}),
    Role.ADMIN: frozenset(Permission),
}

#: The security scheme in the OpenAPI document; errors are ours, hence ``auto_error=False``.
_bearer = HTTPBearer(
    auto_error=False,
    bearerFormat="lk_<id>_<secret>",
    description="An API key made with `leolink keys create --role ROLE --name NAME`.",
)


@dataclass(frozen=True)
class Principal:
    """The caller of an authenticated route: its key and what it may do."""

    key: ApiKey

    @property
    def actor(self) -> str:
        """Who the audit log records as having made a change: the key's name."""
        return self.key.name

    @property
    def permissions(self) -> frozenset[Permission]:
        """The permissions of the key's role."""
        return ROLE_PERMISSIONS[self.key.role]

    def may(self, permission: Permission) -> bool:
        """True if the key's role grants ``permission``."""
        return permission in self.permissions


def _unauthenticated(detail: str) -> ProblemError:
    return ProblemError(
        401,
        "unauthenticated",
        "Authentication required",
        detail,
        headers={"WWW-Authenticate": 'Bearer realm="leolink"'},
    )


async def _principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    state: Annotated[ServiceState, Depends(get_state)],
) -> Principal:
    if credentials is None:
        header = request.headers.get("authorization")
        hint = (
            "the Authorization header is not 'Bearer <token>'"
            if header
            else "this route needs an API key"
        )
        raise _unauthenticated(
            f"{hint}: send 'Authorization: Bearer <token>' with a token from "
            "`leolink keys create --role ROLE --name NAME`"
        )
    key = await run_in_threadpool(state.store.authenticate, credentials.credentials)
    if key is None:
        raise _unauthenticated(
            "the API key is unknown, malformed or revoked: ask an administrator for a new one"
        )
    principal = Principal(key)
    request.state.principal = principal  # a refused write is logged under this key
    return principal


def _forbidden(principal: Principal, wanted: str) -> ProblemError:
    allowed = sorted(r.value for r, perms in ROLE_PERMISSIONS.items() if wanted in perms)
    return ProblemError(
        403,
        "forbidden",
        "Forbidden",
        f"API key {principal.key.name!r} has role {principal.key.role.value!r}, which may not "
        f"{wanted.replace('_', ' ')}; roles that may: {', '.join(allowed)}",
    )


async def _authorised(
    security_scopes: SecurityScopes, principal: Annotated[Principal, Depends(_principal)]
) -> Principal:
    wanted = [Permission(scope) for scope in security_scopes.scopes]
    if wanted and not any(principal.may(p) for p in wanted):
        raise _forbidden(principal, wanted[0].value)
    return principal


def require(*permissions: Permission) -> Any:
    """A dependency (``Annotated[Principal, require(...)]``) that admits keys whose role grants
    any one of ``permissions`` and gives the route the caller.

    The permissions appear in the OpenAPI document as the security requirement's list, which
    OpenAPI 3.1 allows for role names (``security: [{HTTPBearer: ["manage_policy"]}]``).
    """
    return Security(_authorised, scopes=[p.value for p in permissions])


def check_reporter(principal: Principal, terminal_id: str) -> None:
    """Refuse a terminal key reporting for a terminal other than its own (403)."""
    if principal.may(Permission.REPORT_POSITIONS) or principal.key.name == terminal_id:
        return
    raise ProblemError(
        403,
        "forbidden",
        "Forbidden",
        f"terminal key {principal.key.name!r} may report positions only for terminal "
        f"{principal.key.name!r}, not for {terminal_id!r}",
    )
