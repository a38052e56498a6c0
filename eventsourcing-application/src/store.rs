//! Opening the stores an application's configuration names.

use eventsourcing_core::persistence::memory::InMemoryRecorder;
use eventsourcing_core::persistence::{AnyAggregateRecorder, AnyRecorder};

use crate::config::PersistenceModule;
use crate::error::ApplicationError;
use eventsourcing_core::environment::ConfigError;
use eventsourcing_core::environment::Environment;
#[cfg(feature = "postgres")]
use eventsourcing_sqlx::postgres::PostgresOptions;

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
        Choice::PostgresUrl(url) => {
            postgres::open(PostgresOptions::from_env(env, name, Some(&url))?, None, snapshotting).await
        }
        #[cfg(feature = "postgres")]
        Choice::PostgresPool(pool) => {
            postgres::open(
                PostgresOptions::from_env(env, name, Some("postgres://localhost"))?,
                Some(pool),
                snapshotting,
            )
            .await
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
                postgres::open(PostgresOptions::from_env(env, name, None)?, None, snapshotting).await
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

#[cfg(feature = "sqlite")]
mod sqlite {
    use eventsourcing_core::persistence::{AnyAggregateRecorder, AnyRecorder, PersistenceError};
    use eventsourcing_sqlx::sqlite::{SqliteOptions, SqliteStore};

    use super::Stores;
    use crate::error::ApplicationError;
    use eventsourcing_core::environment::{ConfigError, Environment};

    /// The settings, and the variable that named the database, if one did.
    pub(super) fn options(
        env: &Environment,
        path: Option<String>,
    ) -> Result<(SqliteOptions, Option<String>), ConfigError> {
        let variable = path.is_none().then(|| env.lookup("SQLITE_DBNAME").map(|(variable, _)| variable)).flatten();
        Ok((SqliteOptions::from_env(env, path)?, variable))
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

    use super::Stores;
    use crate::error::ApplicationError;

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
