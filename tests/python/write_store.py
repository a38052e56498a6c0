"""Writes a dog school store with Python eventsourcing 9.5, configured by the environment
(PERSISTENCE_MODULE, SQLITE_DBNAME or POSTGRES_*, COMPRESSOR_TOPIC, CIPHER_KEY), and prints
what it wrote as JSON, for the Rust side to check: two dogs, one with a snapshot, a
versioned event at its current version and at version 1."""

import json
from datetime import datetime, timezone
from uuid import UUID

from eventsourcing.persistence import StoredEvent

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
# A version 1 record of NameChanged, as a release before `reason` wrote it (no
# class_version), through the application's own transcoder, compressor and cipher: both
# sides upcast it on reading.
data = school.mapper.transcoder.encode({"timestamp": datetime.now(timezone.utc), "name": "Max"})
if school.mapper.compressor:
    data = school.mapper.compressor.compress(data)
if school.mapper.cipher:
    data = school.mapper.cipher.encrypt(data)
school.recorder.insert_events(
    [StoredEvent(originator_id=fido.id, originator_version=fido.version + 1, topic="dogschool:Dog.NameChanged", state=data)]
)
fido = school.repository.get(fido.id)
assert fido.name == "Max"
print(json.dumps({
    "fido": str(fido.id),
    "fido_version": fido.version,
    "milly": str(milly.id),
    "notifications": len(school.notification_log.select(start=1, limit=10)),
}))
