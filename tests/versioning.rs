//! Versioned events and aggregate state: older stored shapes are upcast on decode, with
//! every codec; snapshots restore equal aggregates.
#![allow(missing_docs)]

use eventsourcing::persistence::{Codec, CodecError};
use eventsourcing::prelude::*;

const CODECS: [Codec; 2] = [Codec::Json, Codec::Bincode];

// Version 3 of the state; versions 1 and 2 are below.
#[aggregate(version = 3, upcast(ItemStateV1, ItemStateV2))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    name: String,
    price: u64,
    color: String,
    shade: u8,
}

#[aggregate]
impl Item {
    #[event("Created", version = 2, upcast(CreatedV1))]
    pub fn create(name: String, price: u64) -> Self {
        Self { name, price, color: "none".into(), shade: 0 }
    }

    #[event(Recolored)]
    pub fn recolor(&mut self, color: String, shade: u8) {
        self.color = color;
        self.shade = shade;
    }

    #[event("Repriced")]
    pub fn reprice(&mut self, price: u64) {
        self.price = price;
    }
}

// ---- Old shapes of the generated "Created" event ----

#[derive(Debug, Serialize, Deserialize)]
pub struct CreatedV1 {
    name: String,
}

impl From<CreatedV1> for ItemEvent {
    fn from(old: CreatedV1) -> Self {
        ItemEvent::Created { name: old.name, price: 0 }
    }
}

// ---- An explicit event at version 3, with two older shapes ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Event)]
#[event(name = "Recolored", version = 3, upcast(RecoloredV1, RecoloredV2))]
pub struct Recolored {
    color: String,
    shade: u8,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct RecoloredV1 {
    colour: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct RecoloredV2 {
    color: String,
}

impl From<RecoloredV1> for RecoloredV2 {
    fn from(old: RecoloredV1) -> Self {
        RecoloredV2 { color: old.colour }
    }
}

impl From<RecoloredV2> for Recolored {
    fn from(old: RecoloredV2) -> Self {
        Recolored { color: old.color, shade: 50 }
    }
}

// ---- Old shapes of the aggregate state ----

#[derive(Debug, Serialize, Deserialize)]
pub struct ItemStateV1 {
    name: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ItemStateV2 {
    name: String,
    price: u64,
}

impl From<ItemStateV1> for ItemStateV2 {
    fn from(old: ItemStateV1) -> Self {
        ItemStateV2 { name: old.name, price: 0 }
    }
}

#[aggregate]
impl From<ItemStateV2> for Item {
    fn from(old: ItemStateV2) -> Self {
        Self { name: old.name, price: old.price, color: "none".into(), shade: 0 }
    }
}

#[test]
fn versions_are_declared_per_event() {
    let infos: Vec<_> = <ItemEvent as AggregateEvent>::EVENTS.iter().map(|e| (e.name, e.version)).collect();
    assert_eq!(infos, [("Created", 2), ("Recolored", 3), ("Repriced", 1)]);
    assert_eq!(<Item as Aggregate>::STATE_VERSION, 3);
    assert_eq!(<Recolored as Event>::VERSION, 3);
}

#[test]
fn current_events_round_trip_through_every_codec() {
    let mut item = Item::create("lamp".into(), 30);
    item.recolor("red".into(), 7);
    item.reprice(25);
    let events = item.collect_events();
    for codec in CODECS {
        for event in &events {
            let info = event.payload.info();
            let bytes = codec.encode_event(&event.payload).unwrap();
            let decoded: ItemEvent = codec.decode_event(info.name, info.version, &bytes).unwrap();
            assert_eq!(decoded, event.payload, "{codec}");
        }
    }
    let json = Codec::Json.encode_event(&events[0].payload).unwrap();
    assert_eq!(std::str::from_utf8(&json).unwrap(), r#"{"name":"lamp","price":30}"#);
}

#[test]
fn an_old_generated_event_is_upcast_with_every_codec() {
    for codec in CODECS {
        let bytes = codec.encode(&CreatedV1 { name: "lamp".into() }).unwrap();
        let event: ItemEvent = codec.decode_event("Created", 1, &bytes).unwrap();
        assert_eq!(event, ItemEvent::Created { name: "lamp".into(), price: 0 }, "{codec}");
    }
}

#[test]
fn an_old_explicit_event_is_upcast_through_the_whole_chain() {
    for codec in CODECS {
        let v1 = codec.encode(&RecoloredV1 { colour: "blue".into() }).unwrap();
        let event: ItemEvent = codec.decode_event("Recolored", 1, &v1).unwrap();
        assert_eq!(event, ItemEvent::Recolored(Recolored { color: "blue".into(), shade: 50 }), "{codec}");

        let v2 = codec.encode(&RecoloredV2 { color: "green".into() }).unwrap();
        let event: ItemEvent = codec.decode_event("Recolored", 2, &v2).unwrap();
        assert_eq!(event, ItemEvent::Recolored(Recolored { color: "green".into(), shade: 50 }), "{codec}");
    }
}

#[test]
fn upcast_events_replay_into_the_aggregate() {
    let mut item = Item::create("lamp".into(), 30);
    item.recolor("red".into(), 7);
    let mut events = item.collect_events();
    let codec = Codec::Json;
    events[0].payload = codec.decode_event("Created", 1, br#"{"name":"lamp"}"#).unwrap();
    events[1].payload = codec.decode_event("Recolored", 1, br#"{"colour":"blue"}"#).unwrap();
    let replayed = Item::from_events(events).unwrap();
    assert_eq!((replayed.price, replayed.color.as_str(), replayed.shade), (0, "blue", 50));
}

#[test]
fn unknown_names_versions_and_bad_bytes_are_typed_errors() {
    let codec = Codec::Json;
    let error = codec.decode_event::<ItemEvent>("Deleted", 1, b"{}").unwrap_err();
    assert!(matches!(&error, CodecError::UnknownEvent { aggregate: "Item", name } if name == "Deleted"), "{error}");

    let error = codec.decode_event::<ItemEvent>("Created", 3, b"{}").unwrap_err();
    assert!(matches!(error, CodecError::UnknownVersion { version: 3, current: 2, .. }), "{error}");
    let error = codec.decode_event::<ItemEvent>("Created", 0, b"{}").unwrap_err();
    assert!(matches!(error, CodecError::UnknownVersion { version: 0, .. }), "{error}");

    for codec in CODECS {
        for bytes in [&b""[..], b"\xff\xfe\x00", b"{\"name\":1}", b"{\"name\":\"a\",\"price\":1}trailing"] {
            let error = codec.decode_event::<ItemEvent>("Created", 2, bytes).unwrap_err();
            assert!(matches!(error, CodecError::Decode { .. }), "{codec}: {error}");
            assert!(error.to_string().contains("event Created version 2"), "{error}");
        }
    }
}

/// An aggregate whose event gained an optional field after events were stored.
#[aggregate]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Kennel {
    name: String,
    motto: Option<String>,
}

#[aggregate]
impl Kennel {
    #[event("Opened")]
    pub fn open(name: String, motto: Option<String>) -> Self {
        Self { name, motto }
    }
}

#[test]
fn a_stored_event_without_a_later_optional_field_reads_it_as_none() {
    let codec = Codec::Json;
    let event = codec.decode_event::<KennelEvent>("Opened", 1, br#"{"name":"Paws"}"#).unwrap();
    assert_eq!(event, KennelEvent::Opened { name: "Paws".into(), motto: None });
    let event = codec.decode_event::<KennelEvent>("Opened", 1, br#"{"name":"Paws","motto":"sit"}"#).unwrap();
    assert_eq!(event, KennelEvent::Opened { name: "Paws".into(), motto: Some("sit".into()) });
    // A missing field that is not optional is an error naming it.
    let error = codec.decode_event::<KennelEvent>("Opened", 1, br#"{"motto":null}"#).unwrap_err();
    assert!(error.to_string().contains("missing field `name`"), "{error}");
    // The event enum's own serde (for users' views and messages) reads it the same way.
    let event: KennelEvent = serde_json::from_str(r#"{"Opened":{"name":"Paws"}}"#).unwrap();
    assert_eq!(event, KennelEvent::Opened { name: "Paws".into(), motto: None });
}

// ---- Snapshots ----

#[test]
fn a_snapshot_restores_an_equal_aggregate_and_later_events_apply_on_top() {
    let mut item = Item::create("lamp".into(), 30);
    item.recolor("red".into(), 7);
    let snapshot = Snapshot::take(&item);
    assert_eq!(snapshot.originator_version, 2);
    assert_eq!(snapshot.originator_id, *item.id());
    assert!(snapshot.state.pending_events().is_empty());
    item.collect_events();

    for codec in CODECS {
        let bytes = codec.encode_snapshot(&snapshot).unwrap();
        let decoded = codec.decode_snapshot::<Item>(item.id(), 2, &bytes).unwrap();
        assert_eq!(decoded, snapshot, "{codec}");
        let restored = decoded.restore();
        assert_eq!(restored, item, "{codec}");
        assert_eq!(restored.created_on(), item.created_on());
        assert_eq!(restored.modified_on(), item.modified_on());
    }

    let mut restored = snapshot.restore();
    item.reprice(20);
    item.reprice(15);
    restored.apply_events(item.collect_events()).unwrap();
    assert_eq!(restored, item);
    assert_eq!(restored.version(), 4);
}

#[derive(Serialize)]
struct OldSnapshot<S> {
    state_version: u32,
    timestamp: DateTime<Utc>,
    created_on: DateTime<Utc>,
    modified_on: DateTime<Utc>,
    head: Option<eventsourcing::domain::EventHash>,
    state: S,
}

#[test]
fn an_old_snapshot_state_is_upcast_with_every_codec() {
    let id = Uuid::new_v4();
    let created_on = "2020-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
    let modified_on = "2020-06-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
    for codec in CODECS {
        let v1 = codec
            .encode(&OldSnapshot {
                state_version: 1,
                timestamp: modified_on,
                created_on,
                modified_on,
                head: None,
                state: ItemStateV1 { name: "lamp".into() },
            })
            .unwrap();
        let item = codec.decode_snapshot::<Item>(&id, 5, &v1).unwrap().restore();
        assert_eq!((item.name.as_str(), item.price, item.shade), ("lamp", 0, 0), "{codec}");
        assert_eq!((*item.id(), item.version()), (id, 5));
        assert_eq!((item.created_on(), item.modified_on()), (created_on, modified_on));

        let v2 = codec
            .encode(&OldSnapshot {
                state_version: 2,
                timestamp: modified_on,
                created_on,
                modified_on,
                head: None,
                state: ItemStateV2 { name: "desk".into(), price: 99 },
            })
            .unwrap();
        let item = codec.decode_snapshot::<Item>(&id, 5, &v2).unwrap().restore();
        assert_eq!((item.name.as_str(), item.price), ("desk", 99), "{codec}");
    }
}

#[test]
fn snapshot_versions_and_shapes_that_do_not_match_are_errors() {
    let id = Uuid::new_v4();
    let now = Utc::now();
    for codec in CODECS {
        let v4 = codec
            .encode(&OldSnapshot {
                state_version: 4,
                timestamp: now,
                created_on: now,
                modified_on: now,
                head: None,
                state: ItemStateV1 { name: "from the future".into() },
            })
            .unwrap();
        let error = codec.decode_snapshot::<Item>(&id, 1, &v4).unwrap_err();
        assert!(matches!(error, CodecError::UnknownVersion { version: 4, current: 3, .. }), "{codec}: {error}");
        let error = codec.decode_snapshot::<Item>(&id, 1, b"\x01\x02").unwrap_err();
        assert!(matches!(error, CodecError::Decode { .. }), "{error}");
        assert!(error.to_string().contains(&id.to_string()), "{error}");
    }
}

// ---- An upcaster that produces the wrong event is caught ----

#[aggregate]
#[derive(Debug, Clone)]
pub struct Lamp {
    on: bool,
}

#[aggregate]
impl Lamp {
    #[event("Made")]
    pub fn make() -> Self {
        Self { on: false }
    }

    #[event("SwitchedOn", version = 2, upcast(SwitchedOnV1))]
    pub fn switch_on(&mut self, brightness: u8) {
        self.on = brightness > 0;
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct SwitchedOnV1 {}

impl From<SwitchedOnV1> for LampEvent {
    fn from(_: SwitchedOnV1) -> Self {
        LampEvent::Made {}
    }
}

#[test]
fn an_upcaster_that_changes_the_kind_of_event_is_an_error() {
    let error = Codec::Json.decode_event::<LampEvent>("SwitchedOn", 1, b"{}").unwrap_err();
    assert!(matches!(error, CodecError::Decode { .. }), "{error}");
    assert!(error.to_string().contains("the upcaster of SwitchedOn produced a Made event"), "{error}");
}
