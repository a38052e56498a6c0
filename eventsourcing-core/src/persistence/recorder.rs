use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use futures_util::future::BoxFuture;

use super::error::PersistenceError;
use super::stored::{EventQuery, Notification, NotificationQuery, OriginatorId, SelectedEvents, StoredEvent, Tracking};

/// Result of a store operation.
pub type Result<T, E = PersistenceError> = std::result::Result<T, E>;

/// Stores and selects the events of aggregates (used on its own for snapshots).
///
/// Every insert is atomic: if any `(originator_id, originator_version)` of the batch is
/// already stored, or appears twice in the batch, nothing is written and the result is
/// [`PersistenceError::Conflict`].
pub trait AggregateRecorder: Send + Sync {
    /// Inserts a batch of events, atomically. Returns their notification ids, in input
    /// order, if the recorder keeps a notification log; otherwise an empty list.
    fn insert_events(&self, events: Vec<StoredEvent>) -> impl Future<Output = Result<Vec<u64>>> + Send;

    /// Selects events of one aggregate, by version (see [`EventQuery`]).
    fn select_events(
        &self,
        originator_id: &OriginatorId,
        query: EventQuery,
    ) -> impl Future<Output = Result<Vec<StoredEvent>>> + Send;

    /// Selects events as [`select_events`](Self::select_events) does, for reading only: a
    /// store that keeps records in memory shares them rather than copying each one. The
    /// event store loads aggregates this way.
    fn select_events_shared(
        &self,
        originator_id: &OriginatorId,
        query: EventQuery,
    ) -> impl Future<Output = Result<SelectedEvents>> + Send {
        let selected = self.select_events(originator_id, query);
        async move { selected.await.map(SelectedEvents::from) }
    }
}

/// An aggregate recorder that also keeps every event in one sequence of notifications.
///
/// Notification ids increase in commit order: a reader that has seen id N never later
/// finds a committed notification with an id ≤ N. Ids may have gaps.
pub trait ApplicationRecorder: AggregateRecorder {
    /// Selects notifications in ascending id order (see [`NotificationQuery`]).
    fn select_notifications(&self, query: NotificationQuery) -> impl Future<Output = Result<Vec<Notification>>> + Send;

    /// The largest notification id, or `None` if nothing is recorded.
    fn max_notification_id(&self) -> impl Future<Output = Result<Option<u64>>> + Send;

    /// Notifications with ids greater than `gt` (all if `None`) and one of `topics` (all if
    /// empty): first those already recorded, then new ones as they are committed.
    fn subscribe(&self, gt: Option<u64>, topics: Vec<String>) -> impl Future<Output = Result<Subscription>> + Send;
}

/// Records how far a processor has got in the notifications of upstream applications.
pub trait TrackingRecorder: Send + Sync {
    /// Records a position. It must be beyond the one recorded for that application,
    /// otherwise [`PersistenceError::TrackingConflict`].
    fn insert_tracking(&self, tracking: Tracking) -> impl Future<Output = Result<()>> + Send;

    /// The position recorded for `application_name`, if any.
    fn max_tracking_id(&self, application_name: &str) -> impl Future<Output = Result<Option<u64>>> + Send;

    /// Whether notification `notification_id` of `application_name` has been processed
    /// (`None` is always processed).
    fn has_tracking_id(
        &self,
        application_name: &str,
        notification_id: Option<u64>,
    ) -> impl Future<Output = Result<bool>> + Send {
        async move {
            let Some(id) = notification_id else { return Ok(true) };
            Ok(self.max_tracking_id(application_name).await?.is_some_and(|max| max >= id))
        }
    }

    /// Waits until `notification_id` of `application_name` has been processed, polling with
    /// back-off from 100 ms to 800 ms, for at most `timeout`.
    fn wait(
        &self,
        application_name: &str,
        notification_id: Option<u64>,
        timeout: Duration,
    ) -> impl Future<Output = Result<()>> + Send {
        async move {
            let deadline = tokio::time::Instant::now() + timeout;
            let mut delay = Duration::from_millis(100);
            loop {
                if self.has_tracking_id(application_name, notification_id).await? {
                    return Ok(());
                }
                let now = tokio::time::Instant::now();
                if now >= deadline {
                    return Err(PersistenceError::WaitTimeout {
                        application_name: application_name.to_owned(),
                        notification_id: notification_id.unwrap_or_default(),
                        timeout,
                    });
                }
                tokio::time::sleep(delay.min(deadline - now)).await;
                delay = (delay * 2).min(Duration::from_millis(800));
            }
        }
    }
}

/// Records new events and a tracking position in one transaction: the exactly-once
/// guarantee of process applications.
pub trait ProcessRecorder: ApplicationRecorder + TrackingRecorder {
    /// Inserts events and, if given, the tracking position, atomically: a version conflict
    /// or a tracking position that is not beyond the recorded one writes nothing.
    fn insert_events_with_tracking(
        &self,
        events: Vec<StoredEvent>,
        tracking: Option<Tracking>,
    ) -> impl Future<Output = Result<Vec<u64>>> + Send;
}

/// A live sequence of notifications: catches up, then follows new ones. Dropping it stops it.
pub struct Subscription {
    inner: Pin<Box<dyn Stream<Item = Result<Notification>> + Send>>,
}

impl Subscription {
    /// Wraps a stream of notifications.
    pub fn new(stream: impl Stream<Item = Result<Notification>> + Send + 'static) -> Self {
        Subscription { inner: Box::pin(stream) }
    }
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription").finish_non_exhaustive()
    }
}

impl Stream for Subscription {
    type Item = Result<Notification>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// [`AggregateRecorder`] as a trait object, behind [`AnyAggregateRecorder`].
trait DynAggregateRecorder: Send + Sync {
    /// See [`AggregateRecorder::insert_events`].
    fn insert_events(&self, events: Vec<StoredEvent>) -> BoxFuture<'_, Result<Vec<u64>>>;
    /// See [`AggregateRecorder::select_events`].
    fn select_events<'a>(
        &'a self,
        originator_id: &'a OriginatorId,
        query: EventQuery,
    ) -> BoxFuture<'a, Result<Vec<StoredEvent>>>;
    /// See [`AggregateRecorder::select_events_shared`].
    fn select_events_shared<'a>(
        &'a self,
        originator_id: &'a OriginatorId,
        query: EventQuery,
    ) -> BoxFuture<'a, Result<SelectedEvents>>;
}

impl<T: AggregateRecorder> DynAggregateRecorder for T {
    fn insert_events(&self, events: Vec<StoredEvent>) -> BoxFuture<'_, Result<Vec<u64>>> {
        Box::pin(AggregateRecorder::insert_events(self, events))
    }

    fn select_events<'a>(
        &'a self,
        originator_id: &'a OriginatorId,
        query: EventQuery,
    ) -> BoxFuture<'a, Result<Vec<StoredEvent>>> {
        Box::pin(AggregateRecorder::select_events(self, originator_id, query))
    }

    fn select_events_shared<'a>(
        &'a self,
        originator_id: &'a OriginatorId,
        query: EventQuery,
    ) -> BoxFuture<'a, Result<SelectedEvents>> {
        Box::pin(AggregateRecorder::select_events_shared(self, originator_id, query))
    }
}

/// [`ProcessRecorder`] as a trait object, behind [`AnyRecorder`].
trait DynProcessRecorder: DynAggregateRecorder {
    /// See [`ApplicationRecorder::select_notifications`].
    fn select_notifications(&self, query: NotificationQuery) -> BoxFuture<'_, Result<Vec<Notification>>>;
    /// See [`ApplicationRecorder::max_notification_id`].
    fn max_notification_id(&self) -> BoxFuture<'_, Result<Option<u64>>>;
    /// See [`ApplicationRecorder::subscribe`].
    fn subscribe(&self, gt: Option<u64>, topics: Vec<String>) -> BoxFuture<'_, Result<Subscription>>;
    /// See [`TrackingRecorder::insert_tracking`].
    fn insert_tracking(&self, tracking: Tracking) -> BoxFuture<'_, Result<()>>;
    /// See [`TrackingRecorder::max_tracking_id`].
    fn max_tracking_id<'a>(&'a self, application_name: &'a str) -> BoxFuture<'a, Result<Option<u64>>>;
    /// See [`TrackingRecorder::wait`].
    fn wait<'a>(
        &'a self,
        application_name: &'a str,
        notification_id: Option<u64>,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<()>>;
    /// See [`ProcessRecorder::insert_events_with_tracking`].
    fn insert_events_with_tracking(
        &self,
        events: Vec<StoredEvent>,
        tracking: Option<Tracking>,
    ) -> BoxFuture<'_, Result<Vec<u64>>>;
}

impl<T: ProcessRecorder> DynProcessRecorder for T {
    fn select_notifications(&self, query: NotificationQuery) -> BoxFuture<'_, Result<Vec<Notification>>> {
        Box::pin(ApplicationRecorder::select_notifications(self, query))
    }

    fn max_notification_id(&self) -> BoxFuture<'_, Result<Option<u64>>> {
        Box::pin(ApplicationRecorder::max_notification_id(self))
    }

    fn subscribe(&self, gt: Option<u64>, topics: Vec<String>) -> BoxFuture<'_, Result<Subscription>> {
        Box::pin(ApplicationRecorder::subscribe(self, gt, topics))
    }

    fn insert_tracking(&self, tracking: Tracking) -> BoxFuture<'_, Result<()>> {
        Box::pin(TrackingRecorder::insert_tracking(self, tracking))
    }

    fn max_tracking_id<'a>(&'a self, application_name: &'a str) -> BoxFuture<'a, Result<Option<u64>>> {
        Box::pin(TrackingRecorder::max_tracking_id(self, application_name))
    }

    fn wait<'a>(
        &'a self,
        application_name: &'a str,
        notification_id: Option<u64>,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(TrackingRecorder::wait(self, application_name, notification_id, timeout))
    }

    fn insert_events_with_tracking(
        &self,
        events: Vec<StoredEvent>,
        tracking: Option<Tracking>,
    ) -> BoxFuture<'_, Result<Vec<u64>>> {
        Box::pin(ProcessRecorder::insert_events_with_tracking(self, events, tracking))
    }
}

/// Any store's events, notifications and tracking positions, behind one type: what an
/// application holds, whichever store its configuration names. It implements every
/// recorder trait by forwarding to the store. Cloning is cheap and shares the store.
#[derive(Clone)]
pub struct AnyRecorder {
    inner: Arc<dyn DynProcessRecorder>,
}

impl AnyRecorder {
    /// Wraps a store's recorder.
    pub fn new(recorder: impl ProcessRecorder + 'static) -> Self {
        AnyRecorder { inner: Arc::new(recorder) }
    }
}

impl std::fmt::Debug for AnyRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnyRecorder").finish_non_exhaustive()
    }
}

impl AggregateRecorder for AnyRecorder {
    async fn insert_events(&self, events: Vec<StoredEvent>) -> Result<Vec<u64>> {
        self.inner.insert_events(events).await
    }

    async fn select_events(&self, originator_id: &OriginatorId, query: EventQuery) -> Result<Vec<StoredEvent>> {
        self.inner.select_events(originator_id, query).await
    }

    async fn select_events_shared(&self, originator_id: &OriginatorId, query: EventQuery) -> Result<SelectedEvents> {
        self.inner.select_events_shared(originator_id, query).await
    }
}

impl ApplicationRecorder for AnyRecorder {
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

impl TrackingRecorder for AnyRecorder {
    async fn insert_tracking(&self, tracking: Tracking) -> Result<()> {
        self.inner.insert_tracking(tracking).await
    }

    async fn max_tracking_id(&self, application_name: &str) -> Result<Option<u64>> {
        self.inner.max_tracking_id(application_name).await
    }

    async fn wait(&self, application_name: &str, notification_id: Option<u64>, timeout: Duration) -> Result<()> {
        self.inner.wait(application_name, notification_id, timeout).await
    }
}

impl ProcessRecorder for AnyRecorder {
    async fn insert_events_with_tracking(
        &self,
        events: Vec<StoredEvent>,
        tracking: Option<Tracking>,
    ) -> Result<Vec<u64>> {
        self.inner.insert_events_with_tracking(events, tracking).await
    }
}

/// Any store's aggregate recorder (a snapshot store), behind one type. Cloning is cheap
/// and shares the store.
#[derive(Clone)]
pub struct AnyAggregateRecorder {
    inner: Arc<dyn DynAggregateRecorder>,
}

impl AnyAggregateRecorder {
    /// Wraps a store's recorder.
    pub fn new(recorder: impl AggregateRecorder + 'static) -> Self {
        AnyAggregateRecorder { inner: Arc::new(recorder) }
    }
}

impl std::fmt::Debug for AnyAggregateRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnyAggregateRecorder").finish_non_exhaustive()
    }
}

impl AggregateRecorder for AnyAggregateRecorder {
    async fn insert_events(&self, events: Vec<StoredEvent>) -> Result<Vec<u64>> {
        self.inner.insert_events(events).await
    }

    async fn select_events(&self, originator_id: &OriginatorId, query: EventQuery) -> Result<Vec<StoredEvent>> {
        self.inner.select_events(originator_id, query).await
    }

    async fn select_events_shared(&self, originator_id: &OriginatorId, query: EventQuery) -> Result<SelectedEvents> {
        self.inner.select_events_shared(originator_id, query).await
    }
}
