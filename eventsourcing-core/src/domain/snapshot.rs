use chrono::{DateTime, Utc};

use super::aggregate::Aggregate;
use super::hash::EventHash;

/// The state of an aggregate at one version, from which it can be restored without
/// replaying the events before that version.
///
/// Taking a snapshot clones the aggregate (its pending events are left out); the state is
/// stored through `Serialize`, tagged with the aggregate's [`Aggregate::STATE_VERSION`]
/// (the stored form is the persistence layer's, beside that of events).
/// A state stored at an older version is upcast by the chain declared with
/// `#[aggregate(version = N, upcast(...))]` when the snapshot is read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot<A: Aggregate> {
    /// The aggregate's id.
    pub originator_id: A::Id,
    /// The aggregate's version when the snapshot was taken.
    pub originator_version: u64,
    /// When the snapshot was taken.
    pub timestamp: DateTime<Utc>,
    /// The aggregate's `created_on`.
    pub created_on: DateTime<Utc>,
    /// The aggregate's `modified_on`.
    pub modified_on: DateTime<Utc>,
    /// The aggregate's hash-chain head, if events are hash-chained.
    pub head: Option<EventHash>,
    /// The aggregate itself, with nothing pending.
    pub state: A,
}

impl<A: Aggregate + Clone> Snapshot<A> {
    /// Takes a snapshot of `aggregate` as it is now.
    #[must_use]
    pub fn take(aggregate: &A) -> Self {
        let mut state = aggregate.clone();
        state.collect_events();
        Snapshot {
            originator_id: aggregate.id().clone(),
            originator_version: aggregate.version(),
            timestamp: Utc::now(),
            created_on: aggregate.created_on(),
            modified_on: aggregate.modified_on(),
            head: aggregate.head(),
            state,
        }
    }
}

impl<A: Aggregate> Snapshot<A> {
    /// The aggregate, as it was when the snapshot was taken. Later events can then be
    /// applied with [`Aggregate::apply_events`].
    #[must_use]
    pub fn restore(self) -> A {
        let mut aggregate = self.state;
        aggregate.__meta_mut().restore(
            self.originator_id,
            self.originator_version,
            self.created_on,
            self.modified_on,
            self.head,
        );
        aggregate
    }
}
