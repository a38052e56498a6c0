//! The dog school over HTTP, with axum: each request one command or query, errors mapped
//! to status codes (404 for a dog that is not there, 409 for a version conflict, 422 for
//! a refused command), commands run again after a conflict unless the client asked for a
//! version with `If-Match`.
//!
//! ```sh
//! cargo run --example web                       # listens on 127.0.0.1:3000 (WEB_ADDRESS)
//! curl -si -X POST localhost:3000/dogs -H 'content-type: application/json' -d '{"name":"Fido"}'
//! curl -si -X POST localhost:3000/dogs/<id>/tricks -H 'content-type: application/json' -d '{"trick":"sit"}'
//! curl -si localhost:3000/dogs/<id>
//! curl -si 'localhost:3000/notifications?after=0&limit=10'
//! cargo test --example web                      # real HTTP requests to a server of its own
//! ```
//!
//! | request | response |
//! |---|---|
//! | `POST /dogs` `{"name": ..}` | 201, `{"id": ..}` and `Location` |
//! | `GET /dogs/{id}` | 200, `{"id", "name", "tricks", "version"}` and `ETag`; 404 |
//! | `GET /dogs/{id}?version=N` | the dog as it was at version N; 404 |
//! | `POST /dogs/{id}/tricks` `{"trick": ..}` | 200 with the dog; 404; 409 if `If-Match` names an older version; 422 for a trick it knows |
//! | `GET /notifications?after=N&limit=M` | 200, the log after N |

use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use eventsourcing::application::{Conflict, retry_on_conflict};
use eventsourcing::prelude::*;

/// A dog at the school.
#[aggregate]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dog {
    name: String,
    tricks: Vec<String>,
}

/// Why a dog refused a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DogError {
    /// It knows the trick already.
    KnowsIt(String),
    /// A trick needs a name.
    Blank,
}

impl std::fmt::Display for DogError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DogError::KnowsIt(trick) => write!(f, "the dog knows {trick:?} already"),
            DogError::Blank => f.write_str("a trick needs a name"),
        }
    }
}

impl std::error::Error for DogError {}

#[aggregate]
impl Dog {
    /// Registers a new dog.
    #[event("Registered")]
    pub fn register(name: &str) -> Self {
        Self { name: name.to_owned(), tricks: Vec::new() }
    }

    /// Teaches the dog a trick it does not know yet.
    #[event("TrickAdded")]
    pub fn add_trick(&mut self, trick: &str) -> Result<(), DogError> {
        if trick.trim().is_empty() {
            return Err(DogError::Blank);
        }
        if self.tricks.iter().any(|known| known == trick) {
            return Err(DogError::KnowsIt(trick.to_owned()));
        }
        self.tricks.push(trick.to_owned());
        Ok(())
    }
}

/// What a request can fail with, and the status code each gets.
#[derive(Debug)]
pub enum ApiError {
    /// The application failed: 404 for a dog that is not there, 409 for a conflict, 500
    /// otherwise.
    Application(ApplicationError),
    /// The dog refused the command: 422.
    Refused(DogError),
    /// `If-Match` named another version than the dog's: 409.
    VersionMismatch {
        /// The version the client had.
        expected: u64,
        /// The dog's version.
        actual: u64,
    },
    /// `If-Match` is not a version: 400.
    BadIfMatch,
    /// The request's path, query or body cannot be read: axum's status (400, 415 or 422)
    /// and message.
    BadRequest {
        /// The status axum gives.
        status: StatusCode,
        /// What is wrong.
        message: String,
    },
}

/// axum's rejections of a path, a query or a body, as JSON errors like the others.
macro_rules! bad_request_from {
    ($($rejection:ty),*) => {$(
        impl From<$rejection> for ApiError {
            fn from(rejection: $rejection) -> Self {
                ApiError::BadRequest { status: rejection.status(), message: rejection.body_text() }
            }
        }
    )*};
}

bad_request_from!(PathRejection, QueryRejection, JsonRejection);

impl From<ApplicationError> for ApiError {
    fn from(error: ApplicationError) -> Self {
        ApiError::Application(error)
    }
}

impl Conflict for ApiError {
    fn is_conflict(&self) -> bool {
        matches!(self, ApiError::Application(error) if error.is_conflict())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match &self {
            ApiError::Application(error @ ApplicationError::NotFound { .. }) => {
                (StatusCode::NOT_FOUND, error.to_string())
            }
            ApiError::Application(error) if error.is_conflict() => (StatusCode::CONFLICT, error.to_string()),
            ApiError::Application(error) => {
                // The details are for the log, not for the client.
                eprintln!("internal error: {error}");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error".to_owned())
            }
            ApiError::Refused(error) => (StatusCode::UNPROCESSABLE_ENTITY, error.to_string()),
            ApiError::VersionMismatch { expected, actual } => (
                StatusCode::CONFLICT,
                format!("the dog is at version {actual}, not {expected}: get it again and retry"),
            ),
            ApiError::BadIfMatch => {
                (StatusCode::BAD_REQUEST, "If-Match must be a version in quotes, like \"3\"".to_owned())
            }
            ApiError::BadRequest { status, message } => (*status, message.clone()),
        };
        (status, Json(serde_json::json!({ "error": message }))).into_response()
    }
}

/// The school's HTTP interface, on an application.
pub fn router(app: Application) -> Router {
    Router::new()
        .route("/dogs", post(register_dog))
        .route("/dogs/{id}", get(get_dog))
        .route("/dogs/{id}/tricks", post(add_trick))
        .route("/notifications", get(notifications))
        .with_state(Arc::new(app))
}

type School = State<Arc<Application>>;

/// A registration.
#[derive(Debug, serde::Deserialize)]
pub struct Registration {
    name: String,
}

async fn register_dog(
    State(app): School,
    registration: Result<Json<Registration>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(registration) = registration?;
    let mut dog = Dog::register(&registration.name);
    app.save(&mut dog).await?;
    let location = HeaderValue::from_str(&format!("/dogs/{}", dog.id())).expect("a UUID is a valid header");
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(serde_json::json!({ "id": dog.id() })))
        .into_response())
}

/// A dog as the API shows it, with its version as an `ETag`.
fn dog_response(dog: &Dog) -> Response {
    let etag = HeaderValue::from_str(&format!("\"{}\"", dog.version())).expect("a number is a valid header");
    let body = serde_json::json!({ "id": dog.id(), "name": dog.name, "tricks": dog.tricks, "version": dog.version() });
    ([(header::ETAG, etag)], Json(body)).into_response()
}

/// `?version=N`.
#[derive(Debug, serde::Deserialize)]
pub struct AtVersion {
    version: Option<u64>,
}

async fn get_dog(
    State(app): School,
    id: Result<Path<Uuid>, PathRejection>,
    at: Result<Query<AtVersion>, QueryRejection>,
) -> Result<Response, ApiError> {
    let (Path(id), Query(at)) = (id?, at?);
    let dog: Dog = match at.version {
        Some(version) => app.repository().get_at(&id, version).await?,
        None => app.repository().get(&id).await?,
    };
    Ok(dog_response(&dog))
}

/// A trick to teach.
#[derive(Debug, serde::Deserialize)]
pub struct Trick {
    trick: String,
}

/// The version in `If-Match: "3"`, if the header is there.
fn if_match(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else { return Ok(None) };
    let text = value.to_str().map_err(|_| ApiError::BadIfMatch)?.trim();
    let number = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(text);
    number.parse().map(Some).map_err(|_| ApiError::BadIfMatch)
}

async fn add_trick(
    State(app): School,
    id: Result<Path<Uuid>, PathRejection>,
    headers: HeaderMap,
    trick: Result<Json<Trick>, JsonRejection>,
) -> Result<Response, ApiError> {
    let (Path(id), Json(trick)) = (id?, trick?);
    let expected = if_match(&headers)?;
    let teach = || async {
        let mut dog: Dog = app.repository().get(&id).await?;
        if let Some(expected) = expected
            && expected != dog.version()
        {
            return Err(ApiError::VersionMismatch { expected, actual: dog.version() });
        }
        dog.add_trick(&trick.trick).map_err(ApiError::Refused)?;
        app.save(&mut dog).await?;
        Ok(dog)
    };
    // A client that named the version it saw wants its change on that version or not at
    // all; anyone else gets the command run again on the newer dog.
    let dog = if expected.is_some() { teach().await? } else { retry_on_conflict(teach).await? };
    Ok(dog_response(&dog))
}

/// `?after=N&limit=M`.
#[derive(Debug, serde::Deserialize)]
pub struct Page {
    #[serde(default)]
    after: u64,
    #[serde(default = "ten", deserialize_with = "at_most_a_section")]
    limit: usize,
}

fn ten() -> usize {
    10
}

fn at_most_a_section<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<usize, D::Error> {
    Ok(usize::deserialize(deserializer)?.min(eventsourcing::application::DEFAULT_SECTION_SIZE))
}

async fn notifications(State(app): School, page: Result<Query<Page>, QueryRejection>) -> Result<Response, ApiError> {
    let Query(page) = page?;
    let items = app.notification_log().select(page.after + 1, page.limit).await?;
    let items: Vec<_> = items
        .iter()
        .map(|n| {
            serde_json::json!({
                "id": n.id,
                "originator_id": n.event.originator_id.to_string(),
                "originator_version": n.event.originator_version,
                "topic": n.event.topic,
            })
        })
        .collect();
    Ok(Json(items).into_response())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let app = Application::from_env("DogSchool").await?;
    let address = std::env::var("WEB_ADDRESS").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind(&address).await?;
    println!("the dog school listens on http://{}", listener.local_addr()?);
    axum::serve(listener, router(app)).with_graceful_shutdown(async { drop(tokio::signal::ctrl_c().await) }).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    //! Real HTTP/1.1 requests, over TCP, to a server of the test's own.

    use std::net::SocketAddr;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// A response: the status, the headers (lower-case names) and the body as JSON.
    #[derive(Debug)]
    struct Reply {
        status: u16,
        headers: Vec<(String, String)>,
        body: serde_json::Value,
    }

    impl Reply {
        fn header(&self, name: &str) -> Option<&str> {
            self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
        }
    }

    async fn serve(app: Application) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router(app)).await.unwrap() });
        address
    }

    /// Sends one request on a connection of its own and reads the whole response.
    async fn request(address: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        let mut lines =
            vec![format!("{method} {path} HTTP/1.1"), format!("host: {address}"), "connection: close".into()];
        if !body.is_empty() {
            lines.push("content-type: application/json".into());
            lines.push(format!("content-length: {}", body.len()));
        }
        lines.extend(headers.iter().map(|(name, value)| format!("{name}: {value}")));
        let head = lines.join("\r\n") + "\r\n\r\n";
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(body.as_bytes()).await.unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.unwrap();
        let response = String::from_utf8(response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        let mut lines = head.lines();
        let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
        let headers = lines
            .filter_map(|line| line.split_once(": "))
            .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
            .collect();
        let body = if body.is_empty() { serde_json::Value::Null } else { serde_json::from_str(body).unwrap() };
        Reply { status, headers, body }
    }

    async fn school() -> SocketAddr {
        serve(Application::builder("DogSchool").without_process_env().build().await.unwrap()).await
    }

    async fn register(address: SocketAddr, name: &str) -> String {
        let reply = request(address, "POST", "/dogs", &[], &format!(r#"{{"name":"{name}"}}"#)).await;
        assert_eq!(reply.status, 201, "{reply:?}");
        let id = reply.body["id"].as_str().unwrap().to_owned();
        assert_eq!(reply.header("location"), Some(format!("/dogs/{id}").as_str()));
        id
    }

    #[tokio::test]
    async fn dogs_are_registered_taught_and_shown() {
        let address = school().await;
        let id = register(address, "Fido").await;
        let taught = request(address, "POST", &format!("/dogs/{id}/tricks"), &[], r#"{"trick":"sit"}"#).await;
        assert_eq!(taught.status, 200, "{taught:?}");
        assert_eq!(taught.body["tricks"], serde_json::json!(["sit"]));
        request(address, "POST", &format!("/dogs/{id}/tricks"), &[], r#"{"trick":"roll over"}"#).await;

        let dog = request(address, "GET", &format!("/dogs/{id}"), &[], "").await;
        assert_eq!(dog.status, 200);
        assert_eq!(dog.body["name"], "Fido");
        assert_eq!(dog.body["tricks"], serde_json::json!(["sit", "roll over"]));
        assert_eq!(dog.header("etag"), Some("\"3\""));
        let earlier = request(address, "GET", &format!("/dogs/{id}?version=2"), &[], "").await;
        assert_eq!(earlier.body["tricks"], serde_json::json!(["sit"]));

        let log = request(address, "GET", "/notifications?after=1&limit=5", &[], "").await;
        assert_eq!(log.status, 200);
        let topics: Vec<_> = log.body.as_array().unwrap().iter().map(|n| n["topic"].as_str().unwrap()).collect();
        assert_eq!(topics, ["Dog.TrickAdded", "Dog.TrickAdded"]);
        assert_eq!(log.body[0]["id"], 2);
    }

    #[tokio::test]
    async fn errors_have_their_status_codes() {
        let address = school().await;
        let nobody = Uuid::new_v4();
        let missing = request(address, "GET", &format!("/dogs/{nobody}"), &[], "").await;
        assert_eq!(missing.status, 404);
        assert!(missing.body["error"].as_str().unwrap().contains("not found"), "{missing:?}");
        let missing = request(address, "POST", &format!("/dogs/{nobody}/tricks"), &[], r#"{"trick":"sit"}"#).await;
        assert_eq!(missing.status, 404);

        let id = register(address, "Fido").await;
        // As in Python, a version past the last gives the dog as it is; none before the first.
        let past = request(address, "GET", &format!("/dogs/{id}?version=9"), &[], "").await;
        assert_eq!((past.status, &past.body["version"]), (200, &serde_json::json!(1)));
        let before = request(address, "GET", &format!("/dogs/{id}?version=0"), &[], "").await;
        assert_eq!(before.status, 404, "{before:?}");
        let bad_id = request(address, "GET", "/dogs/not-a-uuid", &[], "").await;
        assert_eq!(bad_id.status, 400);
        assert!(bad_id.body["error"].as_str().unwrap().contains("UUID"), "{bad_id:?}");
        let bad_body = request(address, "POST", "/dogs", &[], r#"{"nom":"Fido"}"#).await;
        assert_eq!(bad_body.status, 422);
        assert!(bad_body.body["error"].as_str().unwrap().contains("missing field `name`"), "{bad_body:?}");

        let tricks = format!("/dogs/{id}/tricks");
        request(address, "POST", &tricks, &[], r#"{"trick":"sit"}"#).await;
        let again = request(address, "POST", &tricks, &[], r#"{"trick":"sit"}"#).await;
        assert_eq!(again.status, 422);
        assert_eq!(again.body["error"], "the dog knows \"sit\" already");

        // A client that read version 1 cannot change version 2.
        let stale = request(address, "POST", &tricks, &[("if-match", "\"1\"")], r#"{"trick":"beg"}"#).await;
        assert_eq!(stale.status, 409, "{stale:?}");
        assert!(stale.body["error"].as_str().unwrap().contains("at version 2, not 1"));
        let current = request(address, "POST", &tricks, &[("if-match", "\"2\"")], r#"{"trick":"beg"}"#).await;
        assert_eq!(current.status, 200);
        let bad = request(address, "POST", &tricks, &[("if-match", "yesterday")], r#"{"trick":"x"}"#).await;
        assert_eq!(bad.status, 400);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_requests_are_run_again_after_conflicts_and_none_is_lost() {
        let address = school().await;
        let id = register(address, "Fido").await;
        let requests: Vec<_> = (0..12)
            .map(|n| {
                let path = format!("/dogs/{id}/tricks");
                tokio::spawn(
                    async move { request(address, "POST", &path, &[], &format!(r#"{{"trick":"t{n}"}}"#)).await },
                )
            })
            .collect();
        for reply in requests {
            assert_eq!(reply.await.unwrap().status, 200);
        }
        let dog = request(address, "GET", &format!("/dogs/{id}"), &[], "").await;
        assert_eq!(dog.body["tricks"].as_array().unwrap().len(), 12);
        assert_eq!(dog.body["version"], 13);
    }

    #[tokio::test]
    async fn a_conflict_the_store_reports_is_409() {
        // Two requests with the same If-Match that both pass the check: the second save
        // conflicts in the store, and the conflict is not run again.
        let app = Application::builder("DogSchool").without_process_env().build().await.unwrap();
        let mut dog = Dog::register("Fido");
        app.save(&mut dog).await.unwrap();
        let mut first: Dog = app.repository().get(dog.id()).await.unwrap();
        let mut second: Dog = app.repository().get(dog.id()).await.unwrap();
        first.add_trick("sit").unwrap();
        second.add_trick("beg").unwrap();
        app.save(&mut first).await.unwrap();
        let error = ApiError::from(app.save(&mut second).await.unwrap_err());
        assert_eq!(error.into_response().status(), StatusCode::CONFLICT);
    }
}
