//! The end-to-end suite: the real server and the built app, driven in headless Chromium through
//! chromedriver, at a phone and a desktop viewport. Every page visited is checked with axe-core
//! and for console errors. Run by `cargo xtask test` (which builds the app and the server first).

mod accounts;
mod browse;
mod claims;
mod harness;
mod licences;
mod people;
mod policies;
mod policy_lifecycle;
mod subsidies;
mod visitors;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use harness::{Driver, Server, TestResult};

/// What every scenario runs against: the server and the browser driver, started once.
pub(crate) struct Ctx {
    pub(crate) server: Server,
    pub(crate) driver: Driver,
}

type Scenario = for<'a> fn(&'a Ctx) -> Pin<Box<dyn Future<Output = TestResult> + 'a>>;

/// The scenarios, each named by its function (what `-- <filter>` matches).
macro_rules! scenarios {
    ($($feature:ident :: $name:ident),* $(,)?) => {
        [$((stringify!($name), (|ctx| Box::pin($feature::$name(ctx))) as Scenario)),*]
    };
}

fn main() {
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let ctx = Ctx {
        server: Server::start(),
        driver: Driver::start(),
    };
    let all = scenarios!(
        visitors::landing_page_on_a_phone_in_both_languages,
        visitors::landing_page_on_a_desktop_in_both_languages,
        visitors::language_and_elder_mode_are_remembered_across_reloads,
        visitors::deep_links_open_directly_on_a_phone,
        visitors::deep_links_open_directly_on_a_desktop,
        visitors::a_browser_without_webassembly_sees_the_upgrade_message,
        visitors::the_checks_themselves_catch_problems,
        accounts::a_resident_logs_in_with_phone_and_code_and_sees_their_own_data,
        accounts::a_wrong_code_is_refused_in_words,
        accounts::staff_log_in_with_password_and_authenticator_code,
        accounts::logging_out_kills_the_session_on_the_server,
        accounts::a_representative_authorises_and_revokes_an_agent,
        accounts::an_agent_switches_to_act_for_the_enterprise,
        accounts::a_new_resident_records_their_identity,
        policies::the_policy_library_searches_in_both_languages,
        accounts::wechat_s_browser_logs_in_binds_once_then_logs_in_by_itself,
        subsidies::a_resident_sees_a_new_allowance_arrive_live_then_paid,
        subsidies::an_enterprise_accepts_one_subsidy_and_applies_for_another,
        policies::the_policy_calculator_works_in_the_browser_alone,
        subsidies::an_agent_acts_within_scope_and_is_refused_outside_it_and_after_revocation,
        licences::a_pharmacy_gets_its_licence_in_one_form_and_anyone_can_verify_it,
        licences::a_policy_administrator_edits_the_permit_catalogue,
        subsidies::an_elder_s_receipt_reads_plainly_and_shows_no_failed_branch,
        licences::leaving_a_form_mid_save_keeps_the_app_alive,
        accounts::wechat_never_leads_to_a_dead_end,
        people::outside_demo_mode_a_resident_records_her_identity_and_finds_her_grant,
        people::a_daughter_acts_for_her_father_until_he_revokes_her,
        people::a_staff_member_made_by_the_command_line_enrols_and_works,
        policy_lifecycle::a_raise_is_drafted_simulated_approved_and_paid_from_its_date,
        claims::an_application_is_returned_once_approved_and_paid,
    );
    let mut failures = Vec::new();
    let mut passed = 0;
    for (name, scenario) in all {
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        let outcome = runtime.block_on(async {
            tokio::time::timeout(Duration::from_secs(180), scenario(&ctx))
                .await
                .unwrap_or_else(|_| Err("timed out after 180 s".into()))
        });
        match outcome {
            Ok(()) => {
                passed += 1;
                println!("test {name} ... ok");
            }
            Err(e) => {
                println!("test {name} ... FAILED");
                failures.push((name, e.to_string()));
            }
        }
    }
    for (name, error) in &failures {
        println!("\n---- {name} ----\n{error}");
    }
    println!("\ne2e: {passed} passed, {} failed", failures.len());
    drop(ctx);
    let _ = std::fs::remove_dir_all(harness::run_dir());
    std::process::exit(if failures.is_empty() { 0 } else { 1 });
}
