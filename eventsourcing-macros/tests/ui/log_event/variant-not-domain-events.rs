use eventsourcing::prelude::*;

#[aggregate]
#[derive(Debug, Clone)]
pub struct Dog {}

#[aggregate]
impl Dog {
    #[event("Registered")]
    pub fn register() -> Self {
        Self {}
    }
}

#[derive(LogEvent)]
enum School {
    Dog(DogEvent),
}

fn main() {}
