//! Cargo shipping, the example of the "blue book" of domain-driven design, as in Python
//! eventsourcing's example: a cargo is booked, routed along an itinerary of voyages, and
//! tracked through its handling (received, loaded, unloaded, claimed), noticing when it
//! was unloaded where its route does not go.
//!
//! ```sh
//! cargo run --example cargo_shipping          # Hongkong to Stockholm, by way of a wrong port
//! cargo test --example cargo_shipping         # Python's scenarios, on every store
//! ```

use eventsourcing::prelude::*;

/// Ports, by their names (as Python's example stores them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(crate = "eventsourcing::serde", rename_all = "UPPERCASE")]
pub enum Location {
    /// Hamburg.
    Hamburg,
    /// Hongkong.
    Hongkong,
    /// New York.
    NewYork,
    /// Stockholm.
    Stockholm,
    /// Tokyo.
    Tokyo,
    /// Rotterdam.
    Nlrtm,
    /// Dallas.
    Usdal,
    /// Melbourne.
    Aumel,
}

/// What happens to a cargo in a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(crate = "eventsourcing::serde", rename_all = "UPPERCASE")]
pub enum HandlingActivity {
    /// Taken in at its origin.
    Receive,
    /// Loaded onto a voyage.
    Load,
    /// Unloaded from a voyage.
    Unload,
    /// Claimed by its consignee.
    Claim,
}

/// One voyage of an itinerary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(crate = "eventsourcing::serde")]
pub struct Leg {
    /// Where the voyage leaves from.
    pub origin: Location,
    /// Where it arrives.
    pub destination: Location,
    /// The voyage.
    pub voyage_number: String,
}

/// A route from one port to another, voyage by voyage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(crate = "eventsourcing::serde")]
pub struct Itinerary {
    /// Where it starts.
    pub origin: Location,
    /// Where it ends.
    pub destination: Location,
    /// Its voyages, in order.
    pub legs: Vec<Leg>,
}

/// Where a cargo is, as far as transport goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(crate = "eventsourcing::serde", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TransportStatus {
    /// Booked, not yet received.
    NotReceived,
    /// In a port.
    InPort,
    /// On a voyage.
    OnboardCarrier,
    /// Claimed: the end.
    Claimed,
}

/// The next thing that should happen to a cargo: the activity, where, on which voyage
/// (empty when none).
pub type NextExpectedActivity = Option<(HandlingActivity, Location, String)>;

/// Why a cargo refused a handling event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CargoError {
    /// It has no route yet.
    NotRouted,
    /// No leg of its route leaves `location` on `voyage_number`.
    NoSuchLeg {
        /// The port.
        location: Location,
        /// The voyage.
        voyage_number: Option<String>,
    },
}

impl std::fmt::Display for CargoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CargoError::NotRouted => f.write_str("the cargo has no route"),
            CargoError::NoSuchLeg { location, voyage_number } => {
                write!(f, "no leg of the route leaves {location:?} on voyage {voyage_number:?}")
            }
        }
    }
}

impl std::error::Error for CargoError {}

/// A cargo: booked from an origin to a destination by a deadline, routed, and tracked.
#[aggregate]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cargo {
    origin: Location,
    destination: Location,
    arrival_deadline: DateTime<Utc>,
    transport_status: TransportStatus,
    routed: bool,
    is_misdirected: bool,
    estimated_time_of_arrival: Option<DateTime<Utc>>,
    next_expected_activity: NextExpectedActivity,
    route: Option<Itinerary>,
    last_known_location: Option<Location>,
    current_voyage_number: Option<String>,
}

#[aggregate]
impl Cargo {
    /// Books a new cargo.
    #[event("BookingStarted")]
    pub fn new_booking(origin: Location, destination: Location, arrival_deadline: DateTime<Utc>) -> Self {
        Cargo {
            origin,
            destination,
            arrival_deadline,
            transport_status: TransportStatus::NotReceived,
            routed: false,
            is_misdirected: false,
            estimated_time_of_arrival: None,
            next_expected_activity: None,
            route: None,
            last_known_location: None,
            current_voyage_number: None,
        }
    }

    /// Sends the cargo elsewhere.
    #[event("DestinationChanged")]
    pub fn change_destination(&mut self, destination: Location) {
        self.destination = destination;
    }

    /// Routes the cargo along `route`; it should arrive a week after routing (the
    /// event's time, so that reading the cargo back gives the same estimate).
    #[event("RouteAssigned")]
    pub fn assign_route(&mut self, route: Itinerary, timestamp: Option<DateTime<Utc>>) {
        let routed_at = timestamp.unwrap_or_else(Utc::now);
        self.estimated_time_of_arrival = Some(routed_at + chrono::Duration::weeks(1));
        self.next_expected_activity = Some((HandlingActivity::Receive, self.origin, String::new()));
        self.route = Some(route);
        self.routed = true;
        self.is_misdirected = false;
    }

    /// Records what happened to the cargo in a port.
    #[event("HandlingEventRegistered")]
    pub fn register_handling_event(
        &mut self,
        voyage_number: Option<String>,
        location: Location,
        handling_activity: HandlingActivity,
    ) -> Result<(), CargoError> {
        let legs = &self.route.as_ref().ok_or(CargoError::NotRouted)?.legs;
        match handling_activity {
            HandlingActivity::Receive => {
                let first = legs.first().map(|leg| leg.voyage_number.clone()).unwrap_or_default();
                self.transport_status = TransportStatus::InPort;
                self.last_known_location = Some(location);
                self.next_expected_activity = Some((HandlingActivity::Load, location, first));
            }
            HandlingActivity::Load => {
                let leg = legs
                    .iter()
                    .find(|leg| leg.origin == location && Some(&leg.voyage_number) == voyage_number.as_ref())
                    .ok_or_else(|| CargoError::NoSuchLeg { location, voyage_number: voyage_number.clone() })?;
                self.next_expected_activity =
                    Some((HandlingActivity::Unload, leg.destination, leg.voyage_number.clone()));
                self.transport_status = TransportStatus::OnboardCarrier;
                self.current_voyage_number = voyage_number;
            }
            HandlingActivity::Unload => {
                let next_leg = legs
                    .iter()
                    .position(|leg| Some(&leg.voyage_number) == voyage_number.as_ref() && leg.destination == location)
                    .and_then(|index| legs.get(index + 1));
                self.next_expected_activity = if location == self.destination {
                    Some((HandlingActivity::Claim, location, String::new()))
                } else {
                    next_leg.map(|leg| (HandlingActivity::Load, location, leg.voyage_number.clone()))
                };
                self.is_misdirected = self.next_expected_activity.is_none();
                self.current_voyage_number = None;
                self.last_known_location = Some(location);
                self.transport_status = TransportStatus::InPort;
            }
            HandlingActivity::Claim => {
                self.next_expected_activity = None;
                self.transport_status = TransportStatus::Claimed;
            }
        }
        Ok(())
    }
}

/// The routes the shipping line offers, from one port to another.
pub fn registered_routes(from: Location, to: Location) -> Vec<Itinerary> {
    let leg = |origin, destination, voyage: &str| Leg { origin, destination, voyage_number: voyage.to_owned() };
    let route = |legs: Vec<Leg>| Itinerary { origin: from, destination: to, legs };
    match (from, to) {
        (Location::Hongkong, Location::Stockholm) => vec![route(vec![
            leg(Location::Hongkong, Location::NewYork, "V1"),
            leg(Location::NewYork, Location::Stockholm, "V2"),
        ])],
        (Location::Tokyo, Location::Stockholm) => vec![route(vec![
            leg(Location::Tokyo, Location::Hamburg, "V3"),
            leg(Location::Hamburg, Location::Stockholm, "V4"),
        ])],
        _ => Vec::new(),
    }
}

/// What a booking command can fail with.
#[derive(Debug)]
pub enum BookingError {
    /// No cargo has this tracking id.
    NotFound(Uuid),
    /// No route goes from where the cargo is to where it is going.
    NoRoute {
        /// Where the cargo is.
        from: Location,
        /// Where it is going.
        to: Location,
    },
    /// The cargo refused the handling event.
    Cargo(CargoError),
    /// The store failed.
    Application(ApplicationError),
}

impl std::fmt::Display for BookingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BookingError::NotFound(id) => write!(f, "no cargo with tracking id {id}"),
            BookingError::NoRoute { from, to } => write!(f, "no route from {from:?} to {to:?}"),
            BookingError::Cargo(error) => error.fmt(f),
            BookingError::Application(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for BookingError {}

impl From<ApplicationError> for BookingError {
    fn from(error: ApplicationError) -> Self {
        BookingError::Application(error)
    }
}

/// A cargo as the booking service shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct CargoDetails {
    /// The tracking id.
    pub id: Uuid,
    /// Where it was booked from.
    pub origin: Location,
    /// Where it is going.
    pub destination: Location,
    /// When it must arrive.
    pub arrival_deadline: DateTime<Utc>,
    /// Where it is, as far as transport goes.
    pub transport_status: TransportStatus,
    /// Whether it has a route.
    pub routed: bool,
    /// Whether it was unloaded where its route does not go.
    pub is_misdirected: bool,
    /// When it should arrive, once routed.
    pub estimated_time_of_arrival: Option<DateTime<Utc>>,
    /// What should happen next.
    pub next_expected_activity: NextExpectedActivity,
    /// The last port it was in.
    pub last_known_location: Option<Location>,
    /// The voyage it is on.
    pub current_voyage_number: Option<String>,
}

/// The booking application.
#[derive(Debug)]
pub struct Booking {
    app: Application,
}

impl Booking {
    /// The application on an application already built.
    pub fn new(app: Application) -> Self {
        Booking { app }
    }

    async fn cargo(&self, tracking_id: Uuid) -> Result<Cargo, BookingError> {
        match self.app.repository().get(&tracking_id).await {
            Err(ApplicationError::NotFound { .. }) => Err(BookingError::NotFound(tracking_id)),
            result => Ok(result?),
        }
    }

    /// Books a cargo; returns its tracking id.
    pub async fn book_new_cargo(
        &self,
        origin: Location,
        destination: Location,
        arrival_deadline: DateTime<Utc>,
    ) -> Result<Uuid, BookingError> {
        let mut cargo = Cargo::new_booking(origin, destination, arrival_deadline);
        self.app.save(&mut cargo).await?;
        Ok(*cargo.id())
    }

    /// Sends a cargo elsewhere.
    pub async fn change_destination(&self, tracking_id: Uuid, destination: Location) -> Result<(), BookingError> {
        let mut cargo = self.cargo(tracking_id).await?;
        cargo.change_destination(destination);
        self.app.save(&mut cargo).await?;
        Ok(())
    }

    /// The routes from where the cargo is to its destination.
    pub async fn request_possible_routes_for_cargo(&self, tracking_id: Uuid) -> Result<Vec<Itinerary>, BookingError> {
        let cargo = self.cargo(tracking_id).await?;
        let from = cargo.last_known_location.unwrap_or(cargo.origin);
        let routes = registered_routes(from, cargo.destination);
        if routes.is_empty() {
            return Err(BookingError::NoRoute { from, to: cargo.destination });
        }
        Ok(routes)
    }

    /// Routes a cargo.
    pub async fn assign_route(&self, tracking_id: Uuid, itinerary: Itinerary) -> Result<(), BookingError> {
        let mut cargo = self.cargo(tracking_id).await?;
        cargo.assign_route(itinerary, None);
        self.app.save(&mut cargo).await?;
        Ok(())
    }

    /// Records what happened to a cargo in a port.
    pub async fn register_handling_event(
        &self,
        tracking_id: Uuid,
        voyage_number: Option<&str>,
        location: Location,
        activity: HandlingActivity,
    ) -> Result<(), BookingError> {
        let mut cargo = self.cargo(tracking_id).await?;
        cargo
            .register_handling_event(voyage_number.map(str::to_owned), location, activity)
            .map_err(BookingError::Cargo)?;
        self.app.save(&mut cargo).await?;
        Ok(())
    }

    /// What the service shows of a cargo.
    pub async fn get_cargo_details(&self, tracking_id: Uuid) -> Result<CargoDetails, BookingError> {
        let cargo = self.cargo(tracking_id).await?;
        Ok(CargoDetails {
            id: *cargo.id(),
            origin: cargo.origin,
            destination: cargo.destination,
            arrival_deadline: cargo.arrival_deadline,
            transport_status: cargo.transport_status,
            routed: cargo.routed,
            is_misdirected: cargo.is_misdirected,
            estimated_time_of_arrival: cargo.estimated_time_of_arrival,
            next_expected_activity: cargo.next_expected_activity,
            last_known_location: cargo.last_known_location,
            current_voyage_number: cargo.current_voyage_number,
        })
    }
}

/// Picks one of the routes offered (the first: price and time are not modelled).
pub fn select_preferred_itinerary(itineraries: Vec<Itinerary>) -> Option<Itinerary> {
    itineraries.into_iter().next()
}

/// Books a cargo from Hongkong to Stockholm and follows it, by way of a wrong port, to
/// its consignee; returns its tracking id.
async fn hongkong_to_stockholm(booking: &Booking) -> Result<Uuid, BookingError> {
    use HandlingActivity::{Claim, Load, Receive, Unload};
    use Location::{Hamburg, Hongkong, Stockholm, Tokyo};
    let id = booking.book_new_cargo(Hongkong, Stockholm, Utc::now() + chrono::Duration::weeks(2)).await?;
    let route = select_preferred_itinerary(booking.request_possible_routes_for_cargo(id).await?);
    booking.assign_route(id, route.expect("a route is offered or refused")).await?;
    booking.register_handling_event(id, None, Hongkong, Receive).await?;
    booking.register_handling_event(id, Some("V1"), Hongkong, Load).await?;
    booking.register_handling_event(id, Some("V1"), Tokyo, Unload).await?;
    let route = select_preferred_itinerary(booking.request_possible_routes_for_cargo(id).await?);
    booking.assign_route(id, route.expect("a route is offered or refused")).await?;
    for (voyage, port, activity) in
        [("V3", Tokyo, Load), ("V3", Hamburg, Unload), ("V4", Hamburg, Load), ("V4", Stockholm, Unload)]
    {
        booking.register_handling_event(id, Some(voyage), port, activity).await?;
    }
    booking.register_handling_event(id, None, Stockholm, Claim).await?;
    Ok(id)
}

#[tokio::main]
async fn main() -> Result<(), BookingError> {
    let booking = Booking::new(Application::from_env("Booking").await?);
    let id = hongkong_to_stockholm(&booking).await?;
    let details = booking.get_cargo_details(id).await?;
    println!("cargo {id}: {:?} in {:?}", details.transport_status, details.last_known_location);
    for notification in booking.app.notification_log().select(1, 10).await? {
        println!("  {}: {}", notification.id, notification.event.topic);
    }
    Ok(())
}

/// PostgreSQL schemas the tests drop when they end.
#[cfg(test)]
#[path = "../tests/support/schema.rs"]
mod schema;

/// SQLite files the tests remove when they end.
#[cfg(test)]
#[path = "../tests/support/sqlite_file.rs"]
mod sqlite_file;

#[cfg(test)]
mod tests {
    //! Python's two scenarios, on each store, and a cargo read back as it was.

    use super::HandlingActivity::{Claim, Load, Receive, Unload};
    use super::Location::{Aumel, Hamburg, Hongkong, Nlrtm, Stockholm, Tokyo, Usdal};
    use super::*;
    use crate::schema;
    use crate::sqlite_file::SqliteFile;

    async fn details(booking: &Booking, id: Uuid) -> CargoDetails {
        booking.get_cargo_details(id).await.unwrap()
    }

    fn next(activity: HandlingActivity, location: Location, voyage: &str) -> (HandlingActivity, Location, String) {
        (activity, location, voyage.to_owned())
    }

    async fn admin_can_book_new_cargo(booking: &Booking) {
        let deadline = Utc::now() + chrono::Duration::weeks(3);
        let id = booking.book_new_cargo(Nlrtm, Usdal, deadline).await.unwrap();
        let cargo = details(booking, id).await;
        assert_eq!((cargo.id, cargo.origin, cargo.destination), (id, Nlrtm, Usdal));
        booking.change_destination(id, Aumel).await.unwrap();
        let cargo = details(booking, id).await;
        assert_eq!((cargo.destination, cargo.arrival_deadline), (Aumel, deadline));

        let nobody = Uuid::new_v4();
        assert!(matches!(booking.get_cargo_details(nobody).await, Err(BookingError::NotFound(id)) if id == nobody));
        assert!(matches!(
            booking.request_possible_routes_for_cargo(id).await,
            Err(BookingError::NoRoute { from: Nlrtm, to: Aumel })
        ));
        // Handling before routing is refused, and records nothing.
        let refused = booking.register_handling_event(id, None, Nlrtm, Receive).await;
        assert!(matches!(refused, Err(BookingError::Cargo(CargoError::NotRouted))), "{refused:?}");
        assert_eq!(booking.cargo(id).await.unwrap().version(), 2);
    }

    async fn cargo_from_hongkong_to_stockholm(booking: &Booking) {
        let id = booking.book_new_cargo(Hongkong, Stockholm, Utc::now() + chrono::Duration::weeks(2)).await.unwrap();
        let cargo = details(booking, id).await;
        assert_eq!(cargo.transport_status, TransportStatus::NotReceived);
        assert!(!cargo.routed && !cargo.is_misdirected);
        assert_eq!((cargo.estimated_time_of_arrival, cargo.next_expected_activity), (None, None));

        let route = select_preferred_itinerary(booking.request_possible_routes_for_cargo(id).await.unwrap()).unwrap();
        booking.assign_route(id, route).await.unwrap();
        let cargo = details(booking, id).await;
        assert_eq!(cargo.transport_status, TransportStatus::NotReceived);
        assert!(cargo.routed && !cargo.is_misdirected && cargo.estimated_time_of_arrival.is_some());
        assert_eq!(cargo.next_expected_activity, Some(next(Receive, Hongkong, "")));

        booking.register_handling_event(id, None, Hongkong, Receive).await.unwrap();
        let cargo = details(booking, id).await;
        assert_eq!((cargo.transport_status, cargo.last_known_location), (TransportStatus::InPort, Some(Hongkong)));
        assert_eq!(cargo.next_expected_activity, Some(next(Load, Hongkong, "V1")));

        booking.register_handling_event(id, Some("V1"), Hongkong, Load).await.unwrap();
        let cargo = details(booking, id).await;
        assert_eq!(cargo.current_voyage_number.as_deref(), Some("V1"));
        assert_eq!(
            (cargo.transport_status, cargo.last_known_location),
            (TransportStatus::OnboardCarrier, Some(Hongkong))
        );
        assert_eq!(cargo.next_expected_activity, Some(next(Unload, Location::NewYork, "V1")));

        // Unloaded in the wrong port.
        booking.register_handling_event(id, Some("V1"), Tokyo, Unload).await.unwrap();
        let cargo = details(booking, id).await;
        assert_eq!((cargo.current_voyage_number, cargo.last_known_location), (None, Some(Tokyo)));
        assert_eq!(cargo.transport_status, TransportStatus::InPort);
        assert!(cargo.is_misdirected);
        assert_eq!(cargo.next_expected_activity, None);

        // Rerouted from there.
        let route = select_preferred_itinerary(booking.request_possible_routes_for_cargo(id).await.unwrap()).unwrap();
        assert_eq!(route.origin, Tokyo);
        booking.assign_route(id, route).await.unwrap();

        // A voyage that does not leave from here is refused, and changes nothing.
        let refused = booking.register_handling_event(id, Some("V1"), Tokyo, Load).await;
        assert!(matches!(refused, Err(BookingError::Cargo(CargoError::NoSuchLeg { location: Tokyo, .. }))));

        for (voyage, port, activity, expected_next) in [
            ("V3", Tokyo, Load, Some(next(Unload, Hamburg, "V3"))),
            ("V3", Hamburg, Unload, Some(next(Load, Hamburg, "V4"))),
            ("V4", Hamburg, Load, Some(next(Unload, Stockholm, "V4"))),
            ("V4", Stockholm, Unload, Some(next(Claim, Stockholm, ""))),
        ] {
            booking.register_handling_event(id, Some(voyage), port, activity).await.unwrap();
            let cargo = details(booking, id).await;
            let on_board = activity == Load;
            assert_eq!(cargo.current_voyage_number.as_deref(), on_board.then_some(voyage), "{voyage} {port:?}");
            assert_eq!(cargo.last_known_location, Some(port));
            let status = if on_board { TransportStatus::OnboardCarrier } else { TransportStatus::InPort };
            assert_eq!(cargo.transport_status, status);
            assert!(!cargo.is_misdirected);
            assert_eq!(cargo.next_expected_activity, expected_next, "after {activity:?} in {port:?}");
        }

        booking.register_handling_event(id, None, Stockholm, Claim).await.unwrap();
        let cargo = details(booking, id).await;
        assert_eq!(cargo.current_voyage_number, None);
        assert_eq!(cargo.last_known_location, Some(Stockholm));
        assert_eq!(cargo.transport_status, TransportStatus::Claimed);
        assert!(!cargo.is_misdirected);
        assert_eq!(cargo.next_expected_activity, None);
    }

    async fn in_memory() -> Booking {
        Booking::new(Application::builder("Booking").without_process_env().build().await.unwrap())
    }

    #[tokio::test]
    async fn in_memory_python_scenarios() {
        let booking = in_memory().await;
        admin_can_book_new_cargo(&booking).await;
        cargo_from_hongkong_to_stockholm(&booking).await;
    }

    #[tokio::test]
    async fn sqlite_python_scenarios_and_a_cargo_read_back_as_it_was() {
        let file = SqliteFile::new("cargo");
        let open = || async {
            Booking::new(
                Application::builder("Booking").without_process_env().sqlite(file.0.clone()).build().await.unwrap(),
            )
        };
        let booking = open().await;
        admin_can_book_new_cargo(&booking).await;
        cargo_from_hongkong_to_stockholm(&booking).await;
        let id = hongkong_to_stockholm(&booking).await.unwrap();
        let before = details(&booking, id).await;
        drop(booking);

        // Opened again: the estimate is the routing event's time plus a week, as it was.
        let after = details(&open().await, id).await;
        assert_eq!(after, before);
    }

    #[tokio::test]
    #[cfg_attr(not(postgres_tests), ignore = "set EVENTSOURCING_POSTGRES_TEST_URL to run it")]
    async fn postgres_python_scenarios() {
        let url = std::env::var("EVENTSOURCING_POSTGRES_TEST_URL").unwrap();
        let schema = schema::Schema::new(&url);
        let app = Application::builder("Booking")
            .without_process_env()
            .env("POSTGRES_SCHEMA", schema.as_str())
            .postgres(url)
            .build()
            .await
            .unwrap();
        let booking = Booking::new(app);
        admin_can_book_new_cargo(&booking).await;
        cargo_from_hongkong_to_stockholm(&booking).await;
    }
}
