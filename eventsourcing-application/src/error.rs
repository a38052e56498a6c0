use eventsourcing_core::domain::ReplayError;
use eventsourcing_core::environment::ConfigError;
use eventsourcing_core::persistence::{EventStoreError, MapperError, PersistenceError};
use thiserror::Error;

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
    #[error(
        "requested limit {limit} greater than section size {section_size}: select at most a section at a time, or go through the whole log with `notification_log().read(start)`"
    )]
    LimitTooLarge {
        /// The limit asked for.
        limit: usize,
        /// The application's section size.
        section_size: usize,
    },
    /// Two aggregate types of the application have the same stable name, so that they
    /// would read each other's records: give one `#[aggregate(name = "...")]`.
    #[error(
        "aggregate types {first} and {second} are both named {name:?}: stored records name their aggregate type by this name, so give one of them another with #[aggregate(name = \"...\")]"
    )]
    DuplicateName {
        /// The stable name.
        name: &'static str,
        /// The type the application met first.
        first: &'static str,
        /// The other type.
        second: &'static str,
    },
    /// A notification log section id is not `"first,last"`.
    #[error("invalid section id {section_id:?}: expected two numbers, like \"1,10\"")]
    InvalidSectionId {
        /// The id given.
        section_id: String,
    },
}

impl From<EventStoreError> for ApplicationError {
    fn from(error: EventStoreError) -> Self {
        match error {
            EventStoreError::Persistence(error) => ApplicationError::Persistence(error),
            EventStoreError::Mapper(error) => ApplicationError::Mapper(error),
            EventStoreError::Replay(error) => ApplicationError::Replay(error),
            EventStoreError::NoSnapshotRecorder => ApplicationError::SnapshottingDisabled,
            // The enum is non-exhaustive: a future kind keeps its message.
            other => ApplicationError::Persistence(PersistenceError::Other {
                message: other.to_string(),
                source: Some(Box::new(other)),
            }),
        }
    }
}

impl ApplicationError {
    /// Whether this is an optimistic concurrency conflict: the aggregate changed since it
    /// was read. Reload it and try the command again.
    pub fn is_conflict(&self) -> bool {
        matches!(self, ApplicationError::Persistence(e) if e.is_conflict())
    }
}
