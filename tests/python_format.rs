//! Python `eventsourcing` 9.5's record format: records Python wrote (the literal bytes of
//! its JSON transcoder, zlib and AES-GCM) decode here, and records written here have
//! Python's topics, state shape and type tags.
#![allow(missing_docs)]

use base64::Engine;
use eventsourcing::domain::EventMetadata;
use eventsourcing::persistence::python::{AesCipher, PythonFormat};
use eventsourcing::persistence::{ChainCursor, Mapper, MapperError, OriginatorId, Record, StoredEvent};
use eventsourcing::prelude::*;

mod support;
use support::SqliteFile;
use support::python_dog::{Dog, DogEvent};

const ID: &str = "42fee5d3976c424d9b99e614fb050aaf";

fn stored(version: u64, topic: &str, state: &[u8]) -> StoredEvent {
    StoredEvent {
        originator_id: OriginatorId::Uuid(Uuid::parse_str(ID).unwrap()),
        originator_version: version,
        topic: topic.to_owned(),
        state: state.to_vec(),
    }
}

fn python() -> Mapper {
    Mapper::python(PythonFormat::new())
}

fn event(mapper: &Mapper, stored: &StoredEvent) -> DomainEvent<DogEvent> {
    match mapper.decode_event::<Dog>(stored, &mut ChainCursor::after(None)).unwrap() {
        Record::Event(event) => event,
        other @ Record::Discarded { .. } => panic!("{other:?}"),
    }
}

/// The bytes Python 9.5.6 wrote for a dog's events.
#[test]
fn events_python_wrote_decode() {
    let mapper = python();
    let registered = stored(
        1,
        "dogschool:Dog.Registered",
        br#"{"timestamp":{"_type_":"datetime_iso","_data_":"2026-11-30T10:03:59.094825+00:00"},"originator_topic":"dogschool:Dog","name":"Fido"}"#,
    );
    let trick = stored(
        2,
        "dogschool:Dog.TrickAdded",
        br#"{"timestamp":{"_type_":"datetime_iso","_data_":"2026-11-30T10:03:59.099007+00:00"},"trick":"roll over"}"#,
    );
    let renamed = stored(
        3,
        "dogschool:Dog.NameChanged",
        br#"{"timestamp":{"_type_":"datetime_iso","_data_":"2026-11-30T10:03:59.102937+00:00"},"name":"Rex","reason":"renamed","class_version":2}"#,
    );
    let renamed_v1 = stored(
        4,
        "dogschool:Dog.NameChanged",
        br#"{"timestamp":{"_type_":"datetime_iso","_data_":"2026-11-30T10:03:59+00:00"},"name":"Max"}"#,
    );
    let first = event(&mapper, &registered);
    assert_eq!(first.payload, DogEvent::Registered { name: "Fido".into() });
    assert_eq!(first.timestamp.to_rfc3339(), "2026-11-30T10:03:59.094825+00:00");
    // Python's events have no ids: they are derived from the record, the same at each read.
    assert_eq!(first.metadata, event(&mapper, &registered).metadata);
    assert_eq!(first.metadata.causation_id, None);
    assert_eq!(event(&mapper, &trick).payload, DogEvent::TrickAdded { trick: "roll over".into() });
    assert_eq!(
        event(&mapper, &renamed).payload,
        DogEvent::NameChanged { name: "Rex".into(), reason: "renamed".into() }
    );
    assert_eq!(
        event(&mapper, &renamed_v1).payload,
        DogEvent::NameChanged { name: "Max".into(), reason: "upcast-default".into() },
        "a class_version 1 record is upcast as Python upcasts it"
    );

    let records = mapper.decode_events::<Dog>(vec![registered, trick, renamed], &mut ChainCursor::after(None)).unwrap();
    let events = records.into_iter().map(|r| match r {
        Record::Event(event) => event,
        other @ Record::Discarded { .. } => panic!("{other:?}"),
    });
    let dog = Dog::from_events(events).unwrap();
    assert_eq!((dog.name.as_str(), dog.tricks.as_slice(), dog.version()), ("Rex", &["roll over".to_owned()][..], 3));
}

/// What is written here is what Python writes: its topics, its keys in its order, its tags.
#[test]
fn events_written_here_are_as_python_writes_them() {
    let mapper = python();
    let mut dog = Dog::register("Fido");
    let owner = Uuid::from_u128(0x1234_5678_1234_5678_1234_5678_1234_5678);
    let born = DateTime::parse_from_rfc3339("2020-01-02T03:04:05.678901Z").unwrap().with_timezone(&Utc);
    dog.adopt(owner, born, vec![owner]);
    dog.change_name("Rex", "renamed");
    let events = dog.collect_events();
    let (records, _) = mapper.encode_events::<Dog>(&events, None).unwrap();
    let topics: Vec<&str> = records.iter().map(|r| r.topic.as_str()).collect();
    assert_eq!(topics, ["dogschool:Dog.Registered", "dogschool:Dog.Adopted", "dogschool:Dog.NameChanged"]);
    let text: Vec<String> = records.iter().map(|r| String::from_utf8(r.state.clone()).unwrap()).collect();
    let time = |event: &DomainEvent<DogEvent>| {
        let micros = event.timestamp.timestamp_subsec_micros();
        let seconds = event.timestamp.format("%Y-%m-%dT%H:%M:%S").to_string();
        if micros == 0 { format!("{seconds}+00:00") } else { format!("{seconds}.{micros:06}+00:00") }
    };
    let ids = |event: &DomainEvent<DogEvent>| {
        let m = &event.metadata;
        let tag = |id: Uuid| format!(r#"{{"_type_":"uuid_hex","_data_":"{}"}}"#, id.simple());
        let cause = m.causation_id.map_or("null".to_owned(), tag);
        format!(
            r#""__event_id__":{},"__correlation_id__":{},"__causation_id__":{cause}"#,
            tag(m.event_id),
            tag(m.correlation_id)
        )
    };
    assert_eq!(
        text[0],
        format!(
            r#"{{"timestamp":{{"_type_":"datetime_iso","_data_":"{}"}},"originator_topic":"dogschool:Dog","name":"Fido",{}}}"#,
            time(&events[0]),
            ids(&events[0])
        )
    );
    assert_eq!(
        text[1],
        format!(
            r#"{{"timestamp":{{"_type_":"datetime_iso","_data_":"{}"}},"owner":{{"_type_":"uuid_hex","_data_":"12345678123456781234567812345678"}},"born":{{"_type_":"datetime_iso","_data_":"2020-01-02T03:04:05.678901+00:00"}},"friends":[{{"_type_":"uuid_hex","_data_":"12345678123456781234567812345678"}}],{}}}"#,
            time(&events[1]),
            ids(&events[1])
        )
    );
    assert!(text[2].ends_with(r#","class_version":2}"#), "{}", text[2]);

    // And they read back, ids and all.
    let back: Vec<_> = records.iter().map(|r| event(&mapper, r)).collect();
    for (back, event) in back.iter().zip(&events) {
        assert_eq!(back.payload, event.payload);
        assert_eq!(back.metadata, event.metadata);
        assert_eq!(back.timestamp.timestamp_micros(), event.timestamp.timestamp_micros());
    }
}

/// Python's snapshots: topic `eventsourcing.domain:Snapshot`, the aggregate's topic and
/// its state with `_created_on` and `_modified_on`.
#[test]
fn snapshots_are_python_snapshots() {
    let mapper = python();
    let python_wrote = stored(
        2,
        "eventsourcing.domain:Snapshot",
        br#"{"timestamp":{"_type_":"datetime_iso","_data_":"2026-11-30T10:03:59.106939+00:00"},"topic":"dogschool:Dog","state":{"_created_on":{"_type_":"datetime_iso","_data_":"2026-11-30T10:03:59.094825+00:00"},"_modified_on":{"_type_":"datetime_iso","_data_":"2026-11-30T10:03:59.099007+00:00"},"name":"Fido","tricks":["roll over"],"owner":{"_type_":"uuid_hex","_data_":"12345678123456781234567812345678"},"born":null}}"#,
    );
    let snapshot = mapper.decode_snapshot::<Dog>(&python_wrote).unwrap();
    let dog = snapshot.restore();
    assert_eq!(dog.version(), 2);
    assert_eq!(dog.tricks, ["roll over"]);
    assert_eq!(dog.owner, Some(Uuid::from_u128(0x1234_5678_1234_5678_1234_5678_1234_5678)));
    assert_eq!(dog.created_on().to_rfc3339(), "2026-11-30T10:03:59.094825+00:00");

    let written = mapper.encode_snapshot(&Snapshot::take(&dog)).unwrap();
    assert_eq!(written.topic, "eventsourcing.domain:Snapshot");
    let text = String::from_utf8(written.state.clone()).unwrap();
    assert!(
        text.contains(r#","topic":"dogschool:Dog","state":{"_created_on":{"_type_":"datetime_iso","_data_":"2026-11-30T10:03:59.094825+00:00"},"_modified_on":{"_type_":"datetime_iso","_data_":"2026-11-30T10:03:59.099007+00:00"},"name":"Fido","tricks":["roll over"],"owner":{"_type_":"uuid_hex","_data_":"12345678123456781234567812345678"},"born":null}}"#),
        "{text}"
    );
    assert_eq!(mapper.decode_snapshot::<Dog>(&written).unwrap().restore(), dog);
}

/// zlib and AES-GCM as Python's `ZlibCompressor` and `AESCipher`: a record Python
/// encrypted decodes; a wrong key is told apart from damage.
#[test]
fn compressed_and_encrypted_records_decode_and_a_wrong_key_is_named() {
    let key = base64::engine::general_purpose::STANDARD.encode((0..32).collect::<Vec<u8>>());
    let mapper = Mapper::python(PythonFormat::new().with_zlib().with_cipher(AesCipher::from_base64(&key).unwrap()));
    // Python's compress-then-encrypt of the Registered event above, nonce 00..0b.
    let hex = "000102030405060708090a0b699de758dad43e6e05b5a46cf68b35813f9ec39784ef013b9d41683966cf1d385962fc3a8d3ab05eb1bf601f88d197a0f3e7448dc9a11cc8ba1515258d6f2897514b5d9df697c0f5a13cea19a6921d30528149bc5f079bec3f37a3c9441290e74f31e97054ff50a03374296cca8b2c4f8027104c6f062c512db8c8690afb6cc0c2725a5426280c93";
    let bytes: Vec<u8> = (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
    let python_wrote = stored(1, "dogschool:Dog.Registered", &bytes);

    let other = Mapper::python(
        PythonFormat::new()
            .with_zlib()
            .with_cipher(AesCipher::from_base64(&AesCipher::create_key(32).unwrap()).unwrap()),
    );
    let error = other.decode_event::<Dog>(&python_wrote, &mut ChainCursor::after(None)).unwrap_err();
    assert!(matches!(error, MapperError::WrongKey { .. }), "nothing has decrypted with this key: {error}");

    assert_eq!(event(&mapper, &python_wrote).payload, DogEvent::Registered { name: "Fido".into() });
    let mut damaged = python_wrote.clone();
    damaged.state[40] ^= 1;
    let error = mapper.decode_event::<Dog>(&damaged, &mut ChainCursor::after(None)).unwrap_err();
    assert!(matches!(error, MapperError::DamagedCiphertext { .. }), "the key has decrypted records: {error}");

    let (records, _) = mapper.encode_events::<Dog>(&Dog::register("Rex").collect_events(), None).unwrap();
    assert_eq!(event(&mapper, &records[0]).payload, DogEvent::Registered { name: "Rex".into() });
}

#[aggregate]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cat {
    name: String,
}

#[aggregate]
impl Cat {
    #[event("Registered")]
    pub fn register(name: &str) -> Self {
        Self { name: name.to_owned() }
    }
}

/// What Python's format cannot hold is refused when written, naming the reason.
#[test]
fn what_python_cannot_hold_is_refused() {
    let error = python().encode_events::<Cat>(&Cat::register("Tom").collect_events(), None).unwrap_err();
    assert!(error.to_string().contains("#[aggregate(python = \"module:Cat\")]"), "{error}");
    let dog = Dog::register("Fido");
    let error = python().encode_discard::<Dog>(dog.id(), 2, None).unwrap_err();
    assert!(error.to_string().contains("no marker for a discarded aggregate"), "{error}");
    // A record of a type the Rust side does not declare names its topic.
    let unknown = stored(
        1,
        "dogschool:Dog.Vaccinated",
        br#"{"timestamp":{"_type_":"datetime_iso","_data_":"2026-11-30T10:03:59+00:00"}}"#,
    );
    let error = python().decode_event::<Dog>(&unknown, &mut ChainCursor::after(None)).unwrap_err();
    assert!(matches!(error, MapperError::UnknownTopic { .. }), "{error}");
    assert!(error.to_string().contains("dogschool:Dog.Vaccinated"), "{error}");
    let set = stored(2, "dogschool:Dog.TrickAdded", br#"{"timestamp":{"_type_":"datetime_iso","_data_":"2026-11-30T10:03:59+00:00"},"trick":{"_type_":"set","_data_":[]}}"#);
    let error = python().decode_event::<Dog>(&set, &mut ChainCursor::after(None)).unwrap_err();
    assert!(error.to_string().contains("Python type \"set\""), "{error}");
    let _ = EventMetadata::new();
}

/// An application configured as Python configures it saves, gets, snapshots and reads its
/// log in Python's format, on SQLite too.
#[tokio::test]
async fn an_application_with_python_settings_round_trips() {
    let key = AesCipher::create_key(16).unwrap();
    let file = SqliteFile::new("python");
    let path = &file.0;
    for sqlite in [false, true] {
        let mut builder = Application::builder("DogSchool")
            .without_process_env()
            .env("RECORD_FORMAT", "python")
            .env("COMPRESSOR_TOPIC", "eventsourcing.compressor:ZlibCompressor")
            .env("CIPHER_KEY", &key)
            .env("IS_SNAPSHOTTING_ENABLED", "y");
        if sqlite {
            builder = builder.sqlite(path.clone());
        }
        let app = builder.build().await.unwrap();
        let mut dog = Dog::register("Fido");
        dog.add_trick("sit");
        app.save(&mut dog).await.unwrap();
        app.take_snapshot::<Dog>(dog.id(), None).await.unwrap();
        dog.add_trick("fetch");
        app.save(&mut dog).await.unwrap();
        let copy: Dog = app.repository().get(dog.id()).await.unwrap();
        assert_eq!(copy.tricks, ["sit", "fetch"]);
        let log = app.notification_log().select(1, 10).await.unwrap();
        assert_eq!(log[0].event.topic, "dogschool:Dog.Registered");
        let decoded: Option<Record<Dog>> = app.decode(&log[2]).unwrap();
        assert!(matches!(decoded, Some(Record::Event(DomainEvent { payload: DogEvent::TrickAdded { .. }, .. }))));
    }

    let error = Application::builder("DogSchool")
        .without_process_env()
        .env("RECORD_FORMAT", "python")
        .env("HASH_CHAIN", "y")
        .build()
        .await
        .unwrap_err();
    assert!(error.to_string().contains("no hash chain with RECORD_FORMAT=python"), "{error}");
    let error = Application::builder("DogSchool")
        .without_process_env()
        .env("RECORD_FORMAT", "python")
        .env("CIPHER_KEY", base64::engine::general_purpose::STANDARD.encode([0_u8; 20]))
        .build()
        .await
        .unwrap_err();
    assert!(error.to_string().contains("AES takes 16, 24 or 32"), "{error}");
    let error = Application::builder("DogSchool")
        .without_process_env()
        .env("RECORD_FORMAT", "pickle")
        .build()
        .await
        .unwrap_err();
    assert!(error.to_string().contains("RECORD_FORMAT"), "{error}");
}

/// A decimal type: serialised as its text, as decimal crates do by default.
mod money {
    /// An amount, e.g. `12.50`.
    #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
    pub struct Decimal(pub String);
}

#[aggregate(python = "billing:Invoice")]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Invoice {
    amounts: Vec<money::Decimal>,
}

#[aggregate]
impl Invoice {
    #[event("Issued")]
    pub fn issue(amount: money::Decimal, due: Option<DateTime<Utc>>) -> Self {
        let _ = due;
        Self { amounts: vec![amount] }
    }
}

/// Decimals are written with Python's `decimal_str` tag, in sequences and options too.
#[test]
fn decimals_are_tagged_as_python_tags_them() {
    let mapper = python();
    let due = DateTime::parse_from_rfc3339("2027-01-01T00:00:00Z").unwrap().with_timezone(&Utc);
    let mut invoice = Invoice::issue(money::Decimal("12.50".into()), Some(due));
    let events = invoice.collect_events();
    let (records, _) = mapper.encode_events::<Invoice>(&events, None).unwrap();
    let text = String::from_utf8(records[0].state.clone()).unwrap();
    assert!(
        text.contains(r#""amount":{"_type_":"decimal_str","_data_":"12.50"},"due":{"_type_":"datetime_iso","_data_":"2027-01-01T00:00:00+00:00"}"#),
        "{text}"
    );
    let Record::Event(back) = mapper.decode_event::<Invoice>(&records[0], &mut ChainCursor::after(None)).unwrap()
    else {
        panic!("not an event")
    };
    assert_eq!(back.payload, events[0].payload);
    let invoice = Invoice::from_events([back]).unwrap();
    let snapshot = mapper.encode_snapshot(&Snapshot::take(&invoice)).unwrap();
    let text = String::from_utf8(snapshot.state.clone()).unwrap();
    assert!(text.contains(r#""amounts":[{"_type_":"decimal_str","_data_":"12.50"}]"#), "{text}");
    assert_eq!(mapper.decode_snapshot::<Invoice>(&snapshot).unwrap().state.amounts, invoice.amounts);
}

/// A log of Python records decodes into a `LogEvent` enum, which names Python's topics and
/// passes over others by their Python topic.
#[derive(Debug, LogEvent)]
#[log_event(skip("billing:Invoice"))]
enum School {
    Dog(DomainEvent<DogEvent>),
}

#[test]
fn python_logs_decode_into_log_event_enums() {
    assert!(School::topics().contains(&"dogschool:Dog.Registered".to_owned()), "{:?}", School::topics());
    let mapper = python();
    let (dogs, _) = mapper.encode_events::<Dog>(&Dog::register("Fido").collect_events(), None).unwrap();
    let invoice = Invoice::issue(money::Decimal("1".into()), None).collect_events();
    let (invoices, _) = mapper.encode_events::<Invoice>(&invoice, None).unwrap();
    let notification = |event: StoredEvent| eventsourcing::persistence::Notification { id: 1, event };
    let School::Dog(dog) = School::decode(&mapper, &notification(dogs[0].clone())).unwrap().unwrap();
    assert_eq!(dog.payload, DogEvent::Registered { name: "Fido".into() });
    assert!(School::decode(&mapper, &notification(invoices[0].clone())).unwrap().is_none());
}
