//! What is particular to the SQLite and PostgreSQL stores: files that outlive the
//! application, several applications in one database, schemas, table creation, and the
//! errors of bad settings. PostgreSQL tests need `EVENTSOURCING_POSTGRES_TEST_URL`.
#![allow(missing_docs)]

mod support;

use eventsourcing::application::ConfigError;
use eventsourcing::persistence::PersistenceError;
use eventsourcing::prelude::*;
use support::{Account, Dog, Schema, SqliteFile};

fn postgres_url() -> Option<String> {
    eventsourcing_core::testing::env_or_skip("EVENTSOURCING_POSTGRES_TEST_URL")
}

fn schema(url: &str) -> Schema {
    Schema::new(url)
}

#[tokio::test]
async fn a_reopened_sqlite_file_keeps_everything() {
    let file = SqliteFile::new("kennel");
    let path = &file.0;
    let open = || Application::builder("Kennel").without_process_env().sqlite(path.clone()).snapshotting(true).build();
    let app = open().await.unwrap();
    let mut dog = Dog::register("Fido");
    app.save(&mut dog).await.unwrap();
    app.take_snapshot::<Dog>(dog.id(), None).await.unwrap();
    drop(app);

    let app = open().await.unwrap();
    assert_eq!(app.repository().get::<Dog>(dog.id()).await.unwrap(), dog);
    assert_eq!(app.notification_log().max_notification_id().await.unwrap(), Some(1));
    let mut other = Dog::register("Rex");
    assert_eq!(app.save(&mut other).await.unwrap(), [2], "notification ids continue");
}

#[tokio::test]
async fn sqlite_settings_are_checked() {
    let error = Application::builder("App")
        .without_process_env()
        .env("PERSISTENCE_MODULE", "sqlite")
        .build()
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ApplicationError::Config(ConfigError::Missing { variable, .. }) if variable == "SQLITE_DBNAME"),
        "{error}"
    );
    let error = Application::builder("App")
        .without_process_env()
        .env("PERSISTENCE_MODULE", "sqlite")
        .env("SQLITE_DBNAME", ":memory:")
        .env("APP_SQLITE_LOCK_TIMEOUT", "soon")
        .build()
        .await
        .unwrap_err();
    assert!(error.to_string().contains("APP_SQLITE_LOCK_TIMEOUT"), "{error}");

    // Without the tables, the store says so.
    let app = Application::builder("App")
        .without_process_env()
        .env("PERSISTENCE_MODULE", "sqlite")
        .env("SQLITE_DBNAME", ":memory:")
        .env("CREATE_TABLE", "no")
        .build()
        .await
        .unwrap();
    let error = app.save(&mut Dog::register("Fido")).await.unwrap_err();
    assert!(matches!(error, ApplicationError::Persistence(PersistenceError::MissingTable { .. })), "{error}");
    assert_source_is_sqlx(&error);
}

/// The error's `source()` chain reaches the sqlx error it comes from.
fn assert_source_is_sqlx(error: &(dyn std::error::Error + 'static)) {
    let mut source = error.source();
    while let Some(cause) = source {
        if cause.downcast_ref::<sqlx::Error>().is_some() {
            return;
        }
        source = cause.source();
    }
    panic!("no sqlx error in the source chain of {error}");
}

#[tokio::test]
async fn a_blank_sqlite_dbname_is_refused_not_taken_for_memory() {
    for blank in ["", "  "] {
        let error = Application::builder("App")
            .without_process_env()
            .env("PERSISTENCE_MODULE", "sqlite")
            .env("APP_SQLITE_DBNAME", blank)
            .build()
            .await
            .unwrap_err();
        assert!(
            matches!(&error, ApplicationError::Config(ConfigError::Invalid { variable, .. }) if variable == "APP_SQLITE_DBNAME"),
            "{blank:?}: {error}"
        );
        let error = Application::builder("App").without_process_env().sqlite(blank).build().await.unwrap_err();
        assert!(
            matches!(&error, ApplicationError::Persistence(PersistenceError::Configuration { .. })),
            "{blank:?}: {error}"
        );
    }
    // Memory is asked for by name, and then every connection shares it.
    for name in [":memory:", "sqlite::memory:", "file:dogs?mode=memory&cache=shared"] {
        let app = Application::builder("App").without_process_env().sqlite(name).build().await.unwrap();
        let mut dogs: Vec<Dog> = (0..10).map(|i| Dog::register(&format!("dog {i}"))).collect();
        app.save(&mut dogs[..]).await.unwrap();
        for dog in &dogs {
            assert_eq!(&app.repository().get::<Dog>(dog.id()).await.unwrap(), dog, "{name}");
        }
    }
}

#[tokio::test]
async fn a_sqlite_file_that_cannot_be_opened_is_named_with_its_variable() {
    let path = std::env::temp_dir().join(format!("no-such-dir-{}", Uuid::new_v4())).join("dogs.sqlite");
    let path = path.display().to_string();
    let error = Application::builder("App")
        .without_process_env()
        .env("PERSISTENCE_MODULE", "sqlite")
        .env("SQLITE_DBNAME", &path)
        .build()
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, ApplicationError::Persistence(PersistenceError::Connection { .. })), "{message}");
    assert!(message.contains(&path) && message.contains("SQLITE_DBNAME"), "{message}");
}

/// Configuration variables and their values.
type Settings<'a> = &'a [(&'a str, &'a str)];

#[tokio::test]
async fn numeric_settings_out_of_range_are_errors_naming_the_variable() {
    let sqlite = [("PERSISTENCE_MODULE", "sqlite"), ("SQLITE_DBNAME", ":memory:")];
    // Checked before any connection is made: no server is needed at this address.
    let postgres = [("PERSISTENCE_MODULE", "postgres"), ("POSTGRES_URL", "postgres://postgres@127.0.0.1:1/none")];
    let parts = [
        ("PERSISTENCE_MODULE", "postgres"),
        ("POSTGRES_HOST", "127.0.0.1"),
        ("POSTGRES_USER", "postgres"),
        ("POSTGRES_DBNAME", "none"),
    ];
    let cases: &[(Settings, &str, &str)] = &[
        (&sqlite, "SQLITE_LOCK_TIMEOUT", "1e19"),
        (&sqlite, "SQLITE_LOCK_TIMEOUT", "2147484"),
        (&sqlite, "SQLITE_LOCK_TIMEOUT", "-1"),
        (&sqlite, "SQLITE_LOCK_TIMEOUT", "NaN"),
        (&sqlite, "SQLITE_LOCK_TIMEOUT", "inf"),
        (&sqlite, "SQLITE_POOL_SIZE", "0"),
        (&sqlite, "SQLITE_POOL_SIZE", "4294967295"),
        (&sqlite, "SQLITE_POOL_SIZE", "1001"),
        (&postgres, "POSTGRES_CONNECT_TIMEOUT", "1e19"),
        (&postgres, "POSTGRES_CONNECT_TIMEOUT", "0"),
        (&postgres, "POSTGRES_LOCK_TIMEOUT", "2147484"),
        (&postgres, "POSTGRES_CONN_MAX_AGE", "1e19"),
        (&postgres, "POSTGRES_POOL_SIZE", "4294967295"),
        (&postgres, "POSTGRES_MAX_OVERFLOW", "100000000"),
        (&postgres, "POSTGRES_MAX_OVERFLOW", "996"),
        (&parts, "POSTGRES_PORT", "0"),
        (&parts, "POSTGRES_PORT", "65536"),
    ];
    for (base, variable, value) in cases {
        let mut builder = Application::builder("App").without_process_env();
        for (key, setting) in *base {
            builder = builder.env(*key, *setting);
        }
        let error = builder.env(*variable, *value).build().await.unwrap_err();
        assert!(
            matches!(&error, ApplicationError::Config(ConfigError::Invalid { variable: found, .. }) if found == variable),
            "{variable}={value}: {error}"
        );
    }

    // The largest values in range work.
    let file = SqliteFile::new("limits");
    let path = &file.0;
    let app = Application::builder("App")
        .without_process_env()
        .env("PERSISTENCE_MODULE", "sqlite")
        .env("SQLITE_DBNAME", path)
        .env("SQLITE_LOCK_TIMEOUT", "2147483")
        .env("SQLITE_POOL_SIZE", "1000")
        .env("AGGREGATE_CACHE_MAXSIZE", i64::MAX.to_string())
        .build()
        .await
        .unwrap();
    let mut dog = Dog::register("Fido");
    app.save(&mut dog).await.unwrap();
    assert_eq!(app.repository().get::<Dog>(dog.id()).await.unwrap(), dog);

    // Options given in code are checked as well.
    let mut options = eventsourcing::sqlite::SqliteOptions::new(":memory:");
    options.pool_size = u32::MAX;
    let error = eventsourcing::sqlite::SqliteStore::open(options).await.unwrap_err();
    assert!(
        matches!(&error, PersistenceError::Configuration { message, .. } if message.contains("pool size")),
        "{error}"
    );
}

#[cfg_attr(not(postgres_tests), ignore = "set EVENTSOURCING_POSTGRES_TEST_URL to run it")]
#[tokio::test]
async fn two_applications_in_one_postgres_database_keep_apart() {
    let Some(url) = postgres_url() else { return };
    let schema = schema(&url);
    let app = |name: &str| {
        Application::builder(name).without_process_env().postgres(url.clone()).env("POSTGRES_SCHEMA", &schema).build()
    };
    let (school, shelter) = (app("DogSchool").await.unwrap(), app("Shelter").await.unwrap());
    let mut fido = Dog::register("Fido");
    school.save(&mut fido).await.unwrap();
    let mut rex = Dog::register("Rex");
    shelter.save(&mut rex).await.unwrap();
    assert_eq!(school.notification_log().select(1, 10).await.unwrap().len(), 1);
    assert_eq!(shelter.notification_log().select(1, 10).await.unwrap().len(), 1);
    assert!(!school.repository().contains::<Dog>(rex.id()).await.unwrap());
    assert!(!shelter.repository().contains::<Dog>(fido.id()).await.unwrap());

    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name",
    )
    .bind(schema.as_str())
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        tables,
        [
            "dogschool_events",
            "dogschool_snapshots",
            "dogschool_tracking",
            "shelter_events",
            "shelter_snapshots",
            "shelter_tracking"
        ]
    );
    // The same application opened again (another process, say) creates nothing new and sees all.
    let again = app("DogSchool").await.unwrap();
    assert_eq!(again.repository().get::<Dog>(fido.id()).await.unwrap(), fido);
}

#[cfg_attr(not(postgres_tests), ignore = "set EVENTSOURCING_POSTGRES_TEST_URL to run it")]
#[tokio::test]
async fn postgres_settings_are_checked() {
    let Some(url) = postgres_url() else { return };
    let error = Application::builder("App")
        .without_process_env()
        .env("PERSISTENCE_MODULE", "postgres")
        .build()
        .await
        .unwrap_err();
    assert!(matches!(error, ApplicationError::Config(ConfigError::Missing { .. })), "{error}");

    for (name, schema) in [("Dog School", "public"), ("App", "bad\"schema"), (&"x".repeat(60)[..], "public")] {
        let error = Application::builder(name)
            .without_process_env()
            .postgres(url.clone())
            .env("POSTGRES_SCHEMA", schema)
            .build()
            .await
            .unwrap_err();
        assert!(
            matches!(error, ApplicationError::Persistence(PersistenceError::Configuration { .. })),
            "{name}: {error}"
        );
    }

    let missing = schema(&url);
    let app = Application::builder("App")
        .without_process_env()
        .postgres(url.clone())
        .env("POSTGRES_SCHEMA", &missing)
        .env("CREATE_TABLE", "n")
        .build()
        .await
        .unwrap();
    let error = app.save(&mut Dog::register("Fido")).await.unwrap_err();
    assert!(matches!(error, ApplicationError::Persistence(PersistenceError::MissingTable { .. })), "{error}");
    assert_source_is_sqlx(&error);

    let error = Application::builder("App")
        .without_process_env()
        .postgres("postgres://postgres@127.0.0.1:1/test")
        .env("POSTGRES_CONNECT_TIMEOUT", "1")
        .build()
        .await
        .unwrap_err();
    assert!(matches!(error, ApplicationError::Persistence(PersistenceError::Connection { .. })), "{error}");
    assert_source_is_sqlx(&error);

    // Components instead of a URL, with Python's variable names.
    let parsed: sqlx::postgres::PgConnectOptions = url.parse().unwrap();
    let components = schema(&url);
    let app = Application::builder("Components")
        .without_process_env()
        .env("PERSISTENCE_MODULE", "postgres")
        .env("POSTGRES_HOST", parsed.get_host())
        .env("POSTGRES_PORT", parsed.get_port().to_string())
        .env("POSTGRES_USER", parsed.get_username())
        .env("POSTGRES_DBNAME", parsed.get_database().unwrap_or("postgres"))
        .env("COMPONENTS_POSTGRES_SCHEMA", &components)
        .build()
        .await
        .unwrap();
    let mut dog = Dog::register("Fido");
    app.save(&mut dog).await.unwrap();
    assert_eq!(app.repository().get::<Dog>(dog.id()).await.unwrap(), dog);
}

#[cfg_attr(not(postgres_tests), ignore = "set EVENTSOURCING_POSTGRES_TEST_URL to run it")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_subscriber_wakes_on_another_connections_commit_without_polling() {
    use futures_util::StreamExt;

    let Some(url) = postgres_url() else { return };
    let schema = schema(&url);
    let open = || {
        Application::builder("Relay")
            .without_process_env()
            .postgres(url.clone())
            .env("POSTGRES_SCHEMA", &schema)
            .build()
    };
    let (follower, writer) = (open().await.unwrap(), open().await.unwrap());
    let mut live = follower.subscribe(None, Vec::new()).await.unwrap();
    // Let the subscription catch up (nothing yet) and start waiting.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    writer.save(&mut Dog::register("Fido")).await.unwrap();
    let notification = tokio::time::timeout(std::time::Duration::from_secs(1), live.next())
        .await
        .expect("NOTIFY wakes the subscriber well before its 5 s poll")
        .unwrap()
        .unwrap();
    assert_eq!(notification.event.topic, "Dog.Registered");
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
}

#[cfg_attr(not(postgres_tests), ignore = "set EVENTSOURCING_POSTGRES_TEST_URL to run it")]
#[tokio::test]
async fn a_postgres_writer_gives_up_on_the_table_lock_after_the_lock_timeout() {
    let Some(url) = postgres_url() else { return };
    let schema = schema(&url);
    let app = Application::builder("Locked")
        .without_process_env()
        .postgres(url.clone())
        .env("POSTGRES_SCHEMA", &schema)
        .env("POSTGRES_LOCK_TIMEOUT", "0.0005")
        .env("POSTGRES_POOL_SIZE", "1")
        .env("POSTGRES_MAX_OVERFLOW", "0")
        .build()
        .await
        .unwrap();
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let mut holder = pool.begin().await.unwrap();
    let lock = format!("LOCK TABLE \"{schema}\".locked_events IN EXCLUSIVE MODE");
    sqlx::query(sqlx::AssertSqlSafe(lock)).execute(&mut *holder).await.unwrap();

    let started = std::time::Instant::now();
    let error = app.save(&mut Dog::register("Fido")).await.unwrap_err();
    assert!(matches!(error, ApplicationError::Persistence(PersistenceError::LockTimeout { .. })), "{error}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "a sub-millisecond timeout still times out");
    // The pool's only connection was not left inside the failed transaction.
    assert!(app.repository().get::<Dog>(&Uuid::new_v4()).await.unwrap_err().to_string().contains("not found"));
    holder.rollback().await.unwrap();
    app.save(&mut Dog::register("Rex")).await.expect("the lock is free again");
}

#[cfg_attr(not(postgres_tests), ignore = "set EVENTSOURCING_POSTGRES_TEST_URL to run it")]
#[tokio::test]
async fn a_notification_id_clash_is_not_a_version_conflict() {
    let Some(url) = postgres_url() else { return };
    let schema = schema(&url);
    let app = Application::builder("Clash")
        .without_process_env()
        .postgres(url.clone())
        .env("POSTGRES_SCHEMA", &schema)
        .build()
        .await
        .unwrap();
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    // A row numbered ahead of the sequence, as after a careless restore.
    let sql = format!(
        "INSERT INTO \"{schema}\".clash_events (originator_id, originator_version, topic, state, notification_id) \
         VALUES ($1, 1, 'Dog.Registered', '\\x7b7d', 1)"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(Uuid::new_v4()).execute(&pool).await.unwrap();
    let error = app.save(&mut Dog::register("Fido")).await.unwrap_err();
    assert!(!error.is_conflict(), "{error}");
    assert!(matches!(error, ApplicationError::Persistence(PersistenceError::Data { .. })), "{error}");
}

/// Tables made with UUID ids, opened with `ORIGINATOR_ID_TYPE=text` (or the other way
/// round), are refused when the application starts, naming the table and what to do.
#[cfg_attr(not(postgres_tests), ignore = "set EVENTSOURCING_POSTGRES_TEST_URL to run it")]
#[tokio::test]
async fn tables_of_the_other_id_type_are_refused_at_start_up() {
    let Some(url) = postgres_url() else { return };
    let schema = schema(&url);
    let open = |id_type: &'static str| {
        Application::builder("Accounts")
            .without_process_env()
            .postgres(url.clone())
            .env("POSTGRES_SCHEMA", &schema)
            .env("ORIGINATOR_ID_TYPE", id_type)
            .build()
    };
    let app = open("uuid").await.unwrap();
    let error = app.save(&mut Account::open("1")).await.unwrap_err();
    assert!(error.to_string().contains("set ORIGINATOR_ID_TYPE=text"), "{error}");

    let error = open("text").await.unwrap_err();
    let message = error.to_string();
    assert!(message.contains(&format!("{schema}.accounts_events keeps originator_id as uuid")), "{message}");
    assert!(message.contains("set ORIGINATOR_ID_TYPE=uuid"), "{message}");
    let drop = format!("DROP TABLE {schema}.accounts_events, {schema}.accounts_snapshots, {schema}.accounts_tracking");
    assert!(message.contains(&drop), "{message}");

    // Following the advice: the tables are made again with text ids, which then work.
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&pool).await.unwrap();
    let app = open("text").await.unwrap();
    let mut account = Account::open("1");
    app.save(&mut account).await.unwrap();
    assert_eq!(app.repository().get::<Account>(account.id()).await.unwrap().version(), 1);
}
