use std::time::Duration;

use crate::persistence::{PersistenceError, Tracking, TrackingRecorder};

/// Positions per upstream application; a repeated or lower position is a conflict.
pub async fn insert_tracking<R: TrackingRecorder>(recorder: &R) {
    assert_eq!(recorder.max_tracking_id("upstream1").await.unwrap(), None);
    recorder.insert_tracking(Tracking::new("upstream1", 1)).await.unwrap();
    recorder.insert_tracking(Tracking::new("upstream2", 2)).await.unwrap();
    assert_eq!(recorder.max_tracking_id("upstream1").await.unwrap(), Some(1));
    assert_eq!(recorder.max_tracking_id("upstream2").await.unwrap(), Some(2));
    assert_eq!(recorder.max_tracking_id("upstream3").await.unwrap(), None);

    let error = recorder.insert_tracking(Tracking::new("upstream1", 1)).await.unwrap_err();
    assert!(
        matches!(&error, PersistenceError::TrackingConflict { application_name, notification_id: 1, .. } if application_name == "upstream1"),
        "{error:?}"
    );

    assert!(recorder.has_tracking_id("upstream1", None).await.unwrap());
    assert!(recorder.has_tracking_id("upstream1", Some(1)).await.unwrap());
    assert!(!recorder.has_tracking_id("upstream1", Some(2)).await.unwrap());
    assert!(recorder.has_tracking_id("upstream3", None).await.unwrap());
    assert!(!recorder.has_tracking_id("upstream3", Some(1)).await.unwrap());

    recorder.insert_tracking(Tracking::new("upstream1", 24)).await.unwrap();
    let error = recorder.insert_tracking(Tracking::new("upstream1", 23)).await.unwrap_err();
    assert!(matches!(error, PersistenceError::TrackingConflict { recorded: Some(24), .. }), "{error:?}");
    assert!(recorder.has_tracking_id("upstream1", Some(23)).await.unwrap(), "23 is behind the position");
    assert_eq!(recorder.max_tracking_id("upstream1").await.unwrap(), Some(24));
}

/// `wait` returns once a position is recorded, and times out otherwise.
pub async fn wait_for_tracking<R: TrackingRecorder>(recorder: &R) {
    let short = Duration::from_millis(100);
    recorder.wait("upstream", None, short).await.expect("nothing to wait for");
    let error = recorder.wait("upstream", Some(1), short).await.unwrap_err();
    assert!(matches!(error, PersistenceError::WaitTimeout { notification_id: 1, .. }), "{error:?}");
    recorder.insert_tracking(Tracking::new("upstream", 21)).await.unwrap();
    recorder.wait("upstream", Some(10), short).await.unwrap();
    recorder.wait("upstream", Some(21), short).await.unwrap();
    let error = recorder.wait("upstream", Some(22), short).await.unwrap_err();
    assert!(matches!(error, PersistenceError::WaitTimeout { notification_id: 22, .. }), "{error:?}");
}
