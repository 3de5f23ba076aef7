//! A local fake of the treasury's payment system, speaking the protocol `HttpTreasury` uses:
//! `POST /payments` (acting on an `Idempotency-Key` once) and `GET /payments/{key}`. It
//! records every instruction, so tests can check that nothing was paid twice.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

#[derive(Clone, Debug)]
pub struct Entry {
    pub amount_fen: i64,
    pub payee: String,
    pub policy: String,
    pub period: String,
    pub paid: bool,
    /// How many times this key was sent.
    pub sends: usize,
}

#[derive(Clone, Default)]
pub struct Fake {
    pub entries: Arc<Mutex<HashMap<String, Entry>>>,
    /// Pay at once on instruction (otherwise only on [`Fake::confirm_all`]).
    pub pay_at_once: Arc<AtomicBool>,
    /// Answer this many requests with 503 first.
    pub fail_next: Arc<AtomicUsize>,
    /// Bodies that differed from the first one sent with the same key (must stay empty).
    pub conflicts: Arc<Mutex<Vec<String>>>,
}

impl Fake {
    pub fn confirm_all(&self) {
        for e in self.entries.lock().unwrap().values_mut() {
            e.paid = true;
        }
    }

    pub fn paid(&self) -> Vec<Entry> {
        self.entries
            .lock()
            .unwrap()
            .values()
            .filter(|e| e.paid)
            .cloned()
            .collect()
    }

    fn failing(&self) -> bool {
        self.fail_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }
}

fn answer(e: &Entry, key: &str) -> Value {
    if e.paid {
        json!({ "status": "paid", "reference": format!("TR-{key}") })
    } else {
        json!({ "status": "accepted" })
    }
}

async fn instruct(
    State(fake): State<Fake>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> impl IntoResponse {
    if fake.failing() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "error": "busy" })),
        );
    }
    let Some(key) = headers.get("idempotency-key").and_then(|v| v.to_str().ok()) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "Idempotency-Key is required" })),
        );
    };
    let pay = fake.pay_at_once.load(Ordering::SeqCst);
    let mut entries = fake.entries.lock().unwrap();
    let entry = entries.entry(key.to_owned()).or_insert_with(|| Entry {
        amount_fen: body["amount_fen"].as_i64().unwrap_or(-1),
        payee: body["payee"]["id"].as_str().unwrap_or_default().to_owned(),
        policy: body["purpose"]["policy"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        period: body["purpose"]["period"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        paid: pay,
        sends: 0,
    });
    entry.sends += 1;
    if entry.amount_fen != body["amount_fen"].as_i64().unwrap_or(-1) {
        fake.conflicts.lock().unwrap().push(body.to_string());
    }
    (StatusCode::OK, Json(answer(entry, key)))
}

async fn status(State(fake): State<Fake>, Path(key): Path<String>) -> impl IntoResponse {
    if fake.failing() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "error": "busy" })),
        );
    }
    match fake.entries.lock().unwrap().get(&key) {
        Some(e) => (StatusCode::OK, Json(answer(e, &key))),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": "unknown key" })),
        ),
    }
}

/// Starts the fake on a free port: its base URL and handle.
pub async fn start() -> (String, Fake) {
    let fake = Fake::default();
    let app = Router::new()
        .route("/payments", post(instruct))
        .route("/payments/{key}", get(status))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, fake)
}
