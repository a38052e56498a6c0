use std::collections::VecDeque;
use std::time::Duration;

use tokio::sync::watch;

use super::recorder::{ApplicationRecorder, Result, Subscription};
use super::stored::{Notification, NotificationQuery};

/// How many notifications a subscription selects at a time.
const PAGE: usize = 500;

/// The first wait after a transient error, doubled after each further one up to
/// [`MAX_BACKOFF`]: a lost connection usually comes back at once (the pool opens a new
/// one), a restarting server takes seconds.
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// A subscription that pages through `recorder`'s notifications after `gt`, and when it has
/// caught up waits for `wake` to change (a store signals it after each commit) or, if
/// `poll` is set, for that long, whichever comes first, before looking again.
///
/// A [transient](crate::persistence::PersistenceError::is_transient) error (a lost
/// connection) does not end the subscription: it waits, with back-off, and selects again
/// after the last notification it delivered, so each is delivered once and in order. Any
/// other error is delivered, and ends the subscription.
///
/// Stores use it to implement [`ApplicationRecorder::subscribe`].
pub fn follow<R>(
    recorder: R,
    gt: Option<u64>,
    topics: Vec<String>,
    wake: watch::Receiver<u64>,
    poll: Option<Duration>,
) -> Subscription
where
    R: ApplicationRecorder + 'static,
{
    let state =
        Follow { recorder, last: gt, topics, buffer: VecDeque::new(), wake, poll, backoff: FIRST_BACKOFF, done: false };
    Subscription::new(futures_util::stream::unfold(state, Follow::next))
}

struct Follow<R> {
    recorder: R,
    last: Option<u64>,
    topics: Vec<String>,
    buffer: VecDeque<Notification>,
    wake: watch::Receiver<u64>,
    poll: Option<Duration>,
    /// How long to wait after the next transient error.
    backoff: Duration,
    done: bool,
}

impl<R: ApplicationRecorder> Follow<R> {
    async fn next(mut self) -> Option<(Result<Notification>, Self)> {
        loop {
            if self.done {
                return None;
            }
            if let Some(notification) = self.buffer.pop_front() {
                return Some((Ok(notification), self));
            }
            // Mark the current commit as seen before selecting, so that a commit made after
            // the select wakes the wait below.
            self.wake.borrow_and_update();
            let query = NotificationQuery::after(self.last, PAGE).topics(self.topics.clone());
            let selected = self.recorder.select_notifications(query).await;
            if selected.is_ok() {
                self.backoff = FIRST_BACKOFF;
            }
            match selected {
                Err(error) if error.is_transient() => {
                    tracing::warn!(%error, retry_in = ?self.backoff, "subscription lost its connection; selecting again");
                    tokio::time::sleep(self.backoff).await;
                    self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
                }
                Err(error) => {
                    self.done = true;
                    return Some((Err(error), self));
                }
                Ok(page) if !page.is_empty() => {
                    self.last = page.last().map(|n| n.id);
                    self.buffer.extend(page);
                }
                Ok(_) => {
                    let woken = match self.poll {
                        Some(poll) => tokio::select! {
                            changed = self.wake.changed() => changed.is_ok(),
                            () = tokio::time::sleep(poll) => true,
                        },
                        None => self.wake.changed().await.is_ok(),
                    };
                    if !woken {
                        // The store is gone: nothing more can arrive.
                        return None;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use futures_util::StreamExt;

    use super::*;
    use crate::persistence::memory::InMemoryRecorder;
    use crate::persistence::{AggregateRecorder, EventQuery, OriginatorId, PersistenceError, StoredEvent};
    use crate::testing::{new_id, stored};

    /// The in-memory store, with the outcomes of the next selects of notifications
    /// scripted: `Some(error)` fails that call, `None` lets it through.
    #[derive(Clone)]
    struct Flaky {
        inner: InMemoryRecorder,
        script: Arc<Mutex<VecDeque<Option<PersistenceError>>>>,
    }

    impl AggregateRecorder for Flaky {
        async fn insert_events(&self, events: Vec<StoredEvent>) -> Result<Vec<u64>> {
            self.inner.insert_events(events).await
        }

        async fn select_events(&self, originator_id: &OriginatorId, query: EventQuery) -> Result<Vec<StoredEvent>> {
            self.inner.select_events(originator_id, query).await
        }
    }

    impl ApplicationRecorder for Flaky {
        async fn select_notifications(&self, query: NotificationQuery) -> Result<Vec<Notification>> {
            let next = self.script.lock().unwrap().pop_front().flatten();
            match next {
                Some(error) => Err(error),
                None => self.inner.select_notifications(query).await,
            }
        }

        async fn max_notification_id(&self) -> Result<Option<u64>> {
            self.inner.max_notification_id().await
        }

        async fn subscribe(&self, gt: Option<u64>, topics: Vec<String>) -> Result<Subscription> {
            self.inner.subscribe(gt, topics).await
        }
    }

    fn lost() -> PersistenceError {
        PersistenceError::Connection {
            message: "terminating connection due to administrator command".into(),
            source: None,
        }
    }

    #[tokio::test]
    async fn a_lost_connection_is_retried_and_the_subscription_resumes_where_it_was() {
        let inner = InMemoryRecorder::new();
        let id = new_id();
        inner.insert_events(vec![stored(&id, 1, "T")]).await.unwrap();
        let broken = Some(PersistenceError::Other { message: "broken".into(), source: None });
        let script = [Some(lost()), Some(lost()), None, Some(lost()), None, None, broken];
        let flaky = Flaky { inner: inner.clone(), script: Arc::new(Mutex::new(script.into_iter().collect())) };
        let (wake, woken) = watch::channel(0);
        let mut live = follow(flaky, None, Vec::new(), woken, Some(Duration::from_secs(1)));

        // Two lost connections, then the first page.
        assert_eq!(live.next().await.unwrap().unwrap().id, 1);
        // The next select (after the one delivered) fails, then finds nothing and waits.
        let second = tokio::spawn(async move { (live.next().await, live) });
        tokio::task::yield_now().await;
        inner.insert_events(vec![stored(&id, 2, "T")]).await.unwrap();
        wake.send_replace(1);
        let (next, mut live) = second.await.unwrap();
        assert_eq!(next.unwrap().unwrap().id, 2, "resumed after notification 1, which is not delivered again");
        // Any other error ends the subscription.
        let error = live.next().await.unwrap().unwrap_err();
        assert!(!error.is_transient(), "{error}");
        assert!(live.next().await.is_none());
    }
}
