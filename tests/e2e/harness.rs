//! The end-to-end harness: the real server binary on a fresh SQLite database, chromedriver, and
//! headless Chromium sessions at a phone or a desktop viewport.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::error::CmdError;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A child process that is killed when dropped.
pub struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn env_path(name: &str, default: Option<&str>) -> PathBuf {
    std::env::var_os(name).map(PathBuf::from).or_else(|| default.map(PathBuf::from)).unwrap_or_else(|| {
        panic!("{name} is not set: run the end-to-end suite through `cargo xtask test`, which builds what it needs")
    })
}

/// This run's scratch folder: the server's database and the browsers' profiles. `main`
/// removes it when the suite ends.
pub fn run_dir() -> PathBuf {
    std::env::temp_dir().join(format!("zhida-e2e-{}", std::process::id()))
}

/// The server binary, started on a free port with a database of its own.
pub struct Server {
    pub url: String,
    /// The population register's data-feed key.
    pub feed_key: String,
    /// The fake treasury the server pays through.
    pub treasury: FakeTreasury,
    /// Outside demo mode: the fake SMS gateway that receives the login codes.
    pub sms: Option<FakeSms>,
    /// The market register's data-feed key.
    pub market_key: String,
    /// The tax bureau's data-feed key.
    pub tax_key: String,
    /// The database's URL, for the binary's other commands (`zhida staff add`).
    pub database: String,
    /// The PostgreSQL database this run made (admin URL, name), dropped at the end.
    postgres: Option<(String, String)>,
    process: Option<Process>,
    /// How it was started, to start it again.
    launch: Launch,
}

/// What `zhida serve` is started with (again, on a restart).
#[derive(Clone)]
struct Launch {
    bin: PathBuf,
    static_dir: PathBuf,
    port: u16,
    mode: Mode,
    sms_url: Option<String>,
    wechat: String,
    treasury_url: String,
    database: String,
}

impl Launch {
    /// Starts the server, its clock `clock_shift_days` ahead (demo mode only): the process and
    /// the address it printed.
    fn spawn(&self, clock_shift_days: i64) -> (Process, String) {
        let mut command = Command::new(&self.bin);
        command.args(["serve", "--listen", &format!("127.0.0.1:{}", self.port)]);
        match self.mode {
            Mode::Demo => {
                command.arg("--demo");
            }
            Mode::Real => {
                command
                    .args([
                        "--sms-gateway-url",
                        self.sms_url.as_deref().unwrap_or_default(),
                    ])
                    .env("ZHIDA_DATA_KEY", "07".repeat(32))
                    .env(
                        "ZHIDA_LICENCE_KEY",
                        "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=",
                    );
            }
        }
        let mut child = command
            .arg("--public-url")
            .arg(format!("http://127.0.0.1:{}", self.port))
            .args([
                "--wechat-api-base",
                &self.wechat,
                "--wechat-open-base",
                &self.wechat,
            ])
            .args([
                "--wechat-mp-appid",
                "wx-e2e",
                "--wechat-mp-secret",
                "e2e-secret",
            ])
            .args(["--treasury-url", &self.treasury_url])
            .arg("--database-url")
            .arg(&self.database)
            .arg("--static-dir")
            .arg(&self.static_dir)
            .env("ZHIDA_CLOCK_SHIFT_DAYS", clock_shift_days.to_string())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", self.bin.display()));
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let url = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|line| {
                line.split("running at ")
                    .nth(1)
                    .map(|u| u.trim().trim_end_matches('/').to_owned())
            })
            .expect("the server printed its address");
        // Keep reading so the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        (Process(child), url)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.process.take());
        if let Some((admin, name)) = &self.postgres {
            psql(
                admin,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            );
        }
    }
}

/// Runs one SQL command with `psql` on the PostgreSQL server at `admin`.
fn psql(admin: &str, sql: &str) {
    let out = Command::new("psql")
        .args([admin, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
        .output()
        .unwrap_or_else(|e| panic!("running psql: {e}"));
    assert!(
        out.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Whether a server runs in demo mode (demo people, codes shown on the login form) or as a
/// district would run it (no one seeded, codes sent through the SMS gateway).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Demo,
    Real,
}

impl Server {
    /// The demo server every scenario shares.
    pub fn start() -> Server {
        let dir = run_dir();
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Server::launch(Mode::Demo, "demo")
    }

    /// A server outside demo mode, with a database of its own, for a scenario that needs it.
    pub fn start_real(name: &str) -> Server {
        Server::launch(Mode::Real, name)
    }

    /// A demo server with a database of its own (a scenario that moves the clock).
    pub fn start_demo(name: &str) -> Server {
        Server::launch(Mode::Demo, name)
    }

    /// Stops the server and starts it again on the same database and address, its clock
    /// `clock_shift_days` ahead (as if that many days had passed).
    pub fn restart(&mut self, clock_shift_days: i64) {
        drop(self.process.take());
        let (process, url) = self.launch.spawn(clock_shift_days);
        self.process = Some(process);
        self.url = url;
    }

    fn launch(mode: Mode, name: &str) -> Server {
        let bin = env_path("ZHIDA_BIN", None);
        let static_dir = env_path("ZHIDA_STATIC_DIR", None);
        let dir = run_dir().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        // A fixed port, so that the server knows its public address for WeChat's redirect.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let wechat = fake_wechat();
        let treasury = FakeTreasury::start();
        // SQLite by default; `ZHIDA_E2E_PG_URL` (a PostgreSQL server's admin URL) runs the
        // suite on a fresh PostgreSQL database instead, dropped at the end.
        let (database, postgres) = match std::env::var("ZHIDA_E2E_PG_URL") {
            Ok(admin) => {
                let name = format!("zhida_e2e_{}_{name}", std::process::id());
                psql(&admin, &format!("DROP DATABASE IF EXISTS {name}"));
                psql(&admin, &format!("CREATE DATABASE {name}"));
                let base = admin.split('?').next().unwrap_or(&admin);
                let server = base.rsplit_once('/').map_or(base, |(s, _)| s);
                (format!("{server}/{name}"), Some((admin, name)))
            }
            Err(_) => (
                format!("sqlite://{}", dir.join("e2e.sqlite").display()),
                None,
            ),
        };
        let department_key = |department: &str| {
            let key = Command::new(&bin)
                .args(["department-key", department, "--database-url", &database])
                .output()
                .unwrap();
            assert!(
                key.status.success(),
                "{}",
                String::from_utf8_lossy(&key.stderr)
            );
            String::from_utf8(key.stdout).unwrap().trim().to_owned()
        };
        let feed_key = department_key("public_security");
        let market_key = department_key("market_regulation");
        let tax_key = department_key("tax");
        let sms = (mode == Mode::Real).then(FakeSms::start);
        let launch = Launch {
            bin: bin.clone(),
            static_dir: static_dir.clone(),
            port,
            mode,
            sms_url: sms.as_ref().map(|s| s.url.clone()),
            wechat,
            treasury_url: treasury.url.clone(),
            database: database.clone(),
        };
        let (process, url) = launch.spawn(0);
        Server {
            url,
            feed_key,
            market_key,
            tax_key,
            database,
            sms,
            treasury,
            postgres,
            process: Some(process),
            launch,
        }
    }
}

/// A local fake of WeChat's OAuth servers (a thread answering plain HTTP): its authorize page
/// redirects straight back with a one-time code (`snsapi_base` is silent), and
/// `sns/oauth2/access_token` trades the code for the openid of this browser's WeChat user.
/// Returns its base URL.
pub fn fake_wechat() -> String {
    use std::io::{Read, Write};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut issued: Vec<(String, bool)> = Vec::new();
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut buf = [0u8; 8192];
            let n = stream.read(&mut buf).unwrap_or(0);
            let request = String::from_utf8_lossy(&buf[..n]).into_owned();
            let target = request.split_whitespace().nth(1).unwrap_or("/").to_owned();
            let (path, query) = target.split_once('?').unwrap_or((&target, ""));
            let param = |name: &str| {
                query
                    .split('&')
                    .find_map(|kv| {
                        kv.split_once('=')
                            .filter(|(k, _)| *k == name)
                            .map(|(_, v)| v.to_owned())
                    })
                    .unwrap_or_default()
            };
            let response = match path {
                "/connect/oauth2/authorize" => {
                    let code = format!("e2e-code-{}", issued.len());
                    issued.push((code.clone(), false));
                    let redirect = percent_decode(&param("redirect_uri"));
                    format!("HTTP/1.1 302 Found\r\nLocation: {redirect}?code={code}&state={}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", param("state"))
                }
                "/sns/oauth2/access_token" => {
                    let code = param("code");
                    let body = match issued.iter_mut().find(|(c, used)| *c == code && !*used) {
                        Some(entry)
                            if param("appid") == "wx-e2e" && param("secret") == "e2e-secret" =>
                        {
                            entry.1 = true;
                            r#"{"access_token":"at","expires_in":7200,"openid":"o-e2e-browser","unionid":"u-e2e","scope":"snsapi_base"}"#.to_owned()
                        }
                        _ => r#"{"errcode":40029,"errmsg":"invalid code"}"#.to_owned(),
                    };
                    format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
                }
                _ => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_owned(),
            };
            let _ = stream.write_all(response.as_bytes());
        }
    });
    base
}

/// Reads one HTTP/1.1 request: its request line and its body (by `Content-Length`).
fn read_request(stream: &mut std::net::TcpStream) -> (String, String, String) {
    use std::io::Read;
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = stream.read(&mut buf).unwrap_or(0);
        if n == 0 {
            break;
        }
        data.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&data).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if data.len() >= end + 4 + length {
                let head = text[..end].to_owned();
                let body = String::from_utf8_lossy(&data[end + 4..end + 4 + length]).into_owned();
                let line = head.lines().next().unwrap_or_default().to_owned();
                return (line, head, body);
            }
        }
    }
    (String::new(), String::new(), String::new())
}

fn respond(stream: &mut std::net::TcpStream, status: &str, body: &str) {
    use std::io::Write;
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

/// A local fake of the SMS gateway (the protocol of `GatewaySms`): it keeps the last code
/// sent to each phone, for the scenario to type as a person would read it.
#[derive(Clone)]
pub struct FakeSms {
    pub url: String,
    codes: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, String>>>,
}

impl FakeSms {
    fn start() -> FakeSms {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let fake = FakeSms {
            url: format!("http://{}/send", listener.local_addr().unwrap()),
            codes: Default::default(),
        };
        let codes = fake.codes.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut stream = stream;
                let (_, _, body) = read_request(&mut stream);
                let message: Value = serde_json::from_str(&body).unwrap_or_default();
                if let (Some(phone), Some(code)) = (
                    message["phone"].as_str(),
                    message["params"]["code"].as_str(),
                ) {
                    codes
                        .lock()
                        .unwrap()
                        .insert(phone.to_owned(), code.to_owned());
                }
                respond(&mut stream, "200 OK", "{}");
            }
        });
        fake
    }

    /// The last code sent to `phone`, waiting for it a little.
    pub async fn code_for(&self, phone: &str) -> Option<String> {
        for _ in 0..50 {
            if let Some(code) = self.codes.lock().unwrap().get(phone) {
                return Some(code.clone());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        None
    }
}

/// The fake treasury's instructions: key → (amount in fen, confirmed, times sent).
pub type Ledger =
    std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, (i64, bool, u32)>>>;

/// A local fake of the treasury's payment system (the protocol of `HttpTreasury`): it accepts
/// each idempotency key once, and reports payments paid once the test confirms them.
#[derive(Clone)]
pub struct FakeTreasury {
    pub url: String,
    /// key → (amount in fen, confirmed, times sent)
    pub entries: Ledger,
}

impl FakeTreasury {
    fn start() -> FakeTreasury {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let fake = FakeTreasury {
            url: format!("http://{}", listener.local_addr().unwrap()),
            entries: Default::default(),
        };
        let entries = fake.entries.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut stream = stream;
                let (line, head, body) = read_request(&mut stream);
                let answer = |e: &(i64, bool, u32), key: &str| {
                    if e.1 {
                        format!(r#"{{"status":"paid","reference":"E2E-{key}"}}"#)
                    } else {
                        r#"{"status":"accepted"}"#.to_owned()
                    }
                };
                if line.starts_with("POST /payments ") {
                    let key = head
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("idempotency-key")
                                .then(|| v.trim().to_owned())
                        })
                        .unwrap_or_default();
                    let amount = serde_json::from_str::<Value>(&body)
                        .ok()
                        .and_then(|b| b["amount_fen"].as_i64())
                        .unwrap_or(-1);
                    let mut entries = entries.lock().unwrap();
                    let e = entries.entry(key.clone()).or_insert((amount, false, 0));
                    e.2 += 1;
                    let text = answer(e, &key);
                    respond(&mut stream, "200 OK", &text);
                } else if let Some(key) = line
                    .strip_prefix("GET /payments/")
                    .and_then(|r| r.split(' ').next())
                {
                    match entries.lock().unwrap().get(key) {
                        Some(e) => respond(&mut stream, "200 OK", &answer(e, key)),
                        None => respond(&mut stream, "404 Not Found", r#"{"error":"unknown"}"#),
                    }
                } else {
                    respond(&mut stream, "404 Not Found", "{}");
                }
            }
        });
        fake
    }

    /// The treasury confirms every payment it has accepted.
    pub fn confirm_all(&self) {
        for e in self.entries.lock().unwrap().values_mut() {
            e.1 = true;
        }
    }
}

/// POSTs JSON to the server with a bearer key (a department's feed): the status code and body.
pub fn post_json(base: &str, path: &str, bearer: &str, body: &Value) -> (u16, String) {
    use std::io::{Read, Write};
    let addr = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    let body = body.to_string();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {bearer}\r\nContent-Type: application/json\r\nX-Requested-With: zhida\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// chromedriver on a free port.
pub struct Driver {
    pub url: String,
    _process: Process,
}

impl Driver {
    pub fn start() -> Driver {
        let bin = env_path("CHROMEDRIVER", Some("/usr/bin/chromedriver"));
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(&bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Driver {
            url: format!("http://127.0.0.1:{port}"),
            _process: Process(child),
        }
    }
}

/// The screen a session emulates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Viewport {
    /// 375×667, touch, a WeChat web-view's user agent.
    Phone,
    /// 1280×800.
    Desktop,
    /// The phone, inside a WeChat mini-program's web-view (its user agent says `miniProgram`).
    MiniProgram,
}

/// Options of one browser session.
#[derive(Clone, Copy, Debug)]
pub struct Session {
    pub viewport: Viewport,
    /// Removes WebAssembly from every page before its scripts run, as on a browser too old
    /// for the app.
    pub without_wasm: bool,
}

const MINI_PROGRAM_UA: &str = "Mozilla/5.0 (Linux; Android 10; HMA-AL00 Build/HUAWEIHMA-AL00; wv) AppleWebKit/537.36 \
    (KHTML, like Gecko) Version/4.0 Chrome/156.0.0.0 Mobile Safari/537.36 MicroMessenger/8.0.50.2701(0x28003252) \
    WeChat/arm64 Weixin NetType/WIFI Language/zh_CN miniProgram/wx-e2e-mini";

const WECHAT_UA: &str = "Mozilla/5.0 (Linux; Android 10; HMA-AL00 Build/HUAWEIHMA-AL00; wv) AppleWebKit/537.36 \
    (KHTML, like Gecko) Version/4.0 Chrome/156.0.0.0 Mobile Safari/537.36 MicroMessenger/8.0.50.2701(0x28003252) \
    WeChat/arm64 Weixin NetType/WIFI Language/zh_CN";

impl Session {
    pub async fn open(self, driver: &Driver) -> Client {
        let profile = std::env::temp_dir().join(format!(
            "zhida-e2e-chrome-{}-{}",
            std::process::id(),
            unique()
        ));
        let args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--lang=zh-CN".to_owned(),
            format!("--user-data-dir={}", profile.display()),
        ];
        let mut options = json!({
            "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned()),
            "args": args,
            "prefs": { "intl.accept_languages": "zh-CN,zh" },
        });
        match self.viewport {
            Viewport::Phone | Viewport::MiniProgram => {
                let agent = if self.viewport == Viewport::Phone {
                    WECHAT_UA
                } else {
                    MINI_PROGRAM_UA
                };
                options["mobileEmulation"] = json!({
                    "deviceMetrics": { "width": 375, "height": 667, "pixelRatio": 2.0, "touch": true },
                    "userAgent": agent,
                });
            }
            Viewport::Desktop => options["args"]
                .as_array_mut()
                .unwrap()
                .push(json!("--window-size=1280,800")),
        }
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".to_owned(), options);
        caps.insert("goog:loggingPrefs".to_owned(), json!({ "browser": "ALL" }));
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&driver.url)
            .await
            .expect("a browser session");
        if self.without_wasm {
            let remove = Cdp {
                cmd: "Page.addScriptToEvaluateOnNewDocument",
                params: json!({ "source": "delete globalThis.WebAssembly;" }),
            };
            client
                .issue_cmd(remove)
                .await
                .expect("removing WebAssembly through the DevTools protocol");
        }
        client
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// chromedriver's log endpoint (`POST /session/{id}/se/log`), which W3C WebDriver lacks.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "type": "browser" }).to_string()),
        )
    }
}

/// A Chrome DevTools Protocol command, through chromedriver's `goog/cdp/execute`.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "cmd": self.cmd, "params": self.params }).to_string()),
        )
    }
}

/// A picture of the whole page as it would show on a phone `width` pixels wide (the screen is
/// made as tall as the page for it, then put back to the phone's 375×667).
pub async fn whole_page_png(client: &Client, width: u32) -> Result<Vec<u8>, CmdError> {
    let metrics = |width: u32, height: u64| Cdp {
        cmd: "Emulation.setDeviceMetricsOverride",
        params: json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": true }),
    };
    client.issue_cmd(metrics(width, 667)).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let height = client
        .execute("return document.documentElement.scrollHeight", vec![])
        .await?
        .as_u64()
        .unwrap_or(667)
        .clamp(667, 6000);
    client.issue_cmd(metrics(width, height)).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let png = client.screenshot().await;
    client.issue_cmd(metrics(375, 667)).await?;
    png
}

/// Every console message (any level) since the last call.
pub async fn console_messages(client: &Client) -> Result<Vec<String>, CmdError> {
    let entries = client.issue_cmd(BrowserLog).await?;
    Ok(entries
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["message"].as_str().map(str::to_owned))
        .collect())
}

/// Console errors (and failed loads) since the last call.
pub async fn console_errors(client: &Client) -> Result<Vec<String>, CmdError> {
    let entries = client.issue_cmd(BrowserLog).await?;
    Ok(entries
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["level"] == "SEVERE")
        .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
        .collect())
}

/// Runs axe-core on the page; fails listing every violation.
pub async fn axe(client: &Client) -> TestResult {
    let source = std::fs::read_to_string(env_path("ZHIDA_AXE", None))?;
    client.execute(&source, vec![]).await?;
    let result = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
                .then(r => done(r.violations.map(v => ({
                    id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary)
                }))))
                .catch(e => done([{ id: 'axe-error', help: String(e), nodes: [] }]));",
            vec![],
        )
        .await?;
    let violations = result.as_array().cloned().unwrap_or_default();
    if violations.is_empty() {
        return Ok(());
    }
    let url = client.current_url().await?;
    Err(format!(
        "axe found {} violation(s) on {url}:\n{}",
        violations.len(),
        pretty(&Value::Array(violations))
    )
    .into())
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// Waits for the app to mount (its main landmark) and returns the text of the first `h1`.
pub async fn page_heading(client: &Client) -> Result<String, CmdError> {
    let mut tries = 0;
    loop {
        let h1 = client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css("main h1"))
            .await?;
        match h1.text().await {
            // The page re-rendered (its data arrived, a live update) between finding and
            // reading: read the new heading.
            Err(e) if tries < 10 && e.to_string().contains("stale element") => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            other => return other,
        }
    }
}

/// Evaluates a script and returns its value.
pub async fn js(client: &Client, script: &str) -> Result<Value, CmdError> {
    client.execute(script, vec![]).await
}
