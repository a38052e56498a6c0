//! The SQLite store, with Python `eventsourcing`'s tables:
//!
//! ```sql
//! CREATE TABLE IF NOT EXISTS stored_events (
//!   originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB,
//!   PRIMARY KEY (originator_id, originator_version));           -- rowid: notification id
//! CREATE TABLE IF NOT EXISTS stored_snapshots (...same columns...) WITHOUT ROWID;
//! CREATE TABLE IF NOT EXISTS tracking (
//!   application_name TEXT, notification_id INTEGER, PRIMARY KEY (application_name)) WITHOUT ROWID;
//! ```
//!
//! One connection writes at a time (`BEGIN IMMEDIATE`, behind an in-process lock), so
//! notification ids are committed in order. As in Python, the notification id is the
//! table's implicit `rowid`: do not `VACUUM` the database or dump and restore it, which may
//! renumber rowids of a table without an `INTEGER PRIMARY KEY`, moving positions that
//! followers have tracked. File databases use WAL, so readers do not wait for the writer;
//! aggregates are loaded from them through rusqlite connections of their own, which read
//! rows at a third of the cost of sqlx's driver. Subscriptions wake at once for writes made
//! through this library in this process, and poll for writes from elsewhere.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::Duration;

use eventsourcing_core::environment::{ConfigError, Environment};
use eventsourcing_core::persistence::{
    AggregateRecorder, ApplicationRecorder, EventQuery, IdType, Notification, NotificationQuery, OriginatorId,
    PersistenceError, ProcessRecorder, Result, StoredEvent, Subscription, Tracking, TrackingRecorder, follow,
};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow};
use sqlx::{AssertSqlSafe, Row, Sqlite, Transaction};
use tokio::sync::watch;

use crate::error::{is_unique_violation, map, tracking_conflict};
use crate::ids::{SqliteIds, version_from_db, version_to_db};
use crate::limits::{CONNECTIONS, MAX_TIMEOUT, check_count, check_duration};

const CREATE_EVENTS: &str = "CREATE TABLE IF NOT EXISTS stored_events (\
    originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB, \
    PRIMARY KEY (originator_id, originator_version))";
const CREATE_SNAPSHOTS: &str = "CREATE TABLE IF NOT EXISTS stored_snapshots (\
    originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB, \
    PRIMARY KEY (originator_id, originator_version)) WITHOUT ROWID";
const CREATE_TRACKING: &str = "CREATE TABLE IF NOT EXISTS tracking (\
    application_name TEXT, notification_id INTEGER, PRIMARY KEY (application_name)) WITHOUT ROWID";
const INSERT_TRACKING: &str = "INSERT INTO tracking (application_name, notification_id) VALUES (?, ?) \
    ON CONFLICT (application_name) DO UPDATE SET notification_id = excluded.notification_id \
    WHERE tracking.notification_id < excluded.notification_id RETURNING notification_id";
const MAX_TRACKING: &str = "SELECT notification_id FROM tracking WHERE application_name = ?";
const MAX_NOTIFICATION: &str = "SELECT MAX(rowid) FROM stored_events";

/// Where and how to open a SQLite database.
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// A file path, or `:memory:` for a database in memory shared by the store's
    /// connections (Python's `SQLITE_DBNAME`); also a `file:` or `sqlite:` URI. It is used
    /// as given: a blank name is refused, never taken to mean memory.
    pub dbname: String,
    /// How long a connection waits for a lock (`SQLITE_LOCK_TIMEOUT`, default 5 s; at
    /// most [`MAX_TIMEOUT`]).
    pub lock_timeout: Duration,
    /// Whether to create the tables if they are missing (`CREATE_TABLE`, default yes).
    pub create_tables: bool,
    /// How ids are kept (`ORIGINATOR_ID_TYPE`, default UUIDs).
    pub id_type: IdType,
    /// How many connections a file database may use (`SQLITE_POOL_SIZE`, default 5; from
    /// 1 to [`MAX_CONNECTIONS`](crate::limits::MAX_CONNECTIONS)).
    pub pool_size: u32,
    /// How often a subscription looks for writes made by other processes (more than zero,
    /// at most [`MAX_TIMEOUT`]).
    pub poll_interval: Duration,
}

impl SqliteOptions {
    /// Options for `dbname` with the defaults.
    pub fn new(dbname: impl Into<String>) -> Self {
        SqliteOptions {
            dbname: dbname.into(),
            lock_timeout: Duration::from_secs(5),
            create_tables: true,
            id_type: IdType::Uuid,
            pool_size: 5,
            poll_interval: Duration::from_millis(500),
        }
    }

    /// Options from the environment, with Python's variable names: `SQLITE_DBNAME` (unless
    /// `dbname` is given), `SQLITE_LOCK_TIMEOUT`, `SQLITE_POOL_SIZE`, `CREATE_TABLE` and
    /// `ORIGINATOR_ID_TYPE`.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the variable that is missing, or whose value cannot be
    /// used or is out of its range. A blank `SQLITE_DBNAME` is refused, as Python refuses
    /// it: taking it to mean memory would lose everything saved at exit.
    pub fn from_env(env: &Environment, dbname: Option<String>) -> std::result::Result<Self, ConfigError> {
        let dbname = if let Some(dbname) = dbname {
            dbname
        } else {
            let (variable, dbname) = env.lookup("SQLITE_DBNAME").ok_or_else(|| ConfigError::Missing {
                variable: "SQLITE_DBNAME".into(),
                reason: "PERSISTENCE_MODULE is sqlite: give the database file, or :memory:".into(),
            })?;
            if dbname.trim().is_empty() {
                return Err(ConfigError::Invalid {
                    variable,
                    value: dbname.to_owned(),
                    expected: "a database file, or :memory: for a database in memory".into(),
                });
            }
            dbname.to_owned()
        };
        let mut options = SqliteOptions::new(dbname);
        options.lock_timeout = env.get_seconds("SQLITE_LOCK_TIMEOUT", options.lock_timeout, MAX_TIMEOUT, false)?;
        options.create_tables = env.get_bool("CREATE_TABLE")?.unwrap_or(true);
        options.id_type = IdType::from_env(env)?;
        if let Some(size) = env.get_count("SQLITE_POOL_SIZE", CONNECTIONS)? {
            options.pool_size = size;
        }
        Ok(options)
    }

    /// Whether the database is in memory: `:memory:`, or a URI naming `:memory:` or
    /// `mode=memory`.
    pub fn in_memory(&self) -> bool {
        let name = self.dbname.as_str();
        name == ":memory:"
            || ((name.starts_with("file:") || name.starts_with("sqlite:"))
                && (name.contains(":memory:") || name.contains("mode=memory")))
    }

    /// Checks the settings against their ranges.
    ///
    /// # Errors
    /// [`PersistenceError::Configuration`] naming the setting.
    pub fn check(&self) -> Result<()> {
        if self.dbname.trim().is_empty() {
            return Err(PersistenceError::Configuration {
                message: format!(
                    "the SQLite database name {:?} is blank: give a file, or :memory: for a database in memory",
                    self.dbname
                ),
                source: None,
            });
        }
        check_duration("the SQLite lock timeout", self.lock_timeout, false)?;
        check_count("the SQLite pool size", self.pool_size, &CONNECTIONS)?;
        check_duration("the SQLite poll interval", self.poll_interval, true)
    }
}

/// Commit signals shared by every store on the same database file in this process.
static WAKERS: LazyLock<Mutex<HashMap<String, watch::Sender<u64>>>> = LazyLock::new(Mutex::default);

/// A SQLite database: its events (with notifications and tracking) and its snapshots.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    pool: SqlitePool,
    ids: IdType,
    writer: tokio::sync::Mutex<()>,
    committed: watch::Sender<u64>,
    poll: Duration,
    /// Connections that load aggregates from a file database (not from one in memory,
    /// nor through a pool given by the caller).
    readers: Option<Arc<Readers>>,
}

/// rusqlite connections to a file database, for loading aggregates: reading rows through
/// sqlx's SQLite driver costs about three times what SQLite itself takes (10,000 rows of
/// 224 bytes: 12 ms, against 4 ms through rusqlite and 9 ms through Python's `sqlite3`).
/// They only read, in WAL mode beside the writer, and see every committed write.
#[derive(Debug)]
struct Readers {
    path: String,
    lock_timeout: Duration,
    idle: Mutex<Vec<rusqlite::Connection>>,
}

/// Idle reading connections kept.
const IDLE_READERS: usize = 4;

impl Readers {
    /// Runs `sql` with the text `id` and then `numbers` bound, and returns the version,
    /// topic and state of each row.
    fn select(&self, sql: &str, id: String, numbers: &[i64]) -> rusqlite::Result<Vec<(i64, String, Vec<u8>)>> {
        let idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let connection = if let Some(connection) = idle {
            connection
        } else {
            let connection = rusqlite::Connection::open(&self.path)?;
            connection.busy_timeout(self.lock_timeout)?;
            connection
        };
        let rows = {
            let mut statement = connection.prepare_cached(sql)?;
            let parameters = std::iter::once(rusqlite::types::Value::Text(id))
                .chain(numbers.iter().map(|&n| rusqlite::types::Value::Integer(n)));
            statement
                .query_map(rusqlite::params_from_iter(parameters), |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()
        };
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < IDLE_READERS {
            idle.push(connection);
        }
        rows
    }
}

/// A rusqlite error as the store reports sqlx's.
fn map_read(error: rusqlite::Error) -> PersistenceError {
    let message = format!("reading from SQLite: {error}");
    match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            PersistenceError::LockTimeout { message, source: Some(Box::new(error)) }
        }
        _ if error.to_string().starts_with("no such table") => {
            PersistenceError::MissingTable { message, source: Some(Box::new(error)) }
        }
        _ => PersistenceError::Other { message, source: Some(Box::new(error)) },
    }
}

impl SqliteStore {
    /// Opens (and, if asked, sets up) the database.
    ///
    /// # Errors
    /// [`PersistenceError`] if the database cannot be opened or its tables created.
    pub async fn open(options: SqliteOptions) -> Result<Self> {
        options.check()?;
        let in_memory = options.in_memory();
        let connect = if options.dbname == ":memory:" {
            SqliteConnectOptions::from_str("sqlite::memory:").map_err(map)?
        } else if options.dbname.starts_with("file:") || options.dbname.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(&options.dbname).map_err(map)?
        } else {
            SqliteConnectOptions::new().filename(&options.dbname).journal_mode(SqliteJournalMode::Wal)
        };
        let connect = connect.create_if_missing(true).busy_timeout(options.lock_timeout);
        // An in-memory database lives as long as one of its connections: keep exactly one,
        // which also keeps readers and the writer from locking each other out.
        let size = if in_memory { 1 } else { options.pool_size.max(1) };
        let pool = SqlitePoolOptions::new()
            .max_connections(size)
            .min_connections(u32::from(in_memory))
            .idle_timeout(if in_memory { None } else { Some(Duration::from_mins(10)) })
            .max_lifetime(if in_memory { None } else { Some(Duration::from_hours(1)) })
            .acquire_timeout(options.lock_timeout.max(Duration::from_secs(5)))
            .connect_with(connect)
            .await
            .map_err(|error| PersistenceError::Connection {
                message: format!("cannot open the SQLite database {:?}: {error}", options.dbname),
                source: Some(Box::new(error)),
            })?;
        // A plain path names the file that rusqlite opens too; URIs are left to sqlx.
        let plain_path = !in_memory && !options.dbname.starts_with("file:") && !options.dbname.starts_with("sqlite:");
        let readers = plain_path.then(|| {
            Arc::new(Readers {
                path: options.dbname.clone(),
                lock_timeout: options.lock_timeout,
                idle: Mutex::default(),
            })
        });
        Self::setup(pool, &options, in_memory, readers).await
    }

    /// Uses an existing pool (its connect options are the pool's own; `options.dbname`
    /// names the database for waking subscriptions, and may be empty).
    ///
    /// # Errors
    /// [`PersistenceError`] if the tables cannot be created.
    pub async fn with_pool(pool: SqlitePool, options: SqliteOptions) -> Result<Self> {
        check_duration("the SQLite poll interval", options.poll_interval, true)?;
        let in_memory = options.dbname.is_empty() || options.in_memory();
        Self::setup(pool, &options, in_memory, None).await
    }

    async fn setup(
        pool: SqlitePool,
        options: &SqliteOptions,
        in_memory: bool,
        readers: Option<Arc<Readers>>,
    ) -> Result<Self> {
        let committed = if in_memory {
            watch::Sender::new(0)
        } else {
            let key = std::fs::canonicalize(&options.dbname)
                .map_or_else(|_| options.dbname.clone(), |path| path.display().to_string());
            let mut wakers = WAKERS.lock().unwrap_or_else(PoisonError::into_inner);
            wakers.retain(|_, sender| sender.receiver_count() > 0 || sender.sender_count() > 1);
            wakers.entry(key).or_insert_with(|| watch::Sender::new(0)).clone()
        };
        let store = SqliteStore {
            shared: Arc::new(Shared {
                pool,
                ids: options.id_type,
                writer: tokio::sync::Mutex::new(()),
                committed,
                poll: options.poll_interval,
                readers,
            }),
        };
        if options.create_tables {
            store.create_tables().await?;
        }
        Ok(store)
    }

    /// Creates the tables if they are missing.
    ///
    /// # Errors
    /// [`PersistenceError`] from the database.
    pub async fn create_tables(&self) -> Result<()> {
        let mut tx = self.shared.pool.begin().await.map_err(map)?;
        for ddl in [CREATE_EVENTS, CREATE_SNAPSHOTS, CREATE_TRACKING] {
            sqlx::query(ddl).execute(&mut *tx).await.map_err(map)?;
        }
        tx.commit().await.map_err(map)
    }

    /// The connection pool.
    pub fn pool(&self) -> &SqlitePool {
        &self.shared.pool
    }

    /// The recorder of events, notifications and tracking positions.
    pub fn events(&self) -> SqliteApplicationRecorder {
        SqliteApplicationRecorder { store: self.clone() }
    }

    /// The recorder of snapshots.
    pub fn snapshots(&self) -> SqliteSnapshotRecorder {
        SqliteSnapshotRecorder { store: self.clone() }
    }

    async fn write(&self, table: Table, events: Vec<StoredEvent>, tracking: Option<Tracking>) -> Result<Vec<u64>> {
        let ids = self.shared.ids;
        let rows: Vec<(String, i64, StoredEvent)> = events
            .into_iter()
            .map(|e| Ok((ids.to_text(&e.originator_id)?, version_to_db(e.originator_version)?, e)))
            .collect::<Result<_>>()?;
        let _writer = self.shared.writer.lock().await;
        let mut notification_ids = Vec::with_capacity(rows.len());
        let insert = |row| insert(table, row);
        // One statement is a transaction of its own: one call to the database, not three.
        if let ([row], None) = (&rows[..], &tracking) {
            let mut connection = self.shared.pool.acquire().await.map_err(map)?;
            let done = insert(row).execute(&mut *connection).await.map_err(|error| inserted(error, &row.2))?;
            if table == Table::Events {
                let id = version_from_db(done.last_insert_rowid())?;
                self.shared.committed.send_replace(id);
                notification_ids.push(id);
            }
            return Ok(notification_ids);
        }
        let mut tx = self.shared.pool.begin_with("BEGIN IMMEDIATE").await.map_err(map)?;
        if let Some(tracking) = &tracking {
            insert_tracking(&mut tx, tracking).await?;
        }
        for row in &rows {
            let event = &row.2;
            let result = insert(row).execute(&mut *tx).await;
            match result {
                Ok(done) if table == Table::Events => notification_ids.push(version_from_db(done.last_insert_rowid())?),
                Ok(_) => {}
                Err(error) => return Err(inserted(error, event)),
            }
        }
        tx.commit().await.map_err(map)?;
        if let Some(&last) = notification_ids.last() {
            self.shared.committed.send_replace(last);
        }
        Ok(notification_ids)
    }

    async fn select(&self, table: Table, originator_id: &OriginatorId, query: EventQuery) -> Result<Vec<StoredEvent>> {
        let mut sql = String::from(table.select());
        if query.gt.is_some() {
            sql.push_str(" AND originator_version > ?");
        }
        if query.lte.is_some() {
            sql.push_str(" AND originator_version <= ?");
        }
        sql.push_str(if query.desc { " ORDER BY originator_version DESC" } else { " ORDER BY originator_version" });
        if query.limit.is_some() {
            sql.push_str(" LIMIT ?");
        }
        let id = self.shared.ids.to_text(originator_id)?;
        // The id is the one asked for, as the store keeps it: not read back.
        let originator_id = self.shared.ids.parse(id.clone())?;
        // Bounds beyond the largest storable version select as if at it.
        let numbers: Vec<i64> =
            [query.gt, query.lte, query.limit.map(|limit| u64::try_from(limit).unwrap_or(u64::MAX))]
                .into_iter()
                .flatten()
                .map(|n| i64::try_from(n).unwrap_or(i64::MAX))
                .collect();
        let rows: Vec<(i64, String, Vec<u8>)> = if let Some(readers) = &self.shared.readers {
            let readers = readers.clone();
            tokio::task::spawn_blocking(move || readers.select(&sql, id, &numbers))
                .await
                .map_err(|error| PersistenceError::Other {
                    message: format!("reading from SQLite: {error}"),
                    source: None,
                })?
                .map_err(map_read)?
        } else {
            // Built from the constant fragments above only.
            let mut select = sqlx::query(AssertSqlSafe(sql)).bind(id);
            for n in numbers {
                select = select.bind(n);
            }
            let rows = select.fetch_all(&self.shared.pool).await.map_err(map)?;
            rows.iter()
                .map(|row| {
                    Ok((row.try_get(0).map_err(map)?, row.try_get(1).map_err(map)?, row.try_get(2).map_err(map)?))
                })
                .collect::<Result<_>>()?
        };
        rows.into_iter()
            .map(|(version, topic, state)| {
                Ok(StoredEvent {
                    originator_id: originator_id.clone(),
                    originator_version: version_from_db(version)?,
                    topic,
                    state,
                })
            })
            .collect()
    }

    fn stored(&self, row: &SqliteRow, offset: usize) -> Result<StoredEvent> {
        let id: String = row.try_get(offset).map_err(map)?;
        Ok(StoredEvent {
            originator_id: self.shared.ids.parse(id)?,
            originator_version: version_from_db(row.try_get(offset + 1).map_err(map)?)?,
            topic: row.try_get(offset + 2).map_err(map)?,
            state: row.try_get(offset + 3).map_err(map)?,
        })
    }
}

async fn insert_tracking(tx: &mut Transaction<'static, Sqlite>, tracking: &Tracking) -> Result<()> {
    let id = version_to_db(tracking.notification_id)?;
    let advanced = sqlx::query(INSERT_TRACKING)
        .bind(&tracking.application_name)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(map)?;
    if advanced.is_some() {
        return Ok(());
    }
    let recorded: Option<i64> = sqlx::query_scalar(MAX_TRACKING)
        .bind(&tracking.application_name)
        .fetch_optional(&mut **tx)
        .await
        .map_err(map)?;
    Err(tracking_conflict(tracking, recorded))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Table {
    Events,
    Snapshots,
}

impl Table {
    fn insert(self) -> &'static str {
        match self {
            Table::Events => {
                "INSERT INTO stored_events (originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?)"
            }
            Table::Snapshots => {
                "INSERT INTO stored_snapshots (originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?)"
            }
        }
    }

    fn select(self) -> &'static str {
        match self {
            Table::Events => "SELECT originator_version, topic, state FROM stored_events WHERE originator_id = ?",
            Table::Snapshots => "SELECT originator_version, topic, state FROM stored_snapshots WHERE originator_id = ?",
        }
    }
}

/// Events, notifications and tracking positions in `stored_events` and `tracking`.
#[derive(Debug, Clone)]
pub struct SqliteApplicationRecorder {
    store: SqliteStore,
}

/// Snapshots in `stored_snapshots`.
#[derive(Debug, Clone)]
pub struct SqliteSnapshotRecorder {
    store: SqliteStore,
}

/// The insert of one row into `table`.
fn insert(
    table: Table,
    (id, version, event): &(String, i64, StoredEvent),
) -> sqlx::query::Query<'_, Sqlite, sqlx::sqlite::SqliteArguments> {
    sqlx::query(table.insert()).bind(id).bind(*version).bind(&event.topic).bind(&event.state)
}

/// The error of inserting `event`: a unique violation is the version conflict it stands for.
fn inserted(error: sqlx::Error, event: &StoredEvent) -> PersistenceError {
    if is_unique_violation(&error) {
        PersistenceError::Conflict {
            originator_id: event.originator_id.clone(),
            originator_version: event.originator_version,
        }
    } else {
        map(error)
    }
}

impl AggregateRecorder for SqliteSnapshotRecorder {
    async fn insert_events(&self, events: Vec<StoredEvent>) -> Result<Vec<u64>> {
        self.store.write(Table::Snapshots, events, None).await
    }

    async fn select_events(&self, originator_id: &OriginatorId, query: EventQuery) -> Result<Vec<StoredEvent>> {
        self.store.select(Table::Snapshots, originator_id, query).await
    }
}

impl AggregateRecorder for SqliteApplicationRecorder {
    async fn insert_events(&self, events: Vec<StoredEvent>) -> Result<Vec<u64>> {
        self.store.write(Table::Events, events, None).await
    }

    async fn select_events(&self, originator_id: &OriginatorId, query: EventQuery) -> Result<Vec<StoredEvent>> {
        self.store.select(Table::Events, originator_id, query).await
    }
}

impl ApplicationRecorder for SqliteApplicationRecorder {
    async fn select_notifications(&self, query: NotificationQuery) -> Result<Vec<Notification>> {
        let mut sql = String::from(
            "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events WHERE rowid >= ?",
        );
        if query.stop.is_some() {
            sql.push_str(" AND rowid <= ?");
        }
        if !query.topics.is_empty() {
            sql.push_str(" AND topic IN (");
            sql.push_str(&vec!["?"; query.topics.len()].join(", "));
            sql.push(')');
        }
        sql.push_str(" ORDER BY rowid LIMIT ?");
        // Built from constant fragments and placeholders only.
        let mut select = sqlx::query(AssertSqlSafe(sql)).bind(i64::try_from(query.first_id()).unwrap_or(i64::MAX));
        if let Some(stop) = query.stop {
            select = select.bind(i64::try_from(stop).unwrap_or(i64::MAX));
        }
        for topic in &query.topics {
            select = select.bind(topic);
        }
        let rows = select
            .bind(i64::try_from(query.limit).unwrap_or(i64::MAX))
            .fetch_all(&self.store.shared.pool)
            .await
            .map_err(map)?;
        rows.iter()
            .map(|row| {
                let id = version_from_db(row.try_get(0).map_err(map)?)?;
                Ok(Notification { id, event: self.store.stored(row, 1)? })
            })
            .collect()
    }

    async fn max_notification_id(&self) -> Result<Option<u64>> {
        let max: Option<i64> =
            sqlx::query_scalar(MAX_NOTIFICATION).fetch_one(&self.store.shared.pool).await.map_err(map)?;
        max.map(version_from_db).transpose()
    }

    async fn subscribe(&self, gt: Option<u64>, topics: Vec<String>) -> Result<Subscription> {
        let wake = self.store.shared.committed.subscribe();
        Ok(follow(self.clone(), gt, topics, wake, Some(self.store.shared.poll)))
    }
}

impl TrackingRecorder for SqliteApplicationRecorder {
    async fn insert_tracking(&self, tracking: Tracking) -> Result<()> {
        self.store.write(Table::Events, Vec::new(), Some(tracking)).await.map(drop)
    }

    async fn max_tracking_id(&self, application_name: &str) -> Result<Option<u64>> {
        let max: Option<i64> = sqlx::query_scalar(MAX_TRACKING)
            .bind(application_name)
            .fetch_optional(&self.store.shared.pool)
            .await
            .map_err(map)?;
        max.map(version_from_db).transpose()
    }
}

impl ProcessRecorder for SqliteApplicationRecorder {
    async fn insert_events_with_tracking(
        &self,
        events: Vec<StoredEvent>,
        tracking: Option<Tracking>,
    ) -> Result<Vec<u64>> {
        self.store.write(Table::Events, events, tracking).await
    }
}
