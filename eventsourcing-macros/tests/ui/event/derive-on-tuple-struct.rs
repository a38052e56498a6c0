use eventsourcing::prelude::*;

#[derive(Event)]
pub struct Renamed(String);

fn main() {}
