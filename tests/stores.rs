//! The application on every store: in memory, SQLite (in memory and in a file) and
//! PostgreSQL (when `EVENTSOURCING_POSTGRES_TEST_URL` names a database; otherwise those
//! tests say that they were skipped). Each scenario runs once per store.
#![allow(missing_docs)]

mod support;

use std::sync::Arc;

use eventsourcing::application::ApplicationBuilder;
use eventsourcing::persistence::{Cipher, EventQuery, MapperError, OriginatorId, Record};
use eventsourcing::prelude::*;
use futures_util::StreamExt;
use support::{Account, Dog, DogEvent, Note, Schema, SqliteFile};

/// Where an application keeps its events.
#[derive(Debug, Clone)]
enum Store {
    Memory,
    SqliteMemory,
    SqliteFile(std::sync::Arc<SqliteFile>),
    Postgres { url: String, schema: std::sync::Arc<Schema> },
}

// Every constructor returns an `Option`, like `postgres()`, which needs a server.
#[allow(clippy::unnecessary_wraps)]
impl Store {
    fn memory() -> Option<Store> {
        Some(Store::Memory)
    }

    fn sqlite_memory() -> Option<Store> {
        Some(Store::SqliteMemory)
    }

    fn sqlite_file() -> Option<Store> {
        Some(Store::SqliteFile(std::sync::Arc::new(SqliteFile::new("stores"))))
    }

    fn postgres() -> Option<Store> {
        let url = eventsourcing_core::testing::env_or_skip("EVENTSOURCING_POSTGRES_TEST_URL")?;
        Some(Store::Postgres { schema: std::sync::Arc::new(Schema::new(&url)), url })
    }

    /// A builder for the application `name` on this store, configured through the same
    /// variables a deployment would set.
    fn builder(&self, name: &str) -> ApplicationBuilder {
        let builder = Application::builder(name).without_process_env();
        match self {
            Store::Memory => builder.env("PERSISTENCE_MODULE", "memory"),
            Store::SqliteMemory => builder.env("PERSISTENCE_MODULE", "sqlite").env("SQLITE_DBNAME", ":memory:"),
            Store::SqliteFile(path) => {
                builder.env("PERSISTENCE_MODULE", "eventsourcing.sqlite").env("SQLITE_DBNAME", &path.0)
            }
            Store::Postgres { url, schema } => builder
                .env("PERSISTENCE_MODULE", "postgres")
                .env("POSTGRES_URL", url)
                .env("POSTGRES_SCHEMA", schema.as_str()),
        }
    }

    /// Whether several applications can share this store (not a private in-memory one).
    fn shared(&self) -> bool {
        matches!(self, Store::SqliteFile(_) | Store::Postgres { .. })
    }

    /// Deletes a stored event behind the application's back.
    async fn delete_event(&self, name: &str, id: &Uuid, version: i64) {
        match self {
            Store::SqliteFile(path) => {
                let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", path.0)).await.unwrap();
                sqlx::query("DELETE FROM stored_events WHERE originator_id = ? AND originator_version = ?")
                    .bind(id.simple().to_string())
                    .bind(version)
                    .execute(&pool)
                    .await
                    .unwrap();
            }
            Store::Postgres { url, schema } => {
                let pool = sqlx::PgPool::connect(url).await.unwrap();
                let sql = format!(
                    "DELETE FROM \"{schema}\".\"{}_events\" WHERE originator_id = $1 AND originator_version = $2",
                    name.to_lowercase()
                );
                sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).bind(version).execute(&pool).await.unwrap();
            }
            Store::Memory | Store::SqliteMemory => unreachable!("not shared"),
        }
    }
}

async fn dog_school(store: Store) {
    let app = store.builder("DogSchool").build().await.unwrap();
    let mut dog = Dog::register("Fido");
    app.save(&mut dog).await.unwrap();
    for trick in ["roll over", "fetch ball"] {
        let mut copy: Dog = app.repository().get(dog.id()).await.unwrap();
        copy.add_trick(trick);
        app.save(&mut copy).await.unwrap();
    }
    let dog: Dog = app.repository().get(dog.id()).await.unwrap();
    assert_eq!(dog.tricks, ["roll over", "fetch ball"]);
    let log = app.notification_log();
    let page = log.select(1, 10).await.unwrap();
    assert_eq!(
        page.iter().map(|n| n.event.topic.as_str()).collect::<Vec<_>>(),
        ["Dog.Registered", "Dog.TrickAdded", "Dog.TrickAdded"]
    );
    let section = log.section("1,10").await.unwrap();
    assert_eq!(section.items.len(), 3);
    assert_eq!(section.next_id, None);
    let at_2: Dog = app.repository().get_at(dog.id(), 2).await.unwrap();
    assert_eq!(at_2.tricks, ["roll over"]);
}

async fn world(store: Store) {
    let app = store.builder("Worlds").build().await.unwrap();
    let mut world = Dog::register("gods");
    world.add_trick("dinosaurs");
    world.add_trick("trucks");
    app.save(&mut world).await.unwrap();

    let mut stale: Dog = app.repository().get_at(world.id(), 2).await.unwrap();
    stale.add_trick("future");
    let error = app.save(&mut stale).await.unwrap_err();
    assert!(error.is_conflict(), "{error}");
    assert_eq!(stale.pending_events().len(), 1);

    let (mut a, mut b) = (Dog::register("a"), Dog::register("b"));
    let first = app.save((&mut a, &mut b)).await.unwrap();
    assert_eq!(first.len(), 2);
    assert!(first[0] < first[1]);

    app.discard(&mut world).await.unwrap();
    assert!(!app.repository().contains::<Dog>(world.id()).await.unwrap());
    assert_eq!(app.repository().history::<Dog>(world.id()).await.unwrap().len(), 4);
    let all = app.notification_log().read(1).collect::<Vec<_>>().await;
    let all: Vec<u64> = all.into_iter().map(|n| n.unwrap().id).collect();
    assert_eq!(all.len(), 6, "3 events, 2 new dogs, 1 discard marker: {all:?}");
    assert!(all.windows(2).all(|w| w[0] < w[1]), "ascending: {all:?}");
}

async fn snapshots(store: Store) {
    let app = store.builder("Kennel").snapshot_every::<Dog>(2).build().await.unwrap();
    let mut dog = Dog::register("Fido");
    app.save(&mut dog).await.unwrap();
    for trick in ["a", "b", "c"] {
        dog.add_trick(trick);
        app.save(&mut dog).await.unwrap();
    }
    app.take_snapshot::<Dog>(dog.id(), Some(3)).await.unwrap();
    let stored =
        app.snapshot_recorder().unwrap().select_events(&dog.id().to_originator_id(), EventQuery::all()).await.unwrap();
    assert_eq!(stored.iter().map(|s| s.originator_version).collect::<Vec<_>>(), [2, 3, 4]);
    assert_eq!(app.repository().get::<Dog>(dog.id()).await.unwrap(), dog);
    let at_3: Dog = app.repository().get_at(dog.id(), 3).await.unwrap();
    assert_eq!(at_3.tricks, ["a", "b"]);
    let beyond: Dog = app.repository().get_at(dog.id(), u64::MAX).await.unwrap();
    assert_eq!(beyond, dog, "a version beyond the last is the latest");
}

async fn encrypted_compressed_chained(store: Store) {
    let key = Cipher::generate_key().unwrap();
    let builder = |key: &str| {
        store
            .builder("Vault")
            .env("CIPHER_KEY", key)
            .env("COMPRESSOR_TOPIC", "zstd")
            .env("HASH_CHAIN_KEY", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
            .env("TRANSCODER_TOPIC", "bincode")
    };
    let app = builder(&key).build().await.unwrap();
    let mut dog = Dog::register("Secret Fido");
    dog.add_trick("hidden trick");
    dog.add_trick("another");
    app.save(&mut dog).await.unwrap();
    let raw = app.recorder().select_events(&dog.id().to_originator_id(), EventQuery::all()).await.unwrap();
    assert!(raw.iter().all(|r| !r.state.windows(6).any(|w| w == b"Secret" || w == b"hidden")));
    let copy: Dog = app.repository().get(dog.id()).await.unwrap();
    assert_eq!(copy, dog);
    assert!(copy.head().is_some());

    if store.shared() {
        let other = builder(&Cipher::generate_key().unwrap()).build().await.unwrap();
        let error = other.repository().get::<Dog>(dog.id()).await.unwrap_err();
        assert!(matches!(error, ApplicationError::Mapper(MapperError::WrongKey { .. })), "{error}");

        store.delete_event("Vault", dog.id(), 2).await;
        let error = app.repository().get::<Dog>(dog.id()).await.unwrap_err();
        assert!(
            matches!(&error, ApplicationError::Mapper(MapperError::BrokenChain { record, .. }) if record.originator_version == 3),
            "{error}"
        );
    }
}

async fn text_ids(store: Store) {
    // Encrypted and chained records bind their ids: they must read back whichever form
    // (text or UUID) the store returns an id in.
    let secured = |builder: ApplicationBuilder| {
        builder.env("CIPHER_KEY", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=").env("HASH_CHAIN", "y")
    };
    let app =
        secured(store.builder("Bank").env("ORIGINATOR_ID_TYPE", "text")).snapshotting(true).build().await.unwrap();
    let mut account = Account::open("42");
    account.deposit(7);
    app.save(&mut account).await.unwrap();
    app.take_snapshot::<Account>(account.id(), None).await.unwrap();
    let copy: Account = app.repository().get(&"account-42".to_owned()).await.unwrap();
    assert_eq!(copy, account);
    let page = app.notification_log().select(1, 10).await.unwrap();
    assert_eq!(page[0].event.originator_id, OriginatorId::Text("account-42".into()));

    // A UUID aggregate in a text store, and a text aggregate with a UUID-shaped id in a
    // UUID store.
    let mut dog = Dog::register("Fido");
    dog.add_trick("sit");
    app.save(&mut dog).await.unwrap();
    assert_eq!(app.repository().get::<Dog>(dog.id()).await.unwrap(), dog);
    let uuid_store = secured(store.builder("Notes")).build().await.unwrap();
    let mut note = Note::write("hello");
    uuid_store.save(&mut note).await.unwrap();
    assert_eq!(uuid_store.repository().get::<Note>(note.id()).await.unwrap(), note);
}

async fn concurrent_writers(store: Store) {
    let app = Arc::new(store.builder("Busy").cache(Some(16)).build().await.unwrap());
    let mut dog = Dog::register("Fido");
    app.save(&mut dog).await.unwrap();
    let mut tasks = Vec::new();
    for writer in 0..16 {
        let (app, id) = (app.clone(), *dog.id());
        tasks.push(tokio::spawn(async move {
            for n in 0..3 {
                loop {
                    let mut dog: Dog = app.repository().get(&id).await.unwrap();
                    dog.add_trick(&format!("{writer}-{n}"));
                    match app.save(&mut dog).await {
                        Ok(_) => break,
                        Err(error) if error.is_conflict() => {}
                        Err(error) => panic!("{error}"),
                    }
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let dog: Dog = app.repository().get(dog.id()).await.unwrap();
    assert_eq!(dog.tricks.len(), 48, "no update lost");
    assert_eq!(dog.version(), 49);
}

async fn subscription(store: Store) {
    let app = store.builder("Live").build().await.unwrap();
    let mut dog = Dog::register("Fido");
    app.save(&mut dog).await.unwrap();
    let mut live = app.subscribe(None, Vec::new()).await.unwrap();
    let first = tokio::time::timeout(std::time::Duration::from_secs(5), live.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(first.event.topic, "Dog.Registered");
    dog.add_trick("sit");
    app.save(&mut dog).await.unwrap();
    let second = tokio::time::timeout(std::time::Duration::from_secs(5), live.next()).await.unwrap().unwrap().unwrap();
    assert!(second.id > first.id);
    match app.decode::<Record<Dog>>(&second).unwrap() {
        Some(Record::Event(event)) => assert_eq!(event.payload, DogEvent::TrickAdded { trick: "sit".into() }),
        other => panic!("{other:?}"),
    }
}

macro_rules! on_every_store {
    ($($scenario:ident),* $(,)?) => {
        on_every_store!(@store memory; $($scenario),*);
        on_every_store!(@store sqlite_memory; $($scenario),*);
        on_every_store!(@store sqlite_file; $($scenario),*);
        on_every_store!(@postgres $($scenario),*);
    };
    (@store $store:ident; $($scenario:ident),*) => {
        mod $store {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    if let Some(store) = super::Store::$store() {
                        super::$scenario(store).await;
                    }
                }
            )*
        }
    };
    (@postgres $($scenario:ident),*) => {
        mod postgres {
            $(
                #[cfg_attr(not(postgres_tests), ignore = "set EVENTSOURCING_POSTGRES_TEST_URL to run it")]
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    if let Some(store) = super::Store::postgres() {
                        super::$scenario(store).await;
                    }
                }
            )*
        }
    };
}

on_every_store!(dog_school, world, snapshots, encrypted_compressed_chained, text_ids, concurrent_writers, subscription,);
