use std::time::Duration;

use thiserror::Error;

use super::stored::OriginatorId;

/// A boxed error, as store errors carry their source.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong in a store.
///
/// A version conflict is its own variant, [`PersistenceError::Conflict`], on every store:
/// it is what optimistic concurrency control reports, and a caller may reload and retry.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PersistenceError {
    /// An event with this originator id and version is already stored (or appears twice in
    /// one batch). Nothing of the batch was written.
    #[error("conflict: {originator_id} already has version {originator_version} (nothing was written)")]
    Conflict {
        /// The aggregate's id.
        originator_id: OriginatorId,
        /// The version that was already taken.
        originator_version: u64,
    },
    /// A tracking position was not beyond the one recorded. Nothing was written.
    #[error(
        "tracking conflict: notification {notification_id} of {application_name:?} is not after the recorded position {recorded:?} (nothing was written)"
    )]
    TrackingConflict {
        /// The upstream application.
        application_name: String,
        /// The position that was to be recorded.
        notification_id: u64,
        /// The position already recorded.
        recorded: Option<u64>,
    },
    /// Waiting for a tracking position timed out.
    #[error(
        "timed out after {timeout:?} waiting for notification {notification_id} from {application_name:?} to be processed"
    )]
    WaitTimeout {
        /// The upstream application.
        application_name: String,
        /// The notification waited for.
        notification_id: u64,
        /// How long it waited.
        timeout: Duration,
    },
    /// The store could not be reached, or lost its connection. Transient: nothing was
    /// written, and the same call may succeed later (see [`PersistenceError::is_transient`]).
    #[error("connection to the store failed: {message}")]
    Connection {
        /// The driver's message, with the server's address when it helps.
        message: String,
        /// The error it comes from (the driver's), if any.
        #[source]
        source: Option<BoxError>,
    },
    /// The connection failed while a write was being committed, and the store could not
    /// find out whether the commit took effect: the write may or may not be stored.
    /// Retrying blindly could store it twice; read back to see (for events, whether the
    /// aggregate has the version that was written).
    #[error("commit outcome unknown: {message}")]
    CommitOutcomeUnknown {
        /// What failed, and why the outcome could not be resolved.
        message: String,
        /// The error it comes from (the driver's), if any.
        #[source]
        source: Option<BoxError>,
    },
    /// A lock could not be acquired in time.
    #[error("lock timeout in the store: {message}")]
    LockTimeout {
        /// The driver's message.
        message: String,
        /// The error it comes from (the driver's), if any.
        #[source]
        source: Option<BoxError>,
    },
    /// A table or schema the store needs is missing.
    #[error("missing table or schema: {message}")]
    MissingTable {
        /// The driver's message.
        message: String,
        /// The error it comes from (the driver's), if any.
        #[source]
        source: Option<BoxError>,
    },
    /// The store is misconfigured (for example, an invalid table name).
    #[error("store configuration: {message}")]
    Configuration {
        /// What is wrong.
        message: String,
        /// The error it comes from (the driver's), if any.
        #[source]
        source: Option<BoxError>,
    },
    /// Stored data is not what the store expects (for example, a text id in a UUID table).
    #[error("stored data is invalid: {message}")]
    Data {
        /// What is wrong.
        message: String,
    },
    /// Any other error from the store's driver.
    #[error("store error: {message}")]
    Other {
        /// The driver's message.
        message: String,
        /// The error it comes from (the driver's), if any.
        #[source]
        source: Option<BoxError>,
    },
}

impl PersistenceError {
    /// Attaches the error this one comes from (a driver's), for
    /// [`source()`](std::error::Error::source); variants without a source are returned
    /// as they are.
    #[must_use]
    pub fn with_source(mut self, error: impl Into<BoxError>) -> Self {
        match &mut self {
            PersistenceError::Connection { source, .. }
            | PersistenceError::CommitOutcomeUnknown { source, .. }
            | PersistenceError::LockTimeout { source, .. }
            | PersistenceError::MissingTable { source, .. }
            | PersistenceError::Configuration { source, .. }
            | PersistenceError::Other { source, .. } => *source = Some(error.into()),
            _ => {}
        }
        self
    }

    /// Whether this is an optimistic concurrency conflict on events.
    pub fn is_conflict(&self) -> bool {
        matches!(self, PersistenceError::Conflict { .. })
    }

    /// Whether the same call may succeed if made again later, with nothing to undo: the
    /// store could not be reached or lost its connection ([`PersistenceError::Connection`]).
    /// Subscriptions keep going through these; a conflict, or a
    /// [`PersistenceError::CommitOutcomeUnknown`], is not transient.
    pub fn is_transient(&self) -> bool {
        matches!(self, PersistenceError::Connection { .. })
    }
}
