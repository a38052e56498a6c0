use std::fmt;
use std::hash::{Hash, Hasher};

use chrono::{DateTime, Utc};
use serde::Deserializer;

use super::error::ReplayError;
use super::event::{AggregateEvent, ApplyError, DomainEvent};
use super::hash::EventHash;
use super::id::AggregateId;
use super::metadata::EventMetadata;

/// An event-sourced aggregate: a struct annotated with `#[aggregate]`.
///
/// The macro implements this trait; call sites use the provided methods (`id()`,
/// `version()`, `collect_events()`, ...) and the struct's own command methods.
///
/// Two aggregates compare equal (with a derived `PartialEq`) when their state, id,
/// version, timestamps and head are equal; pending events are not compared.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an aggregate: its struct has no `#[aggregate]`",
    label = "not an aggregate",
    note = "write `#[aggregate]` above the struct `{Self}` (and above its `#[derive(..)]`), as well as above its `impl` block"
)]
pub trait Aggregate: AggregateMachinery<Self::Event, Self::Id> {
    /// The id type: [`uuid::Uuid`] by default, or `String` with `#[aggregate(id = String)]`.
    type Id: AggregateId;
    /// The event enum generated from the `#[event]` methods.
    type Event: AggregateEvent;

    /// The stable name of the aggregate type (the struct's name unless `name = "..."`).
    const NAME: &'static str;
    /// The version of an aggregate's first event (1, as in Python; some stores use 0).
    const INITIAL_VERSION: u64 = 1;
    /// The schema version of the aggregate's state, used when snapshots are restored.
    const STATE_VERSION: u32 = 1;
    /// Python `eventsourcing`'s topic of the same aggregate class (`dogschool:Dog`), set
    /// with `#[aggregate(python = "dogschool:Dog")]`: in Python's record format, its events
    /// are stored as `dogschool:Dog.<event name>`.
    const PYTHON_TOPIC: Option<&'static str> = None;

    /// The aggregate's id.
    fn id(&self) -> &Self::Id {
        &self.__meta().id
    }

    /// The version of the last event applied (the number of events, from version 1).
    fn version(&self) -> u64 {
        self.__meta().version
    }

    /// When the aggregate was created: the timestamp of its first event.
    fn created_on(&self) -> DateTime<Utc> {
        self.__meta().created_on
    }

    /// When the aggregate last changed: the timestamp of its last event.
    fn modified_on(&self) -> DateTime<Utc> {
        self.__meta().modified_on
    }

    /// The hash of the last stored event, when the application hash-chains events: it
    /// vouches for the whole sequence, so comparing it with a copy kept elsewhere detects
    /// any change to the stored history. `None` before the aggregate is first saved or
    /// loaded with hash chaining on.
    fn head(&self) -> Option<EventHash> {
        self.__meta().head
    }

    /// Events triggered by commands and not collected yet, oldest first.
    fn pending_events(&self) -> &[DomainEvent<Self::Event, Self::Id>] {
        &self.__meta().pending
    }

    /// Takes the pending events, oldest first, leaving none pending.
    fn collect_events(&mut self) -> Vec<DomainEvent<Self::Event, Self::Id>> {
        std::mem::take(&mut self.__meta_mut().pending)
    }

    /// Rebuilds an aggregate from its events, oldest first, by re-running the command bodies.
    ///
    /// The first event must create the aggregate; each later event must carry the same
    /// originator id and the next version.
    ///
    /// # Errors
    /// [`ReplayError`] when there are no events, an event belongs to another aggregate,
    /// versions do not follow on, the first event does not create the aggregate, or a
    /// command body rejects an event.
    fn from_events<I>(events: I) -> Result<Self, ReplayError>
    where
        I: IntoIterator<Item = DomainEvent<Self::Event, Self::Id>>,
    {
        let mut events = events.into_iter();
        let first = events.next().ok_or(ReplayError::NoEvents { aggregate: Self::NAME })?;
        let event = first.payload.name();
        let (id, version, timestamp) = (first.originator_id, first.originator_version, first.timestamp);
        let mut aggregate = match Self::__create(first.payload, &id, timestamp) {
            Ok(aggregate) => aggregate,
            Err(ApplyError::WrongKind) => {
                return Err(ReplayError::NotCreated { aggregate: Self::NAME, id: id.to_string(), event, version });
            }
            Err(ApplyError::Rejected(source)) => {
                return Err(ReplayError::Rejected {
                    aggregate: Self::NAME,
                    id: id.to_string(),
                    event,
                    version,
                    source,
                });
            }
        };
        aggregate.__meta_mut().start(id, version, timestamp);
        aggregate.apply_events(events)?;
        Ok(aggregate)
    }

    /// Applies further events, oldest first, to an existing aggregate (for example, the
    /// events recorded after a snapshot).
    ///
    /// # Errors
    /// As [`Aggregate::apply_event`]. Events before the failing one stay applied.
    fn apply_events<I>(&mut self, events: I) -> Result<(), ReplayError>
    where
        I: IntoIterator<Item = DomainEvent<Self::Event, Self::Id>>,
    {
        events.into_iter().try_for_each(|event| self.apply_event(event))
    }

    /// Applies one recorded event: checks that it belongs to this aggregate and carries the
    /// next version, re-runs its command body, then advances version and `modified_on`.
    ///
    /// # Errors
    /// [`ReplayError::OriginatorId`], [`ReplayError::OriginatorVersion`],
    /// [`ReplayError::AlreadyCreated`] or [`ReplayError::Rejected`]; the aggregate's
    /// version and timestamps are then unchanged.
    fn apply_event(&mut self, event: DomainEvent<Self::Event, Self::Id>) -> Result<(), ReplayError> {
        let name = event.payload.name();
        let meta = self.__meta();
        if event.originator_id != meta.id {
            return Err(ReplayError::OriginatorId {
                aggregate: Self::NAME,
                expected: meta.id.to_string(),
                found: event.originator_id.to_string(),
                event: name,
                version: event.originator_version,
            });
        }
        let expected = meta.version.saturating_add(1);
        if event.originator_version != expected {
            return Err(ReplayError::OriginatorVersion {
                aggregate: Self::NAME,
                id: meta.id.to_string(),
                expected,
                found: event.originator_version,
                event: name,
            });
        }
        let version = event.originator_version;
        match self.__apply(event.payload, event.timestamp) {
            Ok(()) => {
                let meta = self.__meta_mut();
                meta.version = version;
                meta.modified_on = event.timestamp;
                Ok(())
            }
            Err(error) => {
                let id = self.id().to_string();
                Err(match error {
                    ApplyError::WrongKind => {
                        ReplayError::AlreadyCreated { aggregate: Self::NAME, id, event: name, version }
                    }
                    ApplyError::Rejected(source) => {
                        ReplayError::Rejected { aggregate: Self::NAME, id, event: name, version, source }
                    }
                })
            }
        }
    }
}

/// What `#[aggregate]` implements besides [`Aggregate`]: access to the hidden bookkeeping
/// field, running command bodies on replay, and restoring the state of snapshots. Only
/// generated code names it; it is not public API.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an aggregate: its struct has no `#[aggregate]`",
    label = "not an aggregate",
    note = "write `#[aggregate]` above the struct `{Self}` (and above its `#[derive(..)]`), as well as above its `impl` block"
)]
pub trait AggregateMachinery<E, Id>: Sized {
    /// The bookkeeping field.
    fn __meta(&self) -> &Meta<E, Id>;
    /// The bookkeeping field.
    fn __meta_mut(&mut self) -> &mut Meta<E, Id>;
    /// Deserialises a state stored at an older `version` and upcasts it.
    fn __deserialize_old_state<'de, D: Deserializer<'de>>(version: u32, deserializer: D) -> Result<Self, D::Error>;
    /// Creates the aggregate from its creation event by running the command body.
    fn __create(event: E, id: &Id, timestamp: DateTime<Utc>) -> Result<Self, ApplyError>;
    /// Applies a later event by running the command body.
    fn __apply(&mut self, event: E, timestamp: DateTime<Utc>) -> Result<(), ApplyError>;

    /// Whether snapshots of this aggregate can be restored (it derives `Deserialize`).
    const __RESTORABLE: bool = false;

    /// The fields whose values Python's record format writes with type tags.
    const __PYTHON_FIELDS: &'static [(&'static str, crate::persistence::python::PyShape)] = &[];

    /// Deserialises the current state, if the aggregate derives `Deserialize`.
    fn __deserialize_state<'de, D: Deserializer<'de>>(deserializer: D) -> Option<Result<Self, D::Error>> {
        drop(deserializer);
        None
    }
}

/// The bookkeeping `#[aggregate]` adds to a struct as one hidden field.
///
/// Compared and hashed by id, version, timestamps and head only; pending events are not part
/// of equality, so derived `PartialEq`, `Eq` and `Hash` on the aggregate compare state.
#[doc(hidden)]
#[derive(Clone)]
pub struct Meta<E, Id> {
    id: Id,
    version: u64,
    created_on: DateTime<Utc>,
    modified_on: DateTime<Utc>,
    head: Option<EventHash>,
    pending: Vec<DomainEvent<E, Id>>,
}

impl<E, Id: Default> Default for Meta<E, Id> {
    fn default() -> Self {
        Meta {
            id: Id::default(),
            version: 0,
            created_on: DateTime::UNIX_EPOCH,
            modified_on: DateTime::UNIX_EPOCH,
            head: None,
            pending: Vec::new(),
        }
    }
}

impl<E, Id: PartialEq> PartialEq for Meta<E, Id> {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.version == other.version
            && self.created_on == other.created_on
            && self.modified_on == other.modified_on
            && self.head == other.head
    }
}

impl<E, Id: Eq> Eq for Meta<E, Id> {}

impl<E, Id: PartialOrd> PartialOrd for Meta<E, Id> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        (&self.id, self.version, self.created_on, self.modified_on, self.head).partial_cmp(&(
            &other.id,
            other.version,
            other.created_on,
            other.modified_on,
            other.head,
        ))
    }
}

impl<E, Id: Ord> Ord for Meta<E, Id> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (&self.id, self.version, self.created_on, self.modified_on, self.head).cmp(&(
            &other.id,
            other.version,
            other.created_on,
            other.modified_on,
            other.head,
        ))
    }
}

impl<E, Id: Hash> Hash for Meta<E, Id> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (&self.id, self.version, self.created_on, self.modified_on, self.head).hash(state);
    }
}

impl<E, Id: fmt::Debug> fmt::Debug for Meta<E, Id> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Aggregate")
            .field("id", &self.id)
            .field("version", &self.version)
            .field("created_on", &self.created_on)
            .field("modified_on", &self.modified_on)
            .field("head", &self.head)
            .field("pending_events", &self.pending.len())
            .finish()
    }
}

impl<E, Id: Clone> Meta<E, Id> {
    /// The event that creates an aggregate.
    pub fn created_event(id: Id, version: u64, payload: E, timestamp: Option<DateTime<Utc>>) -> DomainEvent<E, Id> {
        DomainEvent {
            originator_id: id,
            originator_version: version,
            timestamp: timestamp.unwrap_or_else(Utc::now),
            metadata: EventMetadata::new(),
            payload,
        }
    }

    /// The next event of this aggregate (not yet applied).
    pub fn next_event(&self, payload: E, timestamp: Option<DateTime<Utc>>) -> DomainEvent<E, Id> {
        DomainEvent {
            originator_id: self.id.clone(),
            originator_version: self.version.saturating_add(1),
            timestamp: timestamp.unwrap_or_else(Utc::now),
            metadata: EventMetadata::new(),
            payload,
        }
    }

    /// Sets the header of a freshly created aggregate.
    pub fn start(&mut self, id: Id, version: u64, timestamp: DateTime<Utc>) {
        self.id = id;
        self.version = version;
        self.created_on = timestamp;
        self.modified_on = timestamp;
    }

    /// Sets the header of a freshly created aggregate and keeps its creation event pending.
    pub fn start_with(&mut self, event: DomainEvent<E, Id>) {
        self.start(event.originator_id.clone(), event.originator_version, event.timestamp);
        self.pending.push(event);
    }

    /// Records an event whose body has been applied: advances the header, keeps it pending.
    pub fn record(&mut self, event: DomainEvent<E, Id>) {
        self.version = event.originator_version;
        self.modified_on = event.timestamp;
        self.pending.push(event);
    }

    /// Sets the hash of the last stored event.
    pub(crate) fn set_head(&mut self, head: Option<EventHash>) {
        self.head = head;
    }

    /// Sets the header of an aggregate restored from a snapshot; nothing is pending.
    pub(crate) fn restore(
        &mut self,
        id: Id,
        version: u64,
        created_on: DateTime<Utc>,
        modified_on: DateTime<Utc>,
        head: Option<EventHash>,
    ) {
        self.id = id;
        self.version = version;
        self.created_on = created_on;
        self.modified_on = modified_on;
        self.head = head;
        self.pending.clear();
    }
}
