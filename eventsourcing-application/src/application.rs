use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock, Weak};

use eventsourcing_core::domain::{Aggregate, AggregateId};
use eventsourcing_core::environment::ConfigError;
use eventsourcing_core::persistence::python::PythonFormat;
use eventsourcing_core::persistence::{
    AggregateRecorder, AnyAggregateRecorder, AnyRecorder, ApplicationRecorder, Cipher, Codec, Compression, EventStore,
    EventStoreError, HashChain, LogEvent, Mapper, NewEvents, Notification, OriginatorId, ProcessRecorder, Subscription,
    Tracking,
};
use futures_util::future::BoxFuture;
use serde::Serialize;
use tracing::field::Empty;
use tracing::{Instrument as _, Span};

use crate::aggregate_types::AggregateTypes;
use crate::cache::Cache;
use crate::changes::Changes;
use crate::config::{cache_from_env, mapper_from_env};
use crate::error::ApplicationError;
use crate::notification_log::NotificationLog;
use crate::repository::{Repository, not_found};
use crate::store::{self, Choice, Stores};
use eventsourcing_core::environment::Environment;

/// How many notifications a log section holds unless configured otherwise (as in Python).
pub const DEFAULT_SECTION_SIZE: usize = 10;

/// Takes a snapshot of one aggregate type (monomorphised per type by `snapshot_every`).
type TakeSnapshot = for<'a> fn(&'a Application, &'a OriginatorId, u64) -> BoxFuture<'a, Result<(), ApplicationError>>;

/// An event-sourced application: saves aggregates' events atomically, gets aggregates back
/// at any version, snapshots them, and exposes every event in a notification log.
///
/// Cloning is cheap and shares the stores.
///
/// ```
/// # use eventsourcing::prelude::*;
/// # #[aggregate]
/// # #[derive(Debug, Clone, Serialize, Deserialize)]
/// # pub struct Dog { name: String, tricks: Vec<String> }
/// # #[aggregate]
/// # impl Dog {
/// #     #[event("Registered")]
/// #     pub fn register(name: String) -> Self { Self { name, tricks: Vec::new() } }
/// #     #[event("TrickAdded")]
/// #     pub fn add_trick(&mut self, trick: String) { self.tricks.push(trick); }
/// # }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), ApplicationError> {
/// let app = Application::from_env("DogSchool").await?;
/// let mut dog = Dog::register("Fido".into());
/// dog.add_trick("roll over".into());
/// app.save(&mut dog).await?;
/// let copy: Dog = app.repository().get(dog.id()).await?;
/// assert_eq!(copy.version(), 2);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Application {
    inner: Arc<Inner>,
}

struct Inner {
    name: Arc<str>,
    store: EventStore,
    cache: Option<Arc<Cache>>,
    types: Arc<AggregateTypes>,
    intervals: HashMap<&'static str, (u64, TakeSnapshot)>,
    section_size: usize,
    /// Told of every save, when the application runs in a system whose followers
    /// process inline.
    saved: RwLock<Option<Weak<dyn Saved>>>,
}

/// What a system runner that processes inline does after an application's save.
pub(crate) trait Saved: Send + Sync {
    /// `application` recorded new events: let its followers process them.
    fn saved<'a>(&'a self, application: &'a str) -> BoxFuture<'a, ()>;
}

impl fmt::Debug for Application {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Application")
            .field("name", &self.inner.name)
            .field("store", &self.inner.store)
            .field("cache", &self.inner.cache.is_some())
            .field("section_size", &self.inner.section_size)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// An application configured from the process environment, with Python
    /// `eventsourcing`'s variable names, each of which may be prefixed with the
    /// application's name in upper case (`DOGSCHOOL_PERSISTENCE_MODULE`).
    ///
    /// # Errors
    /// [`ApplicationError::Config`] naming a variable that cannot be used, or an error
    /// opening the store.
    pub async fn from_env(name: impl Into<String>) -> Result<Self, ApplicationError> {
        Self::builder(name).build().await
    }

    /// A builder, to set what the environment would, and more.
    pub fn builder(name: impl Into<String>) -> ApplicationBuilder {
        ApplicationBuilder::new(name.into())
    }

    /// The application's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// How the application encodes records.
    pub fn mapper(&self) -> &Mapper {
        self.inner.store.mapper()
    }

    /// The event store: the mapper and the recorders.
    pub fn event_store(&self) -> &EventStore {
        &self.inner.store
    }

    /// The store of events, notifications and tracking positions.
    pub fn recorder(&self) -> &AnyRecorder {
        self.inner.store.recorder()
    }

    /// The snapshot store, if snapshotting is on.
    pub fn snapshot_recorder(&self) -> Option<&AnyAggregateRecorder> {
        self.inner.store.snapshot_recorder()
    }

    /// Gets aggregates back (an owned handle).
    pub fn repository(&self) -> Repository {
        Repository::new(
            self.inner.name.clone(),
            self.inner.store.clone(),
            self.inner.cache.clone(),
            self.inner.types.clone(),
        )
    }

    /// Every event of the application, in order (an owned handle).
    pub fn notification_log(&self) -> NotificationLog {
        NotificationLog::new(self.inner.name.clone(), self.inner.store.recorder().clone(), self.inner.section_size)
    }

    /// Records the pending events of one or several aggregates in one atomic write, and
    /// returns their notification ids. Then takes the snapshots due by `snapshot_every`.
    ///
    /// The aggregates' pending events are taken only once the store has committed them:
    /// on any error every aggregate is left as it was.
    ///
    /// # Errors
    /// A version conflict ([`ApplicationError::is_conflict`]) when another writer recorded
    /// one of these versions first; nothing was written. Or an encoding or store error.
    pub async fn save(&self, mut changes: impl Changes) -> Result<Vec<u64>, ApplicationError> {
        let span = tracing::debug_span!(
            "save",
            application = %self.inner.name,
            aggregates = Empty,
            events = Empty,
            last_notification_id = Empty
        );
        async {
            let mut new = Vec::new();
            self.prepare(&changes, &mut new)?;
            let span = Span::current();
            span.record("aggregates", new.len());
            span.record("events", new.iter().map(|n| n.versions().len()).sum::<usize>());
            let ids = self.inner.store.put(&mut new, None).await?;
            span.record("last_notification_id", ids.last());
            changes.commit(&mut new.iter());
            self.take_due_snapshots(&new).await;
            self.tell_saved(&ids).await;
            Ok(ids)
        }
        .instrument(span)
        .await
    }

    /// Encodes the pending events of `changes` after `out`, checking their types' names.
    pub(crate) fn prepare(&self, changes: &impl Changes, out: &mut Vec<NewEvents>) -> Result<(), ApplicationError> {
        let mut prepared = Vec::new();
        changes.prepare(&self.inner.store, &mut prepared)?;
        out.reserve(prepared.len());
        for (rust_type, events) in prepared {
            self.inner.types.check_named(events.aggregate(), rust_type)?;
            out.push(events);
        }
        Ok(())
    }

    /// Records encoded events with a tracking position, atomically, then takes the
    /// snapshots due: what a process application's processing of one notification writes.
    pub(crate) async fn record(&self, new: &mut [NewEvents], tracking: Tracking) -> Result<Vec<u64>, ApplicationError> {
        let ids = self.inner.store.put(new, Some(tracking)).await?;
        self.take_due_snapshots(new).await;
        Ok(ids)
    }

    /// Tells the system runner this application is in, if it processes inline, that new
    /// events were recorded.
    async fn tell_saved(&self, ids: &[u64]) {
        if ids.is_empty() {
            return;
        }
        let saved = self.inner.saved.read().unwrap_or_else(PoisonError::into_inner).as_ref().and_then(Weak::upgrade);
        if let Some(saved) = saved {
            saved.saved(&self.inner.name).await;
        }
    }

    /// Has every save tell `saved` (the inline runner the application now runs in), or
    /// none.
    pub(crate) fn tell_saves_to(&self, saved: Option<Weak<dyn Saved>>) {
        *self.inner.saved.write().unwrap_or_else(PoisonError::into_inner) = saved;
    }

    /// Python's automatic snapshotting: a snapshot at each saved version that is a
    /// multiple of the aggregate type's interval. A failure is logged, not returned: the
    /// events are saved, and a snapshot is only a shortcut to them.
    async fn take_due_snapshots(&self, new: &[NewEvents]) {
        for new in new {
            let Some((interval, take)) = self.inner.intervals.get(new.aggregate()) else { continue };
            for &version in new.versions().iter().filter(|v| **v % interval == 0) {
                if let Err(error) = take(self, new.id(), version).await {
                    let (aggregate, id) = (new.aggregate(), new.id());
                    tracing::warn!(aggregate, id = %id, version, %error, "automatic snapshot failed");
                }
            }
        }
    }

    /// Discards an aggregate: records its pending events and a marker after them, after
    /// which the repository reports it not found. Its history stays in the store and in the
    /// notification log, and [`Repository::get_at`] still reads earlier versions.
    ///
    /// # Errors
    /// As [`Application::save`].
    pub async fn discard<A: Aggregate + Send>(&self, aggregate: &mut A) -> Result<Vec<u64>, ApplicationError> {
        self.inner.types.check::<A>()?;
        let span = tracing::debug_span!(
            "discard",
            application = %self.inner.name,
            aggregate = A::NAME,
            id = %aggregate.id(),
            last_notification_id = Empty
        );
        async {
            let mut new = [self.inner.store.encode_discard(&*aggregate)?];
            let ids = self.inner.store.put(&mut new, None).await?;
            Span::current().record("last_notification_id", ids.last());
            new[0].commit(aggregate);
            if let Some(cache) = &self.inner.cache {
                cache.remove::<A>(&aggregate.id().to_originator_id());
            }
            self.tell_saved(&ids).await;
            Ok(ids)
        }
        .instrument(span)
        .await
    }

    /// Stores a snapshot of an aggregate as at `version` (the latest if `None`), read back
    /// from the store. Taking the same snapshot twice is not an error.
    ///
    /// # Errors
    /// [`ApplicationError::SnapshottingDisabled`] without a snapshot store, or errors
    /// reading the aggregate or writing the snapshot.
    pub async fn take_snapshot<A>(&self, id: &A::Id, version: Option<u64>) -> Result<(), ApplicationError>
    where
        A: Aggregate + Clone + Serialize + Send + Sync + 'static,
    {
        self.inner.types.check::<A>()?;
        let span = tracing::debug_span!("take_snapshot", application = %self.inner.name, aggregate = A::NAME, id = %id, version);
        match self.inner.store.take_snapshot::<A>(id, version).instrument(span).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(not_found::<A>(id, version)),
            Err(EventStoreError::NoSnapshotRecorder) => Err(ApplicationError::SnapshottingDisabled),
            Err(error) => Err(error.into()),
        }
    }

    /// Notifications after `gt` (all if `None`) of the given topics (all if empty): first
    /// those recorded, then new ones as they are committed.
    ///
    /// # Errors
    /// A store error.
    pub async fn subscribe(&self, gt: Option<u64>, topics: Vec<String>) -> Result<Subscription, ApplicationError> {
        Ok(self.inner.store.recorder().subscribe(gt, topics).await?)
    }

    /// Decodes a notification into `L`: a
    /// [`Record<A>`](eventsourcing_core::persistence::Record) of one aggregate type
    /// (`None` for other types' notifications), or an enum over several aggregate types'
    /// events with `#[derive(LogEvent)]`. The hash chain, if any, is checked for the record
    /// alone.
    ///
    /// # Errors
    /// A [`MapperError`](eventsourcing_core::persistence::MapperError) if the record is one
    /// of `L`'s but cannot be read, or is of a topic `L` neither knows nor skips.
    pub fn decode<L: LogEvent>(&self, notification: &Notification) -> Result<Option<L>, ApplicationError> {
        Ok(L::decode(self.mapper(), notification)?)
    }
}

fn take_snapshot_of<'a, A>(
    app: &'a Application,
    id: &'a OriginatorId,
    version: u64,
) -> BoxFuture<'a, Result<(), ApplicationError>>
where
    A: Aggregate + Clone + Serialize + Send + Sync + 'static,
{
    let id = A::Id::from_originator_id(id);
    Box::pin(async move {
        let Some(id) = id else { return Ok(()) };
        app.take_snapshot::<A>(&id, Some(version)).await
    })
}

/// Builds an [`Application`]: the environment's settings (Python's names, per-application
/// prefixes), overridden by what is set here.
// An outer `None` leaves a setting to the environment; `Some(None)` turns it off.
#[allow(clippy::option_option)]
pub struct ApplicationBuilder {
    name: String,
    env: Environment,
    codec: Option<Codec>,
    compression: Option<Option<Compression>>,
    cipher: Option<Option<Cipher>>,
    hash_chain: Option<Option<HashChain>>,
    python: Option<PythonFormat>,
    snapshotting: Option<bool>,
    intervals: HashMap<&'static str, (u64, TakeSnapshot)>,
    cache: Option<Option<usize>>,
    section_size: usize,
    store: Choice,
}

impl fmt::Debug for ApplicationBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApplicationBuilder").field("name", &self.name).finish_non_exhaustive()
    }
}

impl ApplicationBuilder {
    fn new(name: String) -> Self {
        ApplicationBuilder {
            env: Environment::from_process(&name),
            name,
            codec: None,
            compression: None,
            cipher: None,
            hash_chain: None,
            python: None,
            snapshotting: None,
            intervals: HashMap::new(),
            cache: None,
            section_size: DEFAULT_SECTION_SIZE,
            store: Choice::Environment,
        }
    }

    /// Sets a configuration variable, over the process environment (Python's `env`
    /// argument). Prefixed names work here too.
    #[must_use]
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.set(key, value);
        self
    }

    /// Ignores the process environment: only variables set with [`env`](Self::env) count.
    #[must_use]
    pub fn without_process_env(mut self) -> Self {
        self.env = Environment::empty(&self.name);
        self
    }

    /// The codec for new records (`TRANSCODER_TOPIC`).
    #[must_use]
    pub fn codec(mut self, codec: Codec) -> Self {
        self.codec = Some(codec);
        self
    }

    /// Compression of new records (`COMPRESSOR_TOPIC`); `None` for none.
    #[must_use]
    pub fn compression(mut self, compression: Option<Compression>) -> Self {
        self.compression = Some(compression);
        self
    }

    /// Encryption of records (`CIPHER_KEY`); `None` for none.
    #[must_use]
    pub fn cipher(mut self, cipher: Option<Cipher>) -> Self {
        self.cipher = Some(cipher);
        self
    }

    /// Hash chaining of records (`HASH_CHAIN`, `HASH_CHAIN_KEY`); `None` for none.
    #[must_use]
    pub fn hash_chain(mut self, chain: Option<HashChain>) -> Self {
        self.hash_chain = Some(chain);
        self
    }

    /// Reads and writes Python `eventsourcing` 9.5's records (`RECORD_FORMAT=python`), so
    /// that Python applications and this one share stores; see the guide's chapter on
    /// moving from Python. The codec, compression, cipher and hash chain of this library's
    /// format cannot be set with it.
    #[must_use]
    pub fn python_format(mut self, format: PythonFormat) -> Self {
        self.python = Some(format);
        self
    }

    /// Whether the application has a snapshot store (`IS_SNAPSHOTTING_ENABLED`).
    #[must_use]
    pub fn snapshotting(mut self, enabled: bool) -> Self {
        self.snapshotting = Some(enabled);
        self
    }

    /// Takes a snapshot of aggregates of type `A` whenever a saved version is a multiple of
    /// `interval` (Python's `snapshotting_intervals`); turns snapshotting on.
    ///
    /// # Panics
    /// If `interval` is zero.
    #[must_use]
    pub fn snapshot_every<A>(mut self, interval: u64) -> Self
    where
        A: Aggregate + Clone + Serialize + Send + Sync + 'static,
    {
        assert!(interval > 0, "a snapshot interval is at least 1");
        self.intervals.insert(A::NAME, (interval, take_snapshot_of::<A>));
        self.snapshotting = Some(true);
        self
    }

    /// An aggregate cache of at most `max_size` aggregates (0: unbounded), or none
    /// (`AGGREGATE_CACHE_MAXSIZE`). Cached aggregates are fast-forwarded from the store on
    /// every `get`, so they are never stale.
    #[must_use]
    pub fn cache(mut self, max_size: Option<usize>) -> Self {
        self.cache = Some(max_size);
        self
    }

    /// How many notifications a log section holds (default 10).
    ///
    /// # Panics
    /// If `size` is zero.
    #[must_use]
    pub fn section_size(mut self, size: usize) -> Self {
        assert!(size > 0, "a section holds at least one notification");
        self.section_size = size;
        self
    }

    /// Uses these recorders instead of the store `PERSISTENCE_MODULE` names: any
    /// [`ProcessRecorder`] for events, and an [`AggregateRecorder`] for snapshots.
    #[must_use]
    pub fn recorders<E, S>(mut self, events: E, snapshots: Option<S>) -> Self
    where
        E: ProcessRecorder + 'static,
        S: AggregateRecorder + 'static,
    {
        self.store = Choice::Recorders(Stores {
            events: AnyRecorder::new(events),
            snapshots: snapshots.map(AnyAggregateRecorder::new),
        });
        self
    }

    /// Uses the SQLite database at `path` (or `:memory:`), whatever `PERSISTENCE_MODULE`
    /// says; its other settings still come from the environment.
    #[cfg(feature = "sqlite")]
    #[must_use]
    pub fn sqlite(mut self, path: impl Into<String>) -> Self {
        self.store = Choice::SqlitePath(path.into());
        self
    }

    /// Uses an existing SQLite pool.
    #[cfg(feature = "sqlite")]
    #[must_use]
    pub fn sqlite_pool(mut self, pool: sqlx::SqlitePool) -> Self {
        self.store = Choice::SqlitePool(pool);
        self
    }

    /// Uses the PostgreSQL database at `url` (`postgres://user:password@host:port/db`);
    /// schema and pool settings still come from the environment.
    #[cfg(feature = "postgres")]
    #[must_use]
    pub fn postgres(mut self, url: impl Into<String>) -> Self {
        self.store = Choice::PostgresUrl(url.into());
        self
    }

    /// Uses an existing PostgreSQL pool.
    #[cfg(feature = "postgres")]
    #[must_use]
    pub fn postgres_pool(mut self, pool: sqlx::PgPool) -> Self {
        self.store = Choice::PostgresPool(pool);
        self
    }

    /// Opens the stores and builds the application.
    ///
    /// # Errors
    /// [`ApplicationError::Config`] naming a variable that cannot be used, or an error
    /// opening the store.
    pub async fn build(self) -> Result<Application, ApplicationError> {
        let env = &self.env;
        let mut mapper = match &self.python {
            Some(format) => Mapper::python(format.clone()),
            None => mapper_from_env(env)?,
        };
        if mapper.python_format().is_some() {
            let native = [
                (self.codec.is_some(), "codec"),
                (self.compression.is_some(), "compression"),
                (self.cipher.is_some(), "cipher"),
                (self.hash_chain.is_some(), "hash_chain"),
            ];
            if let Some((_, setting)) = native.iter().find(|(set, _)| *set) {
                return Err(ConfigError::Invalid {
                    variable: format!("ApplicationBuilder::{setting}"),
                    value: "(set)".into(),
                    expected: "nothing with Python's record format, which has its own compression and cipher \
                               (PythonFormat::with_zlib, PythonFormat::with_cipher) and no hash chain"
                        .into(),
                }
                .into());
            }
        }
        if let Some(codec) = self.codec {
            mapper = mapper.with_codec(codec);
        }
        if let Some(compression) = self.compression {
            mapper = mapper.set_compression(compression);
        }
        if let Some(cipher) = self.cipher {
            mapper = mapper.set_cipher(cipher);
        }
        if let Some(chain) = self.hash_chain {
            mapper = mapper.set_hash_chain(chain);
        }
        let snapshotting = match self.snapshotting {
            Some(enabled) => enabled,
            None => env.get_bool("IS_SNAPSHOTTING_ENABLED")?.unwrap_or(false),
        };
        let cache_size = match self.cache {
            Some(size) => size,
            None => cache_from_env(env)?,
        };
        let stores = store::open(self.store, &self.name, env, snapshotting).await?;
        let store = match stores.snapshots {
            Some(snapshots) if snapshotting => EventStore::with_snapshots(mapper, stores.events, snapshots),
            _ => EventStore::new(mapper, stores.events),
        };
        Ok(Application {
            inner: Arc::new(Inner {
                name: self.name.into(),
                store,
                cache: cache_size.map(|size| Arc::new(Cache::new(size))),
                types: Arc::default(),
                intervals: self.intervals,
                section_size: self.section_size,
                saved: RwLock::new(None),
            }),
        })
    }
}
