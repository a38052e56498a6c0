//! The database being inspected, opened read-only, and the application's recorders on it.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use eventsourcing_application::config::PersistenceModule;
use eventsourcing_core::environment::Environment;
use eventsourcing_core::persistence::{
    AggregateRecorder, ApplicationRecorder, EventQuery, IdType, Notification, NotificationQuery, OriginatorId,
    PersistenceError, StoredEvent,
};
use eventsourcing_sqlx::postgres::{PostgresApplicationRecorder, PostgresOptions, PostgresStore};
use eventsourcing_sqlx::sqlite::{SqliteApplicationRecorder, SqliteOptions, SqliteStore};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{AssertSqlSafe, Connection, Row};

use crate::error::InspectError;

/// Where the store is, as given on the command line or by the environment.
#[derive(Debug, Clone)]
pub(crate) enum Location {
    /// A SQLite database file.
    Sqlite(String),
    /// A PostgreSQL server; `None` to take the connection from `POSTGRES_*` variables.
    Postgres(Option<String>),
}

impl Location {
    /// `--sqlite` or `--postgres` if given, else the environment's `PERSISTENCE_MODULE`
    /// with `SQLITE_DBNAME` or `POSTGRES_*`, as applications read them.
    pub(crate) fn choose(
        sqlite: Option<String>,
        postgres: Option<String>,
        env: &Environment,
    ) -> Result<Self, InspectError> {
        match (sqlite, postgres) {
            (Some(path), _) => Ok(Location::Sqlite(path)),
            (None, Some(url)) => Ok(Location::Postgres(Some(url))),
            (None, None) => match PersistenceModule::from_env(env)? {
                PersistenceModule::Sqlite => Ok(Location::Sqlite(SqliteOptions::from_env(env, None)?.dbname)),
                PersistenceModule::Postgres => Ok(Location::Postgres(env.get("POSTGRES_URL").map(str::to_owned))),
                _ => Err(InspectError::NoStore),
            },
        }
    }
}

/// A database opened read-only.
#[derive(Debug)]
pub(crate) enum Database {
    /// A SQLite file: one application's tables.
    Sqlite {
        /// The file.
        path: String,
        /// Read-only connections.
        pool: SqlitePool,
    },
    /// A PostgreSQL database: any number of applications' tables, in one schema.
    Postgres {
        /// Read-only connections.
        pool: PgPool,
        /// The schema of the tables.
        schema: String,
        /// The server and database, for messages.
        address: String,
    },
}

/// One table of an application.
#[derive(Debug)]
pub(crate) struct Table {
    /// The application's name as in the table names (PostgreSQL), or `None` (SQLite, a
    /// file per application).
    pub(crate) application: Option<String>,
    /// The table's name, qualified by its schema on PostgreSQL.
    pub(crate) name: String,
    /// Its rows.
    pub(crate) rows: u64,
    /// The bytes of its records' `state` (what the mapper wrote), if it has such a column.
    pub(crate) state_bytes: Option<u64>,
    /// Its size on disk with its indexes, where the database tells.
    pub(crate) disk_bytes: Option<u64>,
}

/// Counts of one application's events.
#[derive(Debug)]
pub(crate) struct Counts {
    /// Aggregates with at least one event.
    pub(crate) aggregates: u64,
    /// The highest notification id.
    pub(crate) max_notification_id: Option<u64>,
    /// Events by topic, most frequent first.
    pub(crate) topics: Vec<(String, u64)>,
    /// Tracking positions: the upstream application and the last notification id processed.
    pub(crate) tracking: Vec<(String, u64)>,
}

fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

impl Database {
    /// Opens the database at `location` read-only: nothing is created or written.
    pub(crate) async fn open(location: &Location, env: &Environment, app: Option<&str>) -> Result<Self, InspectError> {
        match location {
            Location::Sqlite(path) => {
                if !Path::new(path).is_file() {
                    return Err(InspectError::NoDatabase { path: path.clone() });
                }
                let options = SqliteOptions::from_env(env, Some(path.clone()))?;
                let connect = SqliteConnectOptions::from_str("sqlite:")
                    .map_err(|error| InspectError::open(path, error))?
                    .filename(path)
                    .read_only(true)
                    .busy_timeout(options.lock_timeout);
                let pool = SqlitePoolOptions::new()
                    .max_connections(2)
                    .connect_with(connect)
                    .await
                    .map_err(|error| InspectError::open(path, error))?;
                Ok(Database::Sqlite { path: path.clone(), pool })
            }
            Location::Postgres(url) => {
                let options = PostgresOptions::from_env(env, app.unwrap_or("inspect"), url.as_deref())?;
                let address = address(&options.connect);
                // Every transaction read-only: the server refuses any write.
                let connect = options.connect.clone().options([("default_transaction_read_only", "on")]);
                // One connection first, so that a server that cannot be reached is told
                // with its cause (refused, unknown host, bad password), not as a timeout.
                let timeout = options.connect_timeout.min(Duration::from_secs(10));
                match tokio::time::timeout(timeout, PgConnection::connect_with(&connect)).await {
                    Ok(Ok(connection)) => drop(connection.close().await),
                    Ok(Err(error)) => return Err(InspectError::open(&address, error)),
                    Err(_) => return Err(InspectError::open(&address, sqlx::Error::PoolTimedOut)),
                }
                let pool = PgPoolOptions::new().max_connections(2).acquire_timeout(timeout).connect_lazy_with(connect);
                Ok(Database::Postgres { pool, schema: options.schema, address })
            }
        }
    }

    /// Every application table: SQLite's in the file, PostgreSQL's in the schema (named
    /// `<application>_events`, `_snapshots` and `_tracking`).
    pub(crate) async fn tables(&self) -> Result<Vec<Table>, InspectError> {
        match self {
            Database::Sqlite { pool, path } => {
                let names: Vec<String> = sqlx::query_scalar(
                    "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
                )
                .fetch_all(pool)
                .await
                .map_err(|error| InspectError::query(path, error))?;
                let mut tables = Vec::new();
                for name in names {
                    let has_state =
                        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = 'state'")
                            .bind(&name)
                            .fetch_one(pool)
                            .await
                            .map_err(|error| InspectError::query(path, error))?
                            > 0;
                    let table = quote(&name);
                    let sql = if has_state {
                        format!("SELECT COUNT(*), COALESCE(SUM(LENGTH(state)), 0) FROM {table}")
                    } else {
                        format!("SELECT COUNT(*), 0 FROM {table}")
                    };
                    let row = sqlx::query(AssertSqlSafe(sql))
                        .fetch_one(pool)
                        .await
                        .map_err(|error| InspectError::query(path, error))?;
                    tables.push(Table {
                        application: None,
                        name,
                        rows: count(row.get(0)),
                        state_bytes: has_state.then(|| count(row.get(1))),
                        disk_bytes: None,
                    });
                }
                Ok(tables)
            }
            Database::Postgres { pool, schema, address } => {
                let found: Vec<(String, i64, bool)> = sqlx::query_as(
                    "SELECT c.relname::text, pg_total_relation_size(c.oid), \
                       EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'state') \
                     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                     WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') \
                       AND (c.relname LIKE '%\\_events' OR c.relname LIKE '%\\_snapshots' OR c.relname LIKE '%\\_tracking') \
                     ORDER BY c.relname",
                )
                .bind(schema)
                .fetch_all(pool)
                .await
                .map_err(|error| InspectError::query(address, error))?;
                let mut tables = Vec::new();
                for (name, disk, has_state) in found {
                    let qualified = format!("{}.{}", quote(schema), quote(&name));
                    let sql = if has_state {
                        format!("SELECT COUNT(*), COALESCE(SUM(octet_length(state)), 0)::bigint FROM {qualified}")
                    } else {
                        format!("SELECT COUNT(*), 0::bigint FROM {qualified}")
                    };
                    let row = sqlx::query(AssertSqlSafe(sql))
                        .fetch_one(pool)
                        .await
                        .map_err(|error| InspectError::query(address, error))?;
                    let application = ["_events", "_snapshots", "_tracking"]
                        .iter()
                        .find_map(|suffix| name.strip_suffix(suffix))
                        .map(str::to_owned);
                    tables.push(Table {
                        application,
                        name: format!("{schema}.{name}"),
                        rows: count(row.get(0)),
                        state_bytes: has_state.then(|| count(row.get(1))),
                        disk_bytes: Some(count(disk)),
                    });
                }
                Ok(tables)
            }
        }
    }

    /// The size of the database file (and its write-ahead log), for SQLite.
    pub(crate) fn file_bytes(&self) -> Option<u64> {
        let Database::Sqlite { path, .. } = self else { return None };
        let size = |suffix: &str| std::fs::metadata(format!("{path}{suffix}")).map_or(0, |m| m.len());
        Some(size("") + size("-wal"))
    }

    /// Where the database is, for messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            Database::Sqlite { path, .. } => format!("SQLite database {path}"),
            Database::Postgres { schema, address, .. } => format!("PostgreSQL {address}, schema {schema}"),
        }
    }

    /// The events table of the application, for SQL of the inspector's own.
    fn events_table(&self, app: &App) -> String {
        match self {
            Database::Sqlite { .. } => "stored_events".into(),
            Database::Postgres { schema, .. } => {
                format!("{}.{}", quote(schema), quote(&format!("{}_events", app.prefix)))
            }
        }
    }

    fn tracking_table(&self, app: &App) -> String {
        match self {
            Database::Sqlite { .. } => "tracking".into(),
            Database::Postgres { schema, .. } => {
                format!("{}.{}", quote(schema), quote(&format!("{}_tracking", app.prefix)))
            }
        }
    }

    /// Counts of the application's events.
    pub(crate) async fn counts(&self, app: &App) -> Result<Counts, InspectError> {
        let events = self.events_table(app);
        let tracking = self.tracking_table(app);
        let aggregates = format!("SELECT COUNT(DISTINCT originator_id) FROM {events}");
        let topics = format!("SELECT topic, COUNT(*) FROM {events} GROUP BY topic ORDER BY COUNT(*) DESC, topic");
        let positions = format!("SELECT application_name, notification_id FROM {tracking} ORDER BY application_name");
        let (aggregates, topics, tracking) = match self {
            Database::Sqlite { pool, path } => {
                let fail = |error| InspectError::query(path, error);
                let aggregates: i64 =
                    sqlx::query_scalar(AssertSqlSafe(aggregates)).fetch_one(pool).await.map_err(fail)?;
                let topics: Vec<(String, i64)> =
                    sqlx::query_as(AssertSqlSafe(topics)).fetch_all(pool).await.map_err(fail)?;
                let tracking: Vec<(String, i64)> =
                    sqlx::query_as(AssertSqlSafe(positions)).fetch_all(pool).await.unwrap_or_default();
                (aggregates, topics, tracking)
            }
            Database::Postgres { pool, address, .. } => {
                let fail = |error| InspectError::query(address, error);
                let aggregates: i64 =
                    sqlx::query_scalar(AssertSqlSafe(aggregates)).fetch_one(pool).await.map_err(fail)?;
                let topics: Vec<(String, i64)> =
                    sqlx::query_as(AssertSqlSafe(topics)).fetch_all(pool).await.map_err(fail)?;
                // A process application's tracking table; other applications have none.
                let tracking: Vec<(String, i64)> =
                    sqlx::query_as(AssertSqlSafe(positions)).fetch_all(pool).await.unwrap_or_default();
                (aggregates, topics, tracking)
            }
        };
        Ok(Counts {
            aggregates: count(aggregates),
            max_notification_id: app.recorder.max_notification_id().await?,
            topics: topics.into_iter().map(|(topic, n)| (topic, count(n))).collect(),
            tracking: tracking.into_iter().map(|(name, id)| (name, count(id))).collect(),
        })
    }

    /// The application called `name` (its tables' prefix on PostgreSQL), with the
    /// environment's `ORIGINATOR_ID_TYPE` (on PostgreSQL, the tables' own column type when
    /// the variable is not set).
    pub(crate) async fn app(&self, name: &str, env: &Environment) -> Result<App, InspectError> {
        match self {
            Database::Sqlite { pool, path } => {
                let mut options = SqliteOptions::from_env(env, Some(path.clone()))?;
                options.create_tables = false;
                let present: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = 'stored_events'",
                )
                .fetch_one(pool)
                .await
                .map_err(|error| InspectError::query(path, error))?;
                if present == 0 {
                    return Err(InspectError::NoTables { application: name.into(), place: self.describe() });
                }
                let store = SqliteStore::with_pool(pool.clone(), options).await?;
                Ok(App { prefix: name.to_lowercase(), recorder: Recorder::Sqlite(store.events()) })
            }
            Database::Postgres { pool, schema, address } => {
                let mut options = PostgresOptions::from_env(env, name, Some("postgres://localhost"))?;
                options.create_tables = false;
                let column: Option<String> = sqlx::query_scalar(
                    "SELECT data_type::text FROM information_schema.columns \
                     WHERE table_schema = $1 AND table_name = $2 AND column_name = 'originator_id'",
                )
                .bind(schema)
                .bind(format!("{}_events", options.prefix))
                .fetch_optional(pool)
                .await
                .map_err(|error| InspectError::query(address, error))?;
                let Some(column) = column else {
                    return Err(InspectError::NoTables { application: name.into(), place: self.describe() });
                };
                if env.get("ORIGINATOR_ID_TYPE").is_none() {
                    options.id_type = if column == "uuid" { IdType::Uuid } else { IdType::Text };
                }
                options.schema.clone_from(schema);
                let prefix = options.prefix.clone();
                let store = PostgresStore::with_pool(pool.clone(), options).await?;
                Ok(App { prefix, recorder: Recorder::Postgres(store.events()) })
            }
        }
    }
}

fn address(connect: &PgConnectOptions) -> String {
    format!(
        "{}:{}/{}",
        connect.get_host(),
        connect.get_port(),
        connect.get_database().unwrap_or(connect.get_username())
    )
}

/// One application's events, through the library's own recorders.
#[derive(Debug)]
pub(crate) struct App {
    /// The tables' prefix (PostgreSQL).
    prefix: String,
    /// Its events.
    pub(crate) recorder: Recorder,
}

/// The events recorder of either store.
#[derive(Debug)]
pub(crate) enum Recorder {
    /// SQLite's.
    Sqlite(SqliteApplicationRecorder),
    /// PostgreSQL's.
    Postgres(PostgresApplicationRecorder),
}

impl Recorder {
    /// Notifications with ids greater than `after`, at most `limit`.
    pub(crate) async fn notifications(
        &self,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Notification>, PersistenceError> {
        let query = NotificationQuery::after(after, limit);
        match self {
            Recorder::Sqlite(recorder) => recorder.select_notifications(query).await,
            Recorder::Postgres(recorder) => recorder.select_notifications(query).await,
        }
    }

    /// The highest notification id.
    pub(crate) async fn max_notification_id(&self) -> Result<Option<u64>, PersistenceError> {
        match self {
            Recorder::Sqlite(recorder) => recorder.max_notification_id().await,
            Recorder::Postgres(recorder) => recorder.max_notification_id().await,
        }
    }

    /// Every event of one aggregate, oldest first.
    pub(crate) async fn events(&self, id: &OriginatorId) -> Result<Vec<StoredEvent>, PersistenceError> {
        match self {
            Recorder::Sqlite(recorder) => recorder.select_events(id, EventQuery::all()).await,
            Recorder::Postgres(recorder) => recorder.select_events(id, EventQuery::all()).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_sqlite_file_is_opened_read_only() {
        let path =
            std::env::temp_dir().join(format!("inspect-ro-{}.sqlite", uuid::Uuid::new_v4())).display().to_string();
        let writer = SqlitePool::connect(&format!("sqlite:{path}?mode=rwc")).await.unwrap();
        sqlx::query("CREATE TABLE t (x)").execute(&writer).await.unwrap();
        writer.close().await;
        let env = Environment::empty("");
        let database = Database::open(&Location::Sqlite(path.clone()), &env, None).await.unwrap();
        let Database::Sqlite { pool, .. } = &database else { unreachable!() };
        let error = sqlx::query("INSERT INTO t VALUES (1)").execute(pool).await.unwrap_err();
        assert!(error.to_string().contains("readonly"), "{error}");
        pool.close().await;
        std::fs::remove_file(&path).unwrap();
    }

    #[tokio::test]
    #[cfg_attr(not(postgres_tests), ignore = "set EVENTSOURCING_POSTGRES_TEST_URL to run it")]
    async fn a_postgres_session_is_read_only() {
        let url = std::env::var("EVENTSOURCING_POSTGRES_TEST_URL").unwrap();
        let env = Environment::empty("");
        let database = Database::open(&Location::Postgres(Some(url)), &env, None).await.unwrap();
        let Database::Postgres { pool, .. } = &database else { unreachable!() };
        let error = sqlx::query("CREATE TABLE public.inspect_never (x int)").execute(pool).await.unwrap_err();
        assert!(error.to_string().contains("read-only transaction"), "{error}");
    }
}
