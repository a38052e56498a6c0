use crate::persistence::{EventQuery, NotificationQuery, PersistenceError, ProcessRecorder, Tracking};

use super::{new_id, stored};

/// New events and the tracking position commit together or not at all.
pub async fn events_and_tracking_are_atomic<R: ProcessRecorder>(recorder: &R) {
    let id = new_id();
    let e1 = stored(&id, 1, "t");
    recorder.insert_events_with_tracking(vec![e1.clone()], Some(Tracking::new("up", 1))).await.unwrap();
    assert_eq!(recorder.max_tracking_id("up").await.unwrap(), Some(1));

    // A conflicting event with a new position: nothing is written, the position stays.
    let error = recorder.insert_events_with_tracking(vec![e1.clone()], Some(Tracking::new("up", 2))).await.unwrap_err();
    assert!(error.is_conflict(), "{error:?}");
    assert_eq!(recorder.max_tracking_id("up").await.unwrap(), Some(1));

    // A new event with a position already recorded: nothing is written.
    let e2 = stored(&id, 2, "t");
    let error = recorder.insert_events_with_tracking(vec![e2.clone()], Some(Tracking::new("up", 1))).await.unwrap_err();
    assert!(matches!(error, PersistenceError::TrackingConflict { .. }), "{error:?}");
    assert_eq!(recorder.select_events(&id, EventQuery::all()).await.unwrap(), std::slice::from_ref(&e1));
    assert_eq!(recorder.select_notifications(NotificationQuery::new(None, 10)).await.unwrap().len(), 1);

    // Events without tracking do not move the position.
    recorder.insert_events_with_tracking(vec![e2.clone()], None).await.unwrap();
    assert_eq!(recorder.max_tracking_id("up").await.unwrap(), Some(1));
    assert_eq!(recorder.select_events(&id, EventQuery::all()).await.unwrap(), [e1, e2]);
}

/// A position can be recorded without events; a lower one later is a conflict.
pub async fn tracking_only_inserts<R: ProcessRecorder>(recorder: &R) {
    let ids = recorder.insert_events_with_tracking(Vec::new(), Some(Tracking::new("up", 5))).await.unwrap();
    assert!(ids.is_empty());
    assert_eq!(recorder.max_tracking_id("up").await.unwrap(), Some(5));
    assert!(recorder.has_tracking_id("up", Some(5)).await.unwrap());
    assert!(!recorder.has_tracking_id("up", Some(6)).await.unwrap());
    let error = recorder.insert_events_with_tracking(Vec::new(), Some(Tracking::new("up", 4))).await.unwrap_err();
    assert!(matches!(error, PersistenceError::TrackingConflict { recorded: Some(5), .. }), "{error:?}");
    assert_eq!(recorder.max_tracking_id("up").await.unwrap(), Some(5));
    assert_eq!(recorder.max_notification_id().await.unwrap(), None, "no events were recorded");
}
