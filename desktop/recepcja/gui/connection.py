"""Connectivity states as the window shows them (the sync monitor's ONLINE/DEGRADED/OFFLINE,
plus UNKNOWN before the first answer and NOT_CONFIGURED without a CeR address)."""

from __future__ import annotations

from enum import StrEnum

from recepcja.i18n import _


class Connection(StrEnum):
    UNKNOWN = "unknown"
    ONLINE = "online"
    DEGRADED = "degraded"
    OFFLINE = "offline"
    NOT_CONFIGURED = "not_configured"

    @classmethod
    def parse(cls, value: object) -> Connection:
        text = str(getattr(value, "value", value)).lower()
        try:
            return cls(text)
        except ValueError:
            return cls.UNKNOWN


def connection_label(state: Connection) -> str:
    labels = {
        Connection.UNKNOWN: "… " + _("CeR: checking the connection"),
        Connection.ONLINE: "● " + _("CeR: connected"),
        Connection.DEGRADED: "◐ " + _("CeR: connection problems"),
        Connection.OFFLINE: "✖ " + _("CeR: no connection — emergency mode"),
        Connection.NOT_CONFIGURED: "○ " + _("CeR: not configured"),
    }
    return labels[state]


CONNECTION_COLOURS = {
    Connection.UNKNOWN: "#555555",
    Connection.ONLINE: "#1b6e1b",
    Connection.DEGRADED: "#9a6700",
    Connection.OFFLINE: "#b00000",
    Connection.NOT_CONFIGURED: "#555555",
}
