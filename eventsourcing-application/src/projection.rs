//! Projections: materialised views built from an application's events, kept up to date
//! as new events arrive, each event applied exactly once.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use eventsourcing_core::persistence::{
    ApplicationRecorder, BoxError, LogEvent, MapperError, Notification, NotificationQuery, PersistenceError, Tracking,
    View,
};
use futures_util::StreamExt;
use thiserror::Error;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::application::Application;

/// How many notifications, at most, one transaction of the view applies.
const BATCH: usize = 100;

/// How long a runner makes no progress before a waiter asks the store whether anything is
/// left for it to apply.
const IDLE: Duration = Duration::from_millis(20);

/// A projection: processes an upstream application's events into a [`View`].
///
/// `Event` says which events it handles: [`Record<A>`](eventsourcing_core::persistence::Record)
/// for one aggregate type, or an enum with `#[derive(LogEvent)]` over several. Only their
/// topics are read from the store. `process` writes through the view's open transaction
/// (an `sqlx::Transaction` for the SQL views, a working copy of the state for
/// [`MemoryView`](eventsourcing_core::persistence::MemoryView)); the runner commits it
/// together with the tracking position, so that each event is applied exactly once.
pub trait Projection: Send + 'static {
    /// The events the projection handles, decoded by topic.
    type Event: LogEvent + Send;
    /// Where it writes.
    type View: View;

    /// Applies one event to the view. An error stops the runner at this event, nothing of
    /// its batch is committed, and a restarted runner begins again with it.
    fn process(
        &mut self,
        event: Self::Event,
        view: &mut <Self::View as View>::Transaction,
    ) -> impl Future<Output = Result<(), BoxError>> + Send;
}

/// Why a projection stopped, or a wait for it failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ProjectionError {
    /// The projection's `process` failed on a notification; nothing after it was applied.
    #[error("projection of {upstream} stopped at notification {notification_id}: {source}")]
    Handler {
        /// The upstream application.
        upstream: String,
        /// The notification being processed.
        notification_id: u64,
        /// The handler's error.
        #[source]
        source: BoxError,
    },
    /// A notification of one of the projection's topics could not be decoded, or its topic
    /// is one the projection neither knows nor skips.
    #[error("projection of {upstream} stopped at notification {notification_id}: {source}")]
    Decode {
        /// The upstream application.
        upstream: String,
        /// The notification.
        notification_id: u64,
        /// Why it could not be decoded.
        #[source]
        source: MapperError,
    },
    /// The upstream store or the view failed (a tracking conflict: another runner of the
    /// same projection committed first).
    #[error("projection of {upstream} stopped: {source}")]
    Persistence {
        /// The upstream application.
        upstream: String,
        /// The store's error.
        #[source]
        source: PersistenceError,
    },
    /// The runner stopped with this error (shared by its waiters and its join handle).
    #[error(transparent)]
    Failed(Arc<ProjectionError>),
    /// The runner was stopped before the notification was processed.
    #[error("the projection runner was stopped")]
    Stopped,
    /// Waiting for a notification timed out.
    #[error("timed out after {timeout:?} waiting for notification {notification_id} to be projected")]
    WaitTimeout {
        /// The notification waited for.
        notification_id: u64,
        /// How long it waited.
        timeout: Duration,
    },
}

/// What a runner has done: the last notification applied, and how it ended.
#[derive(Debug, Clone, Default)]
struct Progress {
    position: Option<u64>,
    failed: Option<Arc<ProjectionError>>,
    finished: bool,
}

/// Runs a projection: reads the view's tracking position, catches up from the upstream
/// application's notification log in batches, then follows new events as they are
/// committed (woken in-process, and by PostgreSQL's LISTEN/NOTIFY across processes).
///
/// Each batch of up to 100 notifications is applied in one transaction of the view,
/// together with its tracking position. A restarted runner resumes after the last batch
/// committed; two runners of one projection never both apply a notification (the second
/// one's commit is a tracking conflict). Lost connections to the store are retried.
#[derive(Debug)]
pub struct ProjectionRunner<V: View> {
    upstream: Application,
    view: Arc<V>,
    topics: Vec<String>,
    progress: watch::Receiver<Progress>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<Result<(), Arc<ProjectionError>>>>,
}

impl<V: View> ProjectionRunner<V> {
    /// Starts running `projection` into `view`, following `upstream` (an application in
    /// this process, or one configured to open another process's store). Needs a tokio
    /// runtime.
    pub fn start<P: Projection<View = V>>(upstream: &Application, projection: P, view: V) -> Self {
        let view = Arc::new(view);
        let (progress_tx, progress) = watch::channel(Progress::default());
        let (stop, stopped) = watch::channel(false);
        let topics = P::Event::topics();
        let run = Run { upstream: upstream.clone(), view: view.clone(), topics: topics.clone(), progress: progress_tx };
        let task = tokio::spawn(run.run(projection, stopped));
        ProjectionRunner { upstream: upstream.clone(), view, topics, progress, stop, task: Some(task) }
    }

    /// The view the projection writes.
    pub fn view(&self) -> &V {
        &self.view
    }

    /// The last notification id applied (and committed), if any.
    pub fn position(&self) -> Option<u64> {
        self.progress.borrow().position
    }

    /// How far the view is behind: the upstream log's largest notification id minus the
    /// position (notifications of topics the projection does not handle count too).
    ///
    /// # Errors
    /// A store error reading the upstream log.
    pub async fn lag(&self) -> Result<u64, ProjectionError> {
        let max = self.upstream.recorder().max_notification_id().await.map_err(|e| self.persistence(e))?;
        Ok(max.unwrap_or(0).saturating_sub(self.position().unwrap_or(0)))
    }

    /// Waits until the notification `notification_id` (as returned by the upstream's
    /// `save`) has been projected: applied, or of a topic the projection does not handle
    /// with every earlier one of its topics applied. Read-your-writes for a view.
    ///
    /// # Errors
    /// [`ProjectionError::WaitTimeout`] after `timeout`; [`ProjectionError::Failed`] with
    /// the error that stopped the runner; [`ProjectionError::Stopped`] if it was stopped.
    pub async fn wait(&self, notification_id: u64, timeout: Duration) -> Result<(), ProjectionError> {
        if notification_id == 0 {
            // Notification ids start at 1: there is nothing to wait for.
            return Ok(());
        }
        let deadline = tokio::time::Instant::now() + timeout;
        let mut progress = self.progress.clone();
        // Whether to ask the store if anything of the projection's is left to apply: at
        // first, and whenever the runner has been idle a while (while it makes progress,
        // the position will get there).
        let mut idle = true;
        loop {
            let position = {
                let now = progress.borrow_and_update();
                if now.position.is_some_and(|p| p >= notification_id) {
                    return Ok(());
                }
                if let Some(error) = &now.failed {
                    return Err(ProjectionError::Failed(error.clone()));
                }
                if now.finished {
                    return Err(ProjectionError::Stopped);
                }
                now.position
            };
            if idle && self.nothing_to_apply(position, notification_id).await? {
                return Ok(());
            }
            let until = deadline.min(tokio::time::Instant::now() + IDLE);
            match tokio::time::timeout_at(until, progress.changed()).await {
                Err(_) if until == deadline => {
                    return Err(ProjectionError::WaitTimeout { notification_id, timeout });
                }
                Err(_) => idle = true,
                // The runner's task is gone without saying how it ended: it panicked.
                Ok(Err(_)) if !progress.borrow().finished => return Err(ProjectionError::Stopped),
                // Progress, or an end the loop reports.
                Ok(_) => idle = false,
            }
        }
    }

    /// Whether no notification of the projection's topics lies after `position` up to
    /// `notification_id`, which is committed. Notification ids become visible in commit
    /// order, so once `notification_id` is, the notifications before it are fixed.
    async fn nothing_to_apply(&self, position: Option<u64>, notification_id: u64) -> Result<bool, ProjectionError> {
        let recorder = self.upstream.recorder();
        let committed = recorder.max_notification_id().await.map_err(|e| self.persistence(e))?;
        if committed.is_none_or(|max| max < notification_id) {
            return Ok(false);
        }
        let query = NotificationQuery::after(position, 1).stop(notification_id).topics(self.topics.clone());
        let pending = recorder.select_notifications(query).await.map_err(|e| self.persistence(e))?;
        Ok(pending.is_empty())
    }

    /// Stops the runner after the batch in progress, and returns how it ended: `Ok` if it
    /// was running, the error if it had stopped on one.
    ///
    /// # Errors
    /// [`ProjectionError::Failed`] with the error that stopped the runner.
    pub async fn stop(mut self) -> Result<(), ProjectionError> {
        self.stop.send_replace(true);
        self.join().await
    }

    /// Stops the runner at once, as a crash would: a batch in progress is abandoned (its
    /// transaction rolls back, unless its commit had already completed) and a new runner
    /// applies it again. Returns once the runner's task has ended.
    pub async fn abort(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            // Cancelled, or ended on its own just before: either way it has ended.
            let _ = task.await;
        }
    }

    /// Waits for the runner to end (it ends only on an error, or when stopped), and
    /// returns how it ended.
    ///
    /// # Errors
    /// [`ProjectionError::Failed`] with the error that stopped the runner.
    pub async fn join(&mut self) -> Result<(), ProjectionError> {
        let Some(task) = self.task.take() else { return Ok(()) };
        match task.await {
            Ok(result) => result.map_err(ProjectionError::Failed),
            // The projection's `process` panicked.
            Err(error) => Err(ProjectionError::Handler {
                upstream: self.upstream.name().to_owned(),
                notification_id: self.position().map_or(1, |p| p + 1),
                source: Box::new(error),
            }),
        }
    }

    fn persistence(&self, source: PersistenceError) -> ProjectionError {
        ProjectionError::Persistence { upstream: self.upstream.name().to_owned(), source }
    }
}

impl ProjectionError {
    /// The notification the projection stopped at, if it stopped at one.
    pub fn notification_id(&self) -> Option<u64> {
        match self {
            ProjectionError::Handler { notification_id, .. } | ProjectionError::Decode { notification_id, .. } => {
                Some(*notification_id)
            }
            ProjectionError::Failed(inner) => inner.notification_id(),
            _ => None,
        }
    }
}

impl<V: View> Drop for ProjectionRunner<V> {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}

/// The runner's task.
struct Run<V: View> {
    upstream: Application,
    view: Arc<V>,
    topics: Vec<String>,
    progress: watch::Sender<Progress>,
}

impl<V: View> Run<V> {
    async fn run<P: Projection<View = V>>(
        self,
        mut projection: P,
        mut stopped: watch::Receiver<bool>,
    ) -> Result<(), Arc<ProjectionError>> {
        let result = self.follow(&mut projection, &mut stopped).await.map_err(Arc::new);
        if let Err(error) = &result {
            tracing::error!(upstream = %self.upstream.name(), %error, "projection stopped");
        }
        self.progress.send_modify(|progress| {
            progress.finished = true;
            progress.failed = result.as_ref().err().cloned();
        });
        result
    }

    /// Follows the upstream log until stopped or failed; after a lost connection, starts
    /// again from the view's tracking position.
    async fn follow<P: Projection<View = V>>(
        &self,
        projection: &mut P,
        stopped: &mut watch::Receiver<bool>,
    ) -> Result<(), ProjectionError> {
        let name = self.upstream.name().to_owned();
        let mut delay = Duration::from_millis(50);
        loop {
            match self.follow_once(projection, stopped).await {
                Ok(()) => return Ok(()),
                Err(ProjectionError::Persistence { source, .. }) if source.is_transient() => {
                    tracing::warn!(upstream = %name, error = %source, "projection lost its connection; resuming");
                    tokio::select! {
                        _ = stopped.changed() => return Ok(()),
                        () = tokio::time::sleep(delay) => {}
                    }
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
                Err(error) => return Err(error),
            }
        }
    }

    async fn follow_once<P: Projection<View = V>>(
        &self,
        projection: &mut P,
        stopped: &mut watch::Receiver<bool>,
    ) -> Result<(), ProjectionError> {
        let name = self.upstream.name().to_owned();
        let persistence = |source| ProjectionError::Persistence { upstream: name.clone(), source };
        let position = self.view.max_tracking_id(&name).await.map_err(persistence)?;
        self.progress.send_modify(|progress| progress.position = position);
        let subscription =
            self.upstream.subscribe(position, self.topics.clone()).await.map_err(|error| match error {
                crate::ApplicationError::Persistence(source) => persistence(source),
                other => {
                    persistence(PersistenceError::Other { message: other.to_string(), source: Some(Box::new(other)) })
                }
            })?;
        let mut batches = subscription.ready_chunks(BATCH);
        loop {
            if *stopped.borrow() {
                return Ok(());
            }
            let batch = tokio::select! {
                _ = stopped.changed() => return Ok(()),
                batch = batches.next() => batch,
            };
            // The store is gone: nothing more can arrive.
            let Some(batch) = batch else { return Ok(()) };
            let batch = batch.into_iter().collect::<Result<Vec<Notification>, _>>().map_err(persistence)?;
            let (Some(first), Some(last)) = (batch.first().map(|n| n.id), batch.last().map(|n| n.id)) else {
                continue;
            };
            let span = tracing::debug_span!("projection batch", upstream = %name, first, last, count = batch.len());
            self.apply(projection, batch).instrument(span).await?;
            self.progress.send_modify(|progress| progress.position = Some(last));
            tracing::debug!(upstream = %name, position = last, "projected");
        }
    }

    /// Applies one batch in one transaction of the view, with its tracking position.
    async fn apply<P: Projection<View = V>>(
        &self,
        projection: &mut P,
        batch: Vec<Notification>,
    ) -> Result<(), ProjectionError> {
        let name = self.upstream.name();
        let persistence = |source| ProjectionError::Persistence { upstream: name.to_owned(), source };
        let mut transaction = self.view.begin().await.map_err(persistence)?;
        let mut last = None;
        for notification in batch {
            let notification_id = notification.id;
            let event = P::Event::decode(self.upstream.mapper(), &notification)
                .map_err(|source| ProjectionError::Decode { upstream: name.to_owned(), notification_id, source })?;
            if let Some(event) = event {
                projection.process(event, &mut transaction).await.map_err(|source| ProjectionError::Handler {
                    upstream: name.to_owned(),
                    notification_id,
                    source,
                })?;
            }
            last = Some(notification_id);
        }
        if let Some(last) = last {
            self.view.commit(transaction, Tracking::new(name, last)).await.map_err(persistence)?;
        }
        Ok(())
    }
}
