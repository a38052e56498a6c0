//! Materialised views: where projections write, with the tracking position of what they
//! have processed committed in the same transaction as their writes.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::error::PersistenceError;
use super::recorder::Result;
use super::stored::Tracking;

/// A store of a projection's view that writes in transactions which also record how far
/// the projection has got (Python's materialised view: a tracking recorder with the
/// view's own writes).
///
/// A projection receives [`View::Transaction`] for each batch of events, writes through
/// it, and the runner commits it with the tracking position: either both are stored or
/// neither, so no event is ever applied twice or skipped.
pub trait View: Send + Sync + 'static {
    /// What a projection writes through while a batch is open: the open database
    /// transaction (`sqlx::Transaction`) of the SQL views, a working copy of the state for
    /// [`MemoryView`].
    type Transaction: Send;

    /// Opens a transaction.
    fn begin(&self) -> impl Future<Output = Result<Self::Transaction>> + Send;

    /// Records `tracking` in the transaction and commits it. The position must be beyond
    /// the one recorded for its application, otherwise nothing is stored and the result is
    /// [`PersistenceError::TrackingConflict`] (another runner got there first).
    fn commit(&self, transaction: Self::Transaction, tracking: Tracking) -> impl Future<Output = Result<()>> + Send;

    /// The position recorded for the upstream application `application_name`, if any.
    fn max_tracking_id(&self, application_name: &str) -> impl Future<Output = Result<Option<u64>>> + Send;
}

/// A view held in memory: a state of any type, changed by projections through a working
/// copy that replaces it, together with the tracking position, when a batch commits.
/// For tests and examples. Cloning gives another handle to the same view.
#[derive(Debug)]
pub struct MemoryView<S> {
    shared: Arc<Mutex<Held<S>>>,
}

#[derive(Debug, Default)]
struct Held<S> {
    state: S,
    tracking: HashMap<String, u64>,
}

impl<S> Clone for MemoryView<S> {
    fn clone(&self) -> Self {
        MemoryView { shared: self.shared.clone() }
    }
}

impl<S: Default> Default for MemoryView<S> {
    fn default() -> Self {
        MemoryView { shared: Arc::new(Mutex::new(Held { state: S::default(), tracking: HashMap::new() })) }
    }
}

impl<S> MemoryView<S> {
    /// A view starting from `state`.
    pub fn new(state: S) -> Self {
        MemoryView { shared: Arc::new(Mutex::new(Held { state, tracking: HashMap::new() })) }
    }

    /// Reads the committed state.
    pub fn read<R>(&self, read: impl FnOnce(&S) -> R) -> R {
        read(&self.held().state)
    }

    fn held(&self) -> MutexGuard<'_, Held<S>> {
        // The state is only ever replaced whole, after a batch: a panic cannot leave half of one.
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<S: Clone + Send + 'static> View for MemoryView<S> {
    type Transaction = S;

    async fn begin(&self) -> Result<S> {
        Ok(self.held().state.clone())
    }

    async fn commit(&self, transaction: S, tracking: Tracking) -> Result<()> {
        let mut held = self.held();
        let recorded = held.tracking.get(&tracking.application_name).copied();
        if recorded.is_some_and(|recorded| recorded >= tracking.notification_id) {
            return Err(PersistenceError::TrackingConflict {
                application_name: tracking.application_name,
                notification_id: tracking.notification_id,
                recorded,
            });
        }
        held.state = transaction;
        held.tracking.insert(tracking.application_name, tracking.notification_id);
        Ok(())
    }

    async fn max_tracking_id(&self, application_name: &str) -> Result<Option<u64>> {
        Ok(self.held().tracking.get(application_name).copied())
    }
}
