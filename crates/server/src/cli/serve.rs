//! `zhida serve`: its settings, and starting the server with the services they name.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;

use super::LogFormat;
use crate::platform::db::Db;
use crate::platform::static_files::StaticAssets;
use crate::{demo, AppState};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on (port 0 picks a free port).
    #[arg(long, env = "ZHIDA_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// The database: `sqlite://PATH` (created if missing) or `postgres://USER@HOST:PORT/DB`.
    #[arg(
        long,
        env = "ZHIDA_DATABASE_URL",
        default_value = "sqlite://data/zhida.sqlite"
    )]
    pub database_url: String,

    /// The folder of the built app (Trunk's output).
    #[arg(long, env = "ZHIDA_STATIC_DIR", default_value = "dist")]
    pub static_dir: PathBuf,

    /// The folder of policy files (TOML) the database's policies are seeded from on its first
    /// start; afterwards policies are drafted, approved and retired in the app.
    #[arg(long, env = "ZHIDA_POLICIES", default_value = "policies")]
    pub policies: PathBuf,

    /// Demo mode only: run the clock this many days ahead (to see a scheduled policy take effect,
    /// a month's run, a deadline pass).
    #[arg(long, env = "ZHIDA_CLOCK_SHIFT_DAYS", default_value_t = 0)]
    pub clock_shift_days: i64,

    /// Seed demo data when the database is empty (`ZHIDA_DEMO=1`).
    #[arg(long, env = "ZHIDA_DEMO", value_parser = clap::builder::BoolishValueParser::new(),
          num_args = 0..=1, default_value = "false", default_missing_value = "true")]
    pub demo: bool,

    /// The 32-byte key that protects personal data at rest (64 hex digits; `zhida keygen` makes
    /// one). Required outside demo mode; in demo mode a key file is kept in the data folder.
    #[arg(long, env = "ZHIDA_DATA_KEY", hide_env_values = true)]
    pub data_key: Option<String>,

    /// The SMS gateway that delivers login codes (POST, JSON). Unset in demo mode: codes are
    /// shown on the login form instead.
    #[arg(long, env = "ZHIDA_SMS_GATEWAY_URL")]
    pub sms_gateway_url: Option<String>,

    /// The bearer token for the SMS gateway.
    #[arg(
        long,
        env = "ZHIDA_SMS_GATEWAY_TOKEN",
        hide_env_values = true,
        default_value = ""
    )]
    pub sms_gateway_token: String,

    /// The address people reach Zhida at, e.g. https://zhida.chancheng.gov.cn. When it is HTTPS,
    /// cookies are Secure and HSTS is sent.
    #[arg(long, env = "ZHIDA_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// WeChat's API (jscode2session, oauth2/access_token).
    #[arg(
        long,
        env = "ZHIDA_WECHAT_API_BASE",
        default_value = "https://api.weixin.qq.com"
    )]
    pub wechat_api_base: String,

    /// WeChat's OAuth authorize page.
    #[arg(
        long,
        env = "ZHIDA_WECHAT_OPEN_BASE",
        default_value = "https://open.weixin.qq.com"
    )]
    pub wechat_open_base: String,

    /// The mini-program's AppID (its web-view logs in with a ticket).
    #[arg(long, env = "ZHIDA_WECHAT_MINI_APPID")]
    pub wechat_mini_appid: Option<String>,

    #[arg(
        long,
        env = "ZHIDA_WECHAT_MINI_SECRET",
        hide_env_values = true,
        default_value = ""
    )]
    pub wechat_mini_secret: String,

    /// The official account's AppID (logins in WeChat's browser, snsapi_base).
    #[arg(long, env = "ZHIDA_WECHAT_MP_APPID")]
    pub wechat_mp_appid: Option<String>,

    #[arg(
        long,
        env = "ZHIDA_WECHAT_MP_SECRET",
        hide_env_values = true,
        default_value = ""
    )]
    pub wechat_mp_secret: String,

    /// The treasury's payment system (POST {url}/payments). Unset in demo mode: payments are
    /// only logged.
    #[arg(long, env = "ZHIDA_TREASURY_URL")]
    pub treasury_url: Option<String>,

    /// The bearer token for the treasury.
    #[arg(
        long,
        env = "ZHIDA_TREASURY_TOKEN",
        hide_env_values = true,
        default_value = ""
    )]
    pub treasury_token: String,

    /// A real-name service (实名核验) asked about ID numbers the population register does not
    /// hold (POST, JSON). Unset: only the register's residents can record their identity.
    #[arg(long, env = "ZHIDA_IDENTITY_URL")]
    pub identity_url: Option<String>,

    /// The bearer token for the real-name service.
    #[arg(
        long,
        env = "ZHIDA_IDENTITY_TOKEN",
        hide_env_values = true,
        default_value = ""
    )]
    pub identity_token: String,

    /// Also tell people of their grants and payments by SMS, through the SMS gateway.
    #[arg(long, env = "ZHIDA_NOTIFY_SMS", value_parser = clap::builder::BoolishValueParser::new(),
          num_args = 0..=1, default_value = "false", default_missing_value = "true")]
    pub notify_sms: bool,

    /// The mini-program's subscription-message template (订阅消息) for grant and payment news;
    /// set, people who logged in with WeChat are told there too.
    #[arg(long, env = "ZHIDA_WECHAT_SUBSCRIBE_TEMPLATE")]
    pub wechat_subscribe_template: Option<String>,

    /// Where uploaded materials are kept when no object store is configured (default: the
    /// `uploads` folder beside the SQLite database, or `data/uploads`).
    #[arg(long, env = "ZHIDA_UPLOADS_DIR")]
    pub uploads_dir: Option<PathBuf>,

    /// An S3-compatible object store for uploads instead of a folder, e.g.
    /// `https://oss-cn-shenzhen.aliyuncs.com` or a MinIO address (path-style requests).
    #[arg(long, env = "ZHIDA_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,

    #[arg(long, env = "ZHIDA_S3_BUCKET", default_value = "zhida-uploads")]
    pub s3_bucket: String,

    #[arg(long, env = "ZHIDA_S3_REGION", default_value = "us-east-1")]
    pub s3_region: String,

    #[arg(long, env = "ZHIDA_S3_ACCESS_KEY", default_value = "")]
    pub s3_access_key: String,

    #[arg(
        long,
        env = "ZHIDA_S3_SECRET_KEY",
        hide_env_values = true,
        default_value = ""
    )]
    pub s3_secret_key: String,

    /// The Ed25519 key that signs licence QR codes: its 32-byte seed in base64 (make one with
    /// `head -c 32 /dev/urandom | base64`). Required outside demo mode; in demo mode a key
    /// file is kept in the data folder. Its public key is served at
    /// `/.well-known/zhida-licence-key.json`.
    #[arg(long, env = "ZHIDA_LICENCE_KEY", hide_env_values = true)]
    pub licence_key: Option<String>,

    /// Log lines as human-readable text or as JSON objects (one per line).
    #[arg(long, env = "ZHIDA_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
}

/// `zhida serve`: runs until SIGTERM or Ctrl-C, then finishes the requests under way.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    demo_stays_demo(&args)?;
    // One client (one connection pool) for every outgoing service.
    let client = crate::platform::http_client::Client::new();
    if args.clock_shift_days != 0 {
        anyhow::ensure!(
            args.demo,
            "ZHIDA_CLOCK_SHIFT_DAYS moves the clock, which only demo mode may do"
        );
        crate::platform::db::shift_clock(time::Duration::days(args.clock_shift_days));
        tracing::warn!(days = args.clock_shift_days, "demo: the clock runs ahead");
    }
    let db = Db::connect(&args.database_url).await?;
    db.migrate().await?;
    let seeded = crate::policies::store::seed_if_empty(&db, &args.policies).await?;
    if seeded > 0 {
        tracing::info!(policies = seeded, folder = %args.policies.display(), "policies seeded");
    }
    let assets = StaticAssets::load(&args.static_dir)?;
    let vault = crate::platform::crypto::Vault::from_config(&data_key(&args)?)?;
    let sms: Arc<dyn crate::platform::sms::SmsSender> = match (&args.sms_gateway_url, args.demo) {
        (Some(url), _) => Arc::new(crate::platform::sms::GatewaySms {
            url: url.clone(),
            token: args.sms_gateway_token.clone(),
            client: client.clone(),
        }),
        (None, true) => Arc::new(crate::platform::sms::DemoSms),
        (None, false) => {
            tracing::warn!(
                "no SMS gateway configured (ZHIDA_SMS_GATEWAY_URL): phone logins will fail"
            );
            Arc::new(crate::platform::sms::NoSms)
        }
    };
    let secure = args
        .public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"));
    let wechat = crate::accounts::wechat::WeChatApi {
        api_base: args.wechat_api_base.clone(),
        open_base: args.wechat_open_base.clone(),
        mini: args
            .wechat_mini_appid
            .clone()
            .map(|a| (a, args.wechat_mini_secret.clone())),
        official: args
            .wechat_mp_appid
            .clone()
            .map(|a| (a, args.wechat_mp_secret.clone())),
        client: client.clone(),
    };
    let mut state = AppState::new(db, assets, vault, sms, args.demo, secure)
        .with_wechat(Arc::new(wechat))
        .with_public_url(args.public_url.clone());
    if let Some(url) = &args.identity_url {
        state = state.with_identity_service(Arc::new(crate::accounts::identity::HttpIdentity {
            url: url.clone(),
            token: args.identity_token.clone(),
            client: client.clone(),
        }));
    }
    if let Some(url) = &args.treasury_url {
        state = state.with_treasury(Arc::new(crate::subsidies::payments::HttpTreasury {
            base: url.clone(),
            token: args.treasury_token.clone(),
            client: client.clone(),
        }));
    } else if !args.demo {
        tracing::warn!("no treasury configured (ZHIDA_TREASURY_URL): grants will not be paid");
    }
    let mut notifiers: Vec<Arc<dyn crate::notifications::Notifier>> = Vec::new();
    if let (true, Some(url)) = (args.notify_sms, &args.sms_gateway_url) {
        notifiers.push(Arc::new(crate::notifications::SmsNotifier {
            url: url.clone(),
            token: args.sms_gateway_token.clone(),
            client: client.clone(),
        }));
    }
    if let (Some(template), Some(appid)) =
        (&args.wechat_subscribe_template, &args.wechat_mini_appid)
    {
        notifiers.push(Arc::new(crate::notifications::WeChatSubscribe::new(
            args.wechat_api_base.clone(),
            appid.clone(),
            args.wechat_mini_secret.clone(),
            template.clone(),
        )));
    }
    if !notifiers.is_empty() {
        state = state.with_notifiers(notifiers);
    }
    state = state.with_licence_key(licence_key(&args)?);
    let calendar = licensing::calendar::Calendar::standard();
    let year = crate::platform::db::today_shanghai().year();
    for y in [year, year + 1] {
        if !calendar.knows(y) {
            tracing::warn!(
                year = y,
                "the working-day calendar lacks this year's public holidays: promised times count weekends only until its State Council notice is added to crates/licensing/src/calendar.toml"
            );
        }
    }
    state = match &args.s3_endpoint {
        Some(endpoint) => state.with_storage(Arc::new(crate::platform::storage::S3 {
            endpoint: endpoint.clone(),
            bucket: args.s3_bucket.clone(),
            region: args.s3_region.clone(),
            access_key: args.s3_access_key.clone(),
            secret_key: args.s3_secret_key.clone(),
            client: reqwest::Client::builder()
                .connect_timeout(std::time::Duration::from_secs(5))
                .timeout(std::time::Duration::from_secs(60))
                .build()?,
        })),
        None => {
            let dir = args
                .uploads_dir
                .clone()
                .unwrap_or_else(|| data_dir(&args).join("uploads"));
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            state.with_storage(Arc::new(crate::platform::storage::LocalDir::new(dir)))
        }
    };
    if args.demo && demo::seed_if_empty(&state).await? {
        tracing::info!("demo data seeded");
    }
    state.start_background().await?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let addr = listener.local_addr()?;
    // This line is read by `cargo xtask` and the end-to-end tests: keep its shape.
    println!("Zhida (政策直达) is running at http://{addr}/");
    if args.demo {
        println!("Demo logins (personal numbers are masked in the app):");
        for (who, how) in demo::logins() {
            println!("  {who}: {how}");
        }
    }
    // The peer address feeds the per-client rate limits.
    let app = crate::app(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("stopped");
    Ok(())
}

/// Demo mode shows login codes and pays no one: it must never run beside a real SMS gateway,
/// treasury, WeChat app or real-name service, where a real person could be reached. A service
/// on this machine's loopback address is a local fake (the end-to-end tests use them), not a
/// real one.
pub fn demo_stays_demo(args: &ServeArgs) -> anyhow::Result<()> {
    if !args.demo {
        return Ok(());
    }
    let remote = |url: &Option<String>| url.as_deref().is_some_and(|u| !is_loopback(u));
    let wechat = (args.wechat_mini_appid.is_some() || args.wechat_mp_appid.is_some())
        && !is_loopback(&args.wechat_api_base);
    let real: Vec<&str> = [
        (remote(&args.sms_gateway_url), "ZHIDA_SMS_GATEWAY_URL"),
        (remote(&args.treasury_url), "ZHIDA_TREASURY_URL"),
        (wechat, "ZHIDA_WECHAT_MINI_APPID / ZHIDA_WECHAT_MP_APPID"),
        (remote(&args.identity_url), "ZHIDA_IDENTITY_URL"),
    ]
    .into_iter()
    .filter_map(|(set, name)| set.then_some(name))
    .collect();
    anyhow::ensure!(
        real.is_empty(),
        "demo mode (ZHIDA_DEMO) cannot run beside real services ({}): it shows login codes and seeds made-up people. Unset ZHIDA_DEMO, or those settings",
        real.join(", ")
    );
    Ok(())
}

/// Whether `url` names this machine (127.0.0.0/8, ::1 or localhost).
fn is_loopback(url: &str) -> bool {
    let host = reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(|h| h.trim_matches(['[', ']']).to_owned()));
    host.is_some_and(|h| {
        h.eq_ignore_ascii_case("localhost")
            || h.parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    })
}

/// The data key: configured, or (demo mode only) kept in a file in the data folder.
fn data_key(args: &ServeArgs) -> anyhow::Result<String> {
    if let Some(key) = &args.data_key {
        return Ok(key.clone());
    }
    if !args.demo {
        anyhow::bail!("ZHIDA_DATA_KEY is not set: it protects personal data at rest. Make one with `zhida keygen`");
    }
    demo_key_file(
        args,
        "zhida.key",
        crate::platform::crypto::Vault::generate_key,
    )
}

/// The folder beside the SQLite database (or `data`).
fn data_dir(args: &ServeArgs) -> PathBuf {
    args.database_url
        .strip_prefix("sqlite://")
        .and_then(|p| {
            std::path::Path::new(p.split('?').next().unwrap_or(p))
                .parent()
                .map(|d| d.to_path_buf())
        })
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("data"))
}

/// Demo mode only: a key kept in a file of the data folder, made on first use.
fn demo_key_file(
    args: &ServeArgs,
    name: &str,
    make: impl FnOnce() -> String,
) -> anyhow::Result<String> {
    let dir = data_dir(args);
    let file = dir.join(name);
    if let Ok(key) = std::fs::read_to_string(&file) {
        return Ok(key.trim().to_owned());
    }
    std::fs::create_dir_all(&dir)?;
    let key = make();
    std::fs::write(&file, &key).with_context(|| format!("writing {}", file.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))?;
    }
    tracing::warn!(file = %file.display(), "demo mode: generated a key; configure it outside demo mode");
    Ok(key)
}

/// The licence signing key: configured, or (demo mode only) kept in a file in the data folder.
fn licence_key(args: &ServeArgs) -> anyhow::Result<licensing::SigningKey> {
    let text = match &args.licence_key {
        Some(k) => k.clone(),
        None if args.demo => demo_key_file(args, "licence.key", || {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode(crate::platform::crypto::random_bytes::<32>())
        })?,
        None => anyhow::bail!(
            "ZHIDA_LICENCE_KEY is not set: it signs licence QR codes. Make one with `head -c 32 /dev/urandom | base64`"
        ),
    };
    licensing::seal::key_from_base64(&text).map_err(|e| anyhow::anyhow!(e))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        tokio::signal::ctrl_c()
            .await
            .expect("installing the Ctrl-C handler");
    };
    #[cfg(unix)]
    let terminate = async {
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing the SIGTERM handler")
            .recv()
            .await;
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests under way");
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Serve {
        #[command(flatten)]
        args: ServeArgs,
    }

    fn args(list: &[&str]) -> ServeArgs {
        Serve::try_parse_from(std::iter::once("zhida").chain(list.iter().copied()))
            .expect("valid settings")
            .args
    }

    #[test]
    fn demo_mode_refuses_to_run_beside_real_services() {
        assert!(demo_stays_demo(&args(&["--demo"])).is_ok());
        assert!(demo_stays_demo(&args(&["--sms-gateway-url", "https://sms.example"])).is_ok());
        let refused = demo_stays_demo(&args(&[
            "--demo",
            "--sms-gateway-url",
            "https://sms.example",
            "--treasury-url",
            "https://treasury.example",
        ]))
        .unwrap_err()
        .to_string();
        assert!(
            refused.contains("ZHIDA_SMS_GATEWAY_URL") && refused.contains("ZHIDA_TREASURY_URL"),
            "{refused}"
        );
        for setting in ["--wechat-mini-appid", "--wechat-mp-appid"] {
            assert!(
                demo_stays_demo(&args(&["--demo", setting, "wx1"])).is_err(),
                "{setting}"
            );
        }
        let identity = ["--demo", "--identity-url", "https://id.example/verify"];
        assert!(demo_stays_demo(&args(&identity)).is_err());
        // Local fakes on this machine are not real services.
        let local = args(&[
            "--demo",
            "--treasury-url",
            "http://127.0.0.1:4000",
            "--sms-gateway-url",
            "http://localhost:4001/send",
            "--identity-url",
            "http://[::1]:4002/verify",
            "--wechat-mp-appid",
            "wx1",
            "--wechat-api-base",
            "http://127.0.0.1:4003",
        ]);
        assert!(demo_stays_demo(&local).is_ok());
        assert!(!is_loopback("https://127.0.0.1.example.com/x"));
        assert!(!is_loopback("https://user@evil.example/"));
    }
}
