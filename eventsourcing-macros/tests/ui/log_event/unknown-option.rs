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
#[log_event(skip("Invoice", ""), ignore("Account"))]
enum School {
    Dog(DomainEvent<DogEvent>),
}

fn main() {}
