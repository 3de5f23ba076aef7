//! Policy administration for staff: `/staff/policies` (every policy with its versions),
//! `/staff/policies/new` (a new policy's first draft) and, in [`version`], one version with
//! its editor, the comparison with the version in force, the impact sandbox and the decision.

mod basics;
pub mod diff;
mod editor;
mod evaluation;
mod impact;
pub mod version;

use api::account::{Me, Permission};
use api::policy_admin::{AdminPolicy, Stage};
use api::text::fill;
use leptos::prelude::*;

use crate::api_client;
use crate::i18n::Messages;
use crate::load::{act, load, show};
use crate::prefs::{pick, tr, use_prefs, use_title};
use crate::route::Route;
use crate::router::{use_navigate, Link};

/// The stage in words.
pub fn stage_text(m: &'static Messages, stage: Stage) -> &'static str {
    let t = &m.policy_admin;
    match stage {
        Stage::Draft => t.stage_draft,
        Stage::Review => t.stage_review,
        Stage::Scheduled => t.stage_scheduled,
        Stage::InForce => t.stage_in_force,
        Stage::Ended => t.stage_ended,
        Stage::Retired => t.stage_retired,
    }
}

/// The stage as a pill.
pub fn stage_badge(stage: Stage) -> impl IntoView {
    let prefs = use_prefs();
    let class = match stage {
        Stage::InForce => "badge status-paid",
        Stage::Review | Stage::Scheduled => "badge status-approved",
        Stage::Draft => "badge",
        Stage::Ended | Stage::Retired => "badge muted",
    };
    view! { <span class=class data-test="policy-stage">{move || stage_text(prefs.t(), stage)}</span> }
}

/// Whether the signed-in staff member holds `p`.
pub fn holds(p: Permission) -> impl Fn() -> bool + Copy {
    let auth = crate::session::use_auth();
    move || matches!(auth.me.get(), Some(Me::Staff { permissions, .. }) if permissions.contains(&p))
}

/// `/staff/policies`.
#[component]
pub fn AdminList() -> impl IntoView {
    let prefs = use_prefs();
    use_title(|m| m.policy_admin.title);
    let drafts = holds(Permission::PolicyAdmin);
    let list = load::<Vec<AdminPolicy>>(|| Some(api_client::admin_policies()));
    view! {
        <h1 class="page-title">{tr(|m| m.policy_admin.title)}</h1>
        <p class="lead">{tr(|m| m.policy_admin.lead)}</p>
        {move || drafts().then(|| view! {
            <p><Link to=Route::NewPolicy class="button">{tr(|m| m.policy_admin.new_policy)}</Link></p>
        })}
        {show(list, move |list: Vec<AdminPolicy>| view! {
            {list.is_empty().then(|| view! { <p class="empty-state">{tr(|m| m.policy_admin.empty)}</p> })}
            <ul class="rows" data-test="admin-policies">
                {list.into_iter().map(|p| {
                    let name = p.name.clone();
                    let id = p.id.clone();
                    let first = p.versions.iter().find(|v| matches!(v.stage, Stage::InForce | Stage::Scheduled)).or(p.versions.first()).cloned();
                    let to = first.as_ref().map_or(Route::PolicyAdmin, |v| Route::PolicyVersion(id.clone(), v.version));
                    view! {
                        <li class="row-item admin-policy" data-policy=id.clone()>
                            <div class="row-main">
                                <Link to>{move || pick(prefs.locale.get(), &name)}</Link>
                                {p.needs_evaluation.then(|| view! { <p class="hint warn" data-test="needs-evaluation">{tr(|m| m.policy_admin.needs_evaluation)}</p> })}
                                <ul class="versions">
                                    {p.versions.into_iter().map(|v| {
                                        let n = v.version;
                                        view! {
                                            <li data-version=n.to_string()>
                                                <Link to=Route::PolicyVersion(id.clone(), n)>{move || fill(prefs.t().policy_admin.version_n, &[("version", &n.to_string())])}</Link>
                                                " "
                                                {stage_badge(v.stage)}
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            </div>
                        </li>
                    }
                }).collect_view()}
            </ul>
        })}
    }
}

/// What a new policy's file starts from: every field a policy needs, to be filled in.
const TEMPLATE: &str = r#"id = "new-policy"
version = 1
sample = true
subject = "resident"
period = "monthly"
mode = "automatic"
category = "elderly"
keywords = []
name = { zh-CN = "新政策", en = "New policy" }
summary = { zh-CN = "一句话说明谁能领、领多少。", en = "Who receives it, and how much, in a sentence." }
effective = { from = "2027-01-01" }
legal_basis = { document = "", issuer = "", clause = "" }

[[criteria]]
id = "hukou"
label = { zh-CN = "户籍在禅城区", en = "Household registered in Chancheng" }
test = "hukou_district == '440604'"

[amount]
kind = "fixed"
fen = 10000
"#;

/// `/staff/policies/new`.
#[component]
pub fn NewPolicy() -> impl IntoView {
    use_title(|m| m.policy_admin.new_title);
    let source = RwSignal::new(TEMPLATE.to_owned());
    let navigate = use_navigate();
    let create = move |_| {
        let navigate = navigate.clone();
        act(api_client::new_policy(&source.get_untracked()), move |d| {
            navigate(Route::PolicyVersion(d.info.policy, d.info.version))
        });
    };
    view! {
        <h1 class="page-title">{tr(|m| m.policy_admin.new_title)}</h1>
        <p class="lead">{tr(|m| m.policy_admin.new_lead)}</p>
        <basics::Basics source />
        <editor::Editor source />
        <p class="button-row">
            <button class="button primary" data-test="create-policy" on:click=create>{tr(|m| m.policy_admin.create)}</button>
        </p>
        <p><Link to=Route::PolicyAdmin>{tr(|m| m.policy_admin.title)}</Link></p>
    }
}
