use eventsourcing_core::persistence::PersistenceError;
#[cfg(feature = "sqlite")]
use eventsourcing_core::persistence::{IdType, OriginatorId};
#[cfg(feature = "sqlite")]
use uuid::Uuid;

/// How SQLite keeps an [`IdType`]'s ids as text.
#[cfg(feature = "sqlite")]
pub(crate) trait SqliteIds {
    /// The id as text.
    fn to_text(self, id: &OriginatorId) -> Result<String, PersistenceError>;
    /// The id read from text.
    fn parse(self, text: String) -> Result<OriginatorId, PersistenceError>;
}

#[cfg(feature = "sqlite")]
impl SqliteIds for IdType {
    fn to_text(self, id: &OriginatorId) -> Result<String, PersistenceError> {
        match (self, id) {
            (IdType::Uuid, OriginatorId::Uuid(id)) => Ok(id.simple().to_string()),
            (IdType::Uuid, OriginatorId::Text(text)) => {
                Uuid::try_parse(text).map(|id| id.simple().to_string()).map_err(|_| text_in_uuid_store(text))
            }
            (IdType::Text, OriginatorId::Uuid(id)) => Ok(id.to_string()),
            (IdType::Text, OriginatorId::Text(text)) => Ok(text.clone()),
        }
    }

    fn parse(self, text: String) -> Result<OriginatorId, PersistenceError> {
        match self {
            IdType::Uuid => Uuid::try_parse(&text)
                .map(OriginatorId::Uuid)
                .map_err(|_| PersistenceError::Data { message: format!("stored id {text:?} is not a UUID") }),
            IdType::Text => Ok(OriginatorId::Text(text)),
        }
    }
}

pub(crate) fn text_in_uuid_store(text: &str) -> PersistenceError {
    PersistenceError::Data {
        message: format!("the id {text:?} is not a UUID, and the store keeps UUIDs: set ORIGINATOR_ID_TYPE=text"),
    }
}

/// A version as a database integer.
pub(crate) fn version_to_db(version: u64) -> Result<i64, PersistenceError> {
    i64::try_from(version).map_err(|_| PersistenceError::Data { message: format!("version {version} is too large") })
}

/// A database integer as a version or notification id.
pub(crate) fn version_from_db(value: i64) -> Result<u64, PersistenceError> {
    u64::try_from(value).map_err(|_| PersistenceError::Data { message: format!("negative stored number {value}") })
}
