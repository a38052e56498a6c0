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

    #[event("Renamed")]
    pub fn rename(&mut self, name: String) -> Result<(), NotAnError> {
        self.name = name;
        Ok(())
    }
}

/// Neither an error nor `Debug`.
pub struct NotAnError;

fn main() {}
