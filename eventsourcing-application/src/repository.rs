use eventsourcing_core::domain::{Aggregate, AggregateId, ReplayError};
use eventsourcing_core::persistence::{ChainCursor, EventQuery, Record};

use crate::application::Application;
use crate::error::ApplicationError;

/// Gets aggregates back from an application's store: the latest snapshot at or below the
/// version asked for (when the aggregate derives `Deserialize` and snapshotting is on),
/// then the events after it, with the hash chain verified when chaining is on.
#[derive(Debug, Clone, Copy)]
pub struct Repository<'a> {
    app: &'a Application,
}

impl<'a> Repository<'a> {
    pub(crate) fn new(app: &'a Application) -> Self {
        Repository { app }
    }

    /// The aggregate as it is now. With a cache, a cached copy is fast-forwarded with the
    /// events recorded since it was cached.
    ///
    /// # Errors
    /// [`ApplicationError::NotFound`] if there is no such aggregate (or it was
    /// discarded); a store, decoding or replay error otherwise.
    pub async fn get<A>(&self, id: &A::Id) -> Result<A, ApplicationError>
    where
        A: Aggregate + Clone + Send + Sync + 'static,
    {
        let Some(cache) = self.app.cache() else { return load(self.app, id, None).await };
        let originator_id = id.to_originator_id();
        let Some(mut aggregate) = cache.get::<A>(&originator_id) else {
            let aggregate: A = load(self.app, id, None).await?;
            cache.put(&aggregate);
            return Ok(aggregate);
        };
        let query = EventQuery::all().gt(aggregate.version());
        let stored = self.app.recorder().select_events(&originator_id, query).await?;
        let mut cursor = ChainCursor::after(aggregate.head());
        for record in self.app.mapper().decode_events::<A>(stored, &mut cursor)? {
            match record {
                Record::Event(event) => aggregate.apply_event(event)?,
                Record::Discarded { .. } => {
                    cache.remove::<A>(&originator_id);
                    return Err(not_found::<A>(id, None));
                }
            }
        }
        if self.app.mapper().is_chaining() {
            aggregate.__set_head(cursor.head());
        }
        cache.put(&aggregate);
        Ok(aggregate)
    }

    /// The aggregate as it was at `version`: after the event with that version.
    ///
    /// # Errors
    /// As [`Repository::get`]; [`ApplicationError::NotFound`] also when the aggregate
    /// did not exist yet at that version.
    pub async fn get_at<A: Aggregate>(&self, id: &A::Id, version: u64) -> Result<A, ApplicationError> {
        load(self.app, id, Some(version)).await
    }

    /// Whether the aggregate exists (and is not discarded).
    ///
    /// # Errors
    /// A store, decoding or replay error.
    pub async fn contains<A: Aggregate>(&self, id: &A::Id) -> Result<bool, ApplicationError> {
        match load::<A>(self.app, id, None).await {
            Ok(_) => Ok(true),
            Err(ApplicationError::NotFound { .. }) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Every record of the aggregate, oldest first, including a discard marker; this
    /// reads the history of discarded aggregates too.
    ///
    /// # Errors
    /// A store or decoding error (including a broken hash chain), or
    /// [`ReplayError::OriginatorVersion`] where a version is missing, as [`Repository::get`]
    /// reports it.
    pub async fn history<A: Aggregate>(&self, id: &A::Id) -> Result<Vec<Record<A>>, ApplicationError> {
        let stored = self.app.recorder().select_events(&id.to_originator_id(), EventQuery::all()).await?;
        let records = self.app.mapper().decode_events::<A>(stored, &mut ChainCursor::from_start())?;
        for (expected, record) in (1..).zip(&records) {
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
}

fn not_found<A: Aggregate>(id: &A::Id, version: Option<u64>) -> ApplicationError {
    ApplicationError::NotFound { aggregate: A::NAME, id: id.to_string(), version }
}

/// Reads an aggregate at `version` (the latest if `None`) without the cache.
pub(crate) async fn load<A: Aggregate>(
    app: &Application,
    id: &A::Id,
    version: Option<u64>,
) -> Result<A, ApplicationError> {
    let originator_id = id.to_originator_id();
    let mut aggregate: Option<A> = None;
    let mut cursor = ChainCursor::from_start();
    let mut query = EventQuery::all();
    if let Some(version) = version {
        query = query.lte(version);
    }
    if let (true, Some(snapshots)) = (A::__RESTORABLE, app.snapshot_recorder()) {
        let mut latest = EventQuery::all().desc().limit(1);
        latest.lte = version;
        if let Some(stored) = snapshots.select_events(&originator_id, latest).await?.pop() {
            // A snapshot is a shortcut to the events: one that cannot be read (a changed
            // state shape, a damaged record) is passed over, and the events replayed.
            match app.mapper().decode_snapshot::<A>(&stored) {
                Ok(snapshot) => {
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
    let stored = app.recorder().select_events(&originator_id, query).await?;
    for record in app.mapper().decode_events::<A>(stored, &mut cursor)? {
        match (record, &mut aggregate) {
            (Record::Event(event), Some(aggregate)) => aggregate.apply_event(event)?,
            (Record::Event(event), None) => aggregate = Some(A::from_events([event])?),
            (Record::Discarded { .. }, _) => return Err(not_found::<A>(id, version)),
        }
    }
    let mut aggregate = aggregate.ok_or_else(|| not_found::<A>(id, version))?;
    if app.mapper().is_chaining() {
        aggregate.__set_head(cursor.head());
    }
    Ok(aggregate)
}
