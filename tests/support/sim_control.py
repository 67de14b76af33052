"""The CeR simulator's control API (``/_control/...``, docs/SIMULATOR.md) over real loopback HTTP:
what CeR holds is read there, never through the app under test."""

from __future__ import annotations

from typing import Any

import requests


def control(url: str, method: str, path: str, json: Any = None, *, expect: int | None = 200,
            timeout: float = 30.0) -> Any:
    """Call ``<url>/_control/<path>``; check the status (unless ``expect=None``), return JSON."""
    response = requests.request(method, f"{url}/_control/{path.lstrip('/')}", json=json,
                                timeout=timeout)
    if expect is not None:
        assert response.status_code == expect, (response.status_code, response.text[:500])
    return response.json()


def state(url: str, **filters: str) -> dict[str, Any]:
    """The simulator's state, e.g. ``state(url, sections="visits,waiting_list")``."""
    query = "&".join(f"{key}={value}" for key, value in filters.items())
    return control(url, "GET", "state" + (f"?{query}" if query else ""))


class SimControl:
    """``control``/``state`` as methods of anything with a ``url`` (the simulator's base URL)."""

    url: str

    def control(self, method: str, path: str, json: Any = None, *, expect: int | None = 200,
                timeout: float = 30.0) -> Any:
        return control(self.url, method, path, json, expect=expect, timeout=timeout)

    def state(self, **filters: str) -> dict[str, Any]:
        return state(self.url, **filters)
