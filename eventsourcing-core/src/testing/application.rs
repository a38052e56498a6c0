use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;

use crate::persistence::{ApplicationRecorder, Notification, NotificationQuery, StoredEvent};

use super::{new_id, stored};

fn ids(notifications: &[Notification]) -> Vec<u64> {
    notifications.iter().map(|n| n.id).collect()
}

/// Notification ids are returned in input order, and every combination of start, limit,
/// stop, topics and inclusiveness selects exactly what it should.
pub async fn insert_and_select_notifications<R: ApplicationRecorder>(recorder: &R) {
    assert_eq!(recorder.max_notification_id().await.unwrap(), None);
    assert!(recorder.select_notifications(NotificationQuery::new(None, 10)).await.unwrap().is_empty());
    assert!(recorder.select_notifications(NotificationQuery::new(Some(1), 10)).await.unwrap().is_empty());

    let (id1, id2) = (new_id(), new_id());
    let e1 = stored(&id1, 1, "topic1");
    let e2 = stored(&id1, 2, "topic2");
    let e3 = stored(&id2, 1, "topic3");
    let first = recorder.insert_events(vec![e1.clone(), e2.clone()]).await.unwrap();
    assert_eq!(first.len(), 2);
    assert!(first[0] < first[1], "ids follow input order: {first:?}");
    let second = recorder.insert_events(vec![e3.clone()]).await.unwrap();
    assert!(second[0] > first[1], "later commits get larger ids: {first:?} then {second:?}");
    let (n1, n2, n3) = (first[0], first[1], second[0]);

    let error = recorder.insert_events(vec![stored(&id1, 2, "topic2")]).await.unwrap_err();
    assert!(error.is_conflict(), "{error:?}");
    assert_eq!(recorder.max_notification_id().await.unwrap(), Some(n3));

    let all = recorder.select_notifications(NotificationQuery::new(None, 10)).await.unwrap();
    assert_eq!(ids(&all), [n1, n2, n3]);
    let events: Vec<StoredEvent> = all.into_iter().map(|n| n.event).collect();
    assert_eq!(events, [e1, e2, e3]);

    let cases: Vec<(NotificationQuery, Vec<u64>)> = vec![
        (NotificationQuery::new(Some(n1), 10), vec![n1, n2, n3]),
        (NotificationQuery::new(Some(n2), 10), vec![n2, n3]),
        (NotificationQuery::new(Some(n3), 10), vec![n3]),
        (NotificationQuery::new(Some(n3 + 1), 10), vec![]),
        (NotificationQuery::new(None, 1), vec![n1]),
        (NotificationQuery::new(Some(n2), 1), vec![n2]),
        (NotificationQuery::new(None, 2), vec![n1, n2]),
        (NotificationQuery::new(None, 0), vec![]),
        (NotificationQuery::new(Some(n1), 10).inclusive_of_start(false), vec![n2, n3]),
        (NotificationQuery::new(Some(n2), 10).inclusive_of_start(false), vec![n3]),
        (NotificationQuery::new(Some(n3), 10).inclusive_of_start(false), vec![]),
        (NotificationQuery::after(None, 10), vec![n1, n2, n3]),
        (NotificationQuery::after(Some(n1), 1), vec![n2]),
        (NotificationQuery::new(None, 10).stop(n2), vec![n1, n2]),
        (NotificationQuery::new(Some(n2), 10).stop(n2), vec![n2]),
        (NotificationQuery::new(Some(n2), 10).stop(n1), vec![]),
        (NotificationQuery::new(Some(n1), 10).stop(n3).inclusive_of_start(false), vec![n2, n3]),
        (NotificationQuery::new(None, 10).topics(["topic1"]), vec![n1]),
        (NotificationQuery::new(None, 10).topics(["topic2", "topic3"]), vec![n2, n3]),
        (NotificationQuery::new(None, 10).topics(["topic1", "topic3"]), vec![n1, n3]),
        (NotificationQuery::new(None, 10).topics(["topic4"]), vec![]),
        (NotificationQuery::new(None, 1).topics(["topic2", "topic3"]), vec![n2]),
        (NotificationQuery::new(Some(n2), 10).topics(["topic1"]), vec![]),
        (NotificationQuery::new(Some(n1), 10).stop(n2).topics(["topic2", "topic3"]), vec![n2]),
        (NotificationQuery::new(Some(n1), 10).inclusive_of_start(false).topics(["topic1", "topic3"]), vec![n3]),
    ];
    for (query, expected) in cases {
        let selected = recorder.select_notifications(query.clone()).await.unwrap();
        assert_eq!(ids(&selected), expected, "{query:?}");
    }
}

async fn next_within(subscription: &mut crate::persistence::Subscription) -> Notification {
    tokio::time::timeout(Duration::from_secs(5), subscription.next())
        .await
        .expect("a notification within 5 s")
        .expect("the subscription goes on")
        .expect("no error")
}

/// A subscription yields what is recorded, then what is recorded later, in order; `gt`
/// starts after a position; topics filter; dropping it stops it.
pub async fn subscribe_catches_up_then_follows<R: ApplicationRecorder>(recorder: &R) {
    let id = new_id();
    let before = recorder.insert_events(vec![stored(&id, 1, "a"), stored(&id, 2, "b")]).await.unwrap();

    let mut everything = recorder.subscribe(None, Vec::new()).await.unwrap();
    let mut after_first = recorder.subscribe(Some(before[0]), Vec::new()).await.unwrap();
    let mut only_a = recorder.subscribe(None, vec!["a".to_owned()]).await.unwrap();
    assert_eq!(next_within(&mut everything).await.id, before[0]);
    assert_eq!(next_within(&mut everything).await.id, before[1]);
    assert_eq!(next_within(&mut after_first).await.id, before[1]);
    assert_eq!(next_within(&mut only_a).await.id, before[0]);

    let nothing_yet = tokio::time::timeout(Duration::from_millis(200), everything.next()).await;
    assert!(nothing_yet.is_err(), "caught up: waits for new events");

    let later = recorder.insert_events(vec![stored(&id, 3, "a"), stored(&id, 4, "b")]).await.unwrap();
    let n = next_within(&mut everything).await;
    assert_eq!((n.id, n.event.originator_version), (later[0], 3));
    assert_eq!(next_within(&mut everything).await.id, later[1]);
    assert_eq!(next_within(&mut after_first).await.id, later[0]);
    assert_eq!(next_within(&mut only_a).await.id, later[0]);

    let more = recorder.insert_events(vec![stored(&new_id(), 1, "a")]).await.unwrap();
    assert_eq!(next_within(&mut only_a).await.id, more[0], "skips other topics");
    drop(everything);
    recorder.insert_events(vec![stored(&new_id(), 1, "c")]).await.expect("writing after a subscription is dropped");
}

/// Eight writers commit batches while two readers tail the log by "ids after the last
/// seen": every reader sees every committed event exactly once, in ascending order.
pub async fn concurrent_writers_with_tailing_readers<R: ApplicationRecorder + Clone + 'static>(recorder: &R) {
    let stress = Stress { writers: 8, batches: 20, events_per_batch: 5 };
    tailing_readers_see_every_commit(recorder, stress).await;
}

/// The size of a [`tailing_readers_see_every_commit`] run.
#[derive(Debug, Clone, Copy)]
pub struct Stress {
    /// Concurrent writers.
    pub writers: usize,
    /// Batches each writer commits.
    pub batches: usize,
    /// Events per batch (every fifth batch adds one event that conflicts on purpose).
    pub events_per_batch: u64,
}

/// What a [`tailing_readers_see_every_commit`] run did.
#[derive(Debug, Clone, Copy)]
pub struct StressFigures {
    /// Events committed.
    pub events: usize,
    /// Batches refused by a version conflict.
    pub conflicts: usize,
    /// From the first write to the last commit.
    pub elapsed: std::time::Duration,
}

/// Writers commit batches (some conflicting on a shared aggregate on purpose) while two
/// readers tail the log by "ids after the last seen"; asserts that every reader sees every
/// committed event exactly once, in ascending order, with nothing skipped.
pub async fn tailing_readers_see_every_commit<R: ApplicationRecorder + Clone + 'static>(
    recorder: &R,
    stress: Stress,
) -> StressFigures {
    let recorder = Arc::new(recorder.clone());
    let finished = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let started = std::time::Instant::now();

    let mut readers = Vec::new();
    for _ in 0..2 {
        let (recorder, finished) = (recorder.clone(), finished.clone());
        readers.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            let mut last = None;
            loop {
                let writers_done = finished.load(std::sync::atomic::Ordering::SeqCst);
                let page = recorder.select_notifications(NotificationQuery::after(last, 100)).await.unwrap();
                if page.is_empty() && writers_done {
                    return seen;
                }
                for n in page {
                    assert!(last.is_none_or(|last| n.id > last), "ids ascend");
                    last = Some(n.id);
                    seen.push(n.id);
                }
                tokio::task::yield_now().await;
            }
        }));
    }
    let shared = new_id();
    let mut writers = Vec::new();
    for _ in 0..stress.writers {
        let (recorder, shared) = (recorder.clone(), shared.clone());
        writers.push(tokio::spawn(async move {
            let (mut ids, mut conflicts) = (Vec::new(), 0);
            for b in 0..stress.batches {
                let id = new_id();
                let mut batch: Vec<_> = (1..=stress.events_per_batch).map(|v| stored(&id, v, "t")).collect();
                if b % 5 == 0 {
                    // Writers race for the same version of a shared aggregate: some lose.
                    batch.push(stored(&shared, (b / 5) as u64 + 1, "t"));
                }
                match recorder.insert_events(batch).await {
                    Ok(new) => ids.extend(new),
                    Err(error) => {
                        assert!(error.is_conflict(), "{error:?}");
                        conflicts += 1;
                    }
                }
            }
            (ids, conflicts)
        }));
    }
    let mut committed = BTreeSet::new();
    let mut conflicts = 0;
    for writer in writers {
        let (ids, lost) = writer.await.unwrap();
        conflicts += lost;
        for id in ids {
            assert!(committed.insert(id), "notification id {id} given twice");
        }
    }
    let elapsed = started.elapsed();
    finished.store(true, std::sync::atomic::Ordering::SeqCst);
    for reader in readers {
        let seen = reader.await.unwrap();
        let seen_set: BTreeSet<u64> = seen.iter().copied().collect();
        assert_eq!(seen.len(), seen_set.len(), "a reader saw an id twice");
        let missed: Vec<_> = committed.difference(&seen_set).take(10).collect();
        assert!(missed.is_empty(), "a tailing reader skipped committed ids {missed:?}");
        assert_eq!(seen_set, committed);
    }
    StressFigures { events: committed.len(), conflicts, elapsed }
}

/// Two batches inserted at the same time get id ranges that do not interleave.
pub async fn non_interleaving_notification_ids<R: ApplicationRecorder + Clone + 'static>(recorder: &R) {
    const N: u64 = 1000;
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let mut tasks = Vec::new();
    for _ in 0..2 {
        let (recorder, barrier) = (recorder.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            let id = new_id();
            let batch: Vec<_> = (1..=N).map(|v| stored(&id, v, "t")).collect();
            barrier.wait().await;
            recorder.insert_events(batch).await.unwrap()
        }));
    }
    let a = tasks.remove(0).await.unwrap();
    let b = tasks.remove(0).await.unwrap();
    let (a_min, a_max) = (a.iter().min().unwrap(), a.iter().max().unwrap());
    let (b_min, b_max) = (b.iter().min().unwrap(), b.iter().max().unwrap());
    assert!(a_max < b_min || b_max < a_min, "interleaved: {a_min}..={a_max} and {b_min}..={b_max}");
}
