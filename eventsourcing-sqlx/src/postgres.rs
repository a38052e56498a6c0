//! The PostgreSQL store, with Python `eventsourcing`'s tables (in a schema, named after the
//! application):
//!
//! ```sql
//! CREATE TABLE IF NOT EXISTS <schema>.<name>_events (
//!   originator_id uuid NOT NULL, originator_version bigint NOT NULL, topic text, state bytea,
//!   notification_id bigserial, PRIMARY KEY (originator_id, originator_version));
//! CREATE UNIQUE INDEX IF NOT EXISTS <name>_events_notification_id_idx
//!   ON <schema>.<name>_events (notification_id ASC);
//! CREATE TABLE IF NOT EXISTS <schema>.<name>_snapshots (...same, without notification_id...);
//! CREATE TABLE IF NOT EXISTS <schema>.<name>_tracking (
//!   application_name text, notification_id bigint, PRIMARY KEY (application_name));
//! ```
//!
//! A batch of events is one statement (arrays through `unnest`) in one transaction. Writers
//! of events take the table's `EXCLUSIVE` lock, which readers do not wait for, so
//! notification ids become visible in the order they were assigned: a reader that has seen
//! id N never later finds a committed id ≤ N. (Giving ids late, under an advisory lock
//! just before commit, lets inserts run in parallel but measures slower;
//! `benches/postgres_ordering` compares the two.) Each commit sends a notification on a
//! channel named after the events table, which wakes subscriptions in any process.

use std::fmt::Write as _;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use eventsourcing_core::persistence::{
    AggregateRecorder, ApplicationRecorder, EventQuery, Notification, NotificationQuery, OriginatorId,
    PersistenceError, ProcessRecorder, Result, StoredEvent, Subscription, Tracking, TrackingRecorder, follow,
};
use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions, PgRow};
use sqlx::{AssertSqlSafe, Postgres, Row, Transaction};
use tokio::sync::watch;
use uuid::Uuid;

use crate::error::{is_transient, is_unique_violation, map, tracking_conflict};
use crate::ids::{IdType, text_in_uuid_store, version_from_db, version_to_db};
use crate::limits::{CONNECTIONS, check_count, check_duration};

/// How to reach the database and name the tables.
#[derive(Debug, Clone)]
pub struct PostgresOptions {
    /// How to connect (`POSTGRES_HOST`, `POSTGRES_PORT`, `POSTGRES_USER`,
    /// `POSTGRES_PASSWORD`, `POSTGRES_DBNAME`, or a URL).
    pub connect: PgConnectOptions,
    /// The schema of the tables (`POSTGRES_SCHEMA`, default `public`); created if missing.
    pub schema: String,
    /// The prefix of the table names: the application's name in lower case.
    pub prefix: String,
    /// How ids are kept (`ORIGINATOR_ID_TYPE`).
    pub id_type: IdType,
    /// Whether to create missing tables (`CREATE_TABLE`, default yes).
    pub create_tables: bool,
    /// How long a writer waits for the table lock (`POSTGRES_LOCK_TIMEOUT`; none if zero;
    /// at most [`MAX_TIMEOUT`](crate::limits::MAX_TIMEOUT)).
    pub lock_timeout: Duration,
    /// Connections kept (`POSTGRES_POOL_SIZE`, default 5). With the overflow, from 1 to
    /// [`MAX_CONNECTIONS`](crate::limits::MAX_CONNECTIONS) connections in all.
    pub pool_size: u32,
    /// Connections allowed beyond the pool size (`POSTGRES_MAX_OVERFLOW`, default 10).
    pub max_overflow: u32,
    /// How long to wait for a connection (`POSTGRES_CONNECT_TIMEOUT`, default 30 s; more
    /// than zero, at most [`MAX_TIMEOUT`](crate::limits::MAX_TIMEOUT)).
    pub connect_timeout: Duration,
    /// How long a connection lives (`POSTGRES_CONN_MAX_AGE`, default an hour; more than
    /// zero, at most [`MAX_TIMEOUT`](crate::limits::MAX_TIMEOUT)).
    pub max_age: Duration,
    /// Whether to check a connection before using it (`POSTGRES_PRE_PING`).
    pub pre_ping: bool,
    /// How often a subscription looks for new events even without a notification.
    pub poll_interval: Duration,
}

impl PostgresOptions {
    /// Options for the application called `name`, connecting with `connect`.
    pub fn new(connect: PgConnectOptions, name: &str) -> Self {
        PostgresOptions {
            connect,
            schema: "public".into(),
            prefix: name.to_lowercase(),
            id_type: IdType::Uuid,
            create_tables: true,
            lock_timeout: Duration::ZERO,
            pool_size: 5,
            max_overflow: 10,
            connect_timeout: Duration::from_secs(30),
            max_age: Duration::from_secs(3600),
            pre_ping: false,
            poll_interval: Duration::from_secs(5),
        }
    }

    /// Checks the settings against their ranges.
    ///
    /// # Errors
    /// [`PersistenceError::Configuration`] naming the setting.
    pub fn check(&self) -> Result<()> {
        check_duration("the PostgreSQL lock timeout", self.lock_timeout, false)?;
        check_duration("the PostgreSQL connect timeout", self.connect_timeout, true)?;
        check_duration("the PostgreSQL connection age", self.max_age, true)?;
        check_duration("the PostgreSQL poll interval", self.poll_interval, true)?;
        let connections = u64::from(self.pool_size) + u64::from(self.max_overflow);
        check_count(
            "the PostgreSQL pool size plus overflow",
            u32::try_from(connections).unwrap_or(u32::MAX),
            &CONNECTIONS,
        )
    }

    /// Options from a connection URL (`postgres://user:password@host:port/dbname`).
    ///
    /// # Errors
    /// [`PersistenceError::Configuration`] if the URL does not parse.
    pub fn from_url(url: &str, name: &str) -> Result<Self> {
        let connect = PgConnectOptions::from_str(url)
            .map_err(|e| PersistenceError::Configuration { message: format!("invalid PostgreSQL URL: {e}") })?;
        Ok(Self::new(connect, name))
    }
}

/// A name usable as a PostgreSQL identifier: letters, digits and underscores, not starting
/// with a digit, at most 63 bytes. Names from configuration are checked, then quoted.
fn identifier(name: &str, what: &str) -> Result<String> {
    let valid = !name.is_empty()
        && name.len() <= 63
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if valid {
        Ok(format!("\"{name}\""))
    } else {
        Err(PersistenceError::Configuration {
            message: format!(
                "{what} {name:?} is not a valid name: use at most 63 letters, digits and underscores, not starting with a digit"
            ),
        })
    }
}

#[derive(Debug)]
struct Sql {
    create: Vec<String>,
    /// Inside a write transaction: the timeouts and the table lock, in one round trip.
    lock: String,
    /// The name of the table's primary key, to tell version conflicts from other clashes.
    primary_key: String,
    snapshots_key: String,
    channel: String,
    insert_events: String,
    insert_snapshots: String,
    select_events: String,
    select_snapshots: String,
    select_notifications: String,
    max_notification: String,
    insert_tracking: String,
    max_tracking: String,
}

impl Sql {
    fn new(options: &PostgresOptions) -> Result<Self> {
        let schema = identifier(&options.schema, "the schema")?;
        let name = |suffix: &str| -> Result<(String, String)> {
            let bare = format!("{}_{suffix}", options.prefix);
            Ok((bare.clone(), format!("{schema}.{}", identifier(&bare, "the table")?)))
        };
        let (events_bare, events) = name("events")?;
        let (_, snapshots) = name("snapshots")?;
        let (_, tracking) = name("tracking")?;
        let index = identifier(&format!("{events_bare}_notification_id_idx"), "the index")?;
        let id_type = match options.id_type {
            IdType::Uuid => "uuid",
            IdType::Text => "text",
        };
        let autovacuum = "WITH (autovacuum_enabled = true, autovacuum_vacuum_threshold = 100000000, \
            autovacuum_vacuum_scale_factor = 0.5, autovacuum_analyze_threshold = 1000, \
            autovacuum_analyze_scale_factor = 0.01)";
        let channel =
            if options.schema == "public" { events_bare.clone() } else { format!("{}_{events_bare}", options.schema) };
        let columns = "originator_id, originator_version, topic, state";
        let unnest = format!("SELECT * FROM unnest($1::{id_type}[], $2::bigint[], $3::text[], $4::bytea[])");
        Ok(Sql {
            create: vec![
                format!("CREATE SCHEMA IF NOT EXISTS {schema}"),
                format!(
                    "CREATE TABLE IF NOT EXISTS {events} (originator_id {id_type} NOT NULL, \
                     originator_version bigint NOT NULL, topic text, state bytea, notification_id bigserial, \
                     PRIMARY KEY (originator_id, originator_version)) {autovacuum}"
                ),
                format!("CREATE UNIQUE INDEX IF NOT EXISTS {index} ON {events} (notification_id ASC)"),
                format!(
                    "CREATE TABLE IF NOT EXISTS {snapshots} (originator_id {id_type} NOT NULL, \
                     originator_version bigint NOT NULL, topic text, state bytea, \
                     PRIMARY KEY (originator_id, originator_version)) {autovacuum}"
                ),
                format!(
                    "CREATE TABLE IF NOT EXISTS {tracking} (application_name text, notification_id bigint, \
                     PRIMARY KEY (application_name)) {autovacuum}"
                ),
            ],
            lock: {
                // A timeout below a millisecond still times out (zero would mean never).
                let timeout = if options.lock_timeout.is_zero() {
                    String::new()
                } else {
                    format!(" SET LOCAL lock_timeout = '{}ms';", options.lock_timeout.as_millis().max(1))
                };
                format!(
                    "SET LOCAL idle_in_transaction_session_timeout = '5s';{timeout} LOCK TABLE {events} IN EXCLUSIVE MODE"
                )
            },
            primary_key: format!("{events_bare}_pkey"),
            snapshots_key: format!("{}_snapshots_pkey", options.prefix),
            channel: {
                identifier(&channel, "the notification channel (schema and table name)")?;
                channel
            },
            // The notification rides in the insert: one statement, one round trip.
            insert_events: format!(
                "WITH new AS (INSERT INTO {events} ({columns}) {unnest} RETURNING notification_id), \
                 notified AS (SELECT pg_notify($5, '')) \
                 SELECT new.notification_id FROM new, notified ORDER BY new.notification_id"
            ),
            insert_snapshots: format!("INSERT INTO {snapshots} ({columns}) {unnest}"),
            select_events: format!("SELECT {columns} FROM {events} WHERE originator_id = $1"),
            select_snapshots: format!("SELECT {columns} FROM {snapshots} WHERE originator_id = $1"),
            select_notifications: format!(
                "SELECT notification_id, {columns} FROM {events} WHERE notification_id >= $1 \
                 AND ($2::bigint IS NULL OR notification_id <= $2) \
                 AND (cardinality($3::text[]) = 0 OR topic = ANY($3)) ORDER BY notification_id LIMIT $4"
            ),
            max_notification: format!("SELECT MAX(notification_id) FROM {events}"),
            insert_tracking: format!(
                "INSERT INTO {tracking} AS t (application_name, notification_id) VALUES ($1, $2) \
                 ON CONFLICT (application_name) DO UPDATE SET notification_id = EXCLUDED.notification_id \
                 WHERE t.notification_id < EXCLUDED.notification_id RETURNING notification_id"
            ),
            max_tracking: format!("SELECT notification_id FROM {tracking} WHERE application_name = $1"),
        })
    }
}

/// A PostgreSQL database: one application's events (with notifications and tracking) and
/// its snapshots.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    pool: PgPool,
    sql: Sql,
    ids: IdType,
    poll: Duration,
    /// Woken by the store's one LISTEN connection, started by the first subscription.
    listener: tokio::sync::Mutex<Option<watch::Receiver<u64>>>,
}

/// The ids of a batch, bound as one array of the column's type.
enum IdArray {
    Uuid(Vec<Uuid>),
    Text(Vec<String>),
}

const ATTEMPTS: u32 = 3;

impl PostgresStore {
    /// Connects (and, if asked, creates the schema and tables).
    ///
    /// # Errors
    /// [`PersistenceError`] if the names are invalid, the database cannot be reached, or
    /// the tables cannot be created.
    pub async fn open(options: PostgresOptions) -> Result<Self> {
        options.check()?;
        let connect = options.connect.clone().options([("idle_in_transaction_session_timeout", "5000")]);
        let pool = PgPoolOptions::new()
            .max_connections(options.pool_size.saturating_add(options.max_overflow).max(1))
            .acquire_timeout(options.connect_timeout)
            .max_lifetime(Some(options.max_age))
            .test_before_acquire(options.pre_ping)
            .connect_with(connect)
            .await
            .map_err(map)?;
        Self::with_pool(pool, options).await
    }

    /// Uses an existing pool.
    ///
    /// # Errors
    /// As [`PostgresStore::open`].
    pub async fn with_pool(pool: PgPool, options: PostgresOptions) -> Result<Self> {
        options.check()?;
        let store = PostgresStore {
            shared: Arc::new(Shared {
                pool,
                sql: Sql::new(&options)?,
                ids: options.id_type,
                poll: options.poll_interval,
                listener: tokio::sync::Mutex::new(None),
            }),
        };
        if options.create_tables {
            store.create_tables().await?;
        }
        Ok(store)
    }

    /// Creates the schema, tables and index if missing. Safe to run from several
    /// processes at once.
    ///
    /// # Errors
    /// [`PersistenceError`] from the database.
    pub async fn create_tables(&self) -> Result<()> {
        let mut tx = self.shared.pool.begin().await.map_err(map)?;
        // Serialise concurrent creators: CREATE ... IF NOT EXISTS races on the catalog.
        sqlx::query("SELECT pg_advisory_xact_lock(4412062907316)").execute(&mut *tx).await.map_err(map)?;
        for ddl in &self.shared.sql.create {
            sqlx::query(AssertSqlSafe(ddl.as_str())).execute(&mut *tx).await.map_err(map)?;
        }
        tx.commit().await.map_err(map)
    }

    /// The connection pool.
    pub fn pool(&self) -> &PgPool {
        &self.shared.pool
    }

    /// The channel that each commit of events notifies.
    pub fn channel(&self) -> &str {
        &self.shared.sql.channel
    }

    /// The recorder of events, notifications and tracking positions.
    pub fn events(&self) -> PostgresApplicationRecorder {
        PostgresApplicationRecorder { store: self.clone() }
    }

    /// The recorder of snapshots.
    pub fn snapshots(&self) -> PostgresSnapshotRecorder {
        PostgresSnapshotRecorder { store: self.clone() }
    }

    fn id_array<'a>(&self, ids: impl Iterator<Item = &'a OriginatorId>) -> Result<IdArray> {
        match self.shared.ids {
            IdType::Uuid => ids
                .map(|id| match id {
                    OriginatorId::Uuid(id) => Ok(*id),
                    OriginatorId::Text(text) => Uuid::try_parse(text).map_err(|_| text_in_uuid_store(text)),
                })
                .collect::<Result<_>>()
                .map(IdArray::Uuid),
            IdType::Text => Ok(IdArray::Text(ids.map(ToString::to_string).collect())),
        }
    }

    fn read_id(&self, row: &PgRow, index: usize) -> Result<OriginatorId> {
        match self.shared.ids {
            IdType::Uuid => Ok(OriginatorId::Uuid(row.try_get(index).map_err(map)?)),
            IdType::Text => Ok(OriginatorId::Text(row.try_get(index).map_err(map)?)),
        }
    }

    fn stored(&self, row: &PgRow, offset: usize) -> Result<StoredEvent> {
        Ok(StoredEvent {
            originator_id: self.read_id(row, offset)?,
            originator_version: version_from_db(row.try_get(offset + 1).map_err(map)?)?,
            topic: row.try_get(offset + 2).map_err(map)?,
            state: row.try_get(offset + 3).map_err(map)?,
        })
    }

    /// The wake-up signal of the store's LISTEN connection, which is started by the first
    /// subscription on a connection of its own (outside the pool, so that subscriptions
    /// never starve writers) and ends when the store and all subscriptions are gone.
    async fn listener(&self) -> Result<watch::Receiver<u64>> {
        let mut slot = self.shared.listener.lock().await;
        if let Some(woken) = &*slot {
            return Ok(woken.clone());
        }
        let options = self.shared.pool.connect_options().as_ref().clone();
        let pool = PgPoolOptions::new().max_connections(1).connect_lazy_with(options);
        let mut listener = PgListener::connect_with(&pool).await.map_err(map)?;
        listener.listen(&self.shared.sql.channel).await.map_err(map)?;
        let (wake, woken) = watch::channel(0_u64);
        tokio::spawn(async move {
            let mut count = 0_u64;
            loop {
                tokio::select! {
                    () = wake.closed() => break,
                    received = listener.recv() => {
                        if let Err(error) = received {
                            // sqlx reconnects on the next receive; subscriptions poll meanwhile.
                            tracing::warn!(%error, "PostgreSQL listener failed");
                            tokio::time::sleep(Duration::from_secs(1)).await;
                        }
                        count += 1;
                        wake.send_replace(count);
                    }
                }
            }
        });
        *slot = Some(woken.clone());
        Ok(woken)
    }

    /// Begins a transaction, retrying when no connection could be had, and takes the
    /// events table's lock if `locked`. Taking the lock inside the transaction means that
    /// a lock timeout, or a caller giving up, rolls the transaction back.
    async fn begin(&self, locked: bool) -> Result<Transaction<'static, Postgres>> {
        let mut tx = self.retrying("begin a transaction", || self.shared.pool.begin()).await?;
        if locked {
            // Built from validated names only.
            sqlx::raw_sql(AssertSqlSafe(self.shared.sql.lock.as_str())).execute(&mut *tx).await.map_err(map)?;
        }
        Ok(tx)
    }

    async fn write(&self, snapshots: bool, events: Vec<StoredEvent>, tracking: Option<Tracking>) -> Result<Vec<u64>> {
        let ids = self.id_array(events.iter().map(|e| &e.originator_id))?;
        let versions = events.iter().map(|e| version_to_db(e.originator_version)).collect::<Result<Vec<i64>>>()?;
        let topics: Vec<&str> = events.iter().map(|e| e.topic.as_str()).collect();
        let states: Vec<&[u8]> = events.iter().map(|e| e.state.as_slice()).collect();
        let sql = &self.shared.sql;
        let statement = if snapshots { &sql.insert_snapshots } else { &sql.insert_events };
        let query = sqlx::query(AssertSqlSafe(statement.as_str()));
        let query = match &ids {
            IdArray::Uuid(ids) => query.bind(ids),
            IdArray::Text(ids) => query.bind(ids),
        };
        let query = query.bind(&versions).bind(&topics).bind(&states);
        let primary_key = &sql.primary_key;
        if snapshots {
            // One statement is atomic on its own: no transaction, no lock.
            if !events.is_empty() {
                inserted(query.execute(&self.shared.pool).await, &events, &sql.snapshots_key)?;
            }
            return Ok(Vec::new());
        }
        let mut tx = self.begin(!events.is_empty()).await?;
        if let Some(tracking) = &tracking {
            self.insert_tracking(&mut tx, tracking).await?;
        }
        let mut notification_ids = Vec::with_capacity(events.len());
        if !events.is_empty() {
            for row in inserted(query.bind(&sql.channel).fetch_all(&mut *tx).await, &events, primary_key)? {
                notification_ids.push(version_from_db(row.try_get(0).map_err(map)?)?);
            }
        }
        tx.commit().await.map_err(map)?;
        Ok(notification_ids)
    }

    async fn insert_tracking(&self, tx: &mut Transaction<'static, Postgres>, tracking: &Tracking) -> Result<()> {
        let sql = &self.shared.sql;
        let advanced = sqlx::query(AssertSqlSafe(sql.insert_tracking.as_str()))
            .bind(&tracking.application_name)
            .bind(version_to_db(tracking.notification_id)?)
            .fetch_optional(&mut **tx)
            .await
            .map_err(map)?;
        if advanced.is_some() {
            return Ok(());
        }
        let recorded: Option<i64> = sqlx::query_scalar(AssertSqlSafe(sql.max_tracking.as_str()))
            .bind(&tracking.application_name)
            .fetch_optional(&mut **tx)
            .await
            .map_err(map)?;
        Err(tracking_conflict(tracking, recorded))
    }

    /// Runs `run` (a read, or the start of a transaction: nothing that may have been
    /// committed), retrying with back-off when the connection failed.
    async fn retrying<T, F, Fut>(&self, what: &str, run: F) -> Result<T>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = std::result::Result<T, sqlx::Error>>,
    {
        let mut attempt = 0;
        loop {
            match run().await {
                Ok(value) => return Ok(value),
                Err(error) if is_transient(&error) && attempt + 1 < ATTEMPTS => {
                    attempt += 1;
                    tracing::warn!(%error, attempt, "retrying to {what} in PostgreSQL");
                    tokio::time::sleep(Duration::from_millis(100) * 2_u32.pow(attempt)).await;
                }
                Err(error) => return Err(map(error)),
            }
        }
    }

    async fn select(
        &self,
        snapshots: bool,
        originator_id: &OriginatorId,
        query: EventQuery,
    ) -> Result<Vec<StoredEvent>> {
        let sql = &self.shared.sql;
        let mut text = String::from(if snapshots { &sql.select_snapshots } else { &sql.select_events });
        let mut n = 1;
        if query.gt.is_some() {
            n += 1;
            let _ = write!(text, " AND originator_version > ${n}");
        }
        if query.lte.is_some() {
            n += 1;
            let _ = write!(text, " AND originator_version <= ${n}");
        }
        text.push_str(if query.desc { " ORDER BY originator_version DESC" } else { " ORDER BY originator_version" });
        if query.limit.is_some() {
            n += 1;
            let _ = write!(text, " LIMIT ${n}");
        }
        let ids = self.id_array(std::iter::once(originator_id))?;
        let text = Arc::<str>::from(text);
        let rows = self
            .retrying("select events", || {
                // Built from validated names and constant fragments only.
                let select = sqlx::query(AssertSqlSafe(text.clone()));
                let mut select = match &ids {
                    IdArray::Uuid(ids) => select.bind(ids[0]),
                    IdArray::Text(ids) => select.bind(ids[0].clone()),
                };
                if let Some(gt) = query.gt {
                    select = select.bind(i64::try_from(gt).unwrap_or(i64::MAX));
                }
                if let Some(lte) = query.lte {
                    select = select.bind(i64::try_from(lte).unwrap_or(i64::MAX));
                }
                if let Some(limit) = query.limit {
                    select = select.bind(i64::try_from(limit).unwrap_or(i64::MAX));
                }
                select.fetch_all(&self.shared.pool)
            })
            .await?;
        rows.iter().map(|row| self.stored(row, 0)).collect()
    }
}

/// The result of an insert: a violation of the primary key `primary_key` is the version
/// conflict it stands for; any other clash (a notification id already taken, when the
/// sequence is behind the table) is not.
fn inserted<T>(result: std::result::Result<T, sqlx::Error>, events: &[StoredEvent], primary_key: &str) -> Result<T> {
    match result {
        Err(error) if is_unique_violation(&error) => {
            let constraint = match &error {
                sqlx::Error::Database(db) => db.constraint().map(str::to_owned),
                _ => None,
            };
            if constraint.as_deref().is_none_or(|c| c == primary_key) {
                Err(conflict(&error, events))
            } else {
                Err(PersistenceError::Data {
                    message: format!("{error} (is the notification id sequence behind the table?)"),
                })
            }
        }
        other => other.map_err(map),
    }
}

/// The conflict a unique violation stands for, naming the event from the error's detail
/// (`Key (originator_id, originator_version)=(…, 3) already exists.`) when it can.
fn conflict(error: &sqlx::Error, events: &[StoredEvent]) -> PersistenceError {
    let detail = match error {
        sqlx::Error::Database(db) => {
            db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>().and_then(|pg| pg.detail()).map(str::to_owned)
        }
        _ => None,
    };
    let named = detail.as_deref().and_then(|detail| {
        let values = detail.split("=(").nth(1)?.split(')').next()?;
        let (id, version) = values.rsplit_once(", ")?;
        let version: u64 = version.trim().parse().ok()?;
        events.iter().find(|e| e.originator_version == version && id_matches(&e.originator_id, id.trim()))
    });
    let event = named.or(events.first());
    match event {
        Some(event) => PersistenceError::Conflict {
            originator_id: event.originator_id.clone(),
            originator_version: event.originator_version,
        },
        None => map_unique(error),
    }
}

fn id_matches(id: &OriginatorId, text: &str) -> bool {
    match id {
        OriginatorId::Uuid(id) => Uuid::try_parse(text).is_ok_and(|t| t == *id),
        OriginatorId::Text(id) => id == text,
    }
}

fn map_unique(error: &sqlx::Error) -> PersistenceError {
    PersistenceError::Other { message: error.to_string() }
}

/// Events, notifications and tracking positions.
#[derive(Debug, Clone)]
pub struct PostgresApplicationRecorder {
    store: PostgresStore,
}

/// Snapshots.
#[derive(Debug, Clone)]
pub struct PostgresSnapshotRecorder {
    store: PostgresStore,
}

impl AggregateRecorder for PostgresSnapshotRecorder {
    async fn insert_events(&self, events: Vec<StoredEvent>) -> Result<Vec<u64>> {
        self.store.write(true, events, None).await
    }

    async fn select_events(&self, originator_id: &OriginatorId, query: EventQuery) -> Result<Vec<StoredEvent>> {
        self.store.select(true, originator_id, query).await
    }
}

impl AggregateRecorder for PostgresApplicationRecorder {
    async fn insert_events(&self, events: Vec<StoredEvent>) -> Result<Vec<u64>> {
        self.store.write(false, events, None).await
    }

    async fn select_events(&self, originator_id: &OriginatorId, query: EventQuery) -> Result<Vec<StoredEvent>> {
        self.store.select(false, originator_id, query).await
    }
}

impl ApplicationRecorder for PostgresApplicationRecorder {
    async fn select_notifications(&self, query: NotificationQuery) -> Result<Vec<Notification>> {
        let store = &self.store;
        let first = i64::try_from(query.first_id()).unwrap_or(i64::MAX);
        let stop = query.stop.map(|stop| i64::try_from(stop).unwrap_or(i64::MAX));
        let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
        let rows = store
            .retrying("select notifications", || {
                sqlx::query(AssertSqlSafe(store.shared.sql.select_notifications.as_str()))
                    .bind(first)
                    .bind(stop)
                    .bind(&query.topics)
                    .bind(limit)
                    .fetch_all(&store.shared.pool)
            })
            .await?;
        rows.iter()
            .map(|row| {
                Ok(Notification { id: version_from_db(row.try_get(0).map_err(map)?)?, event: store.stored(row, 1)? })
            })
            .collect()
    }

    async fn max_notification_id(&self) -> Result<Option<u64>> {
        let store = &self.store;
        let max: Option<i64> = store
            .retrying("read the largest notification id", || {
                sqlx::query_scalar(AssertSqlSafe(store.shared.sql.max_notification.as_str()))
                    .fetch_one(&store.shared.pool)
            })
            .await?;
        max.map(version_from_db).transpose()
    }

    async fn subscribe(&self, gt: Option<u64>, topics: Vec<String>) -> Result<Subscription> {
        let woken = self.store.listener().await?;
        Ok(follow(self.clone(), gt, topics, woken, Some(self.store.shared.poll)))
    }
}

impl TrackingRecorder for PostgresApplicationRecorder {
    async fn insert_tracking(&self, tracking: Tracking) -> Result<()> {
        self.store.write(false, Vec::new(), Some(tracking)).await.map(drop)
    }

    async fn max_tracking_id(&self, application_name: &str) -> Result<Option<u64>> {
        let store = &self.store;
        let max: Option<i64> = store
            .retrying("read a tracking position", || {
                sqlx::query_scalar(AssertSqlSafe(store.shared.sql.max_tracking.as_str()))
                    .bind(application_name)
                    .fetch_optional(&store.shared.pool)
            })
            .await?;
        max.map(version_from_db).transpose()
    }
}

impl ProcessRecorder for PostgresApplicationRecorder {
    async fn insert_events_with_tracking(
        &self,
        events: Vec<StoredEvent>,
        tracking: Option<Tracking>,
    ) -> Result<Vec<u64>> {
        self.store.write(false, events, tracking).await
    }
}
