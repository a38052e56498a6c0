//! Decoding one notification log that holds several aggregate types' events into one
//! enum, chosen by topic, with topics filtered in the store's query.
#![allow(missing_docs)]

use eventsourcing::persistence::{MapperError, NotificationQuery};
use eventsourcing::prelude::*;
use futures_util::StreamExt;

#[aggregate]
#[derive(Debug, Clone)]
pub struct Dog {
    name: String,
}

#[aggregate]
impl Dog {
    #[event("Registered")]
    pub fn register(name: &str) -> Self {
        Self { name: name.to_owned() }
    }

    #[event("Renamed")]
    pub fn rename(&mut self, name: &str) {
        name.clone_into(&mut self.name);
    }
}

#[aggregate(id = String)]
#[derive(Debug, Clone)]
pub struct Course {
    dogs: u32,
}

#[aggregate]
impl Course {
    fn create_id(code: &str) -> String {
        code.to_owned()
    }

    #[event("Opened")]
    pub fn open(code: &str) -> Self {
        let _ = code;
        Self { dogs: 0 }
    }

    #[event("Enrolled")]
    pub fn enrol(&mut self) {
        self.dogs += 1;
    }
}

#[aggregate]
#[derive(Debug, Clone)]
pub struct Invoice {}

#[aggregate]
impl Invoice {
    #[event("Issued")]
    pub fn issue(amount: u64) -> Self {
        let _ = amount;
        Self {}
    }
}

/// What a school's read model handles: dogs and courses, passing over invoices.
#[derive(Debug, LogEvent)]
#[log_event(skip("Invoice"))]
enum School {
    Dog(DomainEvent<DogEvent>),
    Course(DomainEvent<CourseEvent, String>),
}

/// The same without the skip: invoices are unknown to it.
#[derive(Debug, LogEvent)]
enum Strict {
    Dog(DomainEvent<DogEvent>),
    Course(DomainEvent<CourseEvent, String>),
}

async fn school() -> (Application, Dog, Course) {
    let app = Application::builder("School").without_process_env().build().await.unwrap();
    let mut dog = Dog::register("Fido");
    let mut course = Course::open("agility");
    let mut invoice = Invoice::issue(120);
    course.enrol();
    dog.rename("Rex");
    app.save((&mut dog, &mut invoice, &mut course)).await.unwrap();
    app.discard(&mut invoice).await.unwrap();
    (app, dog, course)
}

#[tokio::test]
async fn a_mixed_log_decodes_into_one_enum_skipping_a_third_type() {
    let (app, dog, course) = school().await;
    assert_eq!(School::topics(), ["Dog.Registered", "Dog.Renamed", "Course.Opened", "Course.Enrolled"]);

    let log = app.notification_log().select(1, 10).await.unwrap();
    assert_eq!(log.len(), 6, "two dog events, an invoice, two course events, a discard marker");
    let mut handled = Vec::new();
    for notification in &log {
        match app.decode::<School>(notification).unwrap() {
            Some(School::Dog(event)) => {
                assert_eq!(&event.originator_id, dog.id());
                handled.push(format!("dog {} v{}", event.name(), event.originator_version));
            }
            Some(School::Course(event)) => {
                assert_eq!(&event.originator_id, course.id());
                handled.push(format!("course {} v{}", event.name(), event.originator_version));
            }
            None => handled.push(format!("skipped {}", notification.event.topic)),
        }
    }
    assert_eq!(
        handled,
        [
            "dog Registered v1",
            "dog Renamed v2",
            "skipped Invoice.Issued",
            "course Opened v1",
            "course Enrolled v2",
            "skipped Invoice#discarded",
        ]
    );

    // A topic the enum neither knows nor skips is a typed error naming the record.
    let invoice = log.iter().find(|n| n.event.topic == "Invoice.Issued").unwrap();
    let error = app.decode::<Strict>(invoice).unwrap_err();
    let ApplicationError::Mapper(MapperError::UnknownTopic { record, aggregate }) = &error else {
        panic!("expected an unknown topic, got {error}")
    };
    assert_eq!((record.topic.as_str(), *aggregate), ("Invoice.Issued", "Strict"), "{error}");
    assert!(
        matches!(app.decode::<Strict>(&log[0]).unwrap(), Some(Strict::Dog(event)) if event.originator_version == 1)
    );

    // One aggregate type's records, others passed over.
    let records: Vec<Record<Dog>> = log.iter().filter_map(|n| app.decode(n).unwrap()).collect();
    assert_eq!(records.len(), 2);
}

#[tokio::test]
async fn the_enum_topics_filter_the_store_query_and_the_subscription() {
    let (app, _, _) = school().await;
    let query = NotificationQuery::new(Some(1), 10).topics(School::topics());
    let selected = app.notification_log().query(query).await.unwrap();
    let topics: Vec<&str> = selected.iter().map(|n| n.event.topic.as_str()).collect();
    assert_eq!(topics, ["Dog.Registered", "Dog.Renamed", "Course.Opened", "Course.Enrolled"]);
    // With the filter in the store, even the strict enum meets no unknown topic.
    for notification in &selected {
        match app.decode::<Strict>(notification).unwrap() {
            Some(Strict::Dog(event)) => assert!(notification.event.topic.ends_with(event.name())),
            Some(Strict::Course(event)) => assert!(notification.event.topic.ends_with(event.name())),
            None => panic!("{} was skipped", notification.event.topic),
        }
    }

    let mut subscription = app.subscribe(None, School::topics()).await.unwrap();
    for expected in topics {
        let notification = subscription.next().await.unwrap().unwrap();
        assert_eq!(notification.event.topic, expected);
    }
}
