use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use eventsourcing_core::persistence::{AnyRecorder, ApplicationRecorder, Notification, NotificationQuery};
use futures_util::{Stream, StreamExt};
use tracing::Instrument as _;
use tracing::field::Empty;

use crate::error::ApplicationError;

/// Every event of an application in the order it was committed, read in pages
/// ("sections") of at most the section size (10 by default, as in Python).
///
/// To go through the whole log, [`read`](Self::read) it; `select` and `section` return one
/// page at a time.
///
/// ```
/// # use eventsourcing::prelude::*;
/// # #[aggregate]
/// # #[derive(Debug, Clone)]
/// # pub struct Dog { name: String }
/// # #[aggregate]
/// # impl Dog {
/// #     #[event("Registered")]
/// #     pub fn register(name: String) -> Self { Self { name } }
/// # }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), ApplicationError> {
/// # let app = Application::builder("DogSchool").without_process_env().build().await?;
/// for i in 0..25 {
///     app.save(&mut Dog::register(format!("dog {i}"))).await?;
/// }
/// let mut log = app.notification_log().read(1);
/// let mut count = 0;
/// while let Some(notification) = log.next().await {
///     let notification = notification?;
///     count += 1;
///     assert_eq!(notification.id, count);
/// }
/// assert_eq!(count, 25);
/// # Ok(()) }
/// ```
///
/// An owned handle: cloning is cheap, and a spawned task can hold one.
#[derive(Debug, Clone)]
pub struct NotificationLog {
    /// The application's name, for the spans of reads.
    application: Arc<str>,
    recorder: AnyRecorder,
    section_size: usize,
}

/// A page of the notification log, named by the ids it holds (`"1,10"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// `"first,last"` of the notifications returned, or `None` if there are none.
    pub id: Option<String>,
    /// The notifications.
    pub items: Vec<Notification>,
    /// The id of the next section, if this one is full.
    pub next_id: Option<String>,
}

impl NotificationLog {
    pub(crate) fn new(application: Arc<str>, recorder: AnyRecorder, section_size: usize) -> Self {
        NotificationLog { application, recorder, section_size }
    }

    /// The number of notifications in a section.
    pub fn section_size(&self) -> usize {
        self.section_size
    }

    /// Up to `limit` notifications from id `start`.
    ///
    /// # Errors
    /// [`ApplicationError::LimitTooLarge`] if `limit` exceeds the section size; a store
    /// error.
    pub async fn select(&self, start: u64, limit: usize) -> Result<Vec<Notification>, ApplicationError> {
        self.query(NotificationQuery::new(Some(start), limit)).await
    }

    /// Notifications selected by `query` (start, limit, stop, topics, inclusiveness).
    ///
    /// # Errors
    /// [`ApplicationError::LimitTooLarge`] if the limit exceeds the section size; a store
    /// error.
    pub async fn query(&self, query: NotificationQuery) -> Result<Vec<Notification>, ApplicationError> {
        if query.limit > self.section_size {
            return Err(ApplicationError::LimitTooLarge { limit: query.limit, section_size: self.section_size });
        }
        let span = tracing::debug_span!(
            "read_notifications",
            application = %self.application,
            start = query.first_id(),
            limit = query.limit,
            topics = query.topics.len(),
            read = Empty
        );
        let read = self.recorder.select_notifications(query).instrument(span.clone()).await?;
        span.record("read", read.len());
        Ok(read)
    }

    /// The section `"first,last"`: notifications from `first` (at least 1), at most
    /// `last - first + 1` of them and at most the section size. Its id names what it
    /// holds, since ids may have gaps; `next_id` is set when it is full.
    ///
    /// # Errors
    /// [`ApplicationError::InvalidSectionId`] for an id that is not two numbers; a store
    /// error.
    pub async fn section(&self, section_id: &str) -> Result<Section, ApplicationError> {
        let invalid = || ApplicationError::InvalidSectionId { section_id: section_id.to_owned() };
        let (first, last) = section_id.split_once(',').ok_or_else(invalid)?;
        let first: u64 = first.trim().parse().map_err(|_| invalid())?;
        let last: u64 = last.trim().parse().map_err(|_| invalid())?;
        let start = first.max(1);
        let requested = usize::try_from(last.saturating_add(1).saturating_sub(start)).unwrap_or(usize::MAX);
        let limit = requested.min(self.section_size);
        let items = self.query(NotificationQuery::new(Some(start), limit)).await?;
        let id = match (items.first(), items.last()) {
            (Some(first), Some(last)) => Some(format!("{},{}", first.id, last.id)),
            _ => None,
        };
        let next_id = match items.last() {
            Some(last) if items.len() == limit => {
                let next = last.id.saturating_add(1);
                Some(format!("{next},{}", next.saturating_add(limit as u64 - 1)))
            }
            _ => None,
        };
        Ok(Section { id, items, next_id })
    }

    /// The largest notification id, or `None` if nothing is recorded.
    ///
    /// # Errors
    /// A store error.
    pub async fn max_notification_id(&self) -> Result<Option<u64>, ApplicationError> {
        Ok(self.recorder.max_notification_id().await?)
    }

    /// Reads the log from `start` to its current end, section by section, following each
    /// section's `next_id` (Python's `NotificationLogReader.read`): `next().await` gives
    /// each notification in turn, and the reader is also a `Stream`. For a log that is
    /// followed as it grows, see `Application::subscribe`.
    pub fn read(&self, start: u64) -> LogReader {
        let log = self.clone();
        let start = start.max(1);
        let first = Some(format!("{start},{}", start.saturating_add(log.section_size as u64 - 1)));
        let state = (log, first, std::collections::VecDeque::new());
        let stream = futures_util::stream::unfold(state, |(log, mut next, mut buffer)| async move {
            loop {
                if let Some(notification) = buffer.pop_front() {
                    return Some((Ok(notification), (log, next, buffer)));
                }
                let id = next.take()?;
                match log.section(&id).await {
                    Ok(section) => {
                        next = section.next_id;
                        buffer.extend(section.items);
                    }
                    Err(error) => return Some((Err(error), (log, None, buffer))),
                }
            }
        });
        LogReader { inner: Box::pin(stream) }
    }
}

/// Reads a notification log to its end, section by section: see
/// [`NotificationLog::read`].
pub struct LogReader {
    inner: Pin<Box<dyn Stream<Item = Result<Notification, ApplicationError>> + Send>>,
}

impl std::fmt::Debug for LogReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogReader").finish_non_exhaustive()
    }
}

impl LogReader {
    /// The next notification, or `None` at the end of the log.
    pub async fn next(&mut self) -> Option<Result<Notification, ApplicationError>> {
        self.inner.next().await
    }
}

impl Stream for LogReader {
    type Item = Result<Notification, ApplicationError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}
