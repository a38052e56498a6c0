use eventsourcing::prelude::*;

#[derive(Debug, Clone, Default)]
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
}

#[derive(Serialize, Deserialize)]
#[serde(crate = "eventsourcing::serde")]
#[aggregate]
pub struct Bird {
    name: String,
}

#[aggregate]
impl Bird {
    #[event("Registered")]
    pub fn register(name: String) -> Self {
        Self { name }
    }
}

// Derived below `#[aggregate]`, as written in the guide: no error.
#[aggregate]
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Cat {
    name: String,
}

#[aggregate]
impl Cat {
    #[event("Registered")]
    pub fn register(name: String) -> Self {
        Self { name }
    }
}

// Derived below under `cfg_attr`: no error either.
#[aggregate]
#[cfg_attr(all(), derive(Clone, Default))]
pub struct Fish {
    name: String,
}

#[aggregate]
impl Fish {
    #[event("Registered")]
    pub fn register(name: String) -> Self {
        Self { name }
    }
}

fn main() {}
