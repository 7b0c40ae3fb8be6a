"""The operator service (``leolink serve``): the HTTP API over the store and the web map.

    from leolink.service import create_app
    app = create_app("sqlite:///leolink.db")      # an ASGI app; run it with uvicorn

The core packages never import this one (an import-linter contract in ``pyproject.toml``).
"""

from leolink.service.app import create_app, create_app_from_env
from leolink.service.auth import ROLE_PERMISSIONS, Permission, Principal
from leolink.service.state import ServiceLimits

__all__ = [
    "ROLE_PERMISSIONS",
    "Permission",
    "Principal",
    "ServiceLimits",
    "create_app",
    "create_app_from_env",
]
