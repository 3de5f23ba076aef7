//! The test harness: the real router over a real database, SQLite or PostgreSQL.
//!
//! Each test gets a database of its own: a fresh SQLite file, or a fresh PostgreSQL database
//! created on the server at `ZHIDA_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`)
//! and dropped afterwards. When PostgreSQL cannot be reached the PostgreSQL tests fail, loudly:
//! they never skip.

#![allow(dead_code)]

pub mod fake_treasury;
pub mod fake_wechat;
pub mod licence;

use std::path::Path;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use server::platform::crypto::Vault;
use server::platform::db::Db;
use server::platform::sms::RecordingSms;
use server::platform::static_files::StaticAssets;
use server::AppState;
use sqlx::Connection;
use tower::ServiceExt;

pub struct TestApp {
    pub db: Db,
    pub state: AppState,
    /// The SMS codes the app sent.
    pub sms: Arc<RecordingSms>,
    router: Router,
    cleanup: Option<Cleanup>,
}

/// The licence signing key (an Ed25519 seed, base64) of tests that start the real server.
pub const TEST_LICENCE_KEY: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";

/// The data key of every test.
pub const TEST_KEY: &str = "0101010101010101010101010101010101010101010101010101010101010101";

enum Cleanup {
    Sqlite(tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

/// An answer, read whole.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", |v| v.to_str().unwrap())
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.body.to_vec()).unwrap()
    }
}

pub fn pg_admin_url() -> String {
    std::env::var("ZHIDA_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

impl TestApp {
    /// A fresh SQLite database in a temporary folder.
    pub async fn sqlite() -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("zhida.sqlite").display());
        let db = Db::connect(&url).await.unwrap();
        TestApp::finish(db, Cleanup::Sqlite(dir)).await
    }

    /// A fresh PostgreSQL database.
    pub async fn postgres() -> TestApp {
        let admin_url = pg_admin_url();
        let name = format!("zhida_test_{}", uuid_simple());
        let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is not reachable at {admin_url} ({e}). The server tests need it: start it \
                 (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or set ZHIDA_TEST_PG_URL"
            )
        });
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .unwrap();
        admin.close().await.unwrap();
        let url = replace_database(&admin_url, &name);
        let db = Db::connect(&url).await.unwrap();
        TestApp::finish(db, Cleanup::Postgres { admin_url, name }).await
    }

    async fn finish(db: Db, cleanup: Cleanup) -> TestApp {
        db.migrate().await.unwrap();
        server::policies::store::seed_if_empty(&db, &rules::testing::policies_dir())
            .await
            .unwrap();
        let sms = Arc::new(RecordingSms::default());
        let state = state(&db, StaticAssets::default(), sms.clone(), false);
        state.policies.reload(&db).await.unwrap();
        TestApp {
            db,
            router: server::app(state.clone()),
            state,
            sms,
            cleanup: Some(cleanup),
        }
    }

    /// Serves these app files instead of none.
    pub fn with_assets(mut self, assets: StaticAssets) -> TestApp {
        self.state = AppState {
            policies: self.state.policies.clone(),
            ..state(&self.db, assets, self.sms.clone(), false)
        };
        self.router = server::app(self.state.clone());
        self
    }

    /// Runs in demo mode, with the demo accounts seeded.
    pub async fn demo(mut self) -> TestApp {
        self.state = AppState {
            policies: self.state.policies.clone(),
            ..state(&self.db, StaticAssets::default(), self.sms.clone(), true)
        };
        server::demo::seed_if_empty(&self.state).await.unwrap();
        self.router = server::app(self.state.clone());
        self
    }

    /// Pays through the fake treasury at `base`.
    pub fn with_treasury(mut self, base: &str) -> TestApp {
        self.state =
            self.state
                .clone()
                .with_treasury(Arc::new(server::subsidies::payments::HttpTreasury {
                    base: base.to_owned(),
                    token: "test-token".into(),
                    client: server::platform::http_client::Client::new(),
                }));
        self.router = server::app(self.state.clone());
        self
    }

    /// Served over HTTPS: Secure cookies and HSTS.
    pub fn https(mut self) -> TestApp {
        self.state = AppState {
            policies: self.state.policies.clone(),
            ..AppState::new(
                self.db.clone(),
                StaticAssets::default(),
                Vault::from_config(TEST_KEY).unwrap(),
                self.sms.clone(),
                false,
                true,
            )
        };
        self.router = server::app(self.state.clone());
        self
    }

    /// Logs in with WeChat through the fake at `base`.
    pub fn with_wechat(mut self, base: &str) -> TestApp {
        let api = server::accounts::wechat::WeChatApi {
            api_base: base.to_owned(),
            open_base: base.to_owned(),
            mini: Some((
                fake_wechat::MINI_APPID.into(),
                fake_wechat::MINI_SECRET.into(),
            )),
            official: Some((fake_wechat::MP_APPID.into(), fake_wechat::MP_SECRET.into())),
            client: server::platform::http_client::Client::new(),
        };
        self.state = self
            .state
            .clone()
            .with_wechat(Arc::new(api))
            .with_public_url(Some("http://zhida.test".into()));
        self.router = server::app(self.state.clone());
        self
    }

    /// Serves the app files that [`StaticAssets::load`] reads from `dir`.
    pub fn with_static_dir(self, dir: &Path) -> TestApp {
        self.with_assets(StaticAssets::load(dir).unwrap())
    }

    /// Serves `self.state` as it is now (after a test changed it).
    pub fn rebuilt(mut self) -> TestApp {
        self.router = server::app(self.state.clone());
        self
    }

    /// Sends a request as the app does: state-changing requests carry the CSRF header.
    pub async fn send(&self, mut request: Request<Body>) -> Answer {
        if request.method() != axum::http::Method::GET
            && !request.headers().contains_key("x-requested-with")
        {
            request.headers_mut().insert(
                "x-requested-with",
                axum::http::HeaderValue::from_static("zhida"),
            );
        }
        self.send_raw(request).await
    }

    /// Sends a request exactly as given.
    pub async fn send_raw(&self, request: Request<Body>) -> Answer {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let body = body.collect().await.unwrap().to_bytes();
        Answer {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    pub async fn get(&self, uri: &str) -> Answer {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    pub async fn post_json(&self, uri: &str, body: &str) -> Answer {
        self.send(
            Request::post(uri)
                .header("content-type", "application/json")
                .body(Body::from(body.to_owned()))
                .unwrap(),
        )
        .await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(Cleanup::Postgres { admin_url, name }) = self.cleanup.take() {
            // Drop runs outside async code: drop the database from a thread with its own runtime.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    if let Ok(mut admin) = sqlx::PgConnection::connect(&admin_url).await {
                        let _ =
                            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .execute(&mut admin)
                                .await;
                    }
                });
            })
            .join();
        }
    }
}

fn state(db: &Db, assets: StaticAssets, sms: Arc<RecordingSms>, demo: bool) -> AppState {
    AppState::new(
        db.clone(),
        assets,
        Vault::from_config(TEST_KEY).unwrap(),
        sms,
        demo,
        false,
    )
}

fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

fn uuid_simple() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Runs each named test against SQLite and against PostgreSQL: every test is an
/// `async fn(TestApp)` in the calling file.
#[macro_export]
macro_rules! on_both_databases {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $test() {
                    super::$test($crate::common::TestApp::sqlite().await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $test() {
                    super::$test($crate::common::TestApp::postgres().await).await;
                }
            )*
        }
    };
}

/// A request body: `value` as the API's JSON.
pub fn json_body<T: serde::Serialize>(value: &T) -> Body {
    Body::from(serde_json::to_string(value).expect("a request serializes"))
}

/// Asks for an SMS login code for `phone` (the rate limits cleared first).
pub async fn sms_send(app: &TestApp, phone: &str) -> Answer {
    sqlx::query("DELETE FROM rate_limits")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let mobile = api::Mobile::parse(phone).expect("a mobile number");
    let send = Request::post("/api/auth/sms/send")
        .header("content-type", "application/json")
        .body(json_body(&api::account::SendCode { phone: mobile }))
        .unwrap();
    app.send(send).await
}

/// Logs in with `phone` and `code`: the session cookie.
pub async fn sms_verify(app: &TestApp, phone: &str, code: &str) -> String {
    let verify = Request::post("/api/auth/sms/verify")
        .header("content-type", "application/json")
        .body(json_body(&api::account::VerifyCode {
            phone: api::Mobile::parse(phone).expect("a mobile number"),
            code: code.to_owned(),
        }))
        .unwrap();
    let answer = app.send(verify).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    answer
        .header("set-cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// Logs a demo person in with phone and SMS code: their session cookie.
pub async fn login_phone(app: &TestApp, phone: &str) -> String {
    let code = sms_send(app, phone).await.json()["demo_code"]
        .as_str()
        .unwrap()
        .to_owned();
    sms_verify(app, phone, &code).await
}

/// Logs a demo staff member in with password and TOTP: their session cookie.
pub async fn login_staff(app: &TestApp, username: &str) -> String {
    let code = app
        .get(&format!("/api/auth/staff/demo-totp?username={username}"))
        .await
        .json()
        .as_str()
        .unwrap()
        .to_owned();
    let body = json_body(&api::account::StaffLogin {
        username: username.to_owned(),
        password: server::demo::STAFF_PASSWORD.to_owned(),
        totp: code,
    });
    let answer = app
        .send(
            Request::post("/api/auth/staff/login")
                .header("content-type", "application/json")
                .body(body)
                .unwrap(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    answer
        .header("set-cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

impl TestApp {
    /// A request with a session cookie (empty: none) and an optional JSON body.
    pub async fn call(&self, method: &str, uri: &str, cookie: &str, body: Option<&str>) -> Answer {
        let mut request = Request::builder().method(method).uri(uri);
        if !cookie.is_empty() {
            request = request.header("cookie", cookie);
        }
        let request = match body {
            Some(b) => request
                .header("content-type", "application/json")
                .body(Body::from(b.to_owned())),
            None => request.body(Body::empty()),
        };
        self.send(request.unwrap()).await
    }
}

/// Makes the session act for the enterprise with `enterprise_ref` (e.g. `DEMO-E1`).
pub async fn act_for(app: &TestApp, cookie: &str, enterprise_ref: &str) -> Answer {
    let enterprise: i64 =
        sqlx::query_scalar("SELECT id FROM enterprises WHERE enterprise_ref = $1")
            .bind(enterprise_ref)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    app.call(
        "POST",
        "/api/me/acting-for",
        cookie,
        Some(&format!(r#"{{"enterprise_id":{enterprise}}}"#)),
    )
    .await
}

/// The population register holds resident `reference`, born 1949, with this ID number and
/// name: what a person must match to record their identity outside demo mode.
pub async fn register_resident(app: &TestApp, reference: &str, id_number: &str, name: &str) {
    use server::data::store::{self, Identity, Personal, Record};
    let vault = &app.state.vault;
    let delivery = store::Delivery {
        records: vec![Record {
            kind: rules::SubjectKind::Resident,
            id: reference.to_owned(),
            attributes: vec![(
                "birth_date".to_owned(),
                rules::Value::Date("1949-12-31".parse().unwrap()),
            )],
            identity: Identity {
                id_number: Personal::Set(vault.seal("id_number", id_number)),
                name: Personal::Set(vault.seal("name", &dataset::personal::normalize_name(name))),
            },
        }],
        facts: Vec::new(),
    };
    store::apply(
        &app.db,
        Some("public_security"),
        store::Source::Api,
        &delivery,
    )
    .await
    .unwrap()
    .unwrap();
}

/// Pushes `body` to the departments' feed with a department's `key`.
pub async fn push_feed(app: &TestApp, key: &str, body: &server::data::feeds::FeedBatch) -> Answer {
    app.send(
        Request::post("/api/feeds/batches")
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {key}"))
            .body(json_body(body))
            .unwrap(),
    )
    .await
}

/// Publishes a variant of a file of `policies/` (its text with each of `edits` made once), as
/// the first start publishes the folder, and reloads the served set.
#[allow(dead_code)]
pub async fn publish_variant(app: &TestApp, file: &str, edits: &[(&str, &str)]) {
    let mut source = std::fs::read_to_string(rules::testing::policies_dir().join(file)).unwrap();
    for (from, to) in edits {
        assert!(source.contains(from), "{file} has no {from:?}");
        source = source.replacen(from, to, 1);
    }
    let policy = rules::load(file, &source, rules::Catalogue::standard()).unwrap();
    server::policies::store::seed(&app.db, &[(&policy, &source)])
        .await
        .unwrap();
    app.state.policies.reload(&app.db).await.unwrap();
}

/// Sends due payments until none is left due now.
pub async fn pay(app: &TestApp) {
    for _ in 0..10 {
        server::subsidies::payments::send_due(&app.state)
            .await
            .unwrap();
        // Instructed payments are asked about again after half a second.
        sqlx::query("UPDATE payments SET next_attempt_at = '2000-01-01T00:00:00.000Z' WHERE status IN ('queued', 'instructed') AND errors = 0")
            .execute(&app.db.pool)
            .await
            .unwrap();
    }
}
