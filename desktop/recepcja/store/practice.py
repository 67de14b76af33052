"""The practice as CeR knows it: the provider, places of service (MUŚ), mobile points and
resources (doctors, devices, rooms). Onboarding writes these; everything else reads them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from recepcja.domain.model import ResourceKind
from recepcja.store.codec import (
    from_json,
    optional_parse_utc,
    optional_utc_text,
    to_json,
    utc_now,
    utc_text,
)
from recepcja.store.db import Database, atomic, fetch_all, fetch_one, insert_id
from recepcja.store.records import MobilePoint, Place, Provider, Resource

Clock = Callable[[], dt.datetime]


class PracticeRepo:
    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        self.db = db
        self.clock = clock

    # --- provider (one per database) -------------------------------------------------------

    def save_provider(self, provider: Provider) -> None:
        with atomic(self.db):
            self.db.conn.execute(
                "INSERT INTO provider (id, name, nip, regon, oid_root, oid_extension, updated_at)"
                " VALUES (1, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                "name = excluded.name, nip = excluded.nip, regon = excluded.regon, "
                "oid_root = excluded.oid_root, oid_extension = excluded.oid_extension, "
                "updated_at = excluded.updated_at",
                (
                    provider.name,
                    provider.nip,
                    provider.regon,
                    provider.oid_root,
                    provider.oid_extension,
                    utc_text(self.clock()),
                ),
            )

    def provider(self) -> Provider | None:
        row = fetch_one(self.db, "SELECT name, nip, regon, oid_root, oid_extension FROM provider")
        return None if row is None else Provider(**row)

    # --- places of service -----------------------------------------------------------------

    def add_place(self, place: Place) -> int:
        """Store a place; needs the provider saved first. Sets and returns ``place.id``."""
        with atomic(self.db):
            place_id = insert_id(
                self.db,
                "INSERT INTO places (provider_id, name, rpwdl_codes, address, scopes, cer_id, "
                "cer_registered_at, cer_active_at, created_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?) "
                "RETURNING id",
                (
                    place.name,
                    to_json(place.rpwdl_codes),
                    place.address,
                    to_json(place.scopes),
                    place.cer_id,
                    optional_utc_text(place.cer_registered_at),
                    optional_utc_text(place.cer_active_at),
                    utc_text(self.clock()),
                ),
            )
        place.id = int(place_id or 0)
        return place.id

    def place(self, place_id: int) -> Place | None:
        row = fetch_one(self.db, "SELECT * FROM places WHERE id = ?", (place_id,))
        return None if row is None else _place(row)

    def places(self) -> list[Place]:
        return [_place(row) for row in fetch_all(self.db, "SELECT * FROM places ORDER BY id")]

    def update_place(self, place: Place) -> None:
        """Save a stored place's name, RPWDL codes, address and scopes (practice set-up re-run);
        CeR ids and timestamps are left alone."""
        if place.id is None:
            raise ValueError("place has no id")
        with atomic(self.db):
            self.db.conn.execute(
                "UPDATE places SET name = ?, rpwdl_codes = ?, address = ?, scopes = ? WHERE id = ?",
                (place.name, to_json(place.rpwdl_codes), place.address, to_json(place.scopes),
                 place.id),
            )

    def mark_place_registered(
        self, place_id: int, cer_id: str | None, at: dt.datetime | None = None
    ) -> None:
        """CeR accepted ``zapiszDaneMus``."""
        with atomic(self.db):
            self.db.conn.execute(
                "UPDATE places SET cer_id = COALESCE(?, cer_id), cer_registered_at = ? "
                "WHERE id = ?",
                (cer_id, utc_text(at or self.clock()), place_id),
            )

    def mark_place_active(self, place_id: int, at: dt.datetime | None = None) -> None:
        """CeR accepted ``aktywujMus``."""
        with atomic(self.db):
            self.db.conn.execute(
                "UPDATE places SET cer_active_at = ? WHERE id = ?",
                (utc_text(at or self.clock()), place_id),
            )

    # --- mobile points ---------------------------------------------------------------------

    def add_mobile_point(self, point: MobilePoint) -> int:
        with atomic(self.db):
            point_id = insert_id(
                self.db,
                "INSERT INTO mobile_points (place_id, name, code, address, cer_id, "
                "cer_imported_at, active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    point.place_id,
                    point.name,
                    point.code,
                    point.address,
                    point.cer_id,
                    optional_utc_text(point.cer_imported_at),
                    int(point.active),
                    utc_text(self.clock()),
                ),
            )
        point.id = int(point_id or 0)
        return point.id

    def mobile_points(self, place_id: int | None = None) -> list[MobilePoint]:
        rows = fetch_all(
            self.db,
            "SELECT * FROM mobile_points WHERE (place_id = :place OR :place IS NULL) ORDER BY id",
            {"place": place_id},
        )
        return [_mobile_point(row) for row in rows]

    def update_mobile_point(self, point: MobilePoint) -> None:
        """Save a stored mobile point's name, code, address and active flag."""
        if point.id is None:
            raise ValueError("mobile point has no id")
        with atomic(self.db):
            self.db.conn.execute(
                "UPDATE mobile_points SET name = ?, code = ?, address = ?, active = ? WHERE id = ?",
                (point.name, point.code, point.address, int(point.active), point.id),
            )

    def mark_mobile_point_imported(
        self, point_id: int, cer_id: str | None, at: dt.datetime | None = None
    ) -> None:
        """CeR accepted ``importujMobilnePunktyObslugi`` for this point."""
        with atomic(self.db):
            self.db.conn.execute(
                "UPDATE mobile_points SET cer_id = COALESCE(?, cer_id), cer_imported_at = ? "
                "WHERE id = ?",
                (cer_id, utc_text(at or self.clock()), point_id),
            )

    # --- resources -------------------------------------------------------------------------

    def add_resource(self, resource: Resource) -> int:
        with atomic(self.db):
            resource_id = insert_id(
                self.db,
                "INSERT INTO resources (kind, name, licence_number, active, created_at) "
                "VALUES (?, ?, ?, ?, ?) RETURNING id",
                (
                    str(resource.kind),
                    resource.name,
                    resource.licence_number,
                    int(resource.active),
                    utc_text(self.clock()),
                ),
            )
        resource.id = int(resource_id or 0)
        return resource.id

    def update_resource(self, resource: Resource) -> None:
        """Save a stored resource's name, licence number and active flag."""
        if resource.id is None:
            raise ValueError("resource has no id")
        with atomic(self.db):
            self.db.conn.execute(
                "UPDATE resources SET name = ?, licence_number = ?, active = ? WHERE id = ?",
                (resource.name, resource.licence_number, int(resource.active), resource.id),
            )

    def resource(self, resource_id: int) -> Resource | None:
        row = fetch_one(self.db, "SELECT * FROM resources WHERE id = ?", (resource_id,))
        return None if row is None else _resource(row)

    def resources(
        self, kind: ResourceKind | None = None, active_only: bool = False
    ) -> list[Resource]:
        rows = fetch_all(
            self.db,
            "SELECT * FROM resources WHERE (kind = :kind OR :kind IS NULL) "
            "AND (:active = 0 OR active = 1) ORDER BY name, id",
            {"kind": None if kind is None else str(kind), "active": int(active_only)},
        )
        return [_resource(row) for row in rows]


def _place(row: dict[str, Any]) -> Place:
    return Place(
        name=row["name"],
        rpwdl_codes=from_json(row["rpwdl_codes"]),
        address=row["address"],
        scopes=from_json(row["scopes"]),
        cer_id=row["cer_id"],
        cer_registered_at=optional_parse_utc(row["cer_registered_at"]),
        cer_active_at=optional_parse_utc(row["cer_active_at"]),
        id=row["id"],
    )


def _mobile_point(row: dict[str, Any]) -> MobilePoint:
    return MobilePoint(
        place_id=row["place_id"],
        name=row["name"],
        code=row["code"],
        address=row["address"],
        cer_id=row["cer_id"],
        cer_imported_at=optional_parse_utc(row["cer_imported_at"]),
        active=bool(row["active"]),
        id=row["id"],
    )


def _resource(row: dict[str, Any]) -> Resource:
    return Resource(
        kind=ResourceKind(row["kind"]),
        name=row["name"],
        licence_number=row["licence_number"],
        active=bool(row["active"]),
        id=row["id"],
    )
