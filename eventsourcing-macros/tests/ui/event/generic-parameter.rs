use eventsourcing::prelude::*;

#[aggregate]
pub struct Dog {
    name: String,
}

#[aggregate]
impl Dog {
    #[event("Registered")]
    pub fn register<N: Into<String>>(name: N) -> Self {
        Self { name: name.into() }
    }
}

fn main() {}
