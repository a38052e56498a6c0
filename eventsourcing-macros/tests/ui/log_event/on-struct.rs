use eventsourcing::prelude::*;

#[derive(LogEvent)]
struct School {
    dogs: u32,
}

fn main() {}
