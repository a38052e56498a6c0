//! Opening the stores an application's configuration names.

use eventsourcing_core::persistence::memory::InMemoryRecorder;
use eventsourcing_core::persistence::{AnyAggregateRecorder, AnyRecorder};

use crate::config::PersistenceModule;
use crate::environment::Environment;
use crate::error::{ApplicationError, ConfigError};

/// The recorders of one application: its events (with notifications and tracking), and
/// its snapshots if snapshotting is on.
#[derive(Debug, Clone)]
pub(crate) struct Stores {
    pub(crate) events: AnyRecorder,
    pub(crate) snapshots: Option<AnyAggregateRecorder>,
}

/// Which store to open, if not the one the environment names.
#[derive(Debug, Clone, Default)]
pub(crate) enum Choice {
    /// `PERSISTENCE_MODULE` and its settings.
    #[default]
    Environment,
    /// Given recorders.
    Recorders(Stores),
    /// SQLite at this path (or `:memory:`), other settings from the environment.
    #[cfg(feature = "sqlite")]
    SqlitePath(String),
    /// An existing SQLite pool.
    #[cfg(feature = "sqlite")]
    SqlitePool(sqlx::SqlitePool),
    /// PostgreSQL at this URL, other settings from the environment.
    #[cfg(feature = "postgres")]
    PostgresUrl(String),
    /// An existing PostgreSQL pool.
    #[cfg(feature = "postgres")]
    PostgresPool(sqlx::PgPool),
}

/// Opens the store `choice` names (`name` prefixes PostgreSQL's tables).
#[cfg_attr(not(feature = "postgres"), allow(unused_variables))]
#[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(clippy::unused_async))]
pub(crate) async fn open(
    choice: Choice,
    name: &str,
    env: &Environment,
    snapshotting: bool,
) -> Result<Stores, ApplicationError> {
    match choice {
        Choice::Recorders(stores) => Ok(stores),
        #[cfg(feature = "sqlite")]
        Choice::SqlitePath(path) => sqlite::open(sqlite::options(env, Some(path))?, snapshotting).await,
        #[cfg(feature = "sqlite")]
        Choice::SqlitePool(pool) => {
            sqlite::with_pool(pool, sqlite::options(env, Some(String::new()))?.0, snapshotting).await
        }
        #[cfg(feature = "postgres")]
        Choice::PostgresUrl(url) => postgres::open(postgres::options(env, name, Some(&url))?, None, snapshotting).await,
        #[cfg(feature = "postgres")]
        Choice::PostgresPool(pool) => {
            postgres::open(postgres::options(env, name, Some("postgres://localhost"))?, Some(pool), snapshotting).await
        }
        Choice::Environment => match PersistenceModule::from_env(env)? {
            PersistenceModule::Memory => Ok(Stores {
                events: AnyRecorder::new(InMemoryRecorder::new()),
                snapshots: snapshotting.then(|| AnyAggregateRecorder::new(InMemoryRecorder::new())),
            }),
            #[cfg(feature = "sqlite")]
            PersistenceModule::Sqlite => sqlite::open(sqlite::options(env, None)?, snapshotting).await,
            #[cfg(feature = "postgres")]
            PersistenceModule::Postgres => {
                postgres::open(postgres::options(env, name, None)?, None, snapshotting).await
            }
            #[allow(unreachable_patterns)]
            module => Err(not_compiled(env, module)),
        },
    }
}

fn not_compiled(env: &Environment, module: PersistenceModule) -> ApplicationError {
    let feature = if module == PersistenceModule::Sqlite { "sqlite" } else { "postgres" };
    let (variable, value) = env.lookup("PERSISTENCE_MODULE").map_or_else(
        || ("PERSISTENCE_MODULE".to_owned(), feature.to_owned()),
        |(variable, value)| (variable, value.to_owned()),
    );
    ConfigError::StoreNotCompiled { variable, value, feature }.into()
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
fn id_type(env: &Environment) -> Result<eventsourcing_sqlx::IdType, ConfigError> {
    match env.lookup("ORIGINATOR_ID_TYPE") {
        None => Ok(eventsourcing_sqlx::IdType::Uuid),
        Some((variable, value)) => match value.trim().to_ascii_lowercase().as_str() {
            "" | "uuid" => Ok(eventsourcing_sqlx::IdType::Uuid),
            "text" => Ok(eventsourcing_sqlx::IdType::Text),
            _ => Err(ConfigError::Invalid { variable, value: value.to_owned(), expected: "uuid or text".into() }),
        },
    }
}

/// A number of seconds, from zero (more than zero if `positive`) to the stores' longest
/// timeout.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
fn seconds(
    env: &Environment,
    key: &str,
    default: std::time::Duration,
    positive: bool,
) -> Result<std::time::Duration, ConfigError> {
    let Some((variable, value)) = env.lookup(key) else { return Ok(default) };
    let max = eventsourcing_sqlx::limits::MAX_TIMEOUT;
    let low = if positive { "more than 0" } else { "from 0" };
    let invalid = || ConfigError::Invalid {
        variable: variable.clone(),
        value: value.to_owned(),
        expected: format!("a number of seconds {low} to {}", max.as_secs_f64()),
    };
    let seconds: f64 = value.trim().parse().map_err(|_| invalid())?;
    let duration = std::time::Duration::try_from_secs_f64(seconds).map_err(|_| invalid())?;
    if duration > max || (positive && duration.is_zero()) {
        return Err(invalid());
    }
    Ok(duration)
}

/// A whole number in `range`.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
fn count(env: &Environment, key: &str, range: std::ops::RangeInclusive<u32>) -> Result<Option<u32>, ConfigError> {
    let Some((variable, value)) = env.lookup(key) else { return Ok(None) };
    let parsed = value.trim().parse::<u64>().ok().and_then(|n| u32::try_from(n).ok());
    match parsed.filter(|n| range.contains(n)) {
        Some(n) => Ok(Some(n)),
        None => Err(ConfigError::Invalid {
            variable,
            value: value.to_owned(),
            expected: format!("a whole number from {} to {}", range.start(), range.end()),
        }),
    }
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use eventsourcing_core::persistence::{AnyAggregateRecorder, AnyRecorder, PersistenceError};
    use eventsourcing_sqlx::limits::CONNECTIONS;
    use eventsourcing_sqlx::sqlite::{SqliteOptions, SqliteStore};

    use super::{Stores, count, id_type, seconds};
    use crate::environment::Environment;
    use crate::error::{ApplicationError, ConfigError};

    /// The settings, and the variable that named the database, if one did.
    pub(super) fn options(
        env: &Environment,
        path: Option<String>,
    ) -> Result<(SqliteOptions, Option<String>), ConfigError> {
        let (dbname, variable) = if let Some(path) = path {
            (path, None)
        } else {
            let (variable, dbname) = env.lookup("SQLITE_DBNAME").ok_or_else(|| ConfigError::Missing {
                variable: "SQLITE_DBNAME".into(),
                reason: "PERSISTENCE_MODULE is sqlite: give the database file, or :memory:".into(),
            })?;
            // Python refuses a blank name too; taking it for memory would lose everything
            // saved at exit.
            if dbname.trim().is_empty() {
                return Err(ConfigError::Invalid {
                    variable,
                    value: dbname.to_owned(),
                    expected: "a database file, or :memory: for a database in memory".into(),
                });
            }
            (dbname.to_owned(), Some(variable))
        };
        let mut options = SqliteOptions::new(dbname);
        options.lock_timeout = seconds(env, "SQLITE_LOCK_TIMEOUT", options.lock_timeout, false)?;
        options.create_tables = env.get_bool("CREATE_TABLE")?.unwrap_or(true);
        options.id_type = id_type(env)?;
        if let Some(size) = count(env, "SQLITE_POOL_SIZE", CONNECTIONS)? {
            options.pool_size = size;
        }
        Ok((options, variable))
    }

    pub(super) async fn open(
        (options, variable): (SqliteOptions, Option<String>),
        snapshotting: bool,
    ) -> Result<Stores, ApplicationError> {
        let store = SqliteStore::open(options).await.map_err(|error| match (error, variable) {
            (PersistenceError::Connection { message, source }, Some(variable)) => {
                PersistenceError::Connection { message: format!("{message} (the database {variable} names)"), source }
            }
            (error, _) => error,
        })?;
        Ok(stores(&store, snapshotting))
    }

    pub(super) async fn with_pool(
        pool: sqlx::SqlitePool,
        options: SqliteOptions,
        snapshotting: bool,
    ) -> Result<Stores, ApplicationError> {
        let store = SqliteStore::with_pool(pool, options).await?;
        Ok(stores(&store, snapshotting))
    }

    fn stores(store: &SqliteStore, snapshotting: bool) -> Stores {
        Stores {
            events: AnyRecorder::new(store.events()),
            snapshots: snapshotting.then(|| AnyAggregateRecorder::new(store.snapshots())),
        }
    }
}

#[cfg(feature = "postgres")]
mod postgres {
    use eventsourcing_core::persistence::{AnyAggregateRecorder, AnyRecorder};
    use eventsourcing_sqlx::postgres::{PostgresOptions, PostgresStore};
    use sqlx::postgres::PgConnectOptions;

    use eventsourcing_sqlx::limits::MAX_CONNECTIONS;

    use super::{Stores, count, id_type, seconds};
    use crate::environment::Environment;
    use crate::error::{ApplicationError, ConfigError};

    fn required<'a>(env: &'a Environment, key: &str) -> Result<&'a str, ConfigError> {
        env.get(key).ok_or_else(|| ConfigError::Missing {
            variable: key.into(),
            reason: "PERSISTENCE_MODULE is postgres: give POSTGRES_DBNAME, POSTGRES_HOST and POSTGRES_USER (or POSTGRES_URL)"
                .into(),
        })
    }

    pub(super) fn options(env: &Environment, name: &str, url: Option<&str>) -> Result<PostgresOptions, ConfigError> {
        let url = url.map(str::to_owned).or_else(|| env.get("POSTGRES_URL").map(str::to_owned));
        let connect = if let Some(url) = url {
            url.parse::<PgConnectOptions>().map_err(|e| ConfigError::Invalid {
                variable: "POSTGRES_URL".into(),
                value: "(hidden)".into(),
                expected: format!("a postgres:// URL ({e})"),
            })?
        } else {
            let port: u16 = env.get_parsed("POSTGRES_PORT", "a port number from 1 to 65535")?.unwrap_or(5432);
            if port == 0 {
                let (variable, value) = env.lookup("POSTGRES_PORT").unwrap_or_default();
                return Err(ConfigError::Invalid {
                    variable,
                    value: value.to_owned(),
                    expected: "a port number from 1 to 65535".into(),
                });
            }
            let mut connect = PgConnectOptions::new()
                .host(required(env, "POSTGRES_HOST")?)
                .port(port)
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
        options.id_type = id_type(env)?;
        options.create_tables = env.get_bool("CREATE_TABLE")?.unwrap_or(true);
        options.lock_timeout = seconds(env, "POSTGRES_LOCK_TIMEOUT", options.lock_timeout, false)?;
        options.connect_timeout = seconds(env, "POSTGRES_CONNECT_TIMEOUT", options.connect_timeout, true)?;
        options.max_age = seconds(env, "POSTGRES_CONN_MAX_AGE", options.max_age, true)?;
        options.pre_ping = env.get_bool("POSTGRES_PRE_PING")?.unwrap_or(options.pre_ping);
        if let Some(size) = count(env, "POSTGRES_POOL_SIZE", 0..=MAX_CONNECTIONS)? {
            options.pool_size = size;
        }
        if let Some(overflow) = count(env, "POSTGRES_MAX_OVERFLOW", 0..=MAX_CONNECTIONS)? {
            options.max_overflow = overflow;
        }
        let connections = options.pool_size + options.max_overflow;
        if !(1..=MAX_CONNECTIONS).contains(&connections) {
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

    pub(super) async fn open(
        options: PostgresOptions,
        pool: Option<sqlx::PgPool>,
        snapshotting: bool,
    ) -> Result<Stores, ApplicationError> {
        let store = match pool {
            Some(pool) => PostgresStore::with_pool(pool, options).await?,
            None => PostgresStore::open(options).await?,
        };
        Ok(Stores {
            events: AnyRecorder::new(store.events()),
            snapshots: snapshotting.then(|| AnyAggregateRecorder::new(store.snapshots())),
        })
    }
}
