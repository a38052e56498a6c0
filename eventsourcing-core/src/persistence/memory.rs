//! The in-memory store: the default, for tests and for applications that need no
//! durability. Each [`InMemoryRecorder`] is a separate store.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::watch;

use super::error::PersistenceError;
use super::recorder::{
    AggregateRecorder, ApplicationRecorder, ProcessRecorder, Result, Subscription, TrackingRecorder,
};
use super::stored::{EventQuery, Notification, NotificationQuery, OriginatorId, SelectedEvents, StoredEvent, Tracking};
use super::subscription::follow;

/// Events, notifications and tracking positions held in memory.
///
/// Cloning gives another handle to the same store. Notification ids are contiguous from 1.
#[derive(Clone, Debug)]
pub struct InMemoryRecorder {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    /// The largest notification id, sent after each commit to wake subscriptions.
    committed: watch::Sender<u64>,
}

#[derive(Debug, Default)]
struct State {
    /// Notification id `n` is at index `n - 1`. Shared, so that loading an aggregate
    /// copies no record.
    events: Vec<Arc<StoredEvent>>,
    /// Positions in `events` by originator and version.
    index: HashMap<OriginatorId, Versions>,
    tracking: HashMap<String, u64>,
}

/// One aggregate's versions with their positions in `events`, in version order. Versions
/// almost always arrive in order, so recording one is a push (a lower one is put in its
/// place); one entry costs 16 bytes, where a map's first entry costs a node.
#[derive(Debug, Default)]
struct Versions(Vec<(u64, usize)>);

impl Versions {
    fn contains(&self, version: u64) -> bool {
        self.0.binary_search_by_key(&version, |&(v, _)| v).is_ok()
    }

    fn insert(&mut self, version: u64, position: usize) {
        match self.0.last() {
            Some(&(last, _)) if last >= version => {
                let at = self.0.partition_point(|&(v, _)| v < version);
                self.0.insert(at, (version, position));
            }
            _ => self.0.push((version, position)),
        }
    }

    /// The entries with versions greater than `gt` and at most `lte`.
    fn range(&self, gt: Option<u64>, lte: Option<u64>) -> &[(u64, usize)] {
        let start = gt.map_or(0, |gt| self.0.partition_point(|&(v, _)| v <= gt));
        let end = lte.map_or(self.0.len(), |lte| self.0.partition_point(|&(v, _)| v <= lte));
        &self.0[start..end.max(start)]
    }
}

impl Default for InMemoryRecorder {
    fn default() -> Self {
        Self::new()
    }
}

impl InMemoryRecorder {
    /// An empty store.
    pub fn new() -> Self {
        InMemoryRecorder { shared: Arc::new(Shared { state: Mutex::default(), committed: watch::Sender::new(0) }) }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave a half-written batch: every write is
        // checked before anything is changed.
        self.shared.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// One aggregate's events by `query`, each as `take` makes it of the stored one.
    fn select<T>(
        &self,
        originator_id: &OriginatorId,
        query: EventQuery,
        take: impl Fn(&Arc<StoredEvent>) -> T,
    ) -> Vec<T> {
        let state = self.state();
        let Some(versions) = state.index.get(originator_id) else { return Vec::new() };
        let range = versions.range(query.gt, query.lte).iter().map(|&(_, position)| take(&state.events[position]));
        let limit = query.limit.unwrap_or(usize::MAX);
        if query.desc { range.rev().take(limit).collect() } else { range.take(limit).collect() }
    }

    fn insert(&self, events: Vec<StoredEvent>, tracking: Option<Tracking>) -> Result<Vec<u64>> {
        let mut state = self.state();
        if let Some(tracking) = &tracking {
            let recorded = state.tracking.get(&tracking.application_name).copied();
            if recorded.is_some_and(|recorded| recorded >= tracking.notification_id) {
                return Err(PersistenceError::TrackingConflict {
                    application_name: tracking.application_name.clone(),
                    notification_id: tracking.notification_id,
                    recorded,
                });
            }
        }
        // Versions repeated within the batch (a single event cannot repeat itself).
        let mut batch = HashSet::with_capacity(if events.len() > 1 { events.len() } else { 0 });
        for event in &events {
            let taken = state.index.get(&event.originator_id).is_some_and(|v| v.contains(event.originator_version));
            if taken || (events.len() > 1 && !batch.insert((&event.originator_id, event.originator_version))) {
                return Err(PersistenceError::Conflict {
                    originator_id: event.originator_id.clone(),
                    originator_version: event.originator_version,
                });
            }
        }
        let mut ids = Vec::with_capacity(events.len());
        for event in events {
            let position = state.events.len();
            state.index.entry(event.originator_id.clone()).or_default().insert(event.originator_version, position);
            state.events.push(Arc::new(event));
            ids.push(position as u64 + 1);
        }
        if let Some(tracking) = tracking {
            state.tracking.insert(tracking.application_name, tracking.notification_id);
        }
        let max = state.events.len() as u64;
        drop(state);
        if !ids.is_empty() {
            // Concurrent inserts may get here in either order: the signal only moves forward.
            self.shared.committed.send_if_modified(|seen| {
                let newer = max > *seen;
                *seen = (*seen).max(max);
                newer
            });
        }
        Ok(ids)
    }
}

impl AggregateRecorder for InMemoryRecorder {
    async fn insert_events(&self, events: Vec<StoredEvent>) -> Result<Vec<u64>> {
        self.insert(events, None)
    }

    async fn select_events(&self, originator_id: &OriginatorId, query: EventQuery) -> Result<Vec<StoredEvent>> {
        Ok(self.select(originator_id, query, |event| StoredEvent::clone(event)))
    }

    async fn select_events_shared(&self, originator_id: &OriginatorId, query: EventQuery) -> Result<SelectedEvents> {
        Ok(SelectedEvents::shared(self.select(originator_id, query, Arc::clone)))
    }
}

impl ApplicationRecorder for InMemoryRecorder {
    async fn select_notifications(&self, query: NotificationQuery) -> Result<Vec<Notification>> {
        let state = self.state();
        let first = usize::try_from(query.first_id() - 1).unwrap_or(usize::MAX);
        Ok(state
            .events
            .iter()
            .enumerate()
            .skip(first)
            .map(|(position, event)| (position as u64 + 1, event))
            .take_while(|(id, _)| query.stop.is_none_or(|stop| *id <= stop))
            .filter(|(id, event)| query.matches(*id, &event.topic))
            .take(query.limit)
            .map(|(id, event)| Notification { id, event: StoredEvent::clone(event) })
            .collect())
    }

    async fn max_notification_id(&self) -> Result<Option<u64>> {
        let len = self.state().events.len() as u64;
        Ok((len > 0).then_some(len))
    }

    async fn subscribe(&self, gt: Option<u64>, topics: Vec<String>) -> Result<Subscription> {
        Ok(follow(self.clone(), gt, topics, self.shared.committed.subscribe(), None))
    }
}

impl TrackingRecorder for InMemoryRecorder {
    async fn insert_tracking(&self, tracking: Tracking) -> Result<()> {
        self.insert(Vec::new(), Some(tracking)).map(drop)
    }

    async fn max_tracking_id(&self, application_name: &str) -> Result<Option<u64>> {
        Ok(self.state().tracking.get(application_name).copied())
    }
}

impl ProcessRecorder for InMemoryRecorder {
    async fn insert_events_with_tracking(
        &self,
        events: Vec<StoredEvent>,
        tracking: Option<Tracking>,
    ) -> Result<Vec<u64>> {
        self.insert(events, tracking)
    }
}

#[cfg(test)]
mod tests {
    use super::Versions;

    #[test]
    fn versions_stay_in_order_and_ranges_are_exclusive_below_inclusive_above() {
        let mut versions = Versions::default();
        for (version, position) in [(1, 10), (2, 11), (5, 12), (3, 13), (4, 14)] {
            versions.insert(version, position);
        }
        assert_eq!(versions.0, [(1, 10), (2, 11), (3, 13), (4, 14), (5, 12)]);
        assert!(versions.contains(3) && !versions.contains(6));
        assert_eq!(versions.range(None, None).len(), 5);
        assert_eq!(versions.range(Some(2), Some(4)), [(3, 13), (4, 14)]);
        assert_eq!(versions.range(Some(4), None), [(5, 12)]);
        assert_eq!(versions.range(None, Some(1)), [(1, 10)]);
        assert!(versions.range(Some(4), Some(2)).is_empty());
        assert!(versions.range(Some(3), Some(3)).is_empty());
    }
}
