//! Live updates: an open app learns within a second that something of its subject changed
//! (a grant, a payment, a notification) and reloads what it shows.
//!
//! Events go through the database when it is PostgreSQL (`NOTIFY zhida_events`), so that an
//! event produced by one instance reaches apps connected to any other; every instance
//! `LISTEN`s and hands events to its own connections. On SQLite (one instance) they go
//! straight to this process's connections.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::stream::StreamExt;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;

use crate::db::Backend;
use crate::AppState;

const CHANNEL: &str = "zhida_events";

/// What changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// Something of one subject.
    Subject(i64),
    /// Possibly everyone's (a monthly run).
    Everyone,
    /// A licence application moved (or a permit of its licence was revoked).
    Application(i64),
}

impl Event {
    fn encode(self) -> String {
        match self {
            Event::Subject(id) => id.to_string(),
            Event::Everyone => "*".to_owned(),
            Event::Application(id) => format!("a{id}"),
        }
    }

    fn decode(s: &str) -> Option<Event> {
        if s == "*" {
            Some(Event::Everyone)
        } else if let Some(id) = s.strip_prefix('a') {
            id.parse().ok().map(Event::Application)
        } else {
            s.parse().ok().map(Event::Subject)
        }
    }
}

/// This instance's connections' mailbox.
pub struct Hub {
    tx: broadcast::Sender<Event>,
}

impl Default for Hub {
    fn default() -> Hub {
        Hub {
            tx: broadcast::channel(4096).0,
        }
    }
}

impl Hub {
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }

    /// Hands an event to this instance's connections.
    pub fn deliver(&self, event: Event) {
        // No receiver is not an error: nobody is watching.
        let _ = self.tx.send(event);
    }
}

/// Announces an event to every instance (after the change it announces has committed).
pub async fn publish(state: &AppState, event: Event) {
    if state.db.backend == Backend::Postgres {
        let sent = sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(event.encode())
            .execute(&state.db.pool)
            .await;
        match sent {
            Ok(_) => return,
            Err(e) => tracing::warn!(error = %e, "NOTIFY failed; telling this instance only"),
        }
    }
    state.events.deliver(event);
}

/// PostgreSQL: listens for every instance's events and hands them to this one's connections,
/// reconnecting after a lost connection. Returns once listening has started.
pub async fn listen(state: &AppState) -> anyhow::Result<()> {
    if state.db.backend != Backend::Postgres {
        return Ok(());
    }
    let url = state.db.url.clone();
    let mut listener = sqlx::postgres::PgListener::connect(&url).await?;
    listener.listen(CHANNEL).await?;
    let hub = state.events.clone();
    tokio::spawn(async move {
        loop {
            match listener.recv().await {
                Ok(n) => {
                    if let Some(e) = Event::decode(n.payload()) {
                        hub.deliver(e);
                    }
                }
                Err(e) => {
                    // PgListener reconnects by itself on the next recv; anything missed in
                    // between is covered by telling everyone to reload.
                    tracing::warn!(error = %e, "event listener lost its connection");
                    hub.deliver(Event::Everyone);
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    });
    Ok(())
}

/// The live stream for the caller's subject (Server-Sent Events): `changed` whenever
/// something of theirs changed; a comment every 15 seconds keeps proxies from closing it.
#[utoipa::path(get, path = "/api/events", tag = "subsidies",
    responses(
        (status = 200, description = "An event stream: `ready`, then `changed` events", content_type = "text/event-stream"),
        (status = 401, description = "Not logged in", body = api::ErrorBody),
    ))]
pub async fn stream(
    State(state): State<AppState>,
    who: crate::subsidies::Beneficiary,
) -> axum::response::Response {
    let mine = who.subject;
    changed_stream(&state, move |e| match e {
        Event::Everyone => true,
        Event::Subject(s) => Some(s) == mine,
        Event::Application(_) => false,
    })
}

/// The live stream of one licence application: `ready`, then `changed` whenever it moves.
pub fn application_stream(state: &AppState, id: i64) -> axum::response::Response {
    changed_stream(state, move |e| match e {
        Event::Application(a) => a == id,
        Event::Everyone => true,
        Event::Subject(_) => false,
    })
}

/// An event stream: `ready`, then `changed` for each event `relevant` keeps (and after missed
/// events, to be sure); a comment every 15 seconds keeps proxies from closing it.
fn changed_stream(
    state: &AppState,
    relevant: impl Fn(Event) -> bool + Send + 'static,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let changes = BroadcastStream::new(state.events.subscribe()).filter_map(move |e| {
        // Missed some: reload to be sure.
        let keep = e.map_or(true, &relevant);
        std::future::ready(
            keep.then(|| Ok::<_, Infallible>(SseEvent::default().event("changed").data("{}"))),
        )
    });
    let stream = futures_util::stream::once(std::future::ready(Ok(SseEvent::default()
        .event("ready")
        .data("{}"))))
    .chain(changes);
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}
