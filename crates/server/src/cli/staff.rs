//! `zhida staff`: staff accounts made, re-linked and ended from the command line. No staff
//! account exists outside demo mode unless made this way.

use clap::{Args, Subcommand};

use api::account::Permission;

use crate::accounts::enrolment;
use crate::platform::db::Db;

#[derive(Debug, Args)]
pub struct StaffArgs {
    #[command(subcommand)]
    pub action: StaffAction,
    #[arg(
        long,
        global = true,
        env = "ZHIDA_DATABASE_URL",
        default_value = "sqlite://data/zhida.sqlite"
    )]
    pub database_url: String,
    /// The address people reach Zhida at: the enrolment link starts with it.
    #[arg(
        long,
        global = true,
        env = "ZHIDA_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub public_url: String,
}

#[derive(Debug, Subcommand)]
pub enum StaffAction {
    /// Make an account; prints its one-time enrolment link (valid three days).
    Add {
        #[arg(long)]
        username: String,
        /// The name colleagues and the public see, e.g. 张审批.
        #[arg(long)]
        name: String,
        /// The staff member's department, e.g. 禅城区行政服务中心.
        #[arg(long)]
        department: String,
        /// licence_review, policy_admin, request_dispatch or admin; repeat for several.
        #[arg(long = "role", required = true, value_parser = parse_role)]
        roles: Vec<Permission>,
    },
    /// Start enrolment again (a lost phone): the password, authenticator and recovery codes
    /// are void and every session ends; prints a new link.
    Relink {
        #[arg(long)]
        username: String,
    },
    /// End an account: it cannot log in again, and every session ends now.
    Disable {
        #[arg(long)]
        username: String,
    },
}

fn parse_role(s: &str) -> Result<Permission, String> {
    Permission::parse(s).ok_or_else(|| {
        format!("{s:?} is not a role: licence_review, policy_admin, request_dispatch or admin")
    })
}

/// The link a new or re-linked staff member opens.
pub fn enrolment_link(public_url: &str, token: &str) -> String {
    format!("{}/staff/enrol?t={token}", public_url.trim_end_matches('/'))
}

pub async fn staff_command(args: &StaffArgs) -> anyhow::Result<()> {
    let db = Db::connect(&args.database_url).await?;
    db.migrate().await?;
    match &args.action {
        StaffAction::Add {
            username,
            name,
            department,
            roles,
        } => {
            let token = enrolment::provision(&db, username, name, department, roles).await?;
            println!(
                "{} must open this link within {} hours to set a password and an authenticator:",
                username.trim().to_lowercase(),
                enrolment::LINK_HOURS
            );
            println!("{}", enrolment_link(&args.public_url, &token));
        }
        StaffAction::Relink { username } => {
            let token = enrolment::relink(&db, username).await?;
            println!("{}", enrolment_link(&args.public_url, &token));
        }
        StaffAction::Disable { username } => {
            enrolment::disable(&db, username).await?;
            println!("{username} can no longer log in; their sessions have ended.");
        }
    }
    Ok(())
}
