//! `zhida`: the server binary (see `zhida --help`).

use clap::Parser;
use server::cli::{self, Cli, Command};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => {
            cli::init_logging(args.log_format);
            cli::serve(args).await
        }
        Command::Match(args) => cli::match_command(&args),
        Command::Gen(args) => cli::gen_command(&args),
        Command::Impact(args) => cli::impact_command(&args),
        Command::DepartmentKey(args) => cli::department_key_command(&args).await,
        Command::Import(args) => cli::import_command(&args).await,
        Command::Staff(args) => cli::staff_command(&args).await,
        Command::RunMonth(args) => {
            cli::init_logging(cli::LogFormat::Text);
            cli::run_month_command(&args).await
        }
        Command::Keygen => {
            println!("{}", server::platform::crypto::Vault::generate_key());
            Ok(())
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("zhida: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
