//! The aggregate cache: recently used aggregates, by type and id.

use std::any::Any;
use std::num::NonZeroUsize;
use std::sync::{Mutex, PoisonError};

use eventsourcing_core::domain::{Aggregate, AggregateId};
use eventsourcing_core::persistence::OriginatorId;
use lru::LruCache;

type Key = (&'static str, OriginatorId);

/// A least-recently-used cache of aggregates. Entries are copies: callers get clones, and
/// put back only newer versions, so concurrent commands never see each other's
/// uncommitted changes and a stale entry is only ever a starting point for fast-forward.
pub(crate) struct Cache {
    entries: Mutex<LruCache<Key, Box<dyn Any + Send + Sync>>>,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let entries = self.lock();
        f.debug_struct("Cache").field("len", &entries.len()).field("cap", &entries.cap()).finish()
    }
}

impl Cache {
    /// At most `max_size` aggregates; 0 means unbounded.
    pub(crate) fn new(max_size: usize) -> Self {
        // `LruCache::new` reserves room for `max_size` entries up front; a large setting
        // would allocate it all at start-up. Bounding an unbounded cache reserves nothing.
        let mut entries = LruCache::unbounded();
        if let Some(max_size) = NonZeroUsize::new(max_size) {
            entries.resize(max_size);
        }
        Cache { entries: Mutex::new(entries) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<Key, Box<dyn Any + Send + Sync>>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn get<A: Aggregate + Clone + 'static>(&self, id: &OriginatorId) -> Option<A> {
        self.lock().get(&(A::NAME, id.clone())).and_then(|entry| entry.downcast_ref::<A>()).cloned()
    }

    /// Keeps `aggregate` unless the cache holds a newer version.
    pub(crate) fn put<A: Aggregate + Clone + Send + Sync + 'static>(&self, aggregate: &A) {
        let key = (A::NAME, aggregate.id().to_originator_id());
        let mut entries = self.lock();
        let newer =
            entries.peek(&key).and_then(|e| e.downcast_ref::<A>()).is_some_and(|c| c.version() > aggregate.version());
        if !newer {
            let mut copy = aggregate.clone();
            copy.collect_events();
            entries.put(key, Box::new(copy));
        }
    }

    pub(crate) fn remove<A: Aggregate>(&self, id: &OriginatorId) {
        self.lock().pop(&(A::NAME, id.clone()));
    }
}
