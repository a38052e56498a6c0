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
//! A batch of events is one call of a function made with the tables
//! (`<name>_events_write_v1`): it takes the table's `EXCLUSIVE` lock, records the tracking
//! position if any, inserts the events (arrays through `unnest`) and notifies, all in the
//! call's one transaction and one round trip. Saves made while another is in flight wait
//! and are then written together, sharing a commit. (Tables made without the function, by
//! an earlier version with `CREATE_TABLE=no`, are written in a transaction of several
//! statements.) Readers do not wait for the lock, and notification ids become visible in
//! the order they were assigned: a reader that has seen id N never later finds a
//! committed id ≤ N. (Giving ids late, under an advisory lock
//! just before commit, lets inserts run in parallel but measures slower;
//! `benches/postgres_ordering` compares the two.) Each commit sends a notification on a
//! channel named after the events table, which wakes subscriptions in any process.

use std::fmt::Write as _;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use eventsourcing_core::environment::{ConfigError, Environment};
use eventsourcing_core::persistence::{
    AggregateRecorder, ApplicationRecorder, EventQuery, IdType, Notification, NotificationQuery, OriginatorId,
    PersistenceError, ProcessRecorder, Result, StoredEvent, Subscription, Tracking, TrackingRecorder, follow,
};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{AssertSqlSafe, Postgres, Row, Transaction};
use tokio::sync::{oneshot, watch};
use uuid::Uuid;

use crate::error::{is_unique_violation, map, map_ref, tracking_conflict};
use crate::ids::{text_in_uuid_store, version_from_db, version_to_db};
use crate::limits::{CONNECTIONS, MAX_CONNECTIONS, MAX_TIMEOUT, check_count, check_duration};
use crate::names::identifier;
use crate::reconnect::{ATTEMPTS, Losses, listen, listening, probe, retry_delay};

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
    /// at most [`MAX_TIMEOUT`]).
    pub lock_timeout: Duration,
    /// Connections kept (`POSTGRES_POOL_SIZE`, default 5). With the overflow, from 1 to
    /// [`MAX_CONNECTIONS`] connections in all.
    pub pool_size: u32,
    /// Connections allowed beyond the pool size (`POSTGRES_MAX_OVERFLOW`, default 10).
    pub max_overflow: u32,
    /// How long to wait for a connection (`POSTGRES_CONNECT_TIMEOUT`, default 30 s; more
    /// than zero, at most [`MAX_TIMEOUT`]).
    pub connect_timeout: Duration,
    /// How long a connection lives (`POSTGRES_CONN_MAX_AGE`, default an hour; more than
    /// zero, at most [`MAX_TIMEOUT`]).
    pub max_age: Duration,
    /// Whether to check every connection before using it (`POSTGRES_PRE_PING`, default
    /// no).
    ///
    /// Off by default because the store no longer needs it to get over connections the
    /// server ended: a call that meets a lost connection is retried when that is safe,
    /// and after a loss the pool pings only the connections that were idle since. Pre-ping adds a round trip to every call, always: measured
    /// on a local server (loopback, two shared cores, 380 calls each, medians of three
    /// runs), small reads took 218, 223 and 248 µs without it and 233, 252 and 295 µs with
    /// it (7 to 19% slower), while single-event saves, dominated by the commit's flush,
    /// were within noise (2.8/0.74/1.0 ms against 2.0/0.77/0.94 ms). Over a network the
    /// added round trip is the network's latency on every call. What it still saves is
    /// one failed attempt, and its immediate retry, for the first call after a loss; a
    /// connection can die between the ping and its use anyway. Not used by
    /// [`PostgresStore::with_pool`], whose pool has its own setting.
    pub pre_ping: bool,
    /// How often a subscription looks for new events without being woken, if at all (by
    /// default never). LISTEN/NOTIFY wakes subscriptions on every commit, in any process,
    /// and after the LISTEN connection has been lost and made again. Set it for a server
    /// whose notifications do not arrive: behind a connection pooler in transaction mode,
    /// which does not keep a LISTEN.
    pub poll_interval: Option<Duration>,
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
            max_age: Duration::from_hours(1),
            // Lost connections are handled without it; see the field's documentation.
            pre_ping: false,
            poll_interval: None,
        }
    }

    /// Options from the environment for the application called `name`, with Python's
    /// variable names: `POSTGRES_URL` or `POSTGRES_HOST`, `POSTGRES_PORT`, `POSTGRES_USER`,
    /// `POSTGRES_PASSWORD` and `POSTGRES_DBNAME` (unless `url` is given), then
    /// `POSTGRES_SCHEMA`, `POSTGRES_LOCK_TIMEOUT`, `POSTGRES_CONNECT_TIMEOUT`,
    /// `POSTGRES_CONN_MAX_AGE`, `POSTGRES_PRE_PING`, `POSTGRES_POOL_SIZE`,
    /// `POSTGRES_MAX_OVERFLOW`, `CREATE_TABLE` and `ORIGINATOR_ID_TYPE`.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the variable that is missing, or whose value cannot be
    /// used or is out of its range.
    pub fn from_env(env: &Environment, name: &str, url: Option<&str>) -> std::result::Result<Self, ConfigError> {
        let url = url.or_else(|| env.get("POSTGRES_URL"));
        let connect = if let Some(url) = url {
            url.parse::<PgConnectOptions>().map_err(|e| ConfigError::Invalid {
                variable: "POSTGRES_URL".into(),
                value: "(hidden)".into(),
                expected: format!("a postgres:// URL ({e})"),
            })?
        } else {
            let port = env.get_count("POSTGRES_PORT", 1..=u32::from(u16::MAX))?.unwrap_or(5432);
            let mut connect = PgConnectOptions::new()
                .host(required(env, "POSTGRES_HOST")?)
                .port(u16::try_from(port).unwrap_or(u16::MAX))
                .username(required(env, "POSTGRES_USER")?)
                .database(required(env, "POSTGRES_DBNAME")?);
            if let Some(password) = env.get("POSTGRES_PASSWORD") {
                connect = connect.password(password);
            }
            connect
        };
        let mut options = PostgresOptions::new(connect, name);
        if let Some(schema) = env.get("POSTGRES_SCHEMA").filter(|s| !s.trim().is_empty()) {
            schema.trim().clone_into(&mut options.schema);
        }
        options.id_type = IdType::from_env(env)?;
        options.create_tables = env.get_bool("CREATE_TABLE")?.unwrap_or(true);
        options.lock_timeout = env.get_seconds("POSTGRES_LOCK_TIMEOUT", options.lock_timeout, MAX_TIMEOUT, false)?;
        options.connect_timeout =
            env.get_seconds("POSTGRES_CONNECT_TIMEOUT", options.connect_timeout, MAX_TIMEOUT, true)?;
        options.max_age = env.get_seconds("POSTGRES_CONN_MAX_AGE", options.max_age, MAX_TIMEOUT, true)?;
        options.pre_ping = env.get_bool("POSTGRES_PRE_PING")?.unwrap_or(options.pre_ping);
        if let Some(size) = env.get_count("POSTGRES_POOL_SIZE", 0..=MAX_CONNECTIONS)? {
            options.pool_size = size;
        }
        if let Some(overflow) = env.get_count("POSTGRES_MAX_OVERFLOW", 0..=MAX_CONNECTIONS)? {
            options.max_overflow = overflow;
        }
        let connections = options.pool_size + options.max_overflow;
        if !CONNECTIONS.contains(&connections) {
            let (variable, value) = env
                .lookup("POSTGRES_MAX_OVERFLOW")
                .or_else(|| env.lookup("POSTGRES_POOL_SIZE"))
                .map(|(variable, value)| (variable, value.to_owned()))
                .unwrap_or_default();
            return Err(ConfigError::Invalid {
                variable,
                value,
                expected: format!(
                    "a pool of 1 to {MAX_CONNECTIONS} connections in all: POSTGRES_POOL_SIZE is {} and POSTGRES_MAX_OVERFLOW {}",
                    options.pool_size, options.max_overflow
                ),
            });
        }
        Ok(options)
    }

    /// Checks the settings against their ranges.
    ///
    /// # Errors
    /// [`PersistenceError::Configuration`] naming the setting.
    pub fn check(&self) -> Result<()> {
        check_duration("the PostgreSQL lock timeout", self.lock_timeout, false)?;
        check_duration("the PostgreSQL connect timeout", self.connect_timeout, true)?;
        check_duration("the PostgreSQL connection age", self.max_age, true)?;
        if let Some(interval) = self.poll_interval {
            check_duration("the PostgreSQL poll interval", interval, true)?;
        }
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
        let connect = PgConnectOptions::from_str(url).map_err(|e| PersistenceError::Configuration {
            message: format!("invalid PostgreSQL URL: {e}"),
            source: None,
        })?;
        Ok(Self::new(connect, name))
    }
}

/// The value of a variable that PostgreSQL's settings need.
fn required<'a>(env: &'a Environment, key: &str) -> std::result::Result<&'a str, ConfigError> {
    env.get(key).ok_or_else(|| ConfigError::Missing {
        variable: key.into(),
        reason:
            "PERSISTENCE_MODULE is postgres: give POSTGRES_DBNAME, POSTGRES_HOST and POSTGRES_USER (or POSTGRES_URL)"
                .into(),
    })
}

#[derive(Debug)]
struct Sql {
    /// The events table, qualified and quoted.
    events: String,
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
    /// The function that writes events in one round trip, with its signature (for
    /// `to_regprocedure`) and the statement that makes it; `None` if its name would be
    /// too long, and events are then written in a transaction of several statements.
    write_function: Option<WriteFunction>,
    /// The lock timeout the function sets (`250ms`), or empty for none.
    lock_timeout: String,
    /// The rows stored at a batch's ids and versions, to resolve a write cut off midway.
    select_written: String,
    insert_tracking: String,
    max_tracking: String,
}

/// The server-side function that writes a batch of events in one round trip: it takes the
/// table lock, records the tracking position (if any), inserts the events and notifies, in
/// the one transaction of the statement that calls it. Its name carries a version, so that
/// a later change makes a new function beside the old one.
#[derive(Debug)]
struct WriteFunction {
    /// `<schema>.<events table>_write_v1(<argument types>)`, for `to_regprocedure`.
    signature: String,
    create: String,
    call: String,
}

/// The SQLSTATE by which the function refuses a tracking position that is not beyond the
/// recorded one; the error's detail is the recorded position.
const TRACKING_REFUSED: &str = "ES409";

impl WriteFunction {
    fn new(schema: &str, events_bare: &str, id_type: &str, events: &str, tracking: &str) -> Option<Self> {
        let name = format!("{schema}.{}", identifier(&format!("{events_bare}_write_v1"), "the function").ok()?);
        let arguments = format!("{id_type}[], bigint[], text[], bytea[], text, text, text, bigint");
        Some(WriteFunction {
            signature: format!("{name}({arguments})"),
            create: format!(
                "CREATE OR REPLACE FUNCTION {name}(ids {id_type}[], versions bigint[], topics text[], states bytea[], \
                 channel text, lock_timeout text, tracking_name text, tracking_id bigint) \
                 RETURNS SETOF bigint LANGUAGE plpgsql AS $write$ \
                 DECLARE recorded bigint; \
                 BEGIN \
                   IF lock_timeout <> '' THEN PERFORM set_config('lock_timeout', lock_timeout, true); END IF; \
                   LOCK TABLE {events} IN EXCLUSIVE MODE; \
                   IF tracking_name IS NOT NULL THEN \
                     INSERT INTO {tracking} AS t (application_name, notification_id) VALUES (tracking_name, tracking_id) \
                       ON CONFLICT (application_name) DO UPDATE SET notification_id = EXCLUDED.notification_id \
                       WHERE t.notification_id < EXCLUDED.notification_id; \
                     IF NOT FOUND THEN \
                       SELECT t.notification_id INTO recorded FROM {tracking} t WHERE t.application_name = tracking_name; \
                       RAISE EXCEPTION 'the tracking position is not beyond the recorded one' \
                         USING ERRCODE = '{TRACKING_REFUSED}', DETAIL = coalesce(recorded::text, ''); \
                     END IF; \
                   END IF; \
                   RETURN QUERY WITH new AS (INSERT INTO {events} (originator_id, originator_version, topic, state) \
                       SELECT * FROM unnest(ids, versions, topics, states) RETURNING notification_id) \
                     SELECT new.notification_id FROM new ORDER BY new.notification_id; \
                   PERFORM pg_notify(channel, ''); \
                 END $write$"
            ),
            call: format!("SELECT * FROM {name}($1, $2, $3, $4, $5, $6, $7, $8)"),
        })
    }
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
        // Python's channel: the events table's name, in any schema, so that Python's
        // applications and these wake each other's subscriptions. Applications of one name
        // in two schemas of a database wake each other too, and then find nothing new.
        let channel = events_bare.clone();
        let columns = "originator_id, originator_version, topic, state";
        // A timeout below a millisecond still times out (zero would mean never).
        let lock_ms = if options.lock_timeout.is_zero() {
            0
        } else {
            i64::try_from(options.lock_timeout.as_millis().max(1)).unwrap_or(i64::MAX)
        };
        let unnest = format!("SELECT * FROM unnest($1::{id_type}[], $2::bigint[], $3::text[], $4::bytea[])");
        Ok(Sql {
            events: events.clone(),
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
                let timeout =
                    if lock_ms == 0 { String::new() } else { format!(" SET LOCAL lock_timeout = '{lock_ms}ms';") };
                format!(
                    "SET LOCAL idle_in_transaction_session_timeout = '5s';{timeout} LOCK TABLE {events} IN EXCLUSIVE MODE"
                )
            },
            primary_key: format!("{events_bare}_pkey"),
            snapshots_key: format!("{}_snapshots_pkey", options.prefix),
            channel: {
                identifier(&channel, "the notification channel (the events table's name)")?;
                channel
            },
            // The notification rides in the insert: one statement, one round trip.
            insert_events: format!(
                "WITH new AS (INSERT INTO {events} ({columns}) {unnest} RETURNING notification_id), \
                 notified AS (SELECT pg_notify($5, '')) \
                 SELECT new.notification_id FROM new, notified ORDER BY new.notification_id"
            ),
            insert_snapshots: format!("INSERT INTO {snapshots} ({columns}) {unnest}"),
            // The id is the one asked for: not read back.
            select_events: format!("SELECT originator_version, topic, state FROM {events} WHERE originator_id = $1"),
            select_snapshots: format!(
                "SELECT originator_version, topic, state FROM {snapshots} WHERE originator_id = $1"
            ),
            select_notifications: format!(
                "SELECT notification_id, {columns} FROM {events} WHERE notification_id >= $1 \
                 AND ($2::bigint IS NULL OR notification_id <= $2) \
                 AND (cardinality($3::text[]) = 0 OR topic = ANY($3)) ORDER BY notification_id LIMIT $4"
            ),
            max_notification: format!("SELECT MAX(notification_id) FROM {events}"),
            write_function: WriteFunction::new(&schema, &events_bare, id_type, &events, &tracking),
            lock_timeout: if lock_ms == 0 { String::new() } else { format!("{lock_ms}ms") },
            select_written: format!(
                "SELECT originator_id, originator_version, state, notification_id FROM {events} \
                 WHERE (originator_id, originator_version) IN (SELECT * FROM unnest($1::{id_type}[], $2::bigint[]))"
            ),
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
    poll: Option<Duration>,
    /// Whether the database has the write function (made with the tables; an older
    /// database, with `CREATE_TABLE=no`, may not).
    one_trip: bool,
    /// Batches of events waiting to be written together (see
    /// [`PostgresStore::write_together`]).
    queue: std::sync::Mutex<Queue>,
    /// Held while such a write is in flight.
    writing: Arc<tokio::sync::Mutex<()>>,
    /// Woken by the store's one LISTEN connection, started by the first subscription.
    listener: tokio::sync::Mutex<Option<watch::Receiver<u64>>>,
    /// When a connection was last lost, so that the pool checks the idle ones.
    losses: Arc<Losses>,
}

/// The ids of a batch, bound as one array of the column's type.
enum IdArray {
    Uuid(Vec<Uuid>),
    Text(Vec<String>),
}

impl IdArray {
    /// The ids as the store reads them back.
    fn ids(&self) -> Vec<OriginatorId> {
        match self {
            IdArray::Uuid(ids) => ids.iter().copied().map(OriginatorId::Uuid).collect(),
            IdArray::Text(ids) => ids.iter().cloned().map(OriginatorId::Text).collect(),
        }
    }
}

/// Why a tracking position was not written.
enum Tracked {
    /// The database failed.
    Sql(sqlx::Error),
    /// It was refused: not beyond the recorded position, or out of range.
    Refused(PersistenceError),
}

/// A copy, for another batch of a shared write, of an error about the write as a whole
/// (the connection, the lock, the tables, an unknown outcome): each caller gets it at once,
/// rather than each waiting for it again alone. `None` for an error that may be about one
/// batch.
fn about_the_write(error: &PersistenceError) -> Option<PersistenceError> {
    let message = match error {
        PersistenceError::Connection { message, .. }
        | PersistenceError::CommitOutcomeUnknown { message, .. }
        | PersistenceError::LockTimeout { message, .. }
        | PersistenceError::MissingTable { message, .. }
        | PersistenceError::Configuration { message, .. } => message.clone(),
        _ => return None,
    };
    Some(match error {
        PersistenceError::Connection { .. } => PersistenceError::Connection { message, source: None },
        PersistenceError::CommitOutcomeUnknown { .. } => {
            PersistenceError::CommitOutcomeUnknown { message, source: None }
        }
        PersistenceError::LockTimeout { .. } => PersistenceError::LockTimeout { message, source: None },
        PersistenceError::MissingTable { .. } => PersistenceError::MissingTable { message, source: None },
        _ => PersistenceError::Configuration { message, source: None },
    })
}

/// The outcome of a batch whose write ended without one (its task panicked).
fn abandoned() -> PersistenceError {
    PersistenceError::Other { message: "the write of these events was abandoned".into(), source: None }
}

/// Batches of events waiting for the write in flight.
#[derive(Debug, Default)]
struct Queue {
    batches: Vec<Batch>,
    /// The ticket of the next batch.
    next: u64,
}

/// One caller's events, and where its outcome goes.
#[derive(Debug)]
struct Batch {
    ticket: u64,
    events: Vec<StoredEvent>,
    done: oneshot::Sender<Result<Vec<u64>>>,
}

/// A batch in the queue, taken out again if its caller gives up before a write takes it.
struct Queued<'q> {
    queue: &'q std::sync::Mutex<Queue>,
    ticket: u64,
}

impl<'q> Queued<'q> {
    fn push(
        queue: &'q std::sync::Mutex<Queue>,
        events: Vec<StoredEvent>,
        done: oneshot::Sender<Result<Vec<u64>>>,
    ) -> Self {
        let mut guard = lock(queue);
        let ticket = guard.next;
        guard.next += 1;
        guard.batches.push(Batch { ticket, events, done });
        Queued { queue, ticket }
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        lock(self.queue).batches.retain(|batch| batch.ticket != self.ticket);
    }
}

/// The queue, whatever a panicking holder left in it (it holds no invariant a panic breaks).
fn lock(queue: &std::sync::Mutex<Queue>) -> std::sync::MutexGuard<'_, Queue> {
    queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// How one attempt at a write ended, when it did not succeed.
enum Failed {
    /// The connection was lost before `COMMIT` was sent: the transaction rolled back, and
    /// the write may be made again.
    BeforeCommit(sqlx::Error),
    /// The connection was lost once the write was sent, while committing or before the
    /// answer came: it may or may not be stored.
    Unknown(sqlx::Error),
    /// Anything else (a conflict, bad data): final.
    Final(PersistenceError),
}

impl PostgresStore {
    /// Connects (and, if asked, creates the schema and tables).
    ///
    /// The first connection is made at once, outside the pool, so that a server that
    /// cannot be reached is reported within the connect timeout with its address and the
    /// cause (for example, connection refused) rather than as a pool timeout.
    ///
    /// # Errors
    /// [`PersistenceError::Connection`] naming the server's address if it cannot be
    /// reached; [`PersistenceError`] if the names are invalid or the tables cannot be
    /// created.
    pub async fn open(options: PostgresOptions) -> Result<Self> {
        options.check()?;
        let connect = options.connect.clone().options([("idle_in_transaction_session_timeout", "5000")]);
        probe(&connect, options.connect_timeout).await?;
        let losses = Arc::new(Losses::default());
        let pool = PgPoolOptions::new()
            .max_connections(options.pool_size.saturating_add(options.max_overflow).max(1))
            .acquire_timeout(options.connect_timeout)
            .max_lifetime(Some(options.max_age))
            .test_before_acquire(options.pre_ping)
            .before_acquire(losses.before_acquire())
            .connect_lazy_with(connect);
        Self::build(pool, options, losses).await
    }

    /// Uses an existing pool.
    ///
    /// Lost connections are retried as with [`PostgresStore::open`], but idle connections
    /// are checked only as the pool's own options say (sqlx's `test_before_acquire`, on by
    /// default): without it, each connection the server ended fails one call.
    ///
    /// # Errors
    /// As [`PostgresStore::open`].
    pub async fn with_pool(pool: PgPool, options: PostgresOptions) -> Result<Self> {
        options.check()?;
        Self::build(pool, options, Arc::default()).await
    }

    async fn build(pool: PgPool, options: PostgresOptions, losses: Arc<Losses>) -> Result<Self> {
        let sql = Sql::new(&options)?;
        let one_trip = if options.create_tables {
            create_tables(&pool, &sql).await?
        } else if let Some(function) = &sql.write_function {
            has_function(&pool, function).await?
        } else {
            false
        };
        if !one_trip {
            tracing::info!(
                table = %sql.events,
                "the database has no write function for these tables (made with CREATE_TABLE=yes): \
                 events are written in a transaction of several round trips"
            );
        }
        let store = PostgresStore {
            shared: Arc::new(Shared {
                pool,
                sql,
                ids: options.id_type,
                poll: options.poll_interval,
                one_trip,
                queue: std::sync::Mutex::default(),
                writing: Arc::default(),
                listener: tokio::sync::Mutex::new(None),
                losses,
            }),
        };
        store.check_id_columns(&options).await?;
        Ok(store)
    }

    /// Checks that existing tables keep ids as `ORIGINATOR_ID_TYPE` says: a table made
    /// with the other type fails every write later with a confusing driver error.
    async fn check_id_columns(&self, options: &PostgresOptions) -> Result<()> {
        let tables: Vec<String> = ["events", "snapshots"].iter().map(|t| format!("{}_{t}", options.prefix)).collect();
        let found: Vec<(String, String)> = sqlx::query_as(
            "SELECT table_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = $1 AND table_name = ANY($2) AND column_name = 'originator_id'",
        )
        .bind(&options.schema)
        .bind(&tables)
        .fetch_all(&self.shared.pool)
        .await
        .map_err(map)?;
        let (configured, other) = match options.id_type {
            IdType::Uuid => ("uuid", "text"),
            IdType::Text => ("text", "uuid"),
        };
        let Some((table, _)) = found.iter().find(|(_, data_type)| data_type == other) else { return Ok(()) };
        let qualified: Vec<String> = ["events", "snapshots", "tracking"]
            .iter()
            .map(|t| format!("{}.{}_{t}", options.schema, options.prefix))
            .collect();
        Err(PersistenceError::Configuration {
            message: format!(
                "the table {}.{table} keeps originator_id as {other}, but ORIGINATOR_ID_TYPE is {configured}: \
                 set ORIGINATOR_ID_TYPE={other} to use the tables as they are, or, if what they hold may go, \
                 `DROP TABLE {}` to have them made again with {configured} ids",
                options.schema,
                qualified.join(", ")
            ),
            source: None,
        })
    }

    /// Creates the schema, tables, index and write function if missing. Safe to run from
    /// several processes at once. (A store opened before the function existed goes on
    /// writing in a transaction of several statements; one opened after uses it.)
    ///
    /// # Errors
    /// [`PersistenceError`] from the database.
    pub async fn create_tables(&self) -> Result<()> {
        create_tables(&self.shared.pool, &self.shared.sql).await.map(drop)
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
            // Unchecked, as in `select`.
            topic: row.try_get_unchecked(offset + 2).map_err(map)?,
            state: row.try_get_unchecked(offset + 3).map_err(map)?,
        })
    }

    /// The wake-up signal of the store's LISTEN connection, which is started by the first
    /// subscription on a connection of its own (outside the pool, so that subscriptions
    /// never starve writers) and ends when the store and all subscriptions are gone. If
    /// that connection is lost, it is made again, and once it listens, subscriptions are
    /// woken to look for what they may have missed.
    async fn listener(&self) -> Result<watch::Receiver<u64>> {
        let mut slot = self.shared.listener.lock().await;
        if let Some(woken) = &*slot {
            return Ok(woken.clone());
        }
        let options = self.shared.pool.connect_options().as_ref().clone();
        let pool = PgPoolOptions::new().max_connections(1).connect_lazy_with(options);
        let channel = self.shared.sql.channel.clone();
        let listener = listening(&pool, &channel).await.map_err(map)?;
        let (wake, woken) = watch::channel(0_u64);
        tokio::spawn(listen(pool, channel, listener, wake));
        *slot = Some(woken.clone());
        Ok(woken)
    }

    /// Writes events (or snapshots) and a tracking position.
    ///
    /// Events go through the write function, in one round trip, when the database has it;
    /// otherwise (and for a tracking position alone) through a transaction of several
    /// statements. A lost connection is retried when the write provably did not take
    /// effect. When it is lost after the write was sent, the outcome is resolved (see
    /// [`PostgresStore::resolve_commit`]) rather than guessed.
    async fn write(&self, snapshots: bool, events: &[StoredEvent], tracking: Option<&Tracking>) -> Result<Vec<u64>> {
        let ids = self.id_array(events.iter().map(|e| &e.originator_id))?;
        let versions = events.iter().map(|e| version_to_db(e.originator_version)).collect::<Result<Vec<i64>>>()?;
        let topics: Vec<&str> = events.iter().map(|e| e.topic.as_str()).collect();
        let states: Vec<&[u8]> = events.iter().map(|e| e.state.as_slice()).collect();
        let sql = &self.shared.sql;
        let bind = |statement| batch(statement, &ids, &versions, &topics, &states);
        if snapshots {
            if events.is_empty() {
                return Ok(Vec::new());
            }
            // One statement is atomic on its own: no transaction, no lock.
            let insert = || bind(sql.insert_snapshots.as_str()).execute(&self.shared.pool);
            return self.write_snapshots(events, insert).await.map(|()| Vec::new());
        }
        let position = tracking.map(|t| version_to_db(t.notification_id)).transpose()?;
        let function = sql.write_function.as_ref().filter(|_| self.shared.one_trip && !events.is_empty());
        let mut attempt = 0;
        loop {
            attempt += 1;
            let written = match function {
                Some(function) => {
                    let call = bind(function.call.as_str())
                        .bind(&sql.channel)
                        .bind(&sql.lock_timeout)
                        .bind(tracking.map(|t| t.application_name.as_str()))
                        .bind(position);
                    self.call(events, tracking, call).await
                }
                None => self.transact(events, tracking, bind(sql.insert_events.as_str()).bind(&sql.channel)).await,
            };
            let error = match written {
                Ok(notification_ids) => return notification_ids.into_iter().map(version_from_db).collect(),
                Err(Failed::Final(error)) => return Err(error),
                Err(Failed::BeforeCommit(error)) => error,
                Err(Failed::Unknown(error)) => {
                    match self.resolve_commit(&error, events, &ids, &versions, tracking).await? {
                        Some(notification_ids) => return notification_ids.into_iter().map(version_from_db).collect(),
                        None => error,
                    }
                }
            };
            if attempt >= ATTEMPTS {
                return Err(map(error));
            }
            tracing::warn!(%error, attempt, "connection lost before commit; writing again to PostgreSQL");
            tokio::time::sleep(retry_delay(attempt)).await;
        }
    }

    /// Writes events without a tracking position, together with those of other callers
    /// that wait meanwhile: while one write is in flight, the batches saved in the
    /// meantime queue, and the next write takes all of them in one transaction (in the
    /// order they came, each keeping its events together). Writers then share commits,
    /// so that throughput grows with them where each would otherwise wait its turn for
    /// the table lock and a flush of its own.
    ///
    /// Each caller gets its own outcome. A write of several batches that fails (one of
    /// them conflicts, say) wrote nothing, and the batches are then written one by one.
    /// The write runs in a task of its own, so that a caller that gives up does not
    /// abandon the others' batches; a batch still queued when its caller gives up is
    /// taken out.
    async fn write_together(&self, events: Vec<StoredEvent>) -> Result<Vec<u64>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let (done, mut outcome) = oneshot::channel();
        let queued = Queued::push(&self.shared.queue, events, done);
        // The batch may be written by the write that takes the lock next: then its outcome
        // comes first.
        let writing = tokio::select! {
            biased;
            outcome = &mut outcome => return outcome.unwrap_or_else(|_| Err(abandoned())),
            writing = self.shared.writing.clone().lock_owned() => writing,
        };
        let batches = std::mem::take(&mut lock(&self.shared.queue).batches);
        drop(queued);
        if !batches.is_empty() {
            let store = self.clone();
            let written = tokio::spawn(async move {
                store.write_batches(batches).await;
                drop(writing);
            });
            // A panic in the task drops the senders: reported below.
            let _ = written.await;
        }
        outcome.await.unwrap_or_else(|_| Err(abandoned()))
    }

    /// Writes queued batches in one transaction, or one by one if that fails.
    async fn write_batches(&self, mut batches: Vec<Batch>) {
        if batches.len() == 1
            && let Some(batch) = batches.pop()
        {
            let outcome = self.write(false, &batch.events, None).await;
            let _ = batch.done.send(outcome);
            return;
        }
        let events: Vec<StoredEvent> = batches.iter().flat_map(|b| b.events.iter().cloned()).collect();
        match self.write(false, &events, None).await {
            Ok(notification_ids) => {
                let mut rest = notification_ids.as_slice();
                for batch in batches {
                    let (ids, after) = rest.split_at(batch.events.len().min(rest.len()));
                    rest = after;
                    let _ = batch.done.send(Ok(ids.to_vec()));
                }
            }
            // About the write as a whole: every batch gets it (the first with its source).
            Err(error) if about_the_write(&error).is_some() => {
                let mut batches = batches.into_iter();
                let first = batches.next();
                for batch in batches {
                    if let Some(copy) = about_the_write(&error) {
                        let _ = batch.done.send(Err(copy));
                    }
                }
                if let Some(first) = first {
                    let _ = first.done.send(Err(error));
                }
            }
            // Perhaps about one batch (a conflict, bad data), and known not to have
            // committed: each batch on its own, for its own outcome.
            Err(_) => {
                for batch in batches {
                    let outcome = self.write(false, &batch.events, None).await;
                    let _ = batch.done.send(outcome);
                }
            }
        }
    }

    /// An error met before anything was sent to commit: a lost connection may be written
    /// again, anything else is final.
    fn lost(&self, error: sqlx::Error) -> Failed {
        if self.shared.losses.note(&error) { Failed::BeforeCommit(error) } else { Failed::Final(map(error)) }
    }

    /// One call of the write function: one statement, so one transaction, in one round
    /// trip. Returns the notification ids.
    async fn call(
        &self,
        events: &[StoredEvent],
        tracking: Option<&Tracking>,
        call: sqlx::query::Query<'_, Postgres, sqlx::postgres::PgArguments>,
    ) -> std::result::Result<Vec<i64>, Failed> {
        let lost = |error| self.lost(error);
        let mut connection = self.shared.pool.acquire().await.map_err(lost)?;
        let rows = match call.fetch_all(&mut *connection).await {
            Ok(rows) => rows,
            Err(error) if self.shared.losses.note(&error) => return Err(Failed::Unknown(error)),
            Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some(TRACKING_REFUSED) => {
                let recorded = db
                    .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                    .and_then(|pg| pg.detail())
                    .and_then(|detail| detail.parse().ok());
                return Err(match tracking {
                    Some(tracking) => Failed::Final(tracking_conflict(tracking, recorded)),
                    None => Failed::Final(map(sqlx::Error::Database(db))),
                });
            }
            Err(error) => return Err(Failed::Final(insert_error(&error, events, &self.shared.sql.primary_key))),
        };
        rows.iter().map(|row| row.try_get(0).map_err(|e| Failed::Final(map(e)))).collect()
    }

    /// One attempt at a transaction: the table lock (if there are events), the tracking
    /// position, the events, and the commit. Returns the notification ids.
    async fn transact(
        &self,
        events: &[StoredEvent],
        tracking: Option<&Tracking>,
        insert: sqlx::query::Query<'_, Postgres, sqlx::postgres::PgArguments>,
    ) -> std::result::Result<Vec<i64>, Failed> {
        let sql = &self.shared.sql;
        let lost = |error| self.lost(error);
        let mut tx = self.shared.pool.begin().await.map_err(lost)?;
        if !events.is_empty() {
            // Taking the lock inside the transaction means that a lock timeout, or a caller
            // giving up, rolls the transaction back. Built from validated names only.
            sqlx::raw_sql(AssertSqlSafe(sql.lock.as_str())).execute(&mut *tx).await.map_err(lost)?;
        }
        if let Some(tracking) = tracking {
            self.insert_tracking(&mut tx, tracking).await.map_err(|error| match error {
                Tracked::Sql(error) => lost(error),
                Tracked::Refused(error) => Failed::Final(error),
            })?;
        }
        let mut notification_ids = Vec::with_capacity(events.len());
        if !events.is_empty() {
            let rows = match insert.fetch_all(&mut *tx).await {
                Ok(rows) => rows,
                Err(error) if self.shared.losses.note(&error) => return Err(Failed::BeforeCommit(error)),
                Err(error) => return Err(Failed::Final(insert_error(&error, events, &sql.primary_key))),
            };
            for row in rows {
                notification_ids.push(row.try_get(0).map_err(|e| Failed::Final(map(e)))?);
            }
        }
        match tx.commit().await {
            Ok(()) => Ok(notification_ids),
            Err(error) if self.shared.losses.note(&error) => Err(Failed::Unknown(error)),
            // The server answered the COMMIT with an error: it rolled back.
            Err(error) => Err(Failed::Final(map(error))),
        }
    }

    /// Whether a write whose connection was lost after it was sent committed: its
    /// notification ids if it did, `None` if it did not (and may be made again).
    ///
    /// Events are resolved for certain. The events table's lock, which the lost write took,
    /// is free only once its transaction has ended one way or the other (a backend whose
    /// client is gone finishes its statement, or ends an idle transaction within
    /// `idle_in_transaction_session_timeout`). So the store takes the lock and reads the
    /// rows at the batch's ids and versions: none, it rolled back; all of them, with the
    /// very bytes written (which hold a random event id, or a random nonce), it committed;
    /// other bytes at a version, another writer took it, and the write is a conflict.
    ///
    /// A tracking position written alone has no such mark; it is reported as
    /// [`PersistenceError::CommitOutcomeUnknown`], as is a check that itself fails.
    async fn resolve_commit(
        &self,
        error: &sqlx::Error,
        events: &[StoredEvent],
        ids: &IdArray,
        versions: &[i64],
        tracking: Option<&Tracking>,
    ) -> Result<Option<Vec<i64>>> {
        let unknown = |why: String| PersistenceError::CommitOutcomeUnknown {
            message: format!("the connection was lost before the write's outcome was known ({error}); {why}"),
            source: None,
        };
        if events.is_empty() {
            let what = tracking.map_or_else(String::new, |t| {
                format!(" of notification {} of {:?}", t.notification_id, t.application_name)
            });
            return Err(unknown(format!("the tracking position{what} may or may not be recorded")));
        }
        let sql = &self.shared.sql;
        let mut attempt = 0;
        let rows = loop {
            attempt += 1;
            let checked = async {
                let mut tx = self.shared.pool.begin().await?;
                sqlx::raw_sql(AssertSqlSafe(sql.lock.as_str())).execute(&mut *tx).await?;
                let select = sqlx::query(AssertSqlSafe(sql.select_written.as_str()));
                let select = match ids {
                    IdArray::Uuid(ids) => select.bind(ids),
                    IdArray::Text(ids) => select.bind(ids),
                };
                let rows = select.bind(versions).fetch_all(&mut *tx).await?;
                tx.rollback().await?;
                Ok::<_, sqlx::Error>(rows)
            };
            match checked.await {
                Ok(rows) => break rows,
                Err(check) if self.shared.losses.note(&check) && attempt < ATTEMPTS => {
                    tokio::time::sleep(retry_delay(attempt)).await;
                }
                Err(check) => {
                    return Err(unknown(format!("checking whether the events were stored failed: {check}")));
                }
            }
        };
        if rows.is_empty() {
            return Ok(None);
        }
        let mut stored = std::collections::HashMap::with_capacity(rows.len());
        for row in &rows {
            let key = (self.read_id(row, 0)?, version_from_db(row.try_get(1).map_err(map)?)?);
            let state: Vec<u8> = row.try_get(2).map_err(map)?;
            stored.insert(key, (state, row.try_get::<i64, _>(3).map_err(map)?));
        }
        let mut notification_ids = Vec::with_capacity(events.len());
        for (event, id) in events.iter().zip(ids.ids()) {
            match stored.get(&(id, event.originator_version)) {
                Some((state, notification_id)) if *state == event.state => notification_ids.push(*notification_id),
                Some(_) => {
                    return Err(PersistenceError::Conflict {
                        originator_id: event.originator_id.clone(),
                        originator_version: event.originator_version,
                    });
                }
                None => {
                    return Err(unknown(format!(
                        "{} of the {} events are stored, which a transaction cannot leave",
                        rows.len(),
                        events.len()
                    )));
                }
            }
        }
        notification_ids.sort_unstable();
        Ok(Some(notification_ids))
    }

    /// Inserts snapshots, in one statement that commits on its own. A lost connection
    /// leaves its outcome unknown, so the insert is made again; if that finds the same
    /// snapshots already stored, the lost one committed and all is well.
    async fn write_snapshots<F, Fut>(&self, snapshots: &[StoredEvent], insert: F) -> Result<()>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = std::result::Result<sqlx::postgres::PgQueryResult, sqlx::Error>>,
    {
        let key = &self.shared.sql.snapshots_key;
        let mut attempt = 0;
        loop {
            attempt += 1;
            match insert().await {
                Ok(_) => return Ok(()),
                Err(error) if attempt > 1 && is_unique_violation(&error) => {
                    let mut stored = Vec::with_capacity(snapshots.len());
                    for snapshot in snapshots {
                        let version = snapshot.originator_version;
                        let query =
                            EventQuery { gt: version.checked_sub(1), lte: Some(version), ..EventQuery::default() };
                        stored.extend(self.select(true, &snapshot.originator_id, query).await?);
                    }
                    return if stored == snapshots { Ok(()) } else { inserted(Err(error), snapshots, key) };
                }
                Err(error) if self.shared.losses.note(&error) => {
                    if attempt >= ATTEMPTS {
                        return Err(PersistenceError::CommitOutcomeUnknown {
                            message: format!(
                                "the connection was lost while storing snapshots ({error}), {attempt} times"
                            ),
                            source: Some(Box::new(error)),
                        });
                    }
                    tracing::warn!(%error, attempt, "connection lost while storing snapshots; storing again");
                    tokio::time::sleep(retry_delay(attempt)).await;
                }
                Err(error) => return inserted(Err(error), snapshots, key),
            }
        }
    }

    async fn insert_tracking(
        &self,
        tx: &mut Transaction<'static, Postgres>,
        tracking: &Tracking,
    ) -> std::result::Result<(), Tracked> {
        let sql = &self.shared.sql;
        let position = version_to_db(tracking.notification_id).map_err(Tracked::Refused)?;
        let advanced = sqlx::query(AssertSqlSafe(sql.insert_tracking.as_str()))
            .bind(&tracking.application_name)
            .bind(position)
            .fetch_optional(&mut **tx)
            .await
            .map_err(Tracked::Sql)?;
        if advanced.is_some() {
            return Ok(());
        }
        let recorded: Option<i64> = sqlx::query_scalar(AssertSqlSafe(sql.max_tracking.as_str()))
            .bind(&tracking.application_name)
            .fetch_optional(&mut **tx)
            .await
            .map_err(Tracked::Sql)?;
        Err(Tracked::Refused(tracking_conflict(tracking, recorded)))
    }

    /// Runs `run`, a read, retrying when the connection was lost.
    async fn retrying<T, F, Fut>(&self, what: &str, run: F) -> Result<T>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = std::result::Result<T, sqlx::Error>>,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match run().await {
                Ok(value) => return Ok(value),
                Err(error) if self.shared.losses.note(&error) && attempt < ATTEMPTS => {
                    tracing::warn!(%error, attempt, "connection lost; retrying to {what} in PostgreSQL");
                    tokio::time::sleep(retry_delay(attempt)).await;
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
        let originator_id = ids.ids().remove(0);
        rows.iter()
            .map(|row| {
                Ok(StoredEvent {
                    originator_id: originator_id.clone(),
                    originator_version: version_from_db(row.try_get(0).map_err(map)?)?,
                    // Unchecked: sqlx's check of the column's type costs more than the
                    // decoding. A text and a bytea column decode alike, and a value of
                    // another type fails to decode as these (or fails as a record).
                    topic: row.try_get_unchecked(1).map_err(map)?,
                    state: row.try_get_unchecked(2).map_err(map)?,
                })
            })
            .collect()
    }
}

/// `statement` with a batch's columns bound as its first four parameters.
fn batch<'q>(
    statement: &'q str,
    ids: &'q IdArray,
    versions: &'q [i64],
    topics: &'q [&str],
    states: &'q [&[u8]],
) -> sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments> {
    // Built from validated names and constant fragments only.
    let query = sqlx::query(AssertSqlSafe(statement));
    let query = match ids {
        IdArray::Uuid(ids) => query.bind(ids),
        IdArray::Text(ids) => query.bind(ids),
    };
    query.bind(versions).bind(topics).bind(states)
}

/// Creates the schema, tables, index and write function if missing; returns whether the
/// write function is there (it is not when its name would be too long).
async fn create_tables(pool: &PgPool, sql: &Sql) -> Result<bool> {
    let mut tx = pool.begin().await.map_err(map)?;
    // Serialise concurrent creators: CREATE ... IF NOT EXISTS races on the catalog.
    sqlx::query("SELECT pg_advisory_xact_lock(4412062907316)").execute(&mut *tx).await.map_err(map)?;
    for ddl in &sql.create {
        sqlx::query(AssertSqlSafe(ddl.as_str())).execute(&mut *tx).await.map_err(map)?;
    }
    // Made only if missing: replacing it would throw away every session's plan of it.
    if let Some(function) = &sql.write_function
        && !has_function(&mut *tx, function).await?
    {
        sqlx::raw_sql(AssertSqlSafe(function.create.as_str())).execute(&mut *tx).await.map_err(map)?;
    }
    tx.commit().await.map_err(map)?;
    Ok(sql.write_function.is_some())
}

/// Whether the database has the write function.
async fn has_function<'c>(executor: impl sqlx::PgExecutor<'c>, function: &WriteFunction) -> Result<bool> {
    sqlx::query_scalar("SELECT to_regprocedure($1) IS NOT NULL")
        .bind(&function.signature)
        .fetch_one(executor)
        .await
        .map_err(map)
}

/// The result of an insert (see [`insert_error`]).
fn inserted<T>(result: std::result::Result<T, sqlx::Error>, events: &[StoredEvent], primary_key: &str) -> Result<T> {
    result.map_err(|error| insert_error(&error, events, primary_key))
}

/// The error of an insert: a violation of the primary key `primary_key` is the version
/// conflict it stands for; any other clash (a notification id already taken, when the
/// sequence is behind the table) is not.
fn insert_error(error: &sqlx::Error, events: &[StoredEvent], primary_key: &str) -> PersistenceError {
    if !is_unique_violation(error) {
        return map_ref(error);
    }
    let constraint = match error {
        sqlx::Error::Database(db) => db.constraint().map(str::to_owned),
        _ => None,
    };
    if constraint.as_deref().is_none_or(|c| c == primary_key) {
        conflict(error, events)
    } else {
        PersistenceError::Data { message: format!("{error} (is the notification id sequence behind the table?)") }
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
    PersistenceError::Other { message: error.to_string(), source: None }
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
        self.store.write(true, &events, None).await
    }

    async fn select_events(&self, originator_id: &OriginatorId, query: EventQuery) -> Result<Vec<StoredEvent>> {
        self.store.select(true, originator_id, query).await
    }
}

impl AggregateRecorder for PostgresApplicationRecorder {
    async fn insert_events(&self, events: Vec<StoredEvent>) -> Result<Vec<u64>> {
        self.store.write_together(events).await
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
        Ok(follow(self.clone(), gt, topics, woken, self.store.shared.poll))
    }
}

impl TrackingRecorder for PostgresApplicationRecorder {
    async fn insert_tracking(&self, tracking: Tracking) -> Result<()> {
        self.store.write(false, &[], Some(&tracking)).await.map(drop)
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
        match tracking {
            Some(tracking) => self.store.write(false, &events, Some(&tracking)).await,
            None => self.store.write_together(events).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use eventsourcing_core::testing::{env_or_skip, new_id, stored};

    use super::*;

    async fn store() -> Option<PostgresStore> {
        let url = env_or_skip("EVENTSOURCING_POSTGRES_TEST_URL")?;
        let mut options = PostgresOptions::from_url(&url, "resolve").unwrap();
        options.schema = crate::testing::schema(&url, "unit").await;
        Some(PostgresStore::open(options).await.unwrap())
    }

    /// A cut-off write stands for a transaction the store can no longer see: here, one
    /// held open on another connection, as a backend whose client vanished would be.
    #[cfg_attr(not(postgres_tests), ignore = "set EVENTSOURCING_POSTGRES_TEST_URL to run it")]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cut_off_write_is_resolved_once_the_lost_transaction_has_ended() {
        let Some(store) = store().await else { return };
        let lost = || sqlx::Error::Io(std::io::ErrorKind::UnexpectedEof.into());
        for (commit, same_bytes) in [(true, true), (false, true), (true, false)] {
            let events = vec![stored(&new_id(), 1, "T"), stored(&new_id(), 1, "T")];
            let ids = store.id_array(events.iter().map(|e| &e.originator_id)).unwrap();
            let versions = vec![1_i64, 1];
            let sql = &store.shared.sql;
            let mut tx = store.pool().begin().await.unwrap();
            sqlx::raw_sql(AssertSqlSafe(sql.lock.as_str())).execute(&mut *tx).await.unwrap();
            // What the lost transaction wrote: these events, or others at their versions.
            let states: Vec<&[u8]> =
                events.iter().map(|e| if same_bytes { e.state.as_slice() } else { b"other".as_slice() }).collect();
            let notification_ids: Vec<i64> = batch(sql.insert_events.as_str(), &ids, &versions, &["T", "T"], &states)
                .bind(&sql.channel)
                .fetch_all(&mut *tx)
                .await
                .unwrap()
                .iter()
                .map(|row| row.get(0))
                .collect();

            let resolving = tokio::spawn({
                let store = store.clone();
                let (events, versions) = (events.clone(), versions.clone());
                async move {
                    let ids = store.id_array(events.iter().map(|e| &e.originator_id)).unwrap();
                    store.resolve_commit(&lost(), &events, &ids, &versions, None).await
                }
            });
            tokio::time::sleep(Duration::from_millis(300)).await;
            assert!(!resolving.is_finished(), "waits while the transaction may still commit");
            if commit {
                tx.commit().await.unwrap();
            } else {
                tx.rollback().await.unwrap();
            }
            match (commit, same_bytes, resolving.await.unwrap()) {
                (true, true, Ok(Some(found))) => assert_eq!(found, notification_ids),
                (false, _, Ok(None)) | (true, false, Err(PersistenceError::Conflict { originator_version: 1, .. })) => {
                }
                other => panic!("unexpected resolution {other:?}"),
            }
        }
        let ids = store.id_array(std::iter::empty()).unwrap();
        let tracking = Tracking::new("upstream", 3);
        let error = store.resolve_commit(&lost(), &[], &ids, &[], Some(&tracking)).await.unwrap_err();
        assert!(matches!(error, PersistenceError::CommitOutcomeUnknown { .. }), "{error}");
    }

    /// The write function is made with the tables, and a store without it (tables made
    /// by an older version, opened with `CREATE_TABLE=no`) writes in a transaction.
    #[cfg_attr(not(postgres_tests), ignore = "set EVENTSOURCING_POSTGRES_TEST_URL to run it")]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn events_are_written_with_or_without_the_write_function() {
        let Some(url) = env_or_skip("EVENTSOURCING_POSTGRES_TEST_URL") else { return };
        let mut options = PostgresOptions::from_url(&url, "function").unwrap();
        options.schema = crate::testing::schema(&url, "unit").await;
        let store = PostgresStore::open(options.clone()).await.unwrap();
        assert!(store.shared.one_trip, "made with the tables");
        let function = store.shared.sql.write_function.as_ref().unwrap();
        let drop = format!("DROP FUNCTION {}", function.signature);
        sqlx::query(AssertSqlSafe(drop)).execute(store.pool()).await.unwrap();
        options.create_tables = false;
        let old = PostgresStore::open(options.clone()).await.unwrap();
        assert!(!old.shared.one_trip);

        let id = new_id();
        let recorder = old.events();
        let first = recorder.insert_events(vec![stored(&id, 1, "T"), stored(&id, 2, "T")]).await.unwrap();
        let conflict = recorder.insert_events(vec![stored(&id, 2, "T")]).await.unwrap_err();
        assert!(conflict.is_conflict(), "{conflict}");
        options.create_tables = true;
        let recorder = PostgresStore::open(options).await.unwrap().events();
        let second = recorder.insert_events(vec![stored(&id, 3, "T")]).await.unwrap();
        assert!(second[0] > first[1]);
        let conflict = recorder.insert_events(vec![stored(&id, 3, "T")]).await.unwrap_err();
        assert!(conflict.is_conflict(), "{conflict}");
        recorder.insert_tracking(Tracking::new("up", 5)).await.unwrap();
        let refused =
            recorder.insert_events_with_tracking(vec![stored(&id, 4, "T")], Some(Tracking::new("up", 5))).await;
        assert!(
            matches!(refused, Err(PersistenceError::TrackingConflict { recorded: Some(5), notification_id: 5, .. })),
            "{refused:?}"
        );
        assert_eq!(
            recorder.select_events(&id, EventQuery::all()).await.unwrap().len(),
            3,
            "nothing of the refused write"
        );
    }

    /// Starts saving `events` in a task, and returns its handle once the save waits in
    /// the queue (behind a write in flight that the test holds).
    async fn queue_save(store: &PostgresStore, events: Vec<StoredEvent>) -> tokio::task::JoinHandle<Result<Vec<u64>>> {
        let queued = || lock(&store.shared.queue).batches.len();
        let before = queued();
        let recorder = store.events();
        let saving = tokio::spawn(async move { recorder.insert_events(events).await });
        while queued() == before {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        saving
    }

    /// Saves that wait for the write in flight are written together, each with its own
    /// outcome; one that conflicts fails alone; one whose caller gave up is not written.
    #[cfg_attr(not(postgres_tests), ignore = "set EVENTSOURCING_POSTGRES_TEST_URL to run it")]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn waiting_saves_are_written_together_each_with_its_own_outcome() {
        let Some(store) = store().await else { return };
        let recorder = store.events();
        let (a, b, gone) = (new_id(), new_id(), new_id());
        recorder.insert_events(vec![stored(&b, 1, "T")]).await.unwrap();

        // A write in flight: the saves below queue behind it.
        let in_flight = store.shared.writing.clone().lock_owned().await;
        let queued = || lock(&store.shared.queue).batches.len();
        let save = async |events| queue_save(&store, events).await;
        let first = save(vec![stored(&a, 1, "T"), stored(&a, 2, "T")]).await;
        let conflicting = save(vec![stored(&b, 1, "T")]).await;
        let abandoned = save(vec![stored(&gone, 1, "T")]).await;
        let last = save(vec![stored(&a, 3, "T")]).await;
        abandoned.abort();
        assert!(abandoned.await.unwrap_err().is_cancelled());
        assert_eq!(queued(), 3, "the abandoned batch left the queue");
        drop(in_flight);

        let first = first.await.unwrap().unwrap();
        let error = conflicting.await.unwrap().unwrap_err();
        let last = last.await.unwrap().unwrap();
        assert!(error.is_conflict(), "{error}");
        assert_eq!(first.len(), 2);
        assert!(first[0] < first[1] && first[1] < last[0], "in the order they came: {first:?} {last:?}");
        assert_eq!(recorder.select_events(&a, EventQuery::all()).await.unwrap().len(), 3);
        assert!(recorder.select_events(&gone, EventQuery::all()).await.unwrap().is_empty());

        // Without a conflict, queued saves share one transaction.
        let in_flight = store.shared.writing.clone().lock_owned().await;
        let (c, d) = (new_id(), new_id());
        let one = save(vec![stored(&c, 1, "T")]).await;
        let other = save(vec![stored(&d, 1, "T"), stored(&d, 2, "T")]).await;
        drop(in_flight);
        let ids = [one.await.unwrap().unwrap(), other.await.unwrap().unwrap()].concat();
        let sql = format!(
            "SELECT count(DISTINCT xmin::text) FROM {} WHERE notification_id = ANY($1)",
            store.shared.sql.events
        );
        let transactions: i64 = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(ids.iter().map(|&id| i64::try_from(id).unwrap()).collect::<Vec<_>>())
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!((ids.len(), transactions), (3, 1));
    }

    /// A shared write that times out on the table lock fails every batch in it at once,
    /// rather than each trying again alone and waiting out the timeout once more.
    #[cfg_attr(not(postgres_tests), ignore = "set EVENTSOURCING_POSTGRES_TEST_URL to run it")]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_shared_write_that_times_out_fails_every_batch_once() {
        let Some(url) = env_or_skip("EVENTSOURCING_POSTGRES_TEST_URL") else { return };
        let mut options = PostgresOptions::from_url(&url, "locked").unwrap();
        options.schema = crate::testing::schema(&url, "unit").await;
        options.lock_timeout = Duration::from_millis(500);
        let store = PostgresStore::open(options).await.unwrap();

        // Another writer holds the table lock throughout.
        let mut holder = store.pool().begin().await.unwrap();
        let take_lock = format!("LOCK TABLE {} IN EXCLUSIVE MODE", store.shared.sql.events);
        sqlx::query(AssertSqlSafe(take_lock)).execute(&mut *holder).await.unwrap();

        let in_flight = store.shared.writing.clone().lock_owned().await;
        let save = async |events| queue_save(&store, events).await;
        let saves = [
            save(vec![stored(&new_id(), 1, "T")]).await,
            save(vec![stored(&new_id(), 1, "T")]).await,
            save(vec![stored(&new_id(), 1, "T")]).await,
        ];
        let started = std::time::Instant::now();
        drop(in_flight);
        for saving in saves {
            let error = saving.await.unwrap().unwrap_err();
            assert!(matches!(error, PersistenceError::LockTimeout { .. }), "{error}");
        }
        // One wait for the lock, not one per batch (three would take 1.5 s at least).
        assert!(started.elapsed() < Duration::from_millis(1200), "{:?}", started.elapsed());
        holder.rollback().await.unwrap();
    }
}
