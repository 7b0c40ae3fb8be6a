"""What the web map's end-to-end tests do with a page: open the map, pick or click a place,
read pixels, and talk to the service's API directly (to set up and to check what the page shows)."""

from __future__ import annotations

import io
import json
import urllib.request
from typing import Any

import numpy as np
from PIL import Image

from tests.web.conftest import Service

#: Time for the page to load the borders and ~10,000 satellites and draw (SwiftShader WebGL).
READY_MS = 60_000


def open_map(page: Any, service: Service, query: str) -> None:
    page.goto(f"{service.url}/?{query}")
    page.wait_for_function("window.leolink && window.leolink.state.ready", timeout=READY_MS)


def canvas_pixels(page: Any) -> np.ndarray:
    """The map area left of the panel, above the time bar and below the title, as RGB."""
    png = page.screenshot(clip={"x": 240, "y": 90, "width": 660, "height": 560})
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def count_near(pixels: np.ndarray, rgb: tuple[int, int, int], tolerance: int = 24) -> int:
    return int((np.abs(pixels - np.array(rgb)).max(axis=2) <= tolerance).sum())


def wait_for_layers_on_map(page: Any) -> None:
    """Wait until deck.gl has taken up the layers the map last handed it: it does so at its next
    animation frame, and a pick or a click before then meets the layers before."""
    page.wait_for_function("window.leolink.layersTakenUp()", timeout=10_000)


def pick(page: Any, lat: float, lon: float) -> Any:
    """What deck.gl has under a place of the map, as a pointer there would (the tooltip's
    object): ``{layer, object}`` or None."""
    wait_for_layers_on_map(page)
    return page.evaluate(
        f"""(() => {{
          const p = window.leolink.map.project([{lon}, {lat}]);
          const info = window.leolink.overlay.pickObject({{x: p.x, y: p.y, radius: 3}});
          return info ? {{layer: info.layer.id, object: info.object}} : null;
        }})()"""
    )


def click_at(page: Any, lat: float, lon: float) -> None:
    wait_for_layers_on_map(page)
    point = page.evaluate(f"(() => window.leolink.map.project([{lon}, {lat}]))()")
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])


def api(service: Service, path: str, token: str | None = None, body: Any = None) -> Any:
    """``GET path`` (``POST`` when there is a ``body``) and its JSON."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{service.url}{path}", data=data)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def blend(hex_colour: str, opacity: float, under: str = "#0B1526") -> tuple[int, int, int]:
    top = [int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]
    bottom = [int(under[i : i + 2], 16) for i in (1, 3, 5)]
    return tuple(round(t * opacity + b * (1 - opacity)) for t, b in zip(top, bottom, strict=True))  # type: ignore[return-value]
