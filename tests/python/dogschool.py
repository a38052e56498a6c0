"""The dog school of the Rust tests' `Dog` (tests/support/python_dog.rs), in Python
eventsourcing 9.5: the same events, fields and topics (`dogschool:Dog...`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event


class Dog(Aggregate):
    @event("Registered")
    def __init__(self, name: str) -> None:
        self.name = name
        self.tricks: list[str] = []
        self.owner: UUID | None = None
        self.born: datetime | None = None

    @event("TrickAdded")
    def add_trick(self, trick: str) -> None:
        self.tricks.append(trick)

    class NameChanged(Aggregate.Event):
        class_version = 2
        name: str
        reason: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["reason"] = "upcast-default"

    @event(NameChanged)
    def change_name(self, name: str, reason: str) -> None:
        self.name = name

    @event("Adopted")
    def adopt(self, owner: UUID, born: datetime, friends: list[UUID]) -> None:
        self.owner = owner
        self.born = born


class DogSchool(Application):
    is_snapshotting_enabled = True
