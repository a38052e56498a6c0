use eventsourcing::prelude::*;

#[aggregate]
pub struct Dog {
    name: String,
}

#[aggregate]
impl Dog {
    #[event("Registered")]
    pub fn register(name: String) -> Self {
        Self { name }
    }

    #[cfg(feature = "tricks")]
    #[event("TrickAdded")]
    pub fn add_trick(&mut self, trick: String) {
        let _ = trick;
    }
}

fn main() {}
