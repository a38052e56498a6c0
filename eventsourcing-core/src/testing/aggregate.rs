use crate::persistence::{AggregateRecorder, EventQuery, PersistenceError};

use super::{new_id, stored};

/// Inserts and selects events: round trips, atomic conflicts (with stored rows and within
/// a batch), isolation between aggregates, version 0, empty batches.
pub async fn insert_and_select<R: AggregateRecorder>(recorder: &R) {
    let id = new_id();
    recorder.insert_events(Vec::new()).await.expect("an empty batch is allowed");
    assert!(recorder.select_events(&id, EventQuery::all()).await.unwrap().is_empty());

    let e1 = stored(&id, 1, "Dog.Registered");
    recorder.insert_events(vec![e1.clone()]).await.unwrap();
    assert_eq!(recorder.select_events(&id, EventQuery::all()).await.unwrap(), std::slice::from_ref(&e1));

    let error = recorder.insert_events(vec![e1.clone()]).await.unwrap_err();
    assert!(
        matches!(&error, PersistenceError::Conflict { originator_id, originator_version: 1 } if *originator_id == id),
        "re-inserting a version is a conflict naming it, got {error:?}"
    );

    let e2 = stored(&id, 2, "Dog.TrickAdded");
    let e3 = stored(&id, 3, "Dog.TrickAdded");
    let error = recorder.insert_events(vec![e2.clone(), e1.clone()]).await.unwrap_err();
    assert!(error.is_conflict(), "a batch with a stored version conflicts, got {error:?}");
    assert_eq!(
        recorder.select_events(&id, EventQuery::all()).await.unwrap(),
        std::slice::from_ref(&e1),
        "nothing written"
    );

    let mut e3_again = e3.clone();
    e3_again.state = b"other".to_vec();
    let error = recorder.insert_events(vec![e3.clone(), e3_again]).await.unwrap_err();
    assert!(error.is_conflict(), "a batch repeating a version conflicts, got {error:?}");
    assert_eq!(
        recorder.select_events(&id, EventQuery::all()).await.unwrap(),
        std::slice::from_ref(&e1),
        "nothing written"
    );

    recorder.insert_events(vec![e2.clone(), e3.clone()]).await.unwrap();
    assert_eq!(recorder.select_events(&id, EventQuery::all()).await.unwrap(), [e1.clone(), e2, e3]);

    let other = new_id();
    assert!(recorder.select_events(&other, EventQuery::all()).await.unwrap().is_empty());
    let zero = stored(&other, 0, "Dog.Registered");
    recorder.insert_events(vec![zero.clone()]).await.expect("version 0 is allowed");
    assert_eq!(recorder.select_events(&other, EventQuery::all()).await.unwrap(), [zero]);
    assert_eq!(recorder.select_events(&id, EventQuery::all()).await.unwrap().len(), 3, "aggregates are isolated");
}

/// `gt`, `lte`, `desc` and `limit`, alone and combined.
pub async fn select_bounds_and_order<R: AggregateRecorder>(recorder: &R) {
    let id = new_id();
    let events: Vec<_> = (1..=5).map(|v| stored(&id, v, "Dog.TrickAdded")).collect();
    recorder.insert_events(events.clone()).await.unwrap();
    let versions = |selected: Vec<crate::persistence::StoredEvent>| -> Vec<u64> {
        selected.iter().map(|e| e.originator_version).collect()
    };
    // Each query through `select_events` and `select_events_shared`, which must agree.
    let id = &id;
    let select = |query: EventQuery| async move {
        let owned = recorder.select_events(id, query).await?;
        let shared = recorder.select_events_shared(id, query).await?;
        assert_eq!(shared.iter().cloned().collect::<Vec<_>>(), owned, "{query:?}");
        assert_eq!(shared.len(), owned.len());
        assert_eq!(shared.into_vec(), owned, "{query:?}");
        Ok::<_, crate::persistence::PersistenceError>(owned)
    };
    assert_eq!(versions(select(EventQuery::all()).await.unwrap()), [1, 2, 3, 4, 5]);
    assert_eq!(versions(select(EventQuery::all().desc()).await.unwrap()), [5, 4, 3, 2, 1]);
    assert_eq!(versions(select(EventQuery::all().desc().limit(1)).await.unwrap()), [5], "latest");
    assert_eq!(versions(select(EventQuery::all().lte(3).desc().limit(1)).await.unwrap()), [3], "latest up to 3");
    assert_eq!(versions(select(EventQuery::all().gt(2)).await.unwrap()), [3, 4, 5]);
    assert_eq!(versions(select(EventQuery::all().lte(2)).await.unwrap()), [1, 2]);
    assert_eq!(versions(select(EventQuery::all().gt(1).lte(3)).await.unwrap()), [2, 3]);
    assert_eq!(versions(select(EventQuery::all().gt(1).limit(2)).await.unwrap()), [2, 3]);
    assert_eq!(versions(select(EventQuery::all().gt(3).lte(3)).await.unwrap()), Vec::<u64>::new());
    assert_eq!(versions(select(EventQuery::all().gt(5)).await.unwrap()), Vec::<u64>::new());
    assert_eq!(versions(select(EventQuery::all().limit(0)).await.unwrap()), Vec::<u64>::new());
    assert_eq!(select(EventQuery::all().gt(4)).await.unwrap(), [events[4].clone()]);
}

/// Stored bytes come back exactly: empty, every byte value, large, non-UTF-8; topics with
/// any characters.
pub async fn stored_bytes_round_trip<R: AggregateRecorder>(recorder: &R) {
    let id = new_id();
    let states: Vec<Vec<u8>> = vec![Vec::new(), (0..=255).collect(), vec![0xff; 1 << 20], b"\0\x01\xfe".to_vec()];
    let events: Vec<_> = states
        .iter()
        .enumerate()
        .map(|(i, state)| crate::persistence::StoredEvent {
            originator_id: id.clone(),
            originator_version: i as u64 + 1,
            topic: format!("Köter.Ereignis \"{i}\"'; --"),
            state: state.clone(),
        })
        .collect();
    recorder.insert_events(events.clone()).await.unwrap();
    assert_eq!(recorder.select_events(&id, EventQuery::all()).await.unwrap(), events);
    assert_eq!(recorder.select_events_shared(&id, EventQuery::all()).await.unwrap().into_vec(), events);
}
