//! Live updates: an open app learns within a second that something of its subject changed
//! (a grant, a payment, a notification) and reloads what it shows.
//!
//! Events go through the database when it is PostgreSQL (`NOTIFY zhida_events`), so that an
//! event produced by one instance reaches apps connected to any other; every instance
//! `LISTEN`s and hands events to its own connections. On SQLite (one instance) they go
//! straight to this process's connections.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::stream::StreamExt;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;

use crate::platform::db::{Backend, Db};

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

/// This instance's live connections' mailbox, and the way events reach every instance.
pub struct Hub {
    tx: broadcast::Sender<Event>,
    db: Db,
}

impl Hub {
    /// A mailbox for this instance, announcing through `db` when it is PostgreSQL.
    pub fn new(db: Db) -> Hub {
        Hub {
            tx: broadcast::channel(4096).0,
            db,
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }

    /// Hands an event to this instance's connections.
    pub fn deliver(&self, event: Event) {
        // No receiver is not an error: nobody is watching.
        let _ = self.tx.send(event);
    }

    /// Announces an event to every instance (after the change it announces has committed).
    pub async fn publish(&self, event: Event) {
        if self.db.backend == Backend::Postgres {
            let sent = sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(event.encode())
                .execute(&self.db.pool)
                .await;
            match sent {
                Ok(_) => return,
                Err(e) => tracing::warn!(error = %e, "NOTIFY failed; telling this instance only"),
            }
        }
        self.deliver(event);
    }

    /// PostgreSQL: listens for every instance's events and hands them to this one's
    /// connections, reconnecting after a lost connection. Returns once listening has started.
    pub async fn listen(self: &Arc<Hub>) -> anyhow::Result<()> {
        if self.db.backend != Backend::Postgres {
            return Ok(());
        }
        let mut listener = sqlx::postgres::PgListener::connect(&self.db.url).await?;
        listener.listen(CHANNEL).await?;
        let hub = self.clone();
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
}

/// An event stream: `ready`, then `changed` for each event `relevant` keeps (and after missed
/// events, to be sure); a comment every 15 seconds keeps proxies from closing it.
pub fn changed_stream(
    hub: &Hub,
    relevant: impl Fn(Event) -> bool + Send + 'static,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let changes = BroadcastStream::new(hub.subscribe()).filter_map(move |e| {
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
