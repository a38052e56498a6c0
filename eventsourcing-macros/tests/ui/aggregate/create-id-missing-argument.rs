use eventsourcing::prelude::*;

#[aggregate]
pub struct Dog {
    name: String,
}

#[aggregate]
impl Dog {
    fn create_id(slug: &str) -> Uuid {
        Uuid::new_v5(&Uuid::NAMESPACE_URL, slug.as_bytes())
    }

    #[event("Registered")]
    pub fn register(name: String) -> Self {
        Self { name }
    }
}

fn main() {}
