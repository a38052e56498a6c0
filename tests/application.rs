//! The application on the in-memory store: saving, getting, snapshots, cache,
//! notification log, discarding, encryption, hash chaining, configuration.
#![allow(missing_docs)]

mod support;

use std::sync::Arc;

use eventsourcing::application::LogReader;
use eventsourcing::application::Retry;
use eventsourcing::application::Section;
use eventsourcing::domain::{EventMetadata, ReplayError, caused_by};
use eventsourcing::persistence::memory::InMemoryRecorder;
use eventsourcing::persistence::{
    AggregateRecorder, ChainBreak, Cipher, EventQuery, HashChain, MapperError, OriginatorId, PersistenceError, Record,
    StoredEvent,
};
use eventsourcing::prelude::*;
use futures_util::StreamExt;
use support::{Account, Counter, Dog, DogEvent, Observed};

async fn app() -> Application {
    Application::builder("Test").without_process_env().build().await.unwrap()
}

async fn app_on(recorder: Observed, snapshots: Option<InMemoryRecorder>) -> Application {
    Application::builder("Test")
        .without_process_env()
        .snapshotting(snapshots.is_some())
        .recorders(recorder, snapshots)
        .build()
        .await
        .unwrap()
}

async fn dog_with_tricks(app: &Application, tricks: &[&str]) -> Dog {
    let mut dog = Dog::register("Fido");
    for trick in tricks {
        dog.add_trick(trick);
    }
    app.save(&mut dog).await.unwrap();
    dog
}

#[tokio::test]
async fn save_returns_notification_ids_and_get_returns_the_aggregate() {
    let app = app().await;
    assert_eq!(app.save(Vec::<&mut Dog>::new()).await.unwrap(), Vec::<u64>::new());
    let mut dog = Dog::register("Fido");
    assert_eq!(app.save(&mut dog).await.unwrap(), [1]);
    assert!(dog.pending_events().is_empty());
    dog.add_trick("roll over");
    dog.add_trick("fetch");
    assert_eq!(app.save(&mut dog).await.unwrap(), [2, 3]);
    assert_eq!(app.save(&mut dog).await.unwrap(), Vec::<u64>::new(), "nothing pending");

    let copy: Dog = app.repository().get(dog.id()).await.unwrap();
    assert_eq!(copy, dog);
    assert_eq!(copy.version(), 3);
    assert!(app.repository().contains::<Dog>(dog.id()).await.unwrap());
}

#[tokio::test]
async fn several_aggregates_of_any_types_save_atomically() {
    let app = app().await;
    let (mut a, mut b, mut c) = (Dog::register("a"), Dog::register("b"), Counter::start());
    c.increment();
    assert_eq!(app.save((&mut a, &mut b, &mut c)).await.unwrap(), [1, 2, 3, 4]);
    let mut dogs = [Dog::register("x"), Dog::register("y")];
    assert_eq!(app.save(&mut dogs[..]).await.unwrap(), [5, 6]);
    assert_eq!(app.repository().get::<Counter>(c.id()).await.unwrap().count, 1);

    // One stale aggregate fails the whole batch: nothing is written, nothing is lost.
    let mut stale: Dog = app.repository().get(a.id()).await.unwrap();
    a.add_trick("sit");
    app.save(&mut a).await.unwrap();
    stale.add_trick("stay");
    let mut fresh = Dog::register("z");
    let error = app.save((&mut fresh, &mut stale)).await.unwrap_err();
    assert!(error.is_conflict(), "{error}");
    assert!(matches!(error, ApplicationError::Persistence(PersistenceError::Conflict { originator_version: 2, .. })));
    assert!(!app.repository().contains::<Dog>(fresh.id()).await.unwrap(), "nothing of the batch was written");
    assert_eq!(fresh.pending_events().len(), 1, "a failed save leaves pending events in place");
    assert_eq!(stale.pending_events().len(), 1);
    assert_eq!(app.notification_log().max_notification_id().await.unwrap(), Some(7));
}

#[tokio::test]
async fn get_at_a_version_and_not_found_are_typed() {
    let app = app().await;
    let dog = dog_with_tricks(&app, &["a", "b", "c"]).await;
    let at_2: Dog = app.repository().get_at(dog.id(), 2).await.unwrap();
    assert_eq!((at_2.version(), at_2.tricks.clone()), (2, vec!["a".to_owned()]));
    let at_9: Dog = app.repository().get_at(dog.id(), 9).await.unwrap();
    assert_eq!(at_9.version(), 4);
    let error = app.repository().get_at::<Dog>(dog.id(), 0).await.unwrap_err();
    assert!(matches!(error, ApplicationError::NotFound { aggregate: "Dog", version: Some(0), .. }), "{error}");

    let missing = Uuid::new_v4();
    let error = app.repository().get::<Dog>(&missing).await.unwrap_err();
    assert!(matches!(&error, ApplicationError::NotFound { id, version: None, .. } if *id == missing.to_string()));
    assert_eq!(error.to_string(), format!("Dog {missing} not found"));
    assert!(!app.repository().contains::<Dog>(&missing).await.unwrap());
    // Reading a dog's id as another aggregate type is an error naming the record.
    let error = app.repository().get::<Counter>(dog.id()).await.unwrap_err();
    assert!(
        matches!(error, ApplicationError::Mapper(MapperError::UnknownTopic { aggregate: "Counter", .. })),
        "{error}"
    );
}

#[tokio::test]
async fn snapshots_are_used_for_the_latest_version_at_or_below_the_one_asked_for() {
    let recorder = Observed::default();
    let app = app_on(recorder.clone(), Some(InMemoryRecorder::new())).await;
    let mut dog = dog_with_tricks(&app, &["a", "b"]).await;
    app.take_snapshot::<Dog>(dog.id(), None).await.unwrap();
    app.take_snapshot::<Dog>(dog.id(), None).await.expect("taking it again is not an error");
    app.take_snapshot::<Dog>(dog.id(), Some(2)).await.unwrap();
    dog.add_trick("c");
    app.save(&mut dog).await.unwrap();

    recorder.queries.lock().unwrap().clear();
    let copy: Dog = app.repository().get(dog.id()).await.unwrap();
    assert_eq!(copy, dog);
    assert_eq!(recorder.queries(), [EventQuery::all().gt(3)], "only events after the snapshot are read");

    recorder.queries.lock().unwrap().clear();
    let at_2: Dog = app.repository().get_at(dog.id(), 2).await.unwrap();
    assert_eq!(at_2.tricks, ["a"]);
    assert_eq!(recorder.queries(), [EventQuery::all().lte(2).gt(2)]);

    let snapshots = app.snapshot_recorder().unwrap();
    let stored = snapshots.select_events(&dog.id().to_originator_id(), EventQuery::all()).await.unwrap();
    assert_eq!(stored.iter().map(|s| s.originator_version).collect::<Vec<_>>(), [2, 3]);
    assert!(app.notification_log().select(1, 10).await.unwrap().iter().all(|n| n.event.topic != "Dog"));
}

#[tokio::test]
async fn snapshots_need_a_snapshot_store_and_serde() {
    let app = app().await;
    let dog = dog_with_tricks(&app, &[]).await;
    let error = app.take_snapshot::<Dog>(dog.id(), None).await.unwrap_err();
    assert!(matches!(error, ApplicationError::SnapshottingDisabled));
    assert!(error.to_string().contains("IS_SNAPSHOTTING_ENABLED"));

    // An aggregate without Deserialize is read from its events even with a snapshot store.
    let app = Application::builder("Test").without_process_env().snapshotting(true).build().await.unwrap();
    let mut counter = Counter::start();
    counter.increment();
    app.save(&mut counter).await.unwrap();
    assert_eq!(app.repository().get::<Counter>(counter.id()).await.unwrap().count, 1);
}

#[tokio::test]
async fn automatic_snapshots_at_intervals() {
    let app = Application::builder("Test").without_process_env().snapshot_every::<Dog>(2).build().await.unwrap();
    let mut dog = Dog::register("Fido");
    app.save(&mut dog).await.unwrap();
    for trick in ["a", "b", "c", "d"] {
        dog.add_trick(trick);
        app.save(&mut dog).await.unwrap();
    }
    let snapshots = app.snapshot_recorder().unwrap();
    let stored = snapshots.select_events(&dog.id().to_originator_id(), EventQuery::all()).await.unwrap();
    assert_eq!(stored.iter().map(|s| s.originator_version).collect::<Vec<_>>(), [2, 4]);
    assert_eq!(app.repository().get::<Dog>(dog.id()).await.unwrap(), dog);
}

#[tokio::test]
async fn an_old_stored_event_and_an_old_snapshot_are_upcast_on_read() {
    #[aggregate(name = "Dog", version = 2, upcast(DogV1))]
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct DogV2 {
        name: String,
        tricks: Vec<String>,
        age: u8,
    }

    #[derive(Deserialize)]
    struct DogV1 {
        name: String,
        tricks: Vec<String>,
    }

    #[aggregate]
    impl From<DogV1> for DogV2 {
        fn from(old: DogV1) -> Self {
            Self { name: old.name, tricks: old.tricks, age: 0 }
        }
    }

    #[derive(Deserialize)]
    struct RegisteredV1 {
        name: String,
    }

    impl From<RegisteredV1> for DogV2Event {
        fn from(old: RegisteredV1) -> Self {
            DogV2Event::Registered { name: old.name, age: 1 }
        }
    }

    #[aggregate]
    impl DogV2 {
        #[event("Registered", version = 2, upcast(RegisteredV1))]
        pub fn register(name: String, age: u8) -> Self {
            Self { name, tricks: Vec::new(), age }
        }

        #[event("TrickAdded")]
        pub fn add_trick(&mut self, trick: &str) {
            self.tricks.push(trick.to_owned());
        }
    }

    // Written by the old code: the event and the snapshot in their version-1 shapes.
    let recorder = Observed::default();
    let snapshots = InMemoryRecorder::new();
    let old_app = app_on(recorder.clone(), Some(snapshots.clone())).await;
    let mut dog = dog_with_tricks(&old_app, &["sit"]).await;
    old_app.take_snapshot::<Dog>(dog.id(), None).await.unwrap();
    dog.add_trick("stay");
    old_app.save(&mut dog).await.unwrap();

    let new_app = app_on(recorder, Some(snapshots)).await;
    let at_1: DogV2 = new_app.repository().get_at(dog.id(), 1).await.unwrap();
    assert_eq!((at_1.name.as_str(), at_1.age), ("Fido", 1), "the v1 event was upcast");
    let latest: DogV2 = new_app.repository().get(dog.id()).await.unwrap();
    assert_eq!(
        (latest.tricks.clone(), latest.age),
        (vec!["sit".to_owned(), "stay".to_owned()], 0),
        "from the v1 snapshot"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_fast_forwards_and_concurrent_writers_lose_no_update() {
    let recorder = Observed::default();
    let app = Application::builder("Test")
        .without_process_env()
        .cache(Some(8))
        .recorders(recorder.clone(), None::<InMemoryRecorder>)
        .build()
        .await
        .unwrap();
    let other = app_on(recorder.clone(), None).await;
    let dog = dog_with_tricks(&app, &[]).await;
    let _: Dog = app.repository().get(dog.id()).await.unwrap();

    // Another application (or process) writes; the cached copy is fast-forwarded.
    let mut elsewhere: Dog = other.repository().get(dog.id()).await.unwrap();
    elsewhere.add_trick("from elsewhere");
    other.save(&mut elsewhere).await.unwrap();
    let cached: Dog = app.repository().get(dog.id()).await.unwrap();
    assert_eq!(cached.tricks, ["from elsewhere"]);

    // Sixteen writers, each getting, changing and saving, retrying on conflict.
    let app = Arc::new(app);
    let mut tasks = Vec::new();
    for writer in 0..16 {
        let (app, id) = (app.clone(), *dog.id());
        tasks.push(tokio::spawn(async move {
            let attempts = std::sync::atomic::AtomicUsize::new(0);
            for n in 0..5 {
                Retry::new()
                    .attempts(u32::MAX)
                    .run(|| async {
                        attempts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let mut dog: Dog = app.repository().get(&id).await?;
                        dog.add_trick(&format!("{writer}-{n}"));
                        app.save(&mut dog).await
                    })
                    .await
                    .unwrap();
            }
            attempts.into_inner() - 5
        }));
    }
    let mut conflicts = 0;
    for task in tasks {
        conflicts += task.await.unwrap();
    }
    let dog: Dog = app.repository().get(dog.id()).await.unwrap();
    let fresh: Dog = other.repository().get(dog.id()).await.unwrap();
    assert_eq!(dog, fresh, "the cache agrees with the store");
    assert_eq!(dog.tricks.len(), 1 + 16 * 5, "no update was lost ({conflicts} conflicts retried)");
    assert_eq!(dog.version(), 2 + 16 * 5);
}

#[tokio::test]
async fn notification_log_sections_follow_python() {
    let app = app().await;
    dog_with_tricks(&app, &["a", "b"]).await;
    let log = app.notification_log();
    let section = |id: Option<&str>, items: &[u64], next: Option<&str>| {
        (id.map(str::to_owned), items.to_vec(), next.map(str::to_owned))
    };
    let got = |s: Section| (s.id, s.items.iter().map(|n| n.id).collect::<Vec<_>>(), s.next_id);
    assert_eq!(got(log.section("1,2").await.unwrap()), section(Some("1,2"), &[1, 2], Some("3,4")));
    assert_eq!(got(log.section("1,10").await.unwrap()), section(Some("1,3"), &[1, 2, 3], None));
    assert_eq!(got(log.section("3,4").await.unwrap()), section(Some("3,3"), &[3], None));
    assert_eq!(got(log.section("5,10").await.unwrap()), section(None, &[], None));
    assert_eq!(got(log.section("0,1").await.unwrap()), section(Some("1,1"), &[1], Some("2,2")));
    assert_eq!(got(log.section("1,100").await.unwrap()).1.len(), 3, "capped at the section size");
    for bad in ["", "1", "a,b", "1,2,3", "-1,2"] {
        let error = log.section(bad).await.unwrap_err();
        assert!(matches!(error, ApplicationError::InvalidSectionId { .. }), "{bad:?}: {error}");
    }
    assert_eq!(got(log.section("2,18446744073709551615").await.unwrap()), section(Some("2,3"), &[2, 3], None));
    let error = log.select(1, 11).await.unwrap_err();
    assert!(error.to_string().starts_with("requested limit 11 greater than section size 10"), "{error}");
    assert!(error.to_string().contains("notification_log().read(start)"), "the message says how to read it all");
    assert_eq!(log.select(2, 10).await.unwrap().len(), 2);
}

#[tokio::test]
async fn the_log_reader_follows_sections_to_the_end() {
    let app = app().await;
    let mut dogs: Vec<Dog> = (0..25).map(|i| Dog::register(&i.to_string())).collect();
    app.save(&mut dogs[..]).await.unwrap();
    let ids: Vec<u64> = app.notification_log().read(1).map(|n| n.unwrap().id).collect().await;
    assert_eq!(ids, (1..=25).collect::<Vec<_>>());
    let ids: Vec<u64> = app.notification_log().read(20).map(|n| n.unwrap().id).collect().await;
    assert_eq!(ids, (20..=25).collect::<Vec<_>>());
    // Without StreamExt or pinning: `next().await`.
    let mut reader = app.notification_log().read(24);
    assert_eq!(LogReader::next(&mut reader).await.unwrap().unwrap().id, 24);
    assert_eq!(LogReader::next(&mut reader).await.unwrap().unwrap().id, 25);
    assert!(LogReader::next(&mut reader).await.is_none());
}

#[tokio::test]
async fn subscriptions_and_decoding_notifications() {
    let app = app().await;
    let dog = dog_with_tricks(&app, &["a"]).await;
    let mut counter = Counter::start();
    app.save(&mut counter).await.unwrap();
    let mut subscription = app.subscribe(None, vec!["Dog.TrickAdded".into()]).await.unwrap();
    let first = subscription.next().await.unwrap().unwrap();
    assert_eq!(first.id, 2);
    match app.decode::<Record<Dog>>(&first).unwrap() {
        Some(Record::Event(event)) => assert_eq!(event.payload, DogEvent::TrickAdded { trick: "a".into() }),
        other => panic!("{other:?}"),
    }
    let counter_notification = &app.notification_log().select(3, 1).await.unwrap()[0];
    assert!(app.decode::<Record<Dog>>(counter_notification).unwrap().is_none());
    let mut more: Dog = app.repository().get(dog.id()).await.unwrap();
    more.add_trick("b");
    app.save(&mut more).await.unwrap();
    assert_eq!(subscription.next().await.unwrap().unwrap().id, 4);
}

#[tokio::test]
async fn events_carry_ids_and_causation_through_the_store() {
    let app = app().await;
    let cause = EventMetadata::new();
    let mut dog = caused_by(&cause, || Dog::register("Fido"));
    dog.add_trick("sit");
    app.save(&mut dog).await.unwrap();
    let history = app.repository().history::<Dog>(dog.id()).await.unwrap();
    let metadata: Vec<EventMetadata> = history
        .iter()
        .map(|r| match r {
            Record::Event(e) => e.metadata,
            Record::Discarded { metadata, .. } => *metadata,
        })
        .collect();
    assert_eq!(metadata[0].causation_id, Some(cause.event_id));
    assert_eq!(metadata[0].correlation_id, cause.correlation_id);
    assert_eq!(metadata[1].causation_id, None);
    assert_eq!(metadata[1].correlation_id, metadata[1].event_id);
}

#[tokio::test]
async fn a_discarded_aggregate_is_not_found_but_its_history_remains() {
    let app = app().await;
    let mut dog = dog_with_tricks(&app, &["a"]).await;
    dog.add_trick("b");
    assert_eq!(app.discard(&mut dog).await.unwrap(), [3, 4], "pending events, then the marker");
    assert!(!app.repository().contains::<Dog>(dog.id()).await.unwrap());
    assert!(matches!(app.repository().get::<Dog>(dog.id()).await, Err(ApplicationError::NotFound { .. })));
    let at_3: Dog = app.repository().get_at(dog.id(), 3).await.unwrap();
    assert_eq!(at_3.tricks, ["a", "b"]);
    assert_eq!(app.repository().history::<Dog>(dog.id()).await.unwrap().len(), 4);
    dog.add_trick("c");
    assert!(app.save(&mut dog).await.unwrap_err().is_conflict(), "the marker holds the next version");
}

fn with_key(key: u8) -> Cipher {
    Cipher::new(&[key; 32])
}

#[tokio::test]
async fn wrong_keys_and_tampered_ciphertexts_are_typed_errors() {
    let recorder = Observed::default();
    let build = |cipher| {
        Application::builder("Test")
            .without_process_env()
            .cipher(cipher)
            .recorders(recorder.clone(), None::<InMemoryRecorder>)
            .build()
    };
    let app = build(Some(with_key(1))).await.unwrap();
    let dog = dog_with_tricks(&app, &["secret trick"]).await;
    let stored = recorder.inner.select_events(&dog.id().to_originator_id(), EventQuery::all()).await.unwrap();
    assert!(stored.iter().all(|s| !s.state.windows(6).any(|w| w == b"secret")));

    let wrong = build(Some(with_key(2))).await.unwrap();
    let error = wrong.repository().get::<Dog>(dog.id()).await.unwrap_err();
    assert!(
        matches!(&error, ApplicationError::Mapper(MapperError::WrongKey { record }) if record.originator_version == 1),
        "{error}"
    );

    recorder.rewrite(|mut events| {
        if let Some(event) = events.get_mut(1) {
            let middle = event.state.len() / 2;
            event.state[middle] ^= 1;
        }
        events
    });
    let error = app.repository().get::<Dog>(dog.id()).await.unwrap_err();
    assert!(
        matches!(&error, ApplicationError::Mapper(MapperError::DamagedCiphertext { record }) if record.topic == "Dog.TrickAdded"),
        "{error}"
    );
    assert!(error.to_string().contains(&dog.id().to_string()), "{error}");
}

#[tokio::test]
async fn a_deleted_middle_event_breaks_the_hash_chain() {
    let recorder = Observed::default();
    let app = Application::builder("Test")
        .without_process_env()
        .hash_chain(Some(HashChain::new()))
        .recorders(recorder.clone(), None::<InMemoryRecorder>)
        .build()
        .await
        .unwrap();
    let dog = dog_with_tricks(&app, &["a", "b", "c"]).await;
    let head = dog.head().expect("saved with chaining on");
    assert_eq!(app.repository().get::<Dog>(dog.id()).await.unwrap().head(), Some(head));

    recorder.rewrite(|mut events: Vec<StoredEvent>| {
        if events.len() > 2 {
            events.remove(2);
        }
        events
    });
    let error = app.repository().get::<Dog>(dog.id()).await.unwrap_err();
    match error {
        ApplicationError::Mapper(MapperError::BrokenChain { record, reason: ChainBreak::Disconnected { .. } }) => {
            assert_eq!(record.originator_version, 4);
        }
        other => panic!("expected a broken chain, got {other}"),
    }
}

mod other {
    use eventsourcing::prelude::*;

    /// Another aggregate type that says it is called `Dog`.
    #[aggregate(name = "Dog")]
    #[derive(Debug, Clone)]
    pub(crate) struct Impostor {}

    #[aggregate]
    impl Impostor {
        #[event("Registered")]
        pub(crate) fn register() -> Self {
            Self {}
        }
    }
}

#[tokio::test]
async fn two_aggregate_types_with_one_stable_name_are_refused() {
    let app = app().await;
    let dog = dog_with_tricks(&app, &[]).await;
    let mut impostor = other::Impostor::register();
    let error = app.save(&mut impostor).await.unwrap_err();
    let ApplicationError::DuplicateName { name, first, second } = &error else { panic!("{error}") };
    assert_eq!(*name, "Dog");
    assert!(first.ends_with("::Dog") && second.ends_with("other::Impostor"), "{error}");
    assert!(error.to_string().contains("#[aggregate(name"), "{error}");
    assert_eq!(impostor.pending_events().len(), 1, "nothing was saved");
    let error = app.repository().get::<other::Impostor>(dog.id()).await.unwrap_err();
    assert!(matches!(error, ApplicationError::DuplicateName { .. }), "{error}");
    // The first type is still served.
    assert!(app.repository().get::<Dog>(dog.id()).await.is_ok());
}

#[tokio::test]
async fn repository_notification_log_and_event_store_are_owned_handles_a_task_can_hold() {
    fn owned<T: Clone + Send + Sync + 'static>(_: &T) {}
    let app = app().await;
    let (repository, log, store) = (app.repository(), app.notification_log(), app.event_store().clone());
    owned(&repository);
    owned(&log);
    owned(&store);
    let dog = dog_with_tricks(&app, &["sit"]).await;
    drop(app);
    let id = *dog.id();
    let task = tokio::spawn(async move {
        let dog: Dog = repository.get(&id).await.unwrap();
        let from_store: Dog = store.get(&id, None).await.unwrap().unwrap();
        (dog.tricks, from_store.version(), log.select(1, 10).await.unwrap().len())
    });
    assert_eq!(task.await.unwrap(), (vec!["sit".to_owned()], 2, 2), "the handles outlive the application");
}

#[tokio::test]
async fn history_reports_a_missing_version_as_get_does() {
    let recorder = Observed::default();
    let app = app_on(recorder.clone(), None).await;
    let dog = dog_with_tricks(&app, &["a", "b", "c"]).await;
    assert_eq!(app.repository().history::<Dog>(dog.id()).await.unwrap().len(), 4);
    recorder.rewrite(|mut events: Vec<StoredEvent>| {
        if events.len() > 2 {
            events.remove(2);
        }
        events
    });
    let get = app.repository().get::<Dog>(dog.id()).await.unwrap_err();
    let history = app.repository().history::<Dog>(dog.id()).await.unwrap_err();
    for error in [get, history] {
        assert!(
            matches!(error, ApplicationError::Replay(ReplayError::OriginatorVersion { expected: 3, found: 4, .. })),
            "{error}"
        );
    }
}

#[tokio::test]
async fn configuration_follows_python_names_and_prefixes() {
    let general = Cipher::generate_key().unwrap();
    let mine = Cipher::generate_key().unwrap();
    let recorder = Observed::default();
    let writer = Application::builder("DogSchool")
        .without_process_env()
        .env("CIPHER_KEY", &general)
        .env("DOGSCHOOL_CIPHER_KEY", &mine)
        .recorders(recorder.clone(), None::<InMemoryRecorder>)
        .build()
        .await
        .unwrap();
    let dog = dog_with_tricks(&writer, &[]).await;
    let reader = |key: &str| {
        Application::builder("Other")
            .without_process_env()
            .env("CIPHER_KEY", key)
            .recorders(recorder.clone(), None::<InMemoryRecorder>)
            .build()
    };
    assert!(reader(&mine).await.unwrap().repository().get::<Dog>(dog.id()).await.is_ok(), "the prefixed key was used");
    assert!(reader(&general).await.unwrap().repository().get::<Dog>(dog.id()).await.is_err());

    for (key, value) in [
        ("DOGSCHOOL_PERSISTENCE_MODULE", "cassandra"),
        ("IS_SNAPSHOTTING_ENABLED", "sometimes"),
        ("AGGREGATE_CACHE_MAXSIZE", "lots"),
        ("DOGSCHOOL_TRANSCODER_TOPIC", "yaml"),
    ] {
        let error = Application::builder("DogSchool").without_process_env().env(key, value).build().await.unwrap_err();
        assert!(matches!(error, ApplicationError::Config(_)), "{error}");
        assert!(error.to_string().contains(key), "{key}: {error}");
    }
    let app = Application::builder("DogSchool")
        .without_process_env()
        .env("IS_SNAPSHOTTING_ENABLED", "y")
        .env("TRANSCODER_TOPIC", "bincode")
        .env("AGGREGATE_CACHE_MAXSIZE", "100")
        .build()
        .await
        .unwrap();
    assert!(app.snapshot_recorder().is_some());
    assert_eq!(app.mapper().codec(), eventsourcing::persistence::Codec::Bincode);
    assert_eq!(app.name(), "DogSchool");
}

#[tokio::test]
async fn string_ids_work_through_the_application() {
    let app = Application::builder("Bank").without_process_env().snapshotting(true).build().await.unwrap();
    let mut account = Account::open("42");
    account.deposit(5);
    app.save(&mut account).await.unwrap();
    app.take_snapshot::<Account>(account.id(), None).await.unwrap();
    let copy: Account = app.repository().get(&"account-42".to_owned()).await.unwrap();
    assert_eq!(copy, account);
    let stored = app.notification_log().select(1, 10).await.unwrap();
    assert_eq!(stored[0].event.originator_id, OriginatorId::Text("account-42".into()));
}
