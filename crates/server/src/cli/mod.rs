//! The `zhida` command line. Every option of `serve` can also be set by its environment variable.

pub mod district;
mod serve;
mod staff;

pub use serve::{demo_stays_demo, serve, ServeArgs};
pub use staff::{enrolment_link, staff_command, StaffArgs};

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::platform::db::Db;
use crate::platform::static_files::StaticAssets;
use crate::subsidies::monthly;
use crate::AppState;

/// Zhida (政策直达): policies that find people, subsidies paid without applying, and one licence
/// for a business.
#[derive(Debug, Parser)]
#[command(name = "zhida", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// Parsed once at start-up: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the server: migrate the database, then serve the API and the built app.
    Serve(ServeArgs),
    /// Evaluate every policy over a data set for one month; write the eligible pairs as CSV.
    Match(MatchArgs),
    /// Write a synthetic data set (DATASET.md layout) with the reference policies' hard cases.
    Gen(GenArgs),
    /// The impact sandbox over a data set: a policy file against another (the version in
    /// force) for one month, timed (`cargo xtask bench sandbox`).
    Impact(ImpactArgs),
    /// Print a new random data key for ZHIDA_DATA_KEY.
    Keygen,
    /// Issue a department's data-feed API key (revoking its previous one); printed once.
    DepartmentKey(DepartmentKeyArgs),
    /// Load a data set (DATASET.md layout) into the database: all of it, or nothing.
    Import(ImportArgs),
    /// Run one month over everyone now (the server runs each month by itself; a month that
    /// already ran grants nothing twice).
    RunMonth(RunMonthArgs),
    /// Staff accounts: `add` (prints a one-time enrolment link), `relink`, `disable`.
    Staff(StaffArgs),
}

#[derive(Debug, Args)]
pub struct RunMonthArgs {
    /// YYYY-MM.
    #[arg(long, value_parser = parse_month)]
    pub month: rules::Month,
    #[arg(
        long,
        env = "ZHIDA_DATABASE_URL",
        default_value = "sqlite://data/zhida.sqlite"
    )]
    pub database_url: String,
    /// The folder of policy files a database without policies is seeded from.
    #[arg(long, env = "ZHIDA_POLICIES", default_value = "policies")]
    pub policies: PathBuf,
}

/// `zhida run-month`: grants written, payment instructions and notifications queued (the
/// server sends the payments).
pub async fn run_month_command(args: &RunMonthArgs) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let db = Db::connect(&args.database_url).await?;
    db.migrate().await?;
    // A run reads no personal numbers: an ephemeral key stands in for the data key.
    let vault = crate::platform::crypto::Vault::from_config(
        &crate::platform::crypto::Vault::generate_key(),
    )?;
    crate::policies::store::seed_if_empty(&db, &args.policies).await?;
    let state = AppState::new(
        db,
        StaticAssets::default(),
        vault,
        Arc::new(crate::platform::sms::NoSms),
        false,
        false,
    );
    state.policies.reload(&state.db).await?;
    let report = monthly::run_month(&state, args.month).await?;
    println!(
        "{}: {} subjects, {} eligible, {} grants created, in {:.1} s",
        args.month,
        report.subjects,
        report.eligible,
        report.created,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The data set's folder (residents.csv, enterprises.csv, loan_interest.csv, gas_usage.csv).
    #[arg(long)]
    pub data: PathBuf,
    /// The server's data key: needed when the registers carry ID numbers or names, which are
    /// stored encrypted with it.
    #[arg(long, env = "ZHIDA_DATA_KEY", hide_env_values = true)]
    pub data_key: Option<String>,
    #[arg(
        long,
        env = "ZHIDA_DATABASE_URL",
        default_value = "sqlite://data/zhida.sqlite"
    )]
    pub database_url: String,
}

/// `zhida import`: reads and checks the whole data set, naming every bad row; on any error
/// nothing is written. Then applies it as one batch (a repeat changes nothing) and leaves a
/// mark for the server to match everyone against the policies (at once if it is running).
pub async fn import_command(args: &ImportArgs) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let read = |name: &str| {
        let path = args.data.join(name);
        std::fs::read(&path).with_context(|| format!("reading {}", path.display()))
    };
    let (residents, enterprises, loans, gas) = (
        read(dataset::RESIDENTS)?,
        read(dataset::ENTERPRISES)?,
        read(dataset::LOAN_INTEREST)?,
        read(dataset::GAS_USAGE)?,
    );
    let files = dataset::Files {
        residents: &residents,
        enterprises: &enterprises,
        loan_interest: &loans,
        gas_usage: &gas,
    };
    let set = dataset::load(&files, &dataset::Options::default()).map_err(|errors| {
        let lines: Vec<String> = errors
            .0
            .iter()
            .map(|e| format!("  {}/{e}", args.data.display()))
            .collect();
        anyhow::anyhow!(
            "the data set was not imported: nothing was written. {} bad row(s):\n{}",
            errors.0.len(),
            lines.join("\n")
        )
    })?;
    let personal = dataset::personal::read(&files, crate::platform::db::today_shanghai()).map_err(
        |errors| {
            anyhow::anyhow!(
                "the data set was not imported: nothing was written. {} bad row(s):\n{errors}",
                errors.0.len()
            )
        },
    )?;
    let mut batch = crate::data::store::delivery_of_data_set(&set);
    drop(set);
    if !personal.is_empty() {
        let Some(key) = &args.data_key else {
            anyhow::bail!(
                "the registers carry ID numbers or names: set ZHIDA_DATA_KEY to the server's data key, which encrypts them"
            );
        };
        let vault = crate::platform::crypto::Vault::from_config(key)?;
        crate::data::store::add_personal(&mut batch, &personal, &|kind, value| {
            vault.seal(kind, value)
        });
    }
    let db = Db::connect(&args.database_url).await?;
    db.migrate().await?;
    let applied = crate::data::store::apply(&db, None, crate::data::store::Source::Import, &batch)
        .await?
        .map_err(|problems| {
            anyhow::anyhow!(
                "the data set was not imported: {} problem(s), first: {:?}",
                problems.len(),
                problems.first()
            )
        })?;
    db.set_meta(
        crate::subsidies::matching::IMPORTED_KEY,
        &applied.batch_id.to_string(),
    )
    .await?;
    println!(
        "imported batch {}: {} records and fact sets, {} subjects changed, in {:.1} s",
        applied.batch_id,
        applied.records,
        applied.changed.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[derive(Debug, Args)]
pub struct DepartmentKeyArgs {
    /// public_security, civil_affairs, disabled_persons_federation, market_regulation, tax,
    /// partner_bank, gas_utility, human_resources or health.
    pub department: String,
    #[arg(
        long,
        env = "ZHIDA_DATABASE_URL",
        default_value = "sqlite://data/zhida.sqlite"
    )]
    pub database_url: String,
}

/// `zhida department-key`.
pub async fn department_key_command(args: &DepartmentKeyArgs) -> anyhow::Result<()> {
    let db = Db::connect(&args.database_url).await?;
    db.migrate().await?;
    let key = crate::accounts::departments::issue_key(&db, &args.department).await?;
    println!("{key}");
    eprintln!(
        "This is the only time the key is shown; the previous key of {} no longer works.",
        args.department
    );
    Ok(())
}

#[derive(Debug, Args)]
pub struct MatchArgs {
    /// The data set's folder (residents.csv, enterprises.csv, loan_interest.csv, gas_usage.csv).
    #[arg(long)]
    pub data: PathBuf,
    /// The month to evaluate, YYYY-MM; its first day is the reference date.
    #[arg(long, value_parser = parse_month)]
    pub month: rules::Month,
    /// The CSV to write: policy_id,subject_id,amount_fen.
    #[arg(long)]
    pub out: PathBuf,
    /// The folder of policy files to evaluate.
    #[arg(long, env = "ZHIDA_POLICIES", default_value = "policies")]
    pub policies: PathBuf,
    /// Threads to use (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print how long each phase took and the peak memory, to standard error.
    #[arg(long)]
    pub timings: bool,
}

#[derive(Debug, Args)]
pub struct ImpactArgs {
    /// The data set's folder.
    #[arg(long)]
    pub data: PathBuf,
    /// YYYY-MM.
    #[arg(long, value_parser = parse_month)]
    pub month: rules::Month,
    /// The policy file simulated (a draft).
    #[arg(long)]
    pub policy: PathBuf,
    /// The policy file in force to compare with (none: a new policy).
    #[arg(long)]
    pub against: Option<PathBuf>,
    /// How many times to run it over the data held in memory.
    #[arg(long, default_value_t = 1)]
    pub runs: usize,
}

/// `zhida impact`.
pub fn impact_command(args: &ImpactArgs) -> anyhow::Result<()> {
    let load = |path: &std::path::Path| -> anyhow::Result<rules::Policy> {
        let source =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Ok(rules::load(
            &path.display().to_string(),
            &source,
            rules::Catalogue::standard(),
        )?)
    };
    let policy = load(&args.policy)?;
    let against = args.against.as_deref().map(load).transpose()?;
    let (r, times, loading) = crate::cli::district::run_impact(
        &args.data,
        args.month,
        &policy,
        against.as_ref(),
        args.runs,
    )?;
    let t = r.total;
    println!(
        "{} subjects; eligible {} -> {}; newly {}, no longer {}, amount changed {}; cost per period {} -> {} fen, per year {} -> {} fen",
        r.subjects,
        t.eligible_before,
        t.eligible_after,
        t.newly,
        t.no_longer,
        t.amount_changed,
        t.cost_before,
        t.cost_after,
        t.cost_before * r.periods_a_year,
        t.cost_after * r.periods_a_year,
    );
    let ms: Vec<String> = times
        .iter()
        .map(|d| format!("{:.0}", d.as_secs_f64() * 1000.0))
        .collect();
    println!(
        "loading the data set into memory: {:.0} ms; each run over it (ms): {}",
        loading.as_secs_f64() * 1000.0,
        ms.join(" ")
    );
    Ok(())
}

#[derive(Debug, Args)]
pub struct GenArgs {
    #[arg(long)]
    pub residents: usize,
    #[arg(long)]
    pub enterprises: usize,
    /// The month the hard cases are built around, YYYY-MM.
    #[arg(long, value_parser = parse_month)]
    pub month: rules::Month,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The folder to write the four CSV files into (created if missing).
    #[arg(long)]
    pub out: PathBuf,
}

fn parse_month(s: &str) -> Result<rules::Month, String> {
    s.parse()
        .map_err(|()| format!("{s:?} is not a month: write YYYY-MM, e.g. 2026-03"))
}

/// `zhida match`.
pub fn match_command(args: &MatchArgs) -> anyhow::Result<()> {
    let policies = crate::cli::district::policies(&args.policies)?;
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from));
    let report =
        crate::cli::district::run_match(&args.data, args.month, &args.out, &policies, threads)?;
    if args.timings {
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
        eprintln!(
            "{} residents, {} enterprises, {} grants; read {:.0} ms, parse {:.0} ms, evaluate {:.0} ms, write {:.0} ms; peak memory {} MiB",
            report.residents,
            report.enterprises,
            report.grants,
            ms(report.read),
            ms(report.parse),
            ms(report.evaluate),
            ms(report.write),
            crate::cli::district::peak_memory_kib().map_or("?".to_owned(), |k| (k / 1024).to_string()),
        );
    }
    Ok(())
}

/// `zhida gen`.
pub fn gen_command(args: &GenArgs) -> anyhow::Result<()> {
    let params = dataset::gen::Params {
        residents: args.residents,
        enterprises: args.enterprises,
        month: args.month,
        seed: args.seed,
    };
    crate::cli::district::run_gen(&params, &args.out)
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
