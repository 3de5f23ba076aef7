//! The account's profile (numbers masked), the enterprise it acts for, and logging out.

use api::account::{ActFor, EnterpriseRole, Me, Permission};
use api::text::fill;
use leptos::prelude::*;

use crate::api_client;
use crate::i18n::Messages;
use crate::prefs::{tr, use_prefs};
use crate::route::Route;
use crate::session::{self, use_auth};

/// Profile and acting-for switcher.
#[component]
pub fn Profile(account: Me) -> impl IntoView {
    let prefs = use_prefs();
    let auth = use_auth();
    // Logging out or switching whom one acts for changes the session: the app follows even if
    // the person has left this page meanwhile.
    let logout = move |_| session::log_out(auth, api_client::logout());
    let not_set = move || prefs.t().account.not_set.to_owned();
    let details = match account {
        Me::Person {
            phone,
            name,
            id_number,
            enterprises,
            acting_for,
            family,
            acting_for_person,
            ..
        } => {
            let choose = move |ev: leptos::ev::Event| {
                let value = event_target_value(&ev);
                // `e12` acts for enterprise 12, `p7` for family member 7, empty for oneself.
                let (kind, id) = value.split_at(value.len().min(1));
                let body = ActFor {
                    enterprise_id: (kind == "e").then(|| id.parse().ok()).flatten(),
                    person_id: (kind == "p").then(|| id.parse().ok()).flatten(),
                };
                session::change_account(auth, api_client::act_for(&body));
            };
            let has_enterprises = !enterprises.is_empty() || !family.is_empty();
            view! {
                <dl class="facts">
                    <dt>{tr(|m| m.account.name)}</dt>
                    <dd data-test="name">{name.unwrap_or_else(not_set)}</dd>
                    <dt>{tr(|m| m.account.phone)}</dt>
                    <dd data-test="phone">{phone}</dd>
                    <dt>{tr(|m| m.account.id_number)}</dt>
                    <dd data-test="id-number">{id_number.unwrap_or_else(not_set)}</dd>
                </dl>
                {has_enterprises.then(|| view! {
                    <label for="acting-for">{tr(|m| m.account.acting_for)}</label>
                    <select id="acting-for" data-test="acting-for" on:change=choose>
                        <option value="" selected=acting_for.is_none() && acting_for_person.is_none()>{tr(|m| m.account.act_self)}</option>
                        {enterprises.into_iter().map(|e| {
                            let role = move || role_text(prefs.t(), e.role, e.expires_on);
                            view! {
                                <option value=format!("e{}", e.id) selected=acting_for == Some(e.id)>
                                    {e.name.clone()} " · " {role}
                                </option>
                            }
                        }).collect_view()}
                        {family.into_iter().map(|f| {
                            let name = f.name.clone();
                            view! {
                                <option value=format!("p{}", f.id) selected=acting_for_person == Some(f.id)>
                                    {move || fill(prefs.t().account.acting_for_person, &[("name", &name)])}
                                </option>
                            }
                        }).collect_view()}
                    </select>
                })}
            }
            .into_any()
        }
        Me::Staff {
            display_name,
            department,
            permissions,
            ..
        } => {
            let admin = permissions.contains(&api::account::Permission::PolicyAdmin);
            let reviewer = permissions.contains(&api::account::Permission::LicenceReview);
            let claim_reviewer = permissions.contains(&api::account::Permission::SubsidyReview);
            let policy_staff = permissions.contains(&api::account::Permission::PolicyAdmin)
                || permissions.contains(&api::account::Permission::PolicyApprove);
            view! {
            <dl class="facts">
                <dt>{tr(|m| m.account.name)}</dt>
                <dd data-test="name">{display_name}</dd>
                <dt>{tr(|m| m.account.department)}</dt>
                <dd>{department}</dd>
                <dt>{tr(|m| m.account.permissions)}</dt>
                <dd>{move || permissions.iter().map(|p| permission_text(prefs.t(), *p)).collect::<Vec<_>>().join(prefs.t().common.list_separator)}</dd>
            </dl>
            {admin.then(|| view! {
                <p><a class="button" href=Route::Disbursement.path()>{tr(|m| m.disbursement.open)}</a></p>
                <p><a class="button" href=Route::Catalogue.path() data-test="open-catalogue">{tr(|m| m.licence.catalogue_title)}</a></p>
            })}
            {policy_staff.then(|| view! {
                <p><a class="button primary" href=Route::PolicyAdmin.path() data-test="open-policy-admin">{tr(|m| m.account.open_policy_admin)}</a></p>
            })}
            {claim_reviewer.then(|| view! {
                <p><a class="button primary" href=Route::ClaimQueue.path() data-test="open-claim-queue">{tr(|m| m.account.open_claim_queue)}</a></p>
            })}
            {reviewer.then(|| view! {
                <p><a class="button primary" href=Route::Workbench(None).path() data-test="open-workbench">{tr(|m| m.licence.workbench_title)}</a></p>
                <p><a class="button" href=Route::Figures.path()>{tr(|m| m.licence.figures_title)}</a></p>
            })}
            }
            .into_any()
        }
    };
    view! {
        <section class="panel" aria-labelledby="profile-title">
            <h2 id="profile-title">{tr(|m| m.account.profile)}</h2>
            {details}
            <button type="button" class="button" data-test="logout" on:click=logout>{tr(|m| m.account.logout)}</button>
        </section>
    }
}

fn role_text(m: &'static Messages, role: EnterpriseRole, until: Option<api::Date>) -> String {
    match role {
        EnterpriseRole::LegalRepresentative => m.account.role_representative.to_owned(),
        EnterpriseRole::Agent => fill(
            m.account.role_agent,
            &[(
                "date",
                &until.map(|d| crate::format::date(m, d)).unwrap_or_default(),
            )],
        ),
    }
}

fn permission_text(m: &'static Messages, p: Permission) -> &'static str {
    match p {
        Permission::LicenceReview => m.account.perm_licence_review,
        Permission::PolicyAdmin => m.account.perm_policy_admin,
        Permission::PolicyApprove => m.account.perm_policy_approve,
        Permission::SubsidyReview => m.account.perm_subsidy_review,
        Permission::RequestDispatch => m.account.perm_request_dispatch,
        Permission::Admin => m.account.perm_admin,
    }
}
