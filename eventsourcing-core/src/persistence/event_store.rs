//! The event store: a mapper and recorders, putting aggregates' events and getting
//! aggregates back, as Python `eventsourcing`'s `EventStore` does.

use std::sync::Arc;

use serde::Serialize;
use thiserror::Error;
use tracing::field::Empty;
use tracing::{Instrument as _, Span};

use super::error::PersistenceError;
use super::mapper::{ChainCursor, Mapper, MapperError, Record};
use super::recorder::{AggregateRecorder, AnyAggregateRecorder, AnyRecorder, ProcessRecorder};
use super::stored::{EventQuery, OriginatorId, StoredEvent, Tracking};
use crate::domain::{Aggregate, AggregateId, EventHash, ReplayError, Snapshot};

/// Why the event store could not put or get.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum EventStoreError {
    /// The store failed.
    #[error(transparent)]
    Persistence(#[from] PersistenceError),
    /// A record could not be written or read.
    #[error(transparent)]
    Mapper(#[from] MapperError),
    /// Stored events could not be replayed into the aggregate.
    #[error(transparent)]
    Replay(#[from] ReplayError),
    /// A snapshot was asked for and the event store has no snapshot recorder.
    #[error("the event store has no snapshot recorder")]
    NoSnapshotRecorder,
}

/// Puts the events of aggregates into a recorder and gets aggregates back: encoding and
/// decoding through a [`Mapper`], from the latest snapshot when a snapshot recorder is
/// given, checking the hash chain when chaining is on, honouring the marker of a
/// discarded aggregate.
///
/// Cloning is cheap and shares the recorders: a task can hold its own.
#[derive(Debug, Clone)]
pub struct EventStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    mapper: Mapper,
    events: AnyRecorder,
    snapshots: Option<AnyAggregateRecorder>,
}

/// The pending events of one aggregate, encoded by [`EventStore::encode`] and not yet
/// stored.
///
/// Saving is two-phase: [`EventStore::put`] stores the records, then
/// [`NewEvents::commit`] takes the events from the aggregate. A failed put leaves the
/// aggregate as it was.
#[derive(Debug, Clone)]
pub struct NewEvents {
    aggregate: &'static str,
    id: OriginatorId,
    versions: Vec<u64>,
    records: Vec<StoredEvent>,
    head: Option<EventHash>,
}

impl NewEvents {
    /// The stable name of the aggregate type.
    pub fn aggregate(&self) -> &'static str {
        self.aggregate
    }

    /// The aggregate's id.
    pub fn id(&self) -> &OriginatorId {
        &self.id
    }

    /// The versions of the new events, oldest first.
    pub fn versions(&self) -> &[u64] {
        &self.versions
    }

    /// The encoded records (empty once put).
    pub fn records(&self) -> &[StoredEvent] {
        &self.records
    }

    /// Takes the stored events from `aggregate`, the aggregate they were encoded from, and
    /// gives it the hash-chain head after them.
    pub fn commit<A: Aggregate>(&self, aggregate: &mut A) {
        aggregate.collect_events();
        if self.head.is_some() {
            aggregate.__meta_mut().set_head(self.head);
        }
    }
}

impl EventStore {
    /// An event store that encodes with `mapper` and records events in `events`.
    pub fn new(mapper: Mapper, events: AnyRecorder) -> Self {
        EventStore { inner: Arc::new(Inner { mapper, events, snapshots: None }) }
    }

    /// The same, with snapshots recorded in `snapshots`.
    pub fn with_snapshots(mapper: Mapper, events: AnyRecorder, snapshots: AnyAggregateRecorder) -> Self {
        EventStore { inner: Arc::new(Inner { mapper, events, snapshots: Some(snapshots) }) }
    }

    /// How records are encoded.
    pub fn mapper(&self) -> &Mapper {
        &self.inner.mapper
    }

    /// The recorder of events, notifications and tracking positions.
    pub fn recorder(&self) -> &AnyRecorder {
        &self.inner.events
    }

    /// The recorder of snapshots, if any.
    pub fn snapshot_recorder(&self) -> Option<&AnyAggregateRecorder> {
        self.inner.snapshots.as_ref()
    }

    /// Encodes the pending events of `aggregate`, chained after its head.
    ///
    /// # Errors
    /// A [`MapperError`] naming the event that cannot be written (or would not read back).
    pub fn encode<A: Aggregate>(&self, aggregate: &A) -> Result<NewEvents, MapperError> {
        let pending = aggregate.pending_events();
        let (records, head) = self.inner.mapper.encode_events::<A>(pending, aggregate.head())?;
        Ok(NewEvents {
            aggregate: A::NAME,
            id: aggregate.id().to_originator_id(),
            versions: pending.iter().map(|e| e.originator_version).collect(),
            records,
            head,
        })
    }

    /// Encodes the pending events of `aggregate` and, after them, the marker that discards
    /// it: the event store then gets it as not found.
    ///
    /// # Errors
    /// As [`EventStore::encode`].
    pub fn encode_discard<A: Aggregate>(&self, aggregate: &A) -> Result<NewEvents, MapperError> {
        let mut new = self.encode(aggregate)?;
        let (marker, head) =
            self.inner.mapper.encode_discard::<A>(aggregate.id(), aggregate.version() + 1, new.head)?;
        new.records.push(marker);
        new.head = head;
        Ok(new)
    }

    /// Records the encoded events of one or several aggregates, and a tracking position if
    /// given, in one atomic write; returns their notification ids. The records are moved
    /// out of `new`; commit each [`NewEvents`] to its aggregate afterwards.
    ///
    /// # Errors
    /// [`PersistenceError::Conflict`] if another writer recorded one of these versions
    /// first, [`PersistenceError::TrackingConflict`] if the position is not beyond the
    /// recorded one; nothing was written. Or another store error.
    pub async fn put(&self, new: &mut [NewEvents], tracking: Option<Tracking>) -> Result<Vec<u64>, PersistenceError> {
        let records: Vec<StoredEvent> = new.iter_mut().flat_map(|n| std::mem::take(&mut n.records)).collect();
        let span = tracing::trace_span!(
            "put",
            records = records.len(),
            upstream = tracking.as_ref().map(|t| tracing::field::display(&t.application_name)),
            position = tracking.as_ref().map(|t| t.notification_id)
        );
        match tracking {
            None if records.is_empty() => Ok(Vec::new()),
            None => self.inner.events.insert_events(records).instrument(span).await,
            Some(tracking) => {
                self.inner.events.insert_events_with_tracking(records, Some(tracking)).instrument(span).await
            }
        }
    }

    /// The aggregate at `version` (the latest if `None`): the latest readable snapshot at
    /// or below it (when the aggregate derives `Deserialize` and there is a snapshot
    /// recorder), then the events after the snapshot, with the hash chain checked when
    /// chaining is on. `None` if the aggregate does not exist at that version, or is
    /// discarded.
    ///
    /// A snapshot that cannot be read is passed over with a warning, and the events are
    /// replayed instead: a snapshot is only a shortcut to them.
    ///
    /// # Errors
    /// A store, decoding or replay error.
    pub async fn get<A: Aggregate>(&self, id: &A::Id, version: Option<u64>) -> Result<Option<A>, EventStoreError> {
        let span = tracing::trace_span!(
            "read_aggregate",
            aggregate = A::NAME,
            id = %id,
            version,
            snapshot = Empty,
            events = Empty
        );
        self.read_aggregate(id, version).instrument(span).await
    }

    async fn read_aggregate<A: Aggregate>(
        &self,
        id: &A::Id,
        version: Option<u64>,
    ) -> Result<Option<A>, EventStoreError> {
        let originator_id = id.to_originator_id();
        let mut aggregate: Option<A> = None;
        let mut cursor = ChainCursor::from_start();
        let mut query = EventQuery::all();
        if let Some(version) = version {
            query = query.lte(version);
        }
        if let (true, Some(snapshots)) = (A::__RESTORABLE, &self.inner.snapshots) {
            let mut latest = EventQuery::all().desc().limit(1);
            latest.lte = version;
            if let Some(stored) = snapshots.select_events(&originator_id, latest).await?.pop() {
                match self.inner.mapper.decode_snapshot::<A>(&stored) {
                    Ok(snapshot) => {
                        Span::current().record("snapshot", snapshot.originator_version);
                        cursor = ChainCursor::after(snapshot.head);
                        query = query.gt(snapshot.originator_version);
                        aggregate = Some(snapshot.restore());
                    }
                    Err(error) => tracing::warn!(
                        aggregate = A::NAME,
                        id = %id,
                        snapshot_version = stored.originator_version,
                        %error,
                        "snapshot cannot be read; replaying the events instead"
                    ),
                }
            }
        }
        let stored = self.inner.events.select_events_shared(&originator_id, query).await?;
        Span::current().record("events", stored.len());
        for stored in &stored {
            match (self.inner.mapper.decode_event::<A>(stored, &mut cursor)?, &mut aggregate) {
                (Record::Event(event), Some(aggregate)) => aggregate.apply_event(event)?,
                (Record::Event(event), None) => aggregate = Some(A::from_events([event])?),
                (Record::Discarded { .. }, _) => return Ok(None),
            }
        }
        let Some(mut aggregate) = aggregate else { return Ok(None) };
        if self.inner.mapper.is_chaining() {
            aggregate.__meta_mut().set_head(cursor.head());
        }
        Ok(Some(aggregate))
    }

    /// Brings `aggregate` (a copy read earlier, from a cache say) up to date with the
    /// events recorded since its version. Returns `false`, leaving the aggregate as it
    /// was, if it has been discarded since.
    ///
    /// # Errors
    /// A store, decoding or replay error (the aggregate may then be partly advanced).
    pub async fn fast_forward<A: Aggregate>(&self, aggregate: &mut A) -> Result<bool, EventStoreError> {
        let originator_id = aggregate.id().to_originator_id();
        let query = EventQuery::all().gt(aggregate.version());
        let stored = self.inner.events.select_events_shared(&originator_id, query).await?;
        let mut cursor = ChainCursor::after(aggregate.head());
        let records = self.inner.mapper.decode_events::<A>(&stored, &mut cursor)?;
        if records.iter().any(|r| matches!(r, Record::Discarded { .. })) {
            return Ok(false);
        }
        for record in records {
            if let Record::Event(event) = record {
                aggregate.apply_event(event)?;
            }
        }
        if self.inner.mapper.is_chaining() {
            aggregate.__meta_mut().set_head(cursor.head());
        }
        Ok(true)
    }

    /// Every record of the aggregate, oldest first, including a discard marker; this reads
    /// the history of discarded aggregates too.
    ///
    /// # Errors
    /// A store or decoding error (including a broken hash chain), or
    /// [`ReplayError::OriginatorVersion`] where a version is missing, as [`EventStore::get`]
    /// reports it.
    pub async fn history<A: Aggregate>(&self, id: &A::Id) -> Result<Vec<Record<A>>, EventStoreError> {
        let stored = self.inner.events.select_events_shared(&id.to_originator_id(), EventQuery::all()).await?;
        let records = self.inner.mapper.decode_events::<A>(&stored, &mut ChainCursor::from_start())?;
        for (expected, record) in (A::INITIAL_VERSION..).zip(&records) {
            let (found, event) = match record {
                Record::Event(event) => (event.originator_version, event.name()),
                Record::Discarded { originator_version, .. } => (*originator_version, "discard marker"),
            };
            if found != expected {
                let id = id.to_string();
                return Err(ReplayError::OriginatorVersion { aggregate: A::NAME, id, expected, found, event }.into());
            }
        }
        Ok(records)
    }

    /// Stores a snapshot of the aggregate as at `version` (the latest if `None`), read
    /// back from the store. Returns `false` if there is no such aggregate. Taking the same
    /// snapshot twice is not an error.
    ///
    /// # Errors
    /// [`EventStoreError::NoSnapshotRecorder`], an error reading the aggregate, or one
    /// writing the snapshot (including a snapshot that would not read back).
    pub async fn take_snapshot<A>(&self, id: &A::Id, version: Option<u64>) -> Result<bool, EventStoreError>
    where
        A: Aggregate + Clone + Serialize,
    {
        let Some(snapshots) = &self.inner.snapshots else { return Err(EventStoreError::NoSnapshotRecorder) };
        let Some(aggregate) = self.get::<A>(id, version).await? else { return Ok(false) };
        let stored = self.inner.mapper.encode_snapshot(&Snapshot::take(&aggregate))?;
        match snapshots.insert_events(vec![stored]).await {
            Err(error) if error.is_conflict() => Ok(true),
            other => other.map(|_| true).map_err(Into::into),
        }
    }
}
