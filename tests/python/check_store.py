"""Reads a dog school store the Rust side wrote, with Python eventsourcing 9.5's own
Application, configured by the environment, and checks what the Rust side says it wrote
(JSON on standard input). Exits with an error naming the first difference."""

import json
import sys
from datetime import datetime, timezone
from uuid import UUID

from dogschool import Dog, DogSchool

expected = json.load(sys.stdin)
school = DogSchool()


def check(what, found, wanted):
    if found != wanted:
        sys.exit(f"{what}: Python read {found!r}, the Rust side wrote {wanted!r}")


dog = school.repository.get(UUID(expected["id"]))
check("name", dog.name, expected["name"])
check("tricks", dog.tricks, expected["tricks"])
check("version", dog.version, expected["version"])
check("owner", dog.owner, UUID(expected["owner"]))
check("born", dog.born, datetime.fromisoformat(expected["born"]))
first = school.repository.get(UUID(expected["id"]), version=1)
check("version 1 tricks", first.tricks, [])
notifications = school.notification_log.select(start=1, limit=10)
check("notifications", len(notifications), expected["notifications"])
for notification in notifications:
    event = school.mapper.to_domain_event(notification)
    check("topic", type(event).__qualname__, notification.topic.split(":")[1])
print("Python read what the Rust side wrote")
