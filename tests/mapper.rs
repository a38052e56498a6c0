//! The mapper: every combination of codec, compression, encryption and hash chaining
//! round-trips, and every kind of bad record is a typed error naming the record.
#![allow(missing_docs)]

mod support;

use eventsourcing::domain::{EventHash, EventMetadata, caused_by};
use eventsourcing::persistence::{
    ChainBreak, ChainCursor, Cipher, Codec, Compression, HashChain, Mapper, MapperError, OriginatorId, Record,
    StoredEvent,
};
use eventsourcing::prelude::*;
use support::{Dog, DogEvent};

#[aggregate]
#[derive(Debug, Clone, PartialEq)]
pub struct Cat {
    name: String,
}

#[aggregate]
impl Cat {
    #[event("Registered")]
    pub fn register(name: String) -> Self {
        Self { name }
    }
}

fn mappers() -> Vec<(String, Mapper)> {
    let mut all = Vec::new();
    for codec in [Codec::Json, Codec::Bincode] {
        for compress in [false, true] {
            for encrypt in [false, true] {
                for chain in [false, true] {
                    let mut mapper = Mapper::new(codec);
                    if compress {
                        mapper = mapper.with_compression(Compression::default());
                    }
                    if encrypt {
                        mapper = mapper.with_cipher(Cipher::new(&[9; 32]));
                    }
                    if chain {
                        mapper = mapper.with_hash_chain(HashChain::keyed([3; 32]));
                    }
                    all.push((format!("{codec} compress={compress} encrypt={encrypt} chain={chain}"), mapper));
                }
            }
        }
    }
    all
}

fn dog_events() -> Vec<DomainEvent<DogEvent>> {
    let mut dog = Dog::register("Fido");
    dog.add_trick("roll over");
    dog.add_trick("play dead");
    dog.collect_events()
}

fn events(records: Vec<Record<Dog>>) -> Vec<DomainEvent<DogEvent>> {
    records
        .into_iter()
        .map(|r| match r {
            Record::Event(e) => e,
            Record::Discarded { .. } => panic!("unexpected discard marker"),
        })
        .collect()
}

#[test]
fn every_configuration_round_trips_events_and_snapshots() {
    let original = dog_events();
    for (name, mapper) in mappers() {
        let (stored, head) = mapper.encode_events::<Dog>(&original, None).unwrap();
        assert_eq!(stored.len(), 3);
        assert_eq!(stored[1].topic, "Dog.TrickAdded", "{name}");
        assert_eq!(stored[1].originator_version, 2);
        assert_eq!(head.is_some(), mapper.is_chaining(), "{name}");
        let mut cursor = ChainCursor::from_start();
        let decoded = events(mapper.decode_events::<Dog>(stored, &mut cursor).unwrap());
        assert_eq!(decoded, original, "{name}");
        assert_eq!(cursor.head(), head, "{name}");

        let dog = Dog::from_events(original.clone()).unwrap();
        let mut snapshot = Snapshot::take(&dog);
        snapshot.head = head;
        let stored = mapper.encode_snapshot(&snapshot).unwrap();
        assert_eq!(stored.topic, "Dog");
        let restored = mapper.decode_snapshot::<Dog>(&stored).unwrap();
        let header = |s: &Snapshot<Dog>| (s.originator_id, s.originator_version, s.timestamp, s.head);
        assert_eq!(header(&restored), header(&snapshot), "{name}");
        let restored = restored.restore();
        assert_eq!(restored.head(), head, "{name}");
        assert_eq!((restored.version(), &restored.tricks), (dog.version(), &dog.tricks), "{name}");
    }
}

#[test]
fn plain_json_records_are_readable_json_and_other_records_are_framed() {
    let events = dog_events();
    let (stored, _) = Mapper::new(Codec::Json).encode_events::<Dog>(&events, None).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&stored[0].state).unwrap();
    assert_eq!(json["payload"], serde_json::json!({"name": "Fido"}));
    assert_eq!(json["version"], 1);
    assert_eq!(json["event_id"], events[0].metadata.event_id.to_string());

    let (framed, _) = Mapper::new(Codec::Bincode).encode_events::<Dog>(&events, None).unwrap();
    assert_eq!(framed[0].state[0], 0x01);
}

#[test]
fn records_written_under_one_policy_stay_readable_under_another() {
    let events = dog_events();
    let (json, _) = Mapper::new(Codec::Json).encode_events::<Dog>(&events, None).unwrap();
    let (zstd, _) = Mapper::new(Codec::Bincode)
        .with_compression(Compression::Zstd { level: 19 })
        .encode_events::<Dog>(&events, None)
        .unwrap();
    let reader = Mapper::new(Codec::Bincode);
    let mut mixed = json[..2].to_vec();
    mixed.push(zstd[2].clone());
    assert_eq!(self::events(reader.decode_events::<Dog>(mixed, &mut ChainCursor::from_start()).unwrap()), events);
}

#[test]
fn encryption_hides_the_payload_and_binds_it_to_the_record() {
    let mapper = Mapper::new(Codec::Json).with_cipher(Cipher::new(&[1; 32]));
    let (stored, _) = mapper.encode_events::<Dog>(&dog_events(), None).unwrap();
    for record in &stored {
        for secret in [&b"Fido"[..], b"roll over", b"play dead", b"name", b"trick"] {
            assert!(!record.state.windows(secret.len()).any(|w| w == secret), "plaintext in stored bytes");
        }
    }

    // Another key.
    let other = Mapper::new(Codec::Json).with_cipher(Cipher::new(&[2; 32]));
    let error = other.decode_event::<Dog>(&stored[0], &mut ChainCursor::from_start()).unwrap_err();
    assert!(matches!(&error, MapperError::WrongKey { record } if record.originator_version == 1), "{error}");

    // A flipped bit.
    let mut damaged = stored[1].clone();
    let last = damaged.state.len() - 1;
    damaged.state[last] ^= 0x40;
    let error = mapper.decode_event::<Dog>(&damaged, &mut ChainCursor::after(None)).unwrap_err();
    assert!(matches!(error, MapperError::DamagedCiphertext { .. }), "{error}");
    assert!(error.to_string().contains("Dog.TrickAdded"), "{error}");

    // A ciphertext moved to another version, or another aggregate.
    let mut moved = stored[2].clone();
    moved.originator_version = 5;
    let error = mapper.decode_event::<Dog>(&moved, &mut ChainCursor::after(None)).unwrap_err();
    assert!(matches!(error, MapperError::DamagedCiphertext { .. }), "{error}");
    let mut swapped = stored[1].clone();
    swapped.originator_id = OriginatorId::Uuid(Uuid::new_v4());
    let error = mapper.decode_event::<Dog>(&swapped, &mut ChainCursor::after(None)).unwrap_err();
    assert!(matches!(error, MapperError::DamagedCiphertext { .. }), "{error}");

    // Plain records are refused once encryption is on; encrypted ones need a key.
    let (plain, _) = Mapper::new(Codec::Json).encode_events::<Dog>(&dog_events(), None).unwrap();
    let error = mapper.decode_event::<Dog>(&plain[0], &mut ChainCursor::from_start()).unwrap_err();
    assert!(matches!(error, MapperError::NotEncrypted { .. }), "{error}");
    let error = Mapper::new(Codec::Json).decode_event::<Dog>(&stored[0], &mut ChainCursor::from_start()).unwrap_err();
    assert!(matches!(error, MapperError::MissingKey { .. }), "{error}");
}

fn chained() -> (Mapper, Vec<StoredEvent>) {
    let mapper = Mapper::new(Codec::Json).with_hash_chain(HashChain::new());
    let mut dog = Dog::register("Fido");
    for trick in ["a", "b", "c", "d"] {
        dog.add_trick(trick);
    }
    let (stored, _) = mapper.encode_events::<Dog>(&dog.collect_events(), None).unwrap();
    (mapper, stored)
}

fn chain_error(mapper: &Mapper, records: Vec<StoredEvent>) -> (u64, ChainBreak) {
    match mapper.decode_events::<Dog>(records, &mut ChainCursor::from_start()) {
        Err(MapperError::BrokenChain { record, reason }) => (record.originator_version, reason),
        other => panic!("expected a broken chain, got {other:?}"),
    }
}

#[test]
fn the_hash_chain_detects_changed_removed_reordered_and_swapped_records() {
    let (mapper, stored) = chained();
    assert_eq!(mapper.decode_events::<Dog>(stored.clone(), &mut ChainCursor::from_start()).unwrap().len(), 5);

    // A changed record (its JSON edited in place).
    let mut changed = stored.clone();
    let text = String::from_utf8(changed[2].state[66..].to_vec()).unwrap().replace("\"b\"", "\"x\"");
    changed[2].state.truncate(66);
    changed[2].state.extend_from_slice(text.as_bytes());
    assert_eq!(chain_error(&mapper, changed), (3, ChainBreak::Modified));

    // A removed middle record: the next one no longer follows.
    let mut removed = stored.clone();
    removed.remove(2);
    let (version, reason) = chain_error(&mapper, removed);
    assert_eq!(version, 4);
    assert!(matches!(reason, ChainBreak::Disconnected { .. }));

    // Two records reordered (their versions swapped).
    let mut reordered = stored.clone();
    reordered.swap(1, 2);
    reordered[1].originator_version = 2;
    reordered[2].originator_version = 3;
    assert_eq!(chain_error(&mapper, reordered), (2, ChainBreak::Modified));

    // A record swapped in from another aggregate's chain.
    let (_, other) = chained();
    let mut swapped = stored.clone();
    swapped[3] = other[3].clone();
    let (version, reason) = chain_error(&mapper, swapped.clone());
    assert_eq!(version, 4);
    assert!(matches!(reason, ChainBreak::Disconnected { .. }), "a valid record of another chain does not link");
    swapped[3].originator_id = stored[3].originator_id.clone();
    assert_eq!(chain_error(&mapper, swapped), (4, ChainBreak::Modified));

    // An unchained record while chaining is on.
    let (plain, _) = Mapper::new(Codec::Json).encode_events::<Dog>(&dog_events(), None).unwrap();
    assert_eq!(chain_error(&mapper, plain), (1, ChainBreak::NotChained));
}

#[test]
fn inspect_opens_any_record_without_its_types_and_checks_its_chain() {
    for (name, mapper) in mappers() {
        let (stored, head) = mapper.encode_events::<Dog>(&dog_events(), None).unwrap();
        let mut cursor = ChainCursor::from_start();
        for record in &stored {
            let inspected = mapper.inspect(record, &mut cursor).unwrap();
            let format = inspected.format;
            assert_eq!(format.codec, mapper.codec(), "{name}");
            assert_eq!(
                (format.encrypted, format.chained, inspected.python),
                (mapper.is_encrypting(), mapper.is_chaining(), false),
                "{name}"
            );
            assert_eq!(format.compressed, name.contains("compress=true"), "{name}");
            if format.codec == Codec::Json {
                let envelope: serde_json::Value = serde_json::from_slice(&inspected.plain).unwrap();
                assert_eq!(envelope["version"], 1, "{name}");
                assert!(envelope["timestamp"].is_string() && envelope["payload"].is_object(), "{name}: {envelope}");
            }
        }
        assert_eq!(cursor.head(), head, "{name}");
    }

    // Chained records are verified by a mapper that does not chain (unkeyed), and a break
    // is found as decoding finds it.
    let (_, stored) = chained();
    let reader = Mapper::new(Codec::Json);
    let mut cursor = ChainCursor::from_start();
    assert!(stored.iter().all(|record| reader.inspect(record, &mut cursor).unwrap().hash.is_some()));
    let mut removed = stored.clone();
    removed.remove(2);
    let mut cursor = ChainCursor::from_start();
    let error = removed.iter().map(|record| reader.inspect(record, &mut cursor)).find_map(Result::err).unwrap();
    assert!(
        matches!(&error, MapperError::BrokenChain { record, reason: ChainBreak::Disconnected { .. } } if record.originator_version == 4),
        "{error}"
    );

    // Encrypted records need the key, and tell a wrong one.
    let sealed = Mapper::new(Codec::Json).with_cipher(Cipher::new(&[9; 32]));
    let (stored, _) = sealed.encode_events::<Dog>(&dog_events(), None).unwrap();
    let error = reader.inspect(&stored[0], &mut ChainCursor::from_start()).unwrap_err();
    assert!(matches!(error, MapperError::MissingKey { .. }), "{error}");
    let wrong = Mapper::new(Codec::Json).with_cipher(Cipher::new(&[8; 32]));
    let error = wrong.inspect(&stored[0], &mut ChainCursor::from_start()).unwrap_err();
    assert!(matches!(error, MapperError::WrongKey { .. }), "{error}");
}

#[test]
fn a_keyed_chain_cannot_be_rebuilt_without_the_key() {
    let keyed = Mapper::new(Codec::Json).with_hash_chain(HashChain::keyed([5; 32]));
    let (forged, _) =
        Mapper::new(Codec::Json).with_hash_chain(HashChain::new()).encode_events::<Dog>(&dog_events(), None).unwrap();
    assert_eq!(chain_error(&keyed, forged), (1, ChainBreak::Modified));
}

#[test]
fn the_head_continues_across_batches_and_from_a_known_head() {
    let mapper = Mapper::new(Codec::Bincode).with_hash_chain(HashChain::new());
    let mut dog = Dog::register("Fido");
    let (first, head) = mapper.encode_events::<Dog>(&dog.collect_events(), None).unwrap();
    dog.add_trick("sit");
    let (second, head2) = mapper.encode_events::<Dog>(&dog.collect_events(), head).unwrap();
    assert_ne!(head, head2);
    let mut cursor = ChainCursor::from_start();
    mapper.decode_events::<Dog>([first, second.clone()].concat(), &mut cursor).unwrap();
    assert_eq!(cursor.head(), head2);
    let mut cursor = ChainCursor::after(head);
    mapper.decode_events::<Dog>(second.clone(), &mut cursor).unwrap();
    let mut wrong = ChainCursor::after(Some(EventHash([1; 32])));
    assert!(mapper.decode_events::<Dog>(second, &mut wrong).is_err());
}

#[test]
fn unknown_topics_formats_and_undecodable_payloads_are_typed_errors() {
    let mapper = Mapper::new(Codec::Json);
    let mut cat = Cat::register("Tom".into());
    let (cat_records, _) = mapper.encode_events::<Cat>(&cat.collect_events(), None).unwrap();
    let error = mapper.decode_event::<Dog>(&cat_records[0], &mut ChainCursor::from_start()).unwrap_err();
    assert!(
        matches!(&error, MapperError::UnknownTopic { aggregate: "Dog", record } if record.topic == "Cat.Registered"),
        "{error}"
    );

    let (dog_records, _) = mapper.encode_events::<Dog>(&dog_events(), None).unwrap();
    let mut renamed = dog_records[1].clone();
    renamed.topic = "Dog.TrickForgotten".into();
    let error = mapper.decode_event::<Dog>(&renamed, &mut ChainCursor::after(None)).unwrap_err();
    assert!(matches!(error, MapperError::UnknownTopic { .. }), "{error}");

    let mut garbage = dog_records[1].clone();
    garbage.state = vec![0x7f, 0, 1];
    let error = mapper.decode_event::<Dog>(&garbage, &mut ChainCursor::after(None)).unwrap_err();
    assert!(matches!(error, MapperError::UnknownFormat { .. }), "{error}");
    garbage.state = vec![0x01, 0x80];
    let error = mapper.decode_event::<Dog>(&garbage, &mut ChainCursor::after(None)).unwrap_err();
    assert!(matches!(error, MapperError::UnknownFormat { .. }), "{error}");

    let mut wrong_shape = dog_records[1].clone();
    wrong_shape.state = br#"{"timestamp":"2020-01-01T00:00:00Z","version":1,"event_id":"00000000-0000-0000-0000-000000000001","payload":{"trick":7}}"#.to_vec();
    let error = mapper.decode_event::<Dog>(&wrong_shape, &mut ChainCursor::after(None)).unwrap_err();
    assert!(matches!(error, MapperError::Undecodable { .. }), "{error}");

    let mut future = dog_records[1].clone();
    future.state = br#"{"timestamp":"2020-01-01T00:00:00Z","version":9,"event_id":"00000000-0000-0000-0000-000000000001","payload":{"trick":"x","new":1}}"#.to_vec();
    let error = mapper.decode_event::<Dog>(&future, &mut ChainCursor::after(None)).unwrap_err();
    assert!(matches!(error, MapperError::UnsupportedVersion { version: 9, current: 1, .. }), "{error}");
    // The same for bincode, which cannot skip the unknown payload: it is left unread.
    let mut bumped = Vec::from([0x01, 0x01]);
    let metadata = EventMetadata::new();
    let old = (Utc::now(), 9_u32, metadata.event_id, metadata.correlation_id, None::<Uuid>, ("x", 1_u8));
    bumped.extend(Codec::Bincode.encode(&old).unwrap());
    let mut record = dog_records[1].clone();
    record.state = bumped;
    let error = mapper.decode_event::<Dog>(&record, &mut ChainCursor::after(None)).unwrap_err();
    assert!(matches!(error, MapperError::UnsupportedVersion { version: 9, .. }), "{error}");

    let mut compressed_garbage = dog_records[1].clone();
    compressed_garbage.state = vec![0x01, 0x02, 1, 2, 3];
    let error = mapper.decode_event::<Dog>(&compressed_garbage, &mut ChainCursor::after(None)).unwrap_err();
    assert!(matches!(error, MapperError::Decompression { .. }), "{error}");

    let mut text_id = dog_records[1].clone();
    text_id.originator_id = OriginatorId::Text("not a uuid".into());
    let error = mapper.decode_event::<Dog>(&text_id, &mut ChainCursor::after(None)).unwrap_err();
    assert!(matches!(error, MapperError::Undecodable { .. }), "{error}");
}

#[test]
fn metadata_is_stored_and_causation_follows_the_scope() {
    let cause = EventMetadata::new();
    assert_eq!(cause.correlation_id, cause.event_id);
    assert_eq!(cause.causation_id, None);
    let mut dog = caused_by(&cause, || Dog::register("Fido"));
    dog.add_trick("sit");
    let events = dog.collect_events();
    assert_eq!(events[0].metadata.causation_id, Some(cause.event_id));
    assert_eq!(events[0].metadata.correlation_id, cause.correlation_id);
    assert_eq!(events[1].metadata.causation_id, None, "outside the scope");
    assert_ne!(events[0].metadata.event_id, events[1].metadata.event_id);
    for (_, mapper) in mappers() {
        let (stored, _) = mapper.encode_events::<Dog>(&events, None).unwrap();
        let decoded = self::events(mapper.decode_events::<Dog>(stored, &mut ChainCursor::from_start()).unwrap());
        assert_eq!(decoded[0].metadata, events[0].metadata);
        assert_eq!(decoded[1].metadata, events[1].metadata);
    }
}

#[test]
fn a_discard_marker_round_trips() {
    for (name, mapper) in mappers() {
        let mut dog = Dog::register("Fido");
        let id = *dog.id();
        let (mut stored, head) = mapper.encode_events::<Dog>(&dog.collect_events(), None).unwrap();
        let (marker, _) = mapper.encode_discard::<Dog>(&id, 2, head).unwrap();
        assert_eq!(marker.topic, "Dog#discarded");
        stored.push(marker);
        let records = mapper.decode_events::<Dog>(stored, &mut ChainCursor::from_start()).unwrap();
        assert!(matches!(records[1], Record::Discarded { originator_version: 2, .. }), "{name}");
    }
}

#[test]
fn forged_lengths_and_decompression_bombs_are_errors_not_crashes() {
    let mapper = Mapper::new(Codec::Bincode);
    let (stored, _) = mapper.encode_events::<Dog>(&dog_events(), None).unwrap();
    let mut forged = stored[0].clone();
    // bincode: the timestamp's length prefix claims 2^64 - 1 bytes.
    forged.state = [&[0x01_u8, 0x01][..], &[0xfd], &[0xff; 8]].concat();
    let error = mapper.decode_event::<Dog>(&forged, &mut ChainCursor::from_start()).unwrap_err();
    assert!(matches!(error, MapperError::Undecodable { .. }), "{error}");

    let mut encoder = zstd::stream::Encoder::new(Vec::new(), 1).unwrap();
    let zeros = vec![0_u8; 1 << 20];
    for _ in 0..257 {
        std::io::Write::write_all(&mut encoder, &zeros).unwrap();
    }
    let bomb = encoder.finish().unwrap();
    assert!(bomb.len() < 100_000);
    let mut record = stored[0].clone();
    record.state = [&[0x01_u8, 0x02][..], &bomb].concat();
    let error = Mapper::new(Codec::Json).decode_event::<Dog>(&record, &mut ChainCursor::from_start()).unwrap_err();
    assert!(
        matches!(&error, MapperError::Decompression { message, .. } if message.contains("expands beyond")),
        "{error}"
    );
}

mod fast_json {
    use proptest::prelude::*;

    use super::*;

    /// An event with the given timestamp, ids and trick.
    fn event(seconds: i64, nanos: u32, ids: (u128, u128, Option<u128>), trick: String) -> DomainEvent<DogEvent> {
        let mut event = dog_events().remove(1);
        event.timestamp = DateTime::from_timestamp(seconds, nanos).unwrap();
        let event_id = Uuid::from_u128(ids.0);
        event.metadata = EventMetadata {
            event_id,
            correlation_id: if ids.1.is_multiple_of(2) { event_id } else { Uuid::from_u128(ids.1) },
            causation_id: ids.2.map(Uuid::from_u128),
        };
        event.payload = DogEvent::TrickAdded { trick };
        event
    }

    fn decode(mapper: &Mapper, stored: &StoredEvent) -> Result<DomainEvent<DogEvent>, MapperError> {
        mapper.decode_event::<Dog>(stored, &mut ChainCursor::from_start()).map(|record| events(vec![record]).remove(0))
    }

    /// The same record laid out another way (spaces, newlines): read by serde alone.
    fn relaid(stored: &StoredEvent) -> StoredEvent {
        let value: serde_json::Value = serde_json::from_slice(&stored.state).unwrap();
        StoredEvent { state: serde_json::to_vec_pretty(&value).unwrap(), ..stored.clone() }
    }

    fn with_state(stored: &StoredEvent, state: String) -> StoredEvent {
        StoredEvent { state: state.into_bytes(), ..stored.clone() }
    }

    proptest! {
        /// Records as the library writes them are read by hand, and the same records laid
        /// out otherwise by serde: both give back the event written.
        #[test]
        fn the_hand_reader_and_serde_read_the_same_event(
            seconds in 0_i64..253_402_300_799,
            nanos in prop_oneof![Just(0_u32), (0_u32..1000).prop_map(|n| n * 1_000_000), (0_u32..1_000_000).prop_map(|n| n * 1000), 0_u32..1_000_000_000],
            ids in (any::<u128>(), any::<u128>(), proptest::option::of(any::<u128>())),
            trick in "\\PC{0,20}|[\"\\\\\u{0}-\u{1f}é]{0,5}",
        ) {
            let mapper = Mapper::new(Codec::Json);
            let written = event(seconds, nanos, ids, trick);
            let (stored, _) = mapper.encode_events::<Dog>(std::slice::from_ref(&written), None).unwrap();
            prop_assert_eq!(&decode(&mapper, &stored[0]).unwrap(), &written);
            prop_assert_eq!(&decode(&mapper, &relaid(&stored[0])).unwrap(), &written);
        }
    }

    #[test]
    fn what_serde_would_refuse_is_refused_and_what_it_reads_is_read() {
        let mapper = Mapper::new(Codec::Json);
        let written = event(1_700_000_000, 5, (1, 3, Some(4)), "sit".into());
        let (stored, _) = mapper.encode_events::<Dog>(std::slice::from_ref(&written), None).unwrap();
        let text = String::from_utf8(stored[0].state.clone()).unwrap();

        for refused in [
            text.replace("\"version\":1", "\"version\":01"),
            text.replace("\"version\":1", "\"version\":4294967296"),
            text.replace("\"version\":1", "\"version\":2"),
            text.replace("20.000000005Z", "20.000000005"),
            text.replace("\"sit\"}", "\"sit\"}}"),
            text.replace("\"sit\"}", "\"sit\",}"),
            format!("{text}x"),
            text.replace("-0000-0000-0000-000000000004", "-0000-0000-0000-00000000000g"),
        ] {
            assert_ne!(refused, text);
            assert!(decode(&mapper, &with_state(&stored[0], refused.clone())).is_err(), "accepted {refused}");
        }
        // A payload that is not UTF-8 is refused too (read by hand, it goes to serde).
        let not_utf8 = text.replace("\"sit\"", "\"s\u{fffd}t\"").into_bytes();
        let at = not_utf8.windows(3).position(|w| w == "\u{fffd}".as_bytes()).unwrap();
        let not_utf8 = [&not_utf8[..at], b"\xff", &not_utf8[at + 3..]].concat();
        let damaged = StoredEvent { state: not_utf8, ..stored[0].clone() };
        assert!(decode(&mapper, &damaged).is_err(), "accepted a payload that is not UTF-8");
        // What RFC 3339 and UUIDs allow besides the library's own layout is read too.
        for (read, timestamp) in [
            (text.replace("Z\"", "+00:00\""), written.timestamp),
            (text.replace('T', "t"), written.timestamp),
            (text.replace("20.000000005Z", "20.0000000050Z"), written.timestamp),
            // A leap second, as chrono reads it.
            (text.replace("20.000000005Z", "60.000000005Z"), "2023-11-14T22:13:60.000000005Z".parse().unwrap()),
            (text.replace(":20.000000005Z", ":20.000000005+01:00"), written.timestamp - chrono::Duration::hours(1)),
            (
                text.replace("00000000-0000-0000-0000-000000000004", "00000000000000000000000000000004"),
                written.timestamp,
            ),
            (text.replace("\"sit\"}", "\"sit\" }"), written.timestamp),
            (text.replace("\"trick\":\"sit\"", "\"trick\":\"s\\u0069t\""), written.timestamp),
        ] {
            assert_ne!(read, text);
            let event =
                decode(&mapper, &with_state(&stored[0], read.clone())).unwrap_or_else(|e| panic!("{read}: {e}"));
            assert_eq!(event.timestamp, timestamp, "{read}");
            assert_eq!(event.metadata, written.metadata, "{read}");
            assert_eq!(event.payload, written.payload, "{read}");
        }
    }
}
