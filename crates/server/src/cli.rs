//! The `zhida` command line. Every option of `serve` can also be set by its environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::db::Db;
use crate::static_files::StaticAssets;
use crate::{demo, AppState};

/// Zhida (政策直达): policies that find people, subsidies paid without applying, and one licence
/// for a business.
#[derive(Debug, Parser)]
#[command(name = "zhida", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the server: migrate the database, then serve the API and the built app.
    Serve(ServeArgs),
}

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

    /// Seed demo data when the database is empty (`ZHIDA_DEMO=1`).
    #[arg(long, env = "ZHIDA_DEMO", value_parser = clap::builder::BoolishValueParser::new(),
          num_args = 0..=1, default_value = "false", default_missing_value = "true")]
    pub demo: bool,

    /// Log lines as human-readable text or as JSON objects (one per line).
    #[arg(long, env = "ZHIDA_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Sets up structured logging. `RUST_LOG` narrows or widens it (default `info`).
pub fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .init(),
    }
}

/// `zhida serve`: runs until SIGTERM or Ctrl-C, then finishes the requests under way.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let db = Db::connect(&args.database_url).await?;
    db.migrate().await?;
    if args.demo && demo::seed_if_empty(&db).await? {
        tracing::info!("demo data seeded");
    }
    let assets = StaticAssets::load(&args.static_dir)?;
    let state = AppState {
        db,
        assets: Arc::new(assets),
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let addr = listener.local_addr()?;
    // This line is read by `cargo xtask` and the end-to-end tests: keep its shape.
    println!("Zhida (政策直达) is running at http://{addr}/");
    if args.demo {
        let logins = demo::logins();
        if logins.is_empty() {
            println!("Demo logins: none yet (sign-in arrives with accounts, issue #4).");
        }
        for (who, how) in logins {
            println!("Demo login: {who}: {how}");
        }
    }
    axum::serve(listener, crate::app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("stopped");
    Ok(())
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
