use std::sync::Arc;

use tracing::field::Empty;
use tracing::{Instrument as _, Span};

use eventsourcing_core::domain::{Aggregate, AggregateId};
use eventsourcing_core::persistence::{EventStore, Record};

use crate::aggregate_types::AggregateTypes;
use crate::cache::Cache;
use crate::error::ApplicationError;

/// Gets aggregates back from an application's store: the latest snapshot at or below the
/// version asked for (when the aggregate derives `Deserialize` and snapshotting is on),
/// then the events after it, with the hash chain verified when chaining is on.
///
/// An owned handle: cloning is cheap, and a spawned task can hold one.
#[derive(Debug, Clone)]
pub struct Repository {
    /// The application's name, for the spans of reads.
    application: Arc<str>,
    store: EventStore,
    cache: Option<Arc<Cache>>,
    types: Arc<AggregateTypes>,
}

impl Repository {
    pub(crate) fn new(
        application: Arc<str>,
        store: EventStore,
        cache: Option<Arc<Cache>>,
        types: Arc<AggregateTypes>,
    ) -> Self {
        Repository { application, store, cache, types }
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
        self.types.check::<A>()?;
        let span = tracing::debug_span!(
            "get",
            application = %self.application,
            aggregate = A::NAME,
            id = %id,
            cached = Empty,
            version = Empty
        );
        let got = async {
            let Some(cache) = &self.cache else { return self.load(id, None).await };
            let originator_id = id.to_originator_id();
            let Some(mut aggregate) = cache.get::<A>(&originator_id) else {
                let aggregate: A = self.load(id, None).await?;
                cache.put(&aggregate);
                return Ok(aggregate);
            };
            Span::current().record("cached", true);
            if !self.store.fast_forward(&mut aggregate).await? {
                cache.remove::<A>(&originator_id);
                return Err(not_found::<A>(id, None));
            }
            cache.put(&aggregate);
            Ok(aggregate)
        };
        let got = got.instrument(span.clone()).await;
        if let Ok(aggregate) = &got {
            span.record("version", aggregate.version());
        }
        got
    }

    /// The aggregate as it was at `version`: after the event with that version.
    ///
    /// # Errors
    /// As [`Repository::get`]; [`ApplicationError::NotFound`] also when the aggregate
    /// did not exist yet at that version.
    pub async fn get_at<A: Aggregate>(&self, id: &A::Id, version: u64) -> Result<A, ApplicationError> {
        self.types.check::<A>()?;
        let span =
            tracing::debug_span!("get_at", application = %self.application, aggregate = A::NAME, id = %id, version);
        self.load(id, Some(version)).instrument(span).await
    }

    /// Whether the aggregate exists (and is not discarded).
    ///
    /// # Errors
    /// A store, decoding or replay error.
    pub async fn contains<A: Aggregate>(&self, id: &A::Id) -> Result<bool, ApplicationError> {
        self.types.check::<A>()?;
        Ok(self.store.get::<A>(id, None).await?.is_some())
    }

    /// Every record of the aggregate, oldest first, including a discard marker; this
    /// reads the history of discarded aggregates too.
    ///
    /// # Errors
    /// A store or decoding error (including a broken hash chain), or
    /// [`ReplayError::OriginatorVersion`](eventsourcing_core::domain::ReplayError) where a
    /// version is missing, as [`Repository::get`] reports it.
    pub async fn history<A: Aggregate>(&self, id: &A::Id) -> Result<Vec<Record<A>>, ApplicationError> {
        self.types.check::<A>()?;
        Ok(self.store.history::<A>(id).await?)
    }

    async fn load<A: Aggregate>(&self, id: &A::Id, version: Option<u64>) -> Result<A, ApplicationError> {
        self.store.get::<A>(id, version).await?.ok_or_else(|| not_found::<A>(id, version))
    }
}

pub(crate) fn not_found<A: Aggregate>(id: &A::Id, version: Option<u64>) -> ApplicationError {
    ApplicationError::NotFound { aggregate: A::NAME, id: id.to_string(), version }
}
