//! Nothing is written that cannot be read back: what a codec would not decode is refused
//! when it is saved, naming the record and the field, and leaves the aggregate and the
//! store as they were; a snapshot that cannot be read is passed over for the events.
#![allow(missing_docs)]

mod support;

use eventsourcing::persistence::memory::InMemoryRecorder;
use eventsourcing::persistence::{
    AggregateRecorder, Codec, Compression, EventQuery, MAX_RECORD_SIZE, MapperError, StoredEvent,
};
use eventsourcing::prelude::*;
use support::Observed;

#[aggregate]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Scale {
    readings: Vec<f64>,
    notes: Vec<serde_json::Value>,
    label: String,
}

#[aggregate]
impl Scale {
    #[event("Installed")]
    pub fn install() -> Self {
        Self { readings: Vec::new(), notes: Vec::new(), label: String::new() }
    }

    #[event("Weighed")]
    pub fn weigh(&mut self, kg: f64) {
        self.readings.push(kg);
    }

    #[event("Annotated")]
    pub fn annotate(&mut self, note: serde_json::Value) {
        self.notes.push(note);
    }

    #[event("Labelled")]
    pub fn label(&mut self, label: String) {
        self.label = label;
    }
}

async fn app(codec: Codec, snapshots: bool) -> Application {
    Application::builder("Scales").without_process_env().codec(codec).snapshotting(snapshots).build().await.unwrap()
}

/// Saves a new scale, then asserts that saving one more event is refused as `NotReadable`
/// at `field`, that nothing was written, and that the scale stays readable.
async fn refused(app: &Application, change: impl FnOnce(&mut Scale), field: &str) -> MapperError {
    let mut scale = Scale::install();
    app.save(&mut scale).await.unwrap();
    change(&mut scale);
    let error = app.save(&mut scale).await.unwrap_err();
    let ApplicationError::Mapper(error) = error else { panic!("expected a mapper error, got {error}") };
    let MapperError::NotReadable { record, field: found, .. } = &error else { panic!("expected NotReadable: {error}") };
    assert_eq!(found.as_deref(), Some(field), "{error}");
    assert_eq!(record.originator_version, 2, "{error}");
    assert!(record.topic.starts_with("Scale."), "{error}");
    assert_eq!(scale.pending_events().len(), 1, "the event stays pending");
    let stored: Scale = app.repository().get(scale.id()).await.unwrap();
    assert_eq!(stored.version(), 1, "nothing was written");
    error
}

#[tokio::test]
async fn json_refuses_nan_and_infinity_which_it_would_write_as_null() {
    let app = app(Codec::Json, false).await;
    for value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let error = refused(&app, |scale| scale.weigh(value), "payload.kg").await;
        let message = error.to_string();
        assert!(message.contains("Scale.Weighed") && message.contains("version 2"), "{message}");
        assert!(message.contains("NaN or infinity"), "{message}");
        let source = std::error::Error::source(&error).expect("the decoder's error");
        assert!(source.downcast_ref::<serde_json::Error>().is_some(), "{source}");
    }
    let mut scale = Scale::install();
    scale.weigh(72.5);
    app.save(&mut scale).await.unwrap();
    let stored: Scale = app.repository().get(scale.id()).await.unwrap();
    assert_eq!(stored.readings, [72.5]);

    // Bincode stores every float exactly, NaN included.
    let app = self::app(Codec::Bincode, false).await;
    let mut scale = Scale::install();
    scale.weigh(f64::NAN);
    app.save(&mut scale).await.unwrap();
    let stored: Scale = app.repository().get(scale.id()).await.unwrap();
    assert!(stored.readings[0].is_nan());
}

#[tokio::test]
async fn bincode_refuses_self_describing_values() {
    let app = app(Codec::Bincode, false).await;
    // Bincode knows fields by position only: the path is the event's sixth field, then
    // the note, the first of the event's fields.
    let error = refused(&app, |scale| scale.annotate(serde_json::json!({"by": "Ann"})), "[5][0]").await;
    assert!(error.to_string().contains("use the JSON codec"), "{error}");

    // JSON reads them back.
    let app = self::app(Codec::Json, false).await;
    let mut scale = Scale::install();
    scale.annotate(serde_json::json!({"by": "Ann", "at": [1, 2]}));
    app.save(&mut scale).await.unwrap();
    let stored: Scale = app.repository().get(scale.id()).await.unwrap();
    assert_eq!(stored.notes, [serde_json::json!({"by": "Ann", "at": [1, 2]})]);
}

#[tokio::test]
async fn a_record_larger_than_any_decoder_reads_is_refused_even_when_it_compresses() {
    for codec in [Codec::Json, Codec::Bincode] {
        let app = Application::builder("Scales")
            .without_process_env()
            .codec(codec)
            .compression(Some(Compression::default()))
            .build()
            .await
            .unwrap();
        let mut scale = Scale::install();
        app.save(&mut scale).await.unwrap();
        scale.label("x".repeat(MAX_RECORD_SIZE));
        let error = app.save(&mut scale).await.unwrap_err();
        let ApplicationError::Mapper(MapperError::TooLarge { record, size, limit }) = &error else {
            panic!("{codec}: expected TooLarge, got {error}")
        };
        assert_eq!((record.topic.as_str(), record.originator_version), ("Scale.Labelled", 2));
        assert!(*size > MAX_RECORD_SIZE && *limit == MAX_RECORD_SIZE, "{error}");
        let stored: Scale = app.repository().get(scale.id()).await.unwrap();
        assert_eq!(stored.version(), 1, "{codec}: nothing was written");
    }
}

/// A state whose serde form skips a field: bincode cannot read it back.
#[aggregate]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    nickname: Option<String>,
    name: String,
    visits: u32,
}

#[aggregate]
impl Member {
    #[event("Joined")]
    pub fn join(name: String) -> Self {
        Self { nickname: None, name, visits: 0 }
    }

    #[event("Visited")]
    pub fn visit(&mut self) {
        self.visits += 1;
    }
}

#[tokio::test]
async fn bincode_refuses_a_snapshot_with_skipped_fields_and_the_events_stay_readable() {
    let app = app(Codec::Bincode, true).await;
    let mut member = Member::join("Ann".into());
    member.visit();
    app.save(&mut member).await.unwrap();
    let error = app.take_snapshot::<Member>(member.id(), None).await.unwrap_err();
    assert!(matches!(error, ApplicationError::Mapper(MapperError::NotReadable { .. })), "{error}");
    assert!(error.to_string().contains("Member"), "{error}");
    let originator_id = member.id().to_originator_id();
    let stored = app.snapshot_recorder().unwrap().select_events(&originator_id, EventQuery::all()).await;
    assert!(stored.unwrap().is_empty(), "no snapshot was written");
    assert_eq!(app.repository().get::<Member>(member.id()).await.unwrap(), member);

    // JSON names its fields, so skipping one is harmless there.
    let app = self::app(Codec::Json, true).await;
    let mut member = Member::join("Bo".into());
    member.visit();
    app.save(&mut member).await.unwrap();
    app.take_snapshot::<Member>(member.id(), None).await.unwrap();
    assert_eq!(app.repository().get::<Member>(member.id()).await.unwrap(), member);
}

/// An aggregate that derives `Serialize` only: its snapshots could never be restored.
#[aggregate]
#[derive(Debug, Clone, Serialize)]
pub struct Tally {
    count: u32,
}

#[aggregate]
impl Tally {
    #[event("Started")]
    pub fn start() -> Self {
        Self { count: 0 }
    }
}

#[tokio::test]
async fn a_snapshot_of_an_aggregate_without_deserialize_is_refused() {
    let app = app(Codec::Json, true).await;
    let mut tally = Tally::start();
    app.save(&mut tally).await.unwrap();
    let error = app.take_snapshot::<Tally>(tally.id(), None).await.unwrap_err();
    assert!(matches!(error, ApplicationError::Mapper(MapperError::NotReadable { .. })), "{error}");
    assert!(error.to_string().contains("derive Deserialize"), "{error}");
}

mod old {
    use eventsourcing::prelude::*;

    /// `Member` as an earlier build defined it, before `visits` was added.
    #[aggregate(name = "Member")]
    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub(crate) struct Member {
        name: String,
    }

    #[aggregate]
    impl Member {
        #[event("Joined")]
        pub fn join(name: String) -> Self {
            Self { name }
        }

        // The earlier build kept no count of visits.
        #[allow(clippy::unused_self)]
        #[event("Visited")]
        pub fn visit(&mut self) {}
    }
}

#[tokio::test]
async fn a_snapshot_that_cannot_be_read_is_passed_over_and_the_events_replayed() {
    let recorder = Observed::default();
    let snapshots = InMemoryRecorder::new();
    let open = || {
        Application::builder("Members")
            .without_process_env()
            .snapshotting(true)
            .recorders(recorder.clone(), Some(snapshots.clone()))
            .build()
    };
    // The earlier build saves and snapshots a member.
    let app = open().await.unwrap();
    let mut member = old::Member::join("Ann".into());
    member.visit();
    app.save(&mut member).await.unwrap();
    app.take_snapshot::<old::Member>(member.id(), None).await.unwrap();
    let id = *member.id();
    drop(app);

    // The new build has a field the snapshot lacks: the snapshot is skipped.
    let app = open().await.unwrap();
    let member: Member = app.repository().get(&id).await.unwrap();
    assert_eq!((member.name.as_str(), member.visits, member.version()), ("Ann", 1, 2));
    assert_eq!(recorder.queries().last(), Some(&EventQuery::all()), "every event was read");

    // So is a damaged one.
    let originator_id = id.to_originator_id();
    let mut stored = snapshots.select_events(&originator_id, EventQuery::all()).await.unwrap();
    let damaged = StoredEvent { state: b"{\"state_version\":".to_vec(), originator_version: 3, ..stored.remove(0) };
    snapshots.insert_events(vec![damaged]).await.unwrap();
    let member: Member = app.repository().get(&id).await.unwrap();
    assert_eq!((member.visits, member.version()), (1, 2));
    assert!(app.repository().get_at::<Member>(&id, 1).await.is_ok());
}
