//! How the PostgreSQL store gets over lost connections: backends ended by the server
//! (`pg_terminate_backend`, a restart: SQLSTATE `57P01`), network failures, and a server
//! that cannot be reached at all.
//!
//! A pool keeps idle connections; when the server ends their backends, nothing notices
//! until each is next used, and each then fails once. Checking every connection before
//! use (`test_before_acquire`, `POSTGRES_PRE_PING`) costs a round trip on every call.
//! Instead the store notes when it last saw a connection lost ([`Losses`]) and checks only
//! the connections that have been idle since then: nothing in normal running, one ping
//! per idle connection after a fault. The call that saw the loss is retried if it is safe
//! to (see `PostgresStore::write`).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use eventsourcing_core::persistence::PersistenceError;
use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;
use sqlx::pool::PoolConnectionMetadata;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgListener, PgPool};
use sqlx::{Connection as _, Postgres};
use tokio::sync::watch;

use crate::error::{is_connection_lost, map};

/// How many times a call is made when its connection is lost before it could have taken
/// effect. With [`Losses`] checking idle connections, the second attempt almost always
/// gets a live one; the third covers a loss during the retry.
pub(crate) const ATTEMPTS: u32 = 3;

/// The wait before attempt `attempt` (from 1): none for the first retry (the pool opens a
/// new connection at once), then 100 ms, 200 ms... for a server that is restarting.
pub(crate) fn retry_delay(attempt: u32) -> Duration {
    match attempt {
        0 | 1 => Duration::ZERO,
        n => Duration::from_millis(100) * 2_u32.pow((n - 2).min(5)),
    }
}

/// When the store last saw a connection lost.
#[derive(Debug, Default)]
pub(crate) struct Losses {
    last: Mutex<Option<Instant>>,
}

impl Losses {
    /// Notes `error` if it means a lost connection; returns whether it did.
    pub(crate) fn note(&self, error: &sqlx::Error) -> bool {
        let lost = is_connection_lost(error);
        if lost {
            *self.last.lock().unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
        }
        lost
    }

    /// Whether a connection idle for `idle_for` was idle when a connection was last lost,
    /// and so may have been ended with it. (One used since then was checked by the pool
    /// when it came back: sqlx pings every connection returned to the pool.)
    fn suspects(&self, idle_for: Duration) -> bool {
        let last = *self.last.lock().unwrap_or_else(PoisonError::into_inner);
        last.is_some_and(|last| idle_for >= last.elapsed())
    }

    /// The pool's `before_acquire` check: pings a suspect connection, and refuses it (the
    /// pool closes it and takes or opens another) if the ping fails.
    pub(crate) fn before_acquire(
        self: &Arc<Self>,
    ) -> impl for<'c> Fn(&'c mut PgConnection, PoolConnectionMetadata) -> BoxFuture<'c, Result<bool, sqlx::Error>>
    + Send
    + Sync
    + 'static {
        let losses = Arc::clone(self);
        move |connection, meta| {
            let suspect = losses.suspects(meta.idle_for);
            async move { Ok(!suspect || connection.ping().await.is_ok()) }.boxed()
        }
    }
}

/// Where a connection goes, for messages: `host:port`, or the socket's path. Never the
/// password.
pub(crate) fn address(options: &PgConnectOptions) -> String {
    match options.get_socket() {
        Some(socket) => socket.display().to_string(),
        None => format!("{}:{}", options.get_host(), options.get_port()),
    }
}

/// Connects once, outside any pool, so that a server that cannot be reached is reported at
/// once with its cause (a pool retries a refused connection until its timeout, then says
/// only that it timed out).
pub(crate) async fn probe(options: &PgConnectOptions, timeout: Duration) -> Result<(), PersistenceError> {
    let address = address(options);
    match tokio::time::timeout(timeout, PgConnection::connect_with(options)).await {
        Ok(Ok(connection)) => {
            // Closing politely is a courtesy to the server; its failure changes nothing.
            let _ = connection.close().await;
            Ok(())
        }
        Ok(Err(error)) => Err(match map(error) {
            PersistenceError::Connection { message, source } => {
                PersistenceError::Connection { message: format!("cannot connect to {address}: {message}"), source }
            }
            PersistenceError::Configuration { message, source } => {
                PersistenceError::Configuration { message: format!("cannot connect to {address}: {message}"), source }
            }
            other => PersistenceError::Other {
                message: format!("cannot connect to {address}: {other}"),
                source: Some(Box::new(other)),
            },
        }),
        Err(_) => Err(PersistenceError::Connection {
            message: format!("cannot connect to {address}: no answer within the connect timeout of {timeout:?}"),
            source: None,
        }),
    }
}

/// Runs the store's LISTEN connection until every receiver of `wake` is gone, bumping
/// `wake` on each notification, and also whenever the connection has been lost and made
/// again: notifications sent meanwhile are lost, so subscriptions must look for themselves,
/// once the new connection listens (so that nothing committed after they look goes
/// unheard).
pub(crate) async fn listen(pool: PgPool, channel: String, mut listener: PgListener, wake: watch::Sender<u64>) {
    let mut backoff = Duration::ZERO;
    loop {
        tokio::select! {
            () = wake.closed() => return,
            received = listener.try_recv() => match received {
                Ok(Some(_)) => {
                    wake.send_modify(|count| *count = count.wrapping_add(1));
                    continue;
                }
                // Lost. sqlx would listen again on its next call, but without saying when
                // it does: start afresh below, and wake subscriptions once listening.
                Ok(None) => tracing::warn!("PostgreSQL LISTEN connection was lost; listening again"),
                // The server ended the backend (`57P01` comes before the connection
                // closes), or reconnecting failed: start afresh below.
                Err(error) => tracing::warn!(%error, "PostgreSQL LISTEN connection failed"),
            },
        }
        // A new listener, as sqlx keeps a connection that reported an error.
        drop(listener);
        listener = loop {
            tokio::select! {
                () = wake.closed() => return,
                () = tokio::time::sleep(backoff) => {}
            }
            match listening(&pool, &channel).await {
                Ok(listener) => break listener,
                Err(error) => {
                    backoff = (backoff * 2).clamp(Duration::from_millis(100), Duration::from_secs(5));
                    tracing::warn!(%error, retry_in = ?backoff, "cannot LISTEN in PostgreSQL");
                }
            }
        };
        backoff = Duration::ZERO;
        // Anything committed while nobody listened is found by looking.
        wake.send_modify(|count| *count = count.wrapping_add(1));
    }
}

/// A listener on `channel`, on a connection from `pool`.
pub(crate) async fn listening(pool: &sqlx::Pool<Postgres>, channel: &str) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(channel).await?;
    Ok(listener)
}
