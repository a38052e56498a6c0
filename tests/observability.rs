//! Spans: saving, getting, snapshots and reading the notification log each open a span
//! naming the application and what was done, with the store's calls beneath them.
#![allow(missing_docs)]

mod support;

use std::sync::{Arc, Mutex};

use eventsourcing::prelude::*;
use support::Dog;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// A span as it ended up: its name, its parent's name and its fields.
#[derive(Debug, Clone, Default)]
struct Seen {
    name: String,
    parent: Option<String>,
    fields: Vec<(String, String)>,
}

impl Seen {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

impl Visit for Seen {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.fields.push((field.name().to_owned(), format!("{value:?}")));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.fields.push((field.name().to_owned(), value.to_owned()));
    }
}

/// Keeps every span of the library, in the order they were opened.
#[derive(Clone, Default)]
struct Spans(Arc<Mutex<Vec<(Id, Seen)>>>);

impl<S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>> Layer<S> for Spans {
    fn on_new_span(&self, attributes: &Attributes<'_>, id: &Id, context: Context<'_, S>) {
        if !attributes.metadata().target().starts_with("eventsourcing") {
            return;
        }
        let parent = context.span(id).and_then(|span| span.parent()).map(|parent| parent.name().to_owned());
        let mut seen = Seen { name: attributes.metadata().name().to_owned(), parent, fields: Vec::new() };
        attributes.record(&mut seen);
        self.0.lock().unwrap().push((id.clone(), seen));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        if let Some((_, seen)) = self.0.lock().unwrap().iter_mut().find(|(i, _)| i == id) {
            values.record(seen);
        }
    }
}

impl Spans {
    fn named(&self, name: &str) -> Vec<Seen> {
        self.0.lock().unwrap().iter().filter(|(_, s)| s.name == name).map(|(_, s)| s.clone()).collect()
    }
}

#[test]
fn saves_gets_snapshots_and_log_reads_are_spans_with_what_they_did() {
    let spans = Spans::default();
    let subscriber = tracing_subscriber::registry().with(spans.clone());
    let id = tracing::subscriber::with_default(subscriber, || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let app = Application::builder("Kennel").without_process_env().snapshotting(true).build().await.unwrap();
            let mut dog = Dog::register("Fido");
            dog.add_trick("sit");
            app.save(&mut dog).await.unwrap();
            app.take_snapshot::<Dog>(dog.id(), None).await.unwrap();
            dog.add_trick("roll over");
            app.save(&mut dog).await.unwrap();
            app.repository().get::<Dog>(dog.id()).await.unwrap();
            app.notification_log().select(1, 10).await.unwrap();
            dog.id().to_string()
        })
    });

    let saves = spans.named("save");
    assert_eq!(saves.len(), 2);
    assert_eq!(saves[0].field("application"), Some("Kennel"));
    assert_eq!(saves[0].field("aggregates"), Some("1"));
    assert_eq!(saves[0].field("events"), Some("2"));
    assert_eq!(saves[0].field("last_notification_id"), Some("2"));
    assert_eq!(saves[1].field("last_notification_id"), Some("3"));

    let puts = spans.named("put");
    assert_eq!(puts.len(), 2, "one store write per save");
    assert_eq!(puts[0].parent.as_deref(), Some("save"));
    assert_eq!(puts[0].field("records"), Some("2"));

    let snapshot = &spans.named("take_snapshot")[0];
    assert_eq!(snapshot.field("aggregate"), Some("Dog"));
    assert_eq!(snapshot.field("id"), Some(id.as_str()));

    let get = &spans.named("get")[0];
    assert_eq!(get.field("application"), Some("Kennel"));
    assert_eq!(get.field("aggregate"), Some("Dog"));
    assert_eq!(get.field("id"), Some(id.as_str()));
    assert_eq!(get.field("version"), Some("3"));
    let reads = spans.named("read_aggregate");
    let read = reads.iter().find(|r| r.parent.as_deref() == Some("get")).unwrap();
    assert_eq!(read.field("snapshot"), Some("2"), "from the snapshot at version 2");
    assert_eq!(read.field("events"), Some("1"), "then the one event after it");

    let log = &spans.named("read_notifications")[0];
    assert_eq!(log.field("application"), Some("Kennel"));
    assert_eq!(log.field("start"), Some("1"));
    assert_eq!(log.field("read"), Some("3"));
}
