use eventsourcing_core::domain::ReplayError;
use eventsourcing_core::persistence::{MapperError, PersistenceError};
use thiserror::Error;

/// A setting that cannot be used. Each variant names the variable.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The value is not one the setting accepts.
    #[error("{variable}={value:?} is invalid: expected {expected}")]
    Invalid {
        /// The variable, as found (with or without the application's prefix).
        variable: String,
        /// Its value.
        value: String,
        /// What it should be.
        expected: String,
    },
    /// A required setting is missing.
    #[error("{variable} is required: {reason}")]
    Missing {
        /// The variable.
        variable: String,
        /// Why it is needed.
        reason: String,
    },
    /// The store named by `PERSISTENCE_MODULE` is not compiled in.
    #[error("{variable}={value:?} needs the `{feature}` feature of the eventsourcing crate")]
    StoreNotCompiled {
        /// The variable.
        variable: String,
        /// Its value.
        value: String,
        /// The feature to enable.
        feature: &'static str,
    },
}

/// What went wrong in an application.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ApplicationError {
    /// The configuration cannot be used.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The store failed; a version conflict is [`PersistenceError::Conflict`] (see
    /// [`ApplicationError::is_conflict`]).
    #[error(transparent)]
    Persistence(#[from] PersistenceError),
    /// A stored record could not be written or read.
    #[error(transparent)]
    Mapper(#[from] MapperError),
    /// Stored events could not be replayed into the aggregate.
    #[error(transparent)]
    Replay(#[from] ReplayError),
    /// No aggregate of this type and id exists (or it was discarded).
    #[error("{aggregate} {id} not found{}", .version.map(|v| format!(" at version {v}")).unwrap_or_default())]
    NotFound {
        /// The aggregate type's name.
        aggregate: &'static str,
        /// The id asked for.
        id: String,
        /// The version asked for.
        version: Option<u64>,
    },
    /// Snapshotting is not enabled for this application.
    #[error(
        "cannot take a snapshot: the application has no snapshot store; set IS_SNAPSHOTTING_ENABLED=y, or use the builder's `snapshotting(true)` or `snapshot_every`"
    )]
    SnapshottingDisabled,
    /// More notifications were asked for than one section holds.
    #[error("requested limit {limit} greater than section size {section_size}")]
    LimitTooLarge {
        /// The limit asked for.
        limit: usize,
        /// The application's section size.
        section_size: usize,
    },
    /// A notification log section id is not `"first,last"`.
    #[error("invalid section id {section_id:?}: expected two numbers, like \"1,10\"")]
    InvalidSectionId {
        /// The id given.
        section_id: String,
    },
}

impl ApplicationError {
    /// Whether this is an optimistic concurrency conflict: the aggregate changed since it
    /// was read. Reload it and try the command again.
    pub fn is_conflict(&self) -> bool {
        matches!(self, ApplicationError::Persistence(e) if e.is_conflict())
    }
}
