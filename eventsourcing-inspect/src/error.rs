//! What can stop the inspector before it has looked at a record.

use eventsourcing_core::environment::ConfigError;
use eventsourcing_core::persistence::PersistenceError;

/// Why the inspector could not run.
#[derive(Debug, thiserror::Error)]
pub(crate) enum InspectError {
    /// A setting cannot be used.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The store failed.
    #[error(transparent)]
    Persistence(#[from] PersistenceError),
    /// No database was named.
    #[error(
        "no store to inspect: give --sqlite PATH or --postgres URL, or set PERSISTENCE_MODULE (sqlite or postgres) \
         as for the application (the in-memory store keeps nothing between processes)"
    )]
    NoStore,
    /// The SQLite file does not exist (it is never created).
    #[error("no SQLite database at {path}: the inspector opens existing databases only, read-only")]
    NoDatabase {
        /// The path given.
        path: String,
    },
    /// The database could not be opened.
    #[error("cannot open {place}: {source}")]
    Open {
        /// The file or server.
        place: String,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// A query of the inspector's own failed.
    #[error("cannot read {place}: {source}")]
    Query {
        /// The file or server.
        place: String,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// The command needs an application's name.
    #[error(
        "give the application's name with --app NAME (its tables are named after it, and its settings may be prefixed with it)"
    )]
    NoApp,
    /// The application has no tables there.
    #[error("no tables of the application {application:?} in the {place}: `tables` lists those there are")]
    NoTables {
        /// The name given.
        application: String,
        /// The database.
        place: String,
    },
    /// The aggregate has no events.
    #[error("no events of the aggregate {id} in the {place}")]
    NoAggregate {
        /// The id given.
        id: String,
        /// The database.
        place: String,
    },
    /// Output could not be written.
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}

impl InspectError {
    pub(crate) fn open(place: &str, source: sqlx::Error) -> Self {
        InspectError::Open { place: place.to_owned(), source }
    }

    pub(crate) fn query(place: &str, source: sqlx::Error) -> Self {
        InspectError::Query { place: place.to_owned(), source }
    }
}
