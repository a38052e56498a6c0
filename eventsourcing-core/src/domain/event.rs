use std::fmt::Debug;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use super::error::BoxError;
use super::metadata::EventMetadata;

/// An event in the life of an aggregate: who it happened to, at which version, when, what,
/// and its ids (event, correlation, causation).
///
/// `payload` is the aggregate's event enum (for a `Dog`, the generated `DogEvent`).
/// Python's `DomainEvent` keeps the same three header fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainEvent<E, Id = Uuid> {
    /// The id of the aggregate the event belongs to.
    pub originator_id: Id,
    /// The aggregate's version once this event is applied (the first event has version 1).
    pub originator_version: u64,
    /// When the event happened (UTC).
    pub timestamp: DateTime<Utc>,
    /// The event's id, and the ids of what caused it.
    pub metadata: EventMetadata,
    /// What happened.
    pub payload: E,
}

impl<E: AggregateEvent, Id> DomainEvent<E, Id> {
    /// The stable name of the event, as written in `#[event("...")]`.
    pub fn name(&self) -> &'static str {
        self.payload.name()
    }
}

/// Name, schema version and kind of one event of an aggregate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventInfo {
    /// The stable name, as written in `#[event("...")]` or `#[event(name = "...")]`.
    ///
    /// Stored data refers to events by this name, so renaming Rust items never breaks it.
    pub name: &'static str,
    /// The current schema version of the event (1 unless the event declares upcasters).
    pub version: u32,
    /// Whether the event creates the aggregate.
    pub creates: bool,
}

/// The event type of an aggregate: the enum `#[aggregate]` generates, one variant per event.
///
/// Implemented by the macro; the methods serialise an event's fields without any
/// enum tag (the name is stored beside them) and decode them back by name and version,
/// running upcasters when the stored version is older than the current one.
pub trait AggregateEvent: Debug + Clone + Send + Sync + Sized + 'static {
    /// The stable name of the aggregate these events belong to.
    const AGGREGATE: &'static str;

    /// Every event of the aggregate.
    const EVENTS: &'static [EventInfo];

    /// The stable name of this event.
    fn name(&self) -> &'static str {
        self.info().name
    }

    /// Name, current version and kind of this event.
    fn info(&self) -> &'static EventInfo;

    /// Looks up an event of this aggregate by its stable name.
    fn info_for(name: &str) -> Option<&'static EventInfo> {
        Self::EVENTS.iter().find(|info| info.name == name)
    }

    /// Serialises the event's fields (without the name) in their current version.
    fn serialize_payload<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>;

    /// Deserialises the fields of the event called `name`, stored at schema `version`,
    /// upcasting them to the current version.
    ///
    /// # Errors
    /// A deserialisation error for an unknown name, an unknown version, or fields that do
    /// not match the stored version's shape.
    fn deserialize_payload<'de, D: Deserializer<'de>>(
        name: &str,
        version: u32,
        deserializer: D,
    ) -> Result<Self, D::Error>;

    /// The aggregate's Python topic ([`Aggregate::PYTHON_TOPIC`](crate::domain::Aggregate::PYTHON_TOPIC)).
    const PYTHON_TOPIC: Option<&'static str> = None;

    /// The fields of the event `name` whose values Python's record format writes with type
    /// tags. Only generated code implements it.
    #[doc(hidden)]
    fn __python_fields(name: &str) -> &'static [(&'static str, crate::persistence::python::PyShape)] {
        let _ = name;
        &[]
    }
}

/// An explicit event type: a struct with `#[derive(Event)]`, used as `#[event(MyEvent)]`.
///
/// The derive reads `#[event(name = "...", version = N, upcast(OldV1, OldV2))]`.
pub trait Event: Sized {
    /// The stable name of the event.
    const NAME: &'static str;
    /// The current schema version (1 unless upcasters are declared).
    const VERSION: u32;

    /// Deserialises the event stored at schema `version`, running the upcaster chain
    /// from that version to the current one.
    ///
    /// # Errors
    /// A deserialisation error for an unknown version or fields that do not match.
    fn deserialize_versioned<'de, D: Deserializer<'de>>(version: u32, deserializer: D) -> Result<Self, D::Error>;

    /// The fields whose values Python's record format writes with type tags.
    #[doc(hidden)]
    const __PYTHON_FIELDS: &'static [(&'static str, crate::persistence::python::PyShape)] = &[];
}

/// How applying an event failed (used by generated code).
#[doc(hidden)]
#[derive(Debug)]
pub enum ApplyError {
    /// A creation event given to an existing aggregate, or the reverse.
    WrongKind,
    /// The command body returned an error.
    Rejected(BoxError),
}

impl ApplyError {
    /// Wraps the error a command body returned.
    pub fn rejected<E: Into<BoxError>>(error: E) -> Self {
        ApplyError::Rejected(error.into())
    }
}
