use eventsourcing::prelude::*;

#[aggregate]
pub struct Dog {
    name: String,
}

#[aggregate]
impl Dog {
    #[event("Registered")]
    pub fn register(name: Option<&str>) -> Self {
        Self { name: name.unwrap_or_default().to_owned() }
    }
}

fn main() {}
