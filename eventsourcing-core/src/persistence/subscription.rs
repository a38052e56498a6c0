use std::collections::VecDeque;
use std::time::Duration;

use tokio::sync::watch;

use super::recorder::{ApplicationRecorder, Result, Subscription};
use super::stored::{Notification, NotificationQuery};

/// How many notifications a subscription selects at a time.
const PAGE: usize = 500;

/// A subscription that pages through `recorder`'s notifications after `gt`, and when it has
/// caught up waits for `wake` to change (a store signals it after each commit) or, if
/// `poll` is set, for that long, whichever comes first, before looking again.
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
    let state = Follow { recorder, last: gt, topics, buffer: VecDeque::new(), wake, poll, done: false };
    Subscription::new(futures_util::stream::unfold(state, Follow::next))
}

struct Follow<R> {
    recorder: R,
    last: Option<u64>,
    topics: Vec<String>,
    buffer: VecDeque<Notification>,
    wake: watch::Receiver<u64>,
    poll: Option<Duration>,
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
            match self.recorder.select_notifications(query).await {
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
