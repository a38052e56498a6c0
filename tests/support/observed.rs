//! A recorder for tests: the in-memory store, plus a log of the event queries it
//! answered and a hook that rewrites what it returns (to tamper with stored records).

use std::sync::{Arc, Mutex};

use eventsourcing::persistence::memory::InMemoryRecorder;
use eventsourcing::persistence::{
    AggregateRecorder, ApplicationRecorder, EventQuery, Notification, NotificationQuery, OriginatorId, ProcessRecorder,
    Result, StoredEvent, Subscription, Tracking, TrackingRecorder,
};

type Rewrite = Box<dyn Fn(Vec<StoredEvent>) -> Vec<StoredEvent> + Send + Sync>;

#[derive(Clone, Default)]
pub struct Observed {
    pub inner: InMemoryRecorder,
    pub queries: Arc<Mutex<Vec<EventQuery>>>,
    rewrite: Arc<Mutex<Option<Rewrite>>>,
}

impl Observed {
    pub fn rewrite(&self, f: impl Fn(Vec<StoredEvent>) -> Vec<StoredEvent> + Send + Sync + 'static) {
        *self.rewrite.lock().unwrap() = Some(Box::new(f));
    }

    pub fn queries(&self) -> Vec<EventQuery> {
        self.queries.lock().unwrap().clone()
    }
}

impl AggregateRecorder for Observed {
    async fn insert_events(&self, events: Vec<StoredEvent>) -> Result<Vec<u64>> {
        self.inner.insert_events(events).await
    }

    async fn select_events(&self, originator_id: &OriginatorId, query: EventQuery) -> Result<Vec<StoredEvent>> {
        self.queries.lock().unwrap().push(query);
        let events = self.inner.select_events(originator_id, query).await?;
        Ok(match &*self.rewrite.lock().unwrap() {
            Some(rewrite) => rewrite(events),
            None => events,
        })
    }
}

impl ApplicationRecorder for Observed {
    async fn select_notifications(&self, query: NotificationQuery) -> Result<Vec<Notification>> {
        self.inner.select_notifications(query).await
    }

    async fn max_notification_id(&self) -> Result<Option<u64>> {
        self.inner.max_notification_id().await
    }

    async fn subscribe(&self, gt: Option<u64>, topics: Vec<String>) -> Result<Subscription> {
        self.inner.subscribe(gt, topics).await
    }
}

impl TrackingRecorder for Observed {
    async fn insert_tracking(&self, tracking: Tracking) -> Result<()> {
        self.inner.insert_tracking(tracking).await
    }

    async fn max_tracking_id(&self, application_name: &str) -> Result<Option<u64>> {
        self.inner.max_tracking_id(application_name).await
    }
}

impl ProcessRecorder for Observed {
    async fn insert_events_with_tracking(
        &self,
        events: Vec<StoredEvent>,
        tracking: Option<Tracking>,
    ) -> Result<Vec<u64>> {
        self.inner.insert_events_with_tracking(events, tracking).await
    }
}
