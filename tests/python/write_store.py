"""Writes a dog school store with Python eventsourcing 9.5, configured by the environment
(PERSISTENCE_MODULE, SQLITE_DBNAME or POSTGRES_*, COMPRESSOR_TOPIC, CIPHER_KEY), and prints
what it wrote as JSON, for the Rust side to check: two dogs, one with a snapshot."""

import json
from datetime import datetime, timezone
from uuid import UUID

from dogschool import Dog, DogSchool

school = DogSchool()
fido = Dog("Fido")
fido.add_trick("roll over")
fido.adopt(
    owner=UUID("12345678-1234-5678-1234-567812345678"),
    born=datetime(2020, 1, 2, 3, 4, 5, 678901, tzinfo=timezone.utc),
    friends=[UUID("00000000-0000-0000-0000-000000000001")],
)
school.save(fido)
school.take_snapshot(fido.id)
fido.change_name("Rex", "renamed")
fido.add_trick("fetch")
school.save(fido)
milly = Dog("Milly")
school.save(milly)
print(json.dumps({
    "fido": str(fido.id),
    "fido_version": fido.version,
    "milly": str(milly.id),
    "notifications": len(school.notification_log.select(start=1, limit=10)),
}))
