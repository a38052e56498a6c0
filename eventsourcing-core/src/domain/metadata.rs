use std::cell::Cell;
use std::future::Future;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Who an event is, and what caused it.
///
/// Every event gets a fresh `event_id`. `correlation_id` ties together everything that
/// follows from one original event (it is the original's own id), and `causation_id` names
/// the event that directly caused this one. An event recorded while handling another
/// (inside [`caused_by`]) inherits the other's correlation and is caused by it; otherwise
/// it starts its own correlation and has no cause (Python `eventsourcing` 7 and 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EventMetadata {
    /// This event's id.
    pub event_id: Uuid,
    /// The id of the event that started the chain of causes (this one's, if none).
    pub correlation_id: Uuid,
    /// The id of the event that caused this one.
    pub causation_id: Option<Uuid>,
}

thread_local! {
    static CAUSE: Cell<Option<EventMetadata>> = const { Cell::new(None) };
}

tokio::task_local! {
    static TASK_CAUSE: EventMetadata;
}

impl EventMetadata {
    /// Metadata for a new event: caused by the event being handled (see [`caused_by`]), if
    /// any.
    pub fn new() -> Self {
        if let Some(cause) = CAUSE.get().or_else(|| TASK_CAUSE.try_with(|cause| *cause).ok()) {
            return Self::caused_by(&cause);
        }
        let event_id = Uuid::new_v4();
        EventMetadata { event_id, correlation_id: event_id, causation_id: None }
    }

    /// Metadata for a new event caused by `cause`.
    pub fn caused_by(cause: &EventMetadata) -> Self {
        EventMetadata {
            event_id: Uuid::new_v4(),
            correlation_id: cause.correlation_id,
            causation_id: Some(cause.event_id),
        }
    }
}

impl Default for EventMetadata {
    fn default() -> Self {
        Self::new()
    }
}

/// Runs `f` as the handling of `cause`: events that commands trigger inside it (on this
/// thread) are caused by `cause` and share its correlation id. For an `async` handler,
/// whose work may move between threads, see [`caused_by_async`].
///
/// ```
/// use eventsourcing_core::domain::{EventMetadata, caused_by};
///
/// let cause = EventMetadata::new();
/// let effect = caused_by(&cause, EventMetadata::new);
/// assert_eq!(effect.causation_id, Some(cause.event_id));
/// assert_eq!(effect.correlation_id, cause.correlation_id);
/// assert_eq!(EventMetadata::new().causation_id, None);
/// ```
pub fn caused_by<R>(cause: &EventMetadata, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<EventMetadata>);
    impl Drop for Restore {
        fn drop(&mut self) {
            CAUSE.set(self.0);
        }
    }
    let _restore = Restore(CAUSE.replace(Some(*cause)));
    f()
}

/// Runs the future `handling` as the handling of `cause`: events that commands trigger
/// while it runs, on whichever thread polls it, are caused by `cause` and share its
/// correlation id. Process applications' policies run inside it.
///
/// ```
/// use eventsourcing_core::domain::{EventMetadata, caused_by_async};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let cause = EventMetadata::new();
/// let effect = caused_by_async(cause, async {
///     tokio::task::yield_now().await;
///     EventMetadata::new()
/// })
/// .await;
/// assert_eq!(effect.causation_id, Some(cause.event_id));
/// # });
/// ```
pub async fn caused_by_async<F: Future>(cause: EventMetadata, handling: F) -> F::Output {
    TASK_CAUSE.scope(cause, handling).await
}
