//! Process applications: applications whose policy reacts to another application's
//! events by changing aggregates of its own, each upstream event processed exactly once.

use std::future::Future;

use eventsourcing_core::domain::caused_by_async;
use eventsourcing_core::persistence::{
    BoxError, LogEvent, MapperError, NewEvents, Notification, PersistenceError, Tracking,
};
use thiserror::Error;

use crate::application::Application;
use crate::changes::Changes;
use crate::error::ApplicationError;
use crate::repository::Repository;

/// A process application's policy (Python's `ProcessApplication.policy`): what it does
/// with each event of the applications it follows.
///
/// `Event` says which events it handles, decoded by topic as for a projection:
/// [`Record<A>`](eventsourcing_core::persistence::Record) for one aggregate type, or an enum
/// with `#[derive(LogEvent)]` over several (of one or several upstream applications). Only
/// their topics are read from the upstream logs.
///
/// The policy reads its own aggregates through [`Processing::repository`] and hands the
/// ones it changes to [`Processing::collect`]; it must not save them itself. When it
/// returns, the collected events and the upstream position are recorded in one
/// transaction, so each upstream event is processed exactly once: a crash before the
/// commit means the event is processed again, and a second commit of the same position is
/// refused. Events that commands trigger inside the policy name the upstream event as
/// their cause and share its correlation id.
///
/// ```
/// # use eventsourcing::prelude::*;
/// # use eventsourcing::persistence::BoxError;
/// # use eventsourcing::system::{Policy, Processing};
/// # #[aggregate]
/// # #[derive(Debug, Clone, Serialize, Deserialize)]
/// # pub struct Dog { name: String }
/// # #[aggregate]
/// # impl Dog {
/// #     #[event("Registered")]
/// #     pub fn register(name: String) -> Self { Self { name } }
/// # }
/// #[aggregate]
/// #[derive(Debug, Clone, Serialize, Deserialize)]
/// pub struct Welcome { dog: Uuid }
///
/// #[aggregate]
/// impl Welcome {
///     #[event("Sent")]
///     pub fn send(dog: Uuid) -> Self { Self { dog } }
/// }
///
/// /// Welcomes every dog that registers.
/// pub struct Welcomer;
///
/// impl Policy for Welcomer {
///     type Event = Record<Dog>;
///
///     async fn policy(&self, event: Record<Dog>, processing: &mut Processing) -> Result<(), BoxError> {
///         if let Record::Event(event) = event {
///             if let DogEvent::Registered { .. } = event.payload {
///                 processing.collect(&mut Welcome::send(event.originator_id))?;
///             }
///         }
///         Ok(())
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no policy, so it cannot follow another application",
    label = "follows the application before it in the pipe",
    note = "implement `Policy` for `{Self}`: what it does with each event of the applications it follows"
)]
pub trait Policy: Send + Sync + 'static {
    /// The upstream events the policy handles, decoded by topic.
    type Event: LogEvent + Send;

    /// Processes one upstream event. An error stops the follower at this event; nothing
    /// collected for it is recorded, and a restarted follower begins again with it.
    fn policy(
        &self,
        event: Self::Event,
        processing: &mut Processing,
    ) -> impl Future<Output = Result<(), BoxError>> + Send;
}

/// What a policy works with while it processes one upstream event (Python's
/// `ProcessingEvent`): the process application's own aggregates, and the changes to record
/// with the upstream position.
#[derive(Debug)]
pub struct Processing {
    application: Application,
    tracking: Tracking,
    new: Vec<NewEvents>,
}

impl Processing {
    /// The process application itself.
    pub fn application(&self) -> &Application {
        &self.application
    }

    /// The process application's aggregates, as recorded so far.
    pub fn repository(&self) -> Repository {
        self.application.repository()
    }

    /// The upstream application and notification being processed.
    pub fn tracking(&self) -> &Tracking {
        &self.tracking
    }

    /// Collects the pending events of one or several aggregates (anything
    /// [`Application::save`] accepts) to be recorded with the upstream position when the
    /// policy returns. The events are encoded now and taken from the aggregates.
    ///
    /// # Errors
    /// An encoding error, or an aggregate type whose name another type of the application
    /// has; nothing of `changes` is collected.
    pub fn collect(&mut self, mut changes: impl Changes) -> Result<(), ApplicationError> {
        let start = self.new.len();
        self.application.prepare(&changes, &mut self.new)?;
        changes.commit(&mut self.new[start..].iter());
        Ok(())
    }
}

/// Why a follower stopped processing its leaders' events.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ProcessingError {
    /// The policy failed on a notification; nothing of it was recorded.
    #[error("{follower} stopped at notification {notification_id} of {leader}: the policy failed: {source}")]
    Policy {
        /// The process application.
        follower: String,
        /// The upstream application.
        leader: String,
        /// The notification being processed.
        notification_id: u64,
        /// The policy's error.
        #[source]
        source: BoxError,
    },
    /// A notification of one of the policy's topics could not be decoded, or its topic is
    /// one the policy's event type neither knows nor skips.
    #[error("{follower} stopped at notification {notification_id} of {leader}: {source}")]
    Decode {
        /// The process application.
        follower: String,
        /// The upstream application.
        leader: String,
        /// The notification.
        notification_id: u64,
        /// Why it could not be decoded.
        #[source]
        source: MapperError,
    },
    /// The new events and the position could not be recorded: a version conflict, a
    /// tracking conflict (the notification was processed already, by this follower or a
    /// rival one), or a store error.
    #[error("{follower} could not record its processing of notification {notification_id} of {leader}: {source}")]
    Record {
        /// The process application.
        follower: String,
        /// The upstream application.
        leader: String,
        /// The notification.
        notification_id: u64,
        /// The error.
        #[source]
        source: ApplicationError,
    },
    /// Reading the upstream log, or the follower's position in it, failed.
    #[error("{follower} could not read the notifications of {leader}: {source}")]
    Read {
        /// The process application.
        follower: String,
        /// The upstream application.
        leader: String,
        /// The store's error.
        #[source]
        source: PersistenceError,
    },
}

impl ProcessingError {
    /// The upstream notification the follower stopped at, if it stopped at one.
    pub fn notification_id(&self) -> Option<u64> {
        match self {
            ProcessingError::Policy { notification_id, .. }
            | ProcessingError::Decode { notification_id, .. }
            | ProcessingError::Record { notification_id, .. } => Some(*notification_id),
            ProcessingError::Read { .. } => None,
        }
    }

    /// The process application that stopped.
    pub fn follower(&self) -> &str {
        match self {
            ProcessingError::Policy { follower, .. }
            | ProcessingError::Decode { follower, .. }
            | ProcessingError::Record { follower, .. }
            | ProcessingError::Read { follower, .. } => follower,
        }
    }

    /// Whether the processing of the same notification is already recorded: a rival
    /// follower got there first, or it is being processed again.
    pub fn is_tracking_conflict(&self) -> bool {
        matches!(
            self,
            ProcessingError::Record {
                source: ApplicationError::Persistence(PersistenceError::TrackingConflict { .. }),
                ..
            }
        )
    }

    /// Whether the error is a lost connection or another fault that processing the same
    /// notification again may not meet.
    pub fn is_transient(&self) -> bool {
        match self {
            ProcessingError::Read { source, .. } => source.is_transient(),
            ProcessingError::Record { source: ApplicationError::Persistence(source), .. } => {
                source.is_transient() || matches!(source, PersistenceError::CommitOutcomeUnknown { .. })
            }
            _ => false,
        }
    }
}

/// Processes one notification of `leader` with `policy` into `follower` (Python's
/// `process_event`): decodes it with the leader's mapper, runs the policy in the
/// notification's causation scope, and records the collected events with the tracking
/// position `(leader, notification id)` in one transaction. A notification of a topic the
/// policy passes over records the position alone. Returns the new events' notification
/// ids.
///
/// Runners call this for every notification in order; it is public for custom runners
/// and tests.
///
/// # Errors
/// [`ProcessingError`] naming the notification; nothing was recorded. Processing a
/// notification whose position is already recorded is a tracking conflict
/// ([`ProcessingError::is_tracking_conflict`]).
pub async fn process_notification<P: Policy>(
    policy: &P,
    follower: &Application,
    leader: &Application,
    notification: &Notification,
) -> Result<Vec<u64>, ProcessingError> {
    let notification_id = notification.id;
    let names = || (follower.name().to_owned(), leader.name().to_owned());
    let event = P::Event::decode(leader.mapper(), notification).map_err(|source| {
        let (follower, leader) = names();
        ProcessingError::Decode { follower, leader, notification_id, source }
    })?;
    let tracking = Tracking::new(leader.name(), notification_id);
    let mut processing = Processing { application: follower.clone(), tracking, new: Vec::new() };
    if let Some(event) = event {
        let cause = *event.metadata();
        let span =
            tracing::debug_span!("policy", follower = %follower.name(), leader = %leader.name(), notification_id);
        let handled =
            caused_by_async(cause, tracing::Instrument::instrument(policy.policy(event, &mut processing), span));
        handled.await.map_err(|source| {
            let (follower, leader) = names();
            ProcessingError::Policy { follower, leader, notification_id, source }
        })?;
    }
    let Processing { tracking, mut new, .. } = processing;
    follower.record(&mut new, tracking).await.map_err(|source| {
        let (follower, leader) = names();
        ProcessingError::Record { follower, leader, notification_id, source }
    })
}
