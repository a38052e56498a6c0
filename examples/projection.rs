//! The dog school's read side: a view of the tricks each dog knows and a count of
//! registrations, kept up to date from the school's events by a projection, exactly once.
//!
//! The school and the view live on the store the environment names: in memory by default,
//! SQLite with `PERSISTENCE_MODULE=sqlite SQLITE_DBNAME=...` (the view in the same file, or
//! in memory beside an in-memory school), PostgreSQL with `PERSISTENCE_MODULE=postgres`
//! and `POSTGRES_URL=...` (the view's tables in the schema `dogschool_views`).
//!
//! Run it with `cargo run --example projection`.

use std::collections::BTreeMap;
use std::time::Duration;

use eventsourcing::application::Environment;
use eventsourcing::application::config::PersistenceModule;
use eventsourcing::persistence::{BoxError, MemoryView};
use eventsourcing::postgres::PostgresView;
use eventsourcing::prelude::*;
use eventsourcing::projection::{Projection, ProjectionRunner};
use eventsourcing::sqlite::SqliteView;

/// A dog at the school.
#[aggregate]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Dog {
    name: String,
    tricks: Vec<String>,
}

#[aggregate]
impl Dog {
    /// Registers a new dog.
    #[event("Registered")]
    pub fn register(name: String) -> Self {
        Self { name, tricks: Vec::new() }
    }

    /// Teaches the dog a trick.
    #[event("TrickAdded")]
    pub fn add_trick(&mut self, trick: &str) {
        self.tricks.push(trick.to_owned());
    }
}

/// The events the view is built from: the dogs' (any other topic would be an error).
#[derive(Debug, LogEvent)]
pub enum SchoolEvent {
    /// An event of a dog.
    Dog(DomainEvent<DogEvent>),
}

/// The view in memory: the dogs' names, their tricks, and the number of registrations.
#[derive(Debug, Clone, Default)]
pub struct Tricks {
    /// Each dog's name, by id.
    pub names: BTreeMap<Uuid, String>,
    /// The tricks of each dog, by name.
    pub by_dog: BTreeMap<String, Vec<String>>,
    /// How many dogs registered.
    pub registrations: u64,
}

/// The projection into memory. Everything it needs is in the view, so that a restarted
/// runner carries on where it left off.
#[derive(Debug, Default)]
pub struct TricksProjection;

impl Projection for TricksProjection {
    type Event = SchoolEvent;
    type View = MemoryView<Tricks>;

    async fn process(&mut self, SchoolEvent::Dog(event): SchoolEvent, view: &mut Tricks) -> Result<(), BoxError> {
        match event.payload {
            DogEvent::Registered { name } => {
                view.names.insert(event.originator_id, name);
                view.registrations += 1;
            }
            DogEvent::TrickAdded { trick } => {
                let name = view.names.get(&event.originator_id).cloned().unwrap_or_default();
                view.by_dog.entry(name).or_default().push(trick);
            }
        }
        Ok(())
    }
}

/// The SQL of the view's tables, the same in SQLite and PostgreSQL.
const CREATE_TABLES: [&str; 3] = [
    "CREATE TABLE IF NOT EXISTS dogs (id TEXT PRIMARY KEY, name TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS tricks (dog TEXT NOT NULL, trick TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS registrations (id INTEGER PRIMARY KEY, count BIGINT NOT NULL)",
];
const INSERT_DOG: &str = "INSERT INTO dogs (id, name) VALUES ($1, $2)";
const COUNT_REGISTRATION: &str = "INSERT INTO registrations (id, count) VALUES (1, 1) \
    ON CONFLICT (id) DO UPDATE SET count = registrations.count + 1";
const INSERT_TRICK: &str = "INSERT INTO tricks (dog, trick) SELECT name, $2 FROM dogs WHERE id = $1";

/// The projection into SQLite tables.
#[derive(Debug, Default)]
pub struct SqliteTricks;

impl Projection for SqliteTricks {
    type Event = SchoolEvent;
    type View = SqliteView;

    async fn process(
        &mut self,
        SchoolEvent::Dog(event): SchoolEvent,
        view: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    ) -> Result<(), BoxError> {
        let id = event.originator_id.to_string();
        match event.payload {
            DogEvent::Registered { name } => {
                sqlx::query(INSERT_DOG).bind(id).bind(name).execute(&mut **view).await?;
                sqlx::query(COUNT_REGISTRATION).execute(&mut **view).await?;
            }
            DogEvent::TrickAdded { trick } => {
                sqlx::query(INSERT_TRICK).bind(id).bind(trick).execute(&mut **view).await?;
            }
        }
        Ok(())
    }
}

/// The projection into PostgreSQL tables: the same SQL, through a PostgreSQL transaction.
#[derive(Debug, Default)]
pub struct PostgresTricks;

impl Projection for PostgresTricks {
    type Event = SchoolEvent;
    type View = PostgresView;

    async fn process(
        &mut self,
        SchoolEvent::Dog(event): SchoolEvent,
        view: &mut sqlx::Transaction<'static, sqlx::Postgres>,
    ) -> Result<(), BoxError> {
        let id = event.originator_id.to_string();
        match event.payload {
            DogEvent::Registered { name } => {
                sqlx::query(INSERT_DOG).bind(id).bind(name).execute(&mut **view).await?;
                sqlx::query(COUNT_REGISTRATION).execute(&mut **view).await?;
            }
            DogEvent::TrickAdded { trick } => {
                sqlx::query(INSERT_TRICK).bind(id).bind(trick).execute(&mut **view).await?;
            }
        }
        Ok(())
    }
}

/// Saves some dogs and returns the last notification id.
async fn teach(school: &Application) -> Result<u64, ApplicationError> {
    let mut fido = Dog::register("Fido".into());
    fido.add_trick("roll over");
    fido.add_trick("play dead");
    let mut buster = Dog::register("Buster".into());
    buster.add_trick("fetch ball");
    let ids = school.save((&mut fido, &mut buster)).await?;
    Ok(ids.last().copied().unwrap_or_default())
}

const SELECT_TRICKS: &str = "SELECT dog, trick FROM tricks ORDER BY dog, trick";
const SELECT_COUNT: &str = "SELECT count FROM registrations WHERE id = 1";

/// Tricks per dog, from the rows of the view's table.
fn by_dog(rows: Vec<(String, String)>) -> BTreeMap<String, Vec<String>> {
    let mut by_dog: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (dog, trick) in rows {
        by_dog.entry(dog).or_default().push(trick);
    }
    by_dog
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let school = Application::from_env("DogSchool").await?;
    let env = Environment::from_process("DogSchool");
    let wait = Duration::from_secs(10);
    let (by_dog, registrations) = match PersistenceModule::from_env(&env)? {
        PersistenceModule::Sqlite => {
            let dbname = env.get("SQLITE_DBNAME").unwrap_or(":memory:");
            let url = if dbname == ":memory:" { "sqlite::memory:".to_owned() } else { format!("sqlite://{dbname}") };
            let pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).connect(&url).await?;
            for create in CREATE_TABLES {
                sqlx::query(create).execute(&pool).await?;
            }
            let view = SqliteView::open(pool, "tricks").await?;
            let runner = ProjectionRunner::start(&school, SqliteTricks, view);
            runner.wait(teach(&school).await?, wait).await?;
            let rows = sqlx::query_as(SELECT_TRICKS).fetch_all(runner.view().pool()).await?;
            let (count,): (i64,) = sqlx::query_as(SELECT_COUNT).fetch_one(runner.view().pool()).await?;
            runner.stop().await?;
            (by_dog(rows), count)
        }
        PersistenceModule::Postgres => {
            let url = env.get("POSTGRES_URL").ok_or("set POSTGRES_URL for the view")?;
            let options: sqlx::postgres::PgConnectOptions = url.parse()?;
            let pool = sqlx::PgPool::connect_with(options.options([("search_path", "dogschool_views")])).await?;
            let view = PostgresView::open(pool, "dogschool_views", "tricks").await?;
            for create in CREATE_TABLES {
                sqlx::query(create).execute(view.pool()).await?;
            }
            let runner = ProjectionRunner::start(&school, PostgresTricks, view);
            runner.wait(teach(&school).await?, wait).await?;
            let rows = sqlx::query_as(SELECT_TRICKS).fetch_all(runner.view().pool()).await?;
            let (count,): (i64,) = sqlx::query_as(SELECT_COUNT).fetch_one(runner.view().pool()).await?;
            runner.stop().await?;
            (by_dog(rows), count)
        }
        _ => {
            let runner = ProjectionRunner::start(&school, TricksProjection, MemoryView::default());
            runner.wait(teach(&school).await?, wait).await?;
            let tricks = runner.view().read(Clone::clone);
            runner.stop().await?;
            (tricks.by_dog, i64::try_from(tricks.registrations)?)
        }
    };
    for (dog, tricks) in &by_dog {
        println!("{dog}: {}", tricks.join(", "));
    }
    println!("{registrations} registrations");
    Ok(())
}
