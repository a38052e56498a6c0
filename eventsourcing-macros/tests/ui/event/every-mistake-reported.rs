use eventsourcing::prelude::*;

#[aggregate]
pub struct Dog {
    name: String,
}

#[aggregate]
impl Dog {
    #[event("")]
    pub fn register(name: String) -> Self {
        Self { name }
    }

    #[event]
    pub fn rename(self, name: impl AsRef<str>) -> u8 {
        let _ = (self, name);
        0
    }
}

fn main() {}
