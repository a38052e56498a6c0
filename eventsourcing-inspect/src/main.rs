//! `eventsourcing-inspect`: looks into the SQLite and PostgreSQL stores of eventsourcing
//! applications, read-only, for operators.
//!
//! ```text
//! eventsourcing-inspect --sqlite dogs.sqlite tables
//! eventsourcing-inspect --postgres postgres://127.0.0.1/prod --app DogSchool tail -n 20
//! eventsourcing-inspect --sqlite dogs.sqlite history 5ccd6781-7a5e-44a5-bf60-23fa0ceba347
//! CIPHER_KEY=... eventsourcing-inspect --sqlite dogs.sqlite verify
//! ```
//!
//! The store and the records' settings come from the same environment variables as the
//! application's (`PERSISTENCE_MODULE`, `SQLITE_DBNAME`, `POSTGRES_*`, `CIPHER_KEY`,
//! `COMPRESSOR_TOPIC`, `TRANSCODER_TOPIC`, `HASH_CHAIN_KEY`, `RECORD_FORMAT`, each of which
//! may be prefixed with the application's name), or from `--sqlite` and `--postgres`.
//! Nothing is ever written: SQLite files are opened read-only, and PostgreSQL sessions
//! are read-only transactions.

mod error;
mod show;
mod source;
mod verify;

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use eventsourcing_application::config::mapper_from_env;
use eventsourcing_core::environment::Environment;
use eventsourcing_core::persistence::{ChainCursor, Mapper, OriginatorId};
use indicatif::{ProgressBar, ProgressStyle};

use crate::error::InspectError;
use crate::show::{Shown, size};
use crate::source::{App, Database, Location};
use crate::verify::Verification;

/// Looks into the stores of eventsourcing applications, read-only.
///
/// The store and the records' settings (cipher key, compression, codec, hash chain key)
/// are read from the environment as the application reads them, each variable
/// optionally prefixed with the application's name (DOGSCHOOL_CIPHER_KEY).
// The doc comments are the command's help text, where backticks would show.
#[allow(clippy::doc_markdown)]
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// The application's name: its PostgreSQL tables' prefix, and its variables' prefix.
    #[arg(long, global = true)]
    app: Option<String>,
    /// A SQLite database file (instead of PERSISTENCE_MODULE and SQLITE_DBNAME).
    #[arg(long, global = true, conflicts_with = "postgres")]
    sqlite: Option<String>,
    /// A PostgreSQL URL (instead of PERSISTENCE_MODULE and POSTGRES_*).
    #[arg(long, global = true)]
    postgres: Option<String>,
    /// Prints JSON, one object per line, instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Lists the applications' tables, with their rows and sizes.
    Tables,
    /// Counts an application's events, aggregates and topics, and its tracking positions.
    Stats,
    /// Shows the latest notifications, decoded; with --follow, new ones as they come.
    Tail {
        /// How many.
        #[arg(short = 'n', long, default_value_t = 10)]
        lines: usize,
        /// From this notification id on, instead of the latest.
        #[arg(long)]
        from: Option<u64>,
        /// Keeps showing new notifications until interrupted.
        #[arg(short, long)]
        follow: bool,
        /// How often --follow looks for new notifications, in milliseconds.
        #[arg(long, default_value_t = 500)]
        interval: u64,
    },
    /// Shows one aggregate's events, oldest first, decoded and checked.
    History {
        /// The aggregate's id.
        id: String,
    },
    /// Checks that every record opens (key, compression, encoding) and that each hash
    /// chain is whole: of one aggregate, or of every aggregate in the log.
    Verify {
        /// One aggregate's id; all of them if left out.
        id: Option<String>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
}

/// The outcome of a command that ran: whether it found anything wrong.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Clean,
    Problems,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::Problems) => ExitCode::from(1),
        Err(error) => {
            let mut told = error.to_string();
            eprintln!("eventsourcing-inspect: {told}");
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                let text = cause.to_string();
                if !told.contains(&text) {
                    eprintln!("  caused by: {text}");
                }
                told = text;
                source = cause.source();
            }
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli) -> Result<Outcome, InspectError> {
    let env = Environment::from_process(cli.app.as_deref().unwrap_or_default());
    let location = Location::choose(cli.sqlite.clone(), cli.postgres.clone(), &env)?;
    let database = Database::open(&location, &env, cli.app.as_deref()).await?;
    let mut out = std::io::stdout().lock();
    if let Command::Tables = cli.command {
        return tables(&database, cli.json, &mut out).await;
    }
    let name = match (&cli.app, &database) {
        (Some(name), _) => name.clone(),
        // A SQLite file holds one application's tables, whatever its name.
        (None, Database::Sqlite { .. }) => String::new(),
        (None, Database::Postgres { .. }) => return Err(InspectError::NoApp),
    };
    let app = database.app(&name, &env).await?;
    let mapper = mapper_from_env(&env)?;
    match cli.command {
        Command::Tables => unreachable!("listed above"),
        Command::Stats => stats(&database, &app, cli.json, &mut out).await,
        Command::Tail { lines, from, follow, interval } => {
            let interval = Duration::from_millis(interval.max(10));
            tail(&app, &mapper, Tail { lines, from, follow, interval }, cli.json, &mut out).await
        }
        Command::History { id } => history(&database, &app, &mapper, &id, cli.json, &mut out).await,
        Command::Verify { id, quiet } => {
            verify(&database, &app, &mapper, id.as_deref(), quiet, cli.json, &mut out).await
        }
    }
}

async fn tables(database: &Database, json: bool, out: &mut impl Write) -> Result<Outcome, InspectError> {
    let tables = database.tables().await?;
    if json {
        for table in &tables {
            let line = serde_json::json!({
                "application": table.application,
                "table": table.name,
                "rows": table.rows,
                "state_bytes": table.state_bytes,
                "disk_bytes": table.disk_bytes,
            });
            writeln!(out, "{line}")?;
        }
        return Ok(Outcome::Clean);
    }
    writeln!(out, "{}", database.describe())?;
    if tables.is_empty() {
        writeln!(out, "  no application tables")?;
    }
    let width = tables.iter().map(|t| t.name.len()).max().unwrap_or(0);
    for table in &tables {
        let records = table.state_bytes.map_or_else(String::new, |bytes| format!("{} of records", size(bytes)));
        let disk = table.disk_bytes.map_or_else(String::new, |bytes| format!("{} on disk", size(bytes)));
        let line = format!("  {:<width$}  {:>10} rows  {records:>20}  {disk:>16}", table.name, table.rows);
        writeln!(out, "{}", line.trim_end())?;
    }
    if let Some(bytes) = database.file_bytes() {
        writeln!(out, "  file: {} on disk (with its write-ahead log)", size(bytes))?;
    }
    Ok(Outcome::Clean)
}

async fn stats(database: &Database, app: &App, json: bool, out: &mut impl Write) -> Result<Outcome, InspectError> {
    let counts = database.counts(app).await?;
    let events: u64 = counts.topics.iter().map(|(_, n)| n).sum();
    if json {
        let line = serde_json::json!({
            "events": events,
            "aggregates": counts.aggregates,
            "max_notification_id": counts.max_notification_id,
            "topics": counts.topics.iter().map(|(t, n)| serde_json::json!({"topic": t, "events": n})).collect::<Vec<_>>(),
            "tracking": counts.tracking.iter().map(|(a, n)| serde_json::json!({"application": a, "notification_id": n})).collect::<Vec<_>>(),
        });
        writeln!(out, "{line}")?;
        return Ok(Outcome::Clean);
    }
    writeln!(out, "{}", database.describe())?;
    writeln!(out, "  {events} events of {} aggregates", counts.aggregates)?;
    match counts.max_notification_id {
        Some(id) => writeln!(out, "  last notification id: {id}")?,
        None => writeln!(out, "  no notifications")?,
    }
    if !counts.topics.is_empty() {
        writeln!(out, "  events by topic:")?;
        let width = counts.topics.iter().map(|(t, _)| t.len()).max().unwrap_or(0);
        for (topic, n) in &counts.topics {
            writeln!(out, "    {topic:<width$}  {n:>10}")?;
        }
    }
    if !counts.tracking.is_empty() {
        writeln!(out, "  processed from upstream (tracking):")?;
        for (application, id) in &counts.tracking {
            writeln!(out, "    {application}: notification {id}")?;
        }
    }
    Ok(Outcome::Clean)
}

/// What `tail` was asked for.
#[derive(Debug)]
struct Tail {
    lines: usize,
    from: Option<u64>,
    follow: bool,
    interval: Duration,
}

/// Writes one record as a line or a JSON object; returns whether it opened.
fn write_record(out: &mut impl Write, shown: &Shown<'_>, json: bool) -> Result<bool, InspectError> {
    if json {
        writeln!(out, "{}", shown.to_json())?;
    } else {
        writeln!(out, "{}", shown.to_line())?;
    }
    out.flush()?;
    Ok(shown.opened.is_ok())
}

async fn tail(
    app: &App,
    mapper: &Mapper,
    tail: Tail,
    json: bool,
    out: &mut impl Write,
) -> Result<Outcome, InspectError> {
    let max = app.recorder.max_notification_id().await?.unwrap_or(0);
    let mut after = match tail.from {
        Some(from) => Some(from.saturating_sub(1)),
        None => Some(max.saturating_sub(tail.lines as u64)),
    };
    let mut remaining = if tail.follow { usize::MAX } else { tail.lines };
    let mut outcome = Outcome::Clean;
    loop {
        let page = app.recorder.notifications(after, remaining.min(1000)).await?;
        for notification in &page {
            // Chains are verified by `verify`; here each record is only opened.
            let shown = Shown {
                notification_id: Some(notification.id),
                stored: &notification.event,
                opened: mapper.inspect(&notification.event, &mut ChainCursor::after(None)),
            };
            if !write_record(out, &shown, json)? {
                outcome = Outcome::Problems;
            }
            after = Some(notification.id);
        }
        if !tail.follow {
            remaining -= page.len();
            if page.is_empty() || remaining == 0 {
                return Ok(outcome);
            }
        } else if page.is_empty() {
            tokio::time::sleep(tail.interval).await;
        }
    }
}

fn originator_id(text: &str) -> OriginatorId {
    match text.parse::<uuid::Uuid>() {
        Ok(id) => OriginatorId::Uuid(id),
        Err(_) => OriginatorId::Text(text.to_owned()),
    }
}

async fn history(
    database: &Database,
    app: &App,
    mapper: &Mapper,
    id: &str,
    json: bool,
    out: &mut impl Write,
) -> Result<Outcome, InspectError> {
    let events = app.recorder.events(&originator_id(id)).await?;
    if events.is_empty() {
        return Err(InspectError::NoAggregate { id: id.to_owned(), place: database.describe() });
    }
    let mut cursor = ChainCursor::from_start();
    let mut outcome = Outcome::Clean;
    for stored in &events {
        let shown = Shown { notification_id: None, stored, opened: mapper.inspect(stored, &mut cursor) };
        if !write_record(out, &shown, json)? {
            outcome = Outcome::Problems;
            // After a break, the chain cannot tell the rest apart from forgeries: open
            // each from here on its own.
            cursor = ChainCursor::after(None);
        }
    }
    Ok(outcome)
}

async fn verify(
    database: &Database,
    app: &App,
    mapper: &Mapper,
    id: Option<&str>,
    quiet: bool,
    json: bool,
    out: &mut impl Write,
) -> Result<Outcome, InspectError> {
    let mut verification = Verification::default();
    if let Some(id) = id {
        let events = app.recorder.events(&originator_id(id)).await?;
        if events.is_empty() {
            return Err(InspectError::NoAggregate { id: id.to_owned(), place: database.describe() });
        }
        for stored in &events {
            verification.check(mapper, None, stored);
        }
    } else {
        let max = app.recorder.max_notification_id().await?.unwrap_or(0);
        let progress = if quiet { ProgressBar::hidden() } else { ProgressBar::new(max) };
        progress.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} notifications ({per_sec}, {eta} left)")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let mut after = None;
        loop {
            let page = app.recorder.notifications(after, 1000).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            for notification in &page {
                verification.check(mapper, Some(notification.id), &notification.event);
            }
            progress.set_position(last.id.min(max));
        }
        progress.finish_and_clear();
    }
    let problems = verification.problems();
    if json {
        let line = serde_json::json!({
            "records": verification.records,
            "aggregates": verification.aggregates(),
            "chained": verification.chained,
            "skipped": verification.skipped,
            "problems": problems.iter().map(|p| serde_json::json!({
                "notification_id": p.notification_id,
                "originator_id": p.error.record().originator_id.to_string(),
                "originator_version": p.error.record().originator_version,
                "error": p.error.to_string(),
            })).collect::<Vec<_>>(),
        });
        writeln!(out, "{line}")?;
    } else {
        writeln!(
            out,
            "checked {} records of {} aggregates: {} in hash chains, {} not chained",
            verification.records,
            verification.aggregates(),
            verification.chained,
            verification.records - verification.chained - verification.skipped - problems.len() as u64,
        )?;
        if problems.is_empty() {
            writeln!(out, "every record opens and every chain is whole")?;
        } else {
            writeln!(
                out,
                "{} aggregates have a bad record ({} later records of theirs not checked):",
                problems.len(),
                verification.skipped
            )?;
            for problem in &problems {
                match problem.notification_id {
                    Some(id) => writeln!(out, "  #{id}: {}", problem.error)?,
                    None => writeln!(out, "  {}", problem.error)?,
                }
            }
        }
    }
    Ok(if problems.is_empty() { Outcome::Clean } else { Outcome::Problems })
}
