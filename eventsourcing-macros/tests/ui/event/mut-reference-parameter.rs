use eventsourcing::prelude::*;

#[aggregate]
pub struct Dog {
    name: String,
}

#[aggregate]
impl Dog {
    #[event("Registered")]
    pub fn register(name: &mut String) -> Self {
        Self { name: name.clone() }
    }
}

fn main() {}
