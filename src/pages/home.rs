//! The home of a signed-in resident or enterprise (免申即享): money received this year, what
//! needs their action, recent grants and their payments, messages; all updating live.

use api::account::Me;
use api::subsidy::{ApplyOffer, GrantDecision, GrantStatus, GrantSummary, Home, Notification};
use api::text::fill;
use leptos::prelude::*;

use crate::api_client;
use crate::format;
use crate::i18n::{Locale, Messages};
use crate::load::{act, bump, load, show};
use crate::prefs::{tr, use_prefs, use_title};
use crate::route::Route;
use crate::router::Link;

/// Text in the current language.
pub use crate::prefs::pick;

pub fn status_text(m: &Messages, s: GrantStatus) -> &'static str {
    let t = &m.subsidy;
    match s {
        GrantStatus::Matched => t.status_matched,
        GrantStatus::AwaitingConsent => t.status_awaiting_consent,
        GrantStatus::Approved => t.status_approved,
        GrantStatus::PaymentInstructed => t.status_payment_instructed,
        GrantStatus::Paid => t.status_paid,
        GrantStatus::Declined => t.status_declined,
        GrantStatus::Revoked => t.status_revoked,
        GrantStatus::Expired => t.status_expired,
    }
}

/// A counter that goes up whenever the server says something of ours changed; pages read it to
/// load again. The stream closes with the page.
pub fn live_changes() -> (RwSignal<u32>, RwSignal<bool>) {
    crate::pages::licence::live(api_client::events())
}

fn notification_text(m: &Messages, locale: Locale, n: &Notification) -> String {
    let t = &m.subsidy;
    let template = match n.kind.as_str() {
        "granted" => t.kind_granted,
        "consent_needed" => t.kind_consent_needed,
        "paid" => t.kind_paid,
        "revoked" => t.kind_revoked,
        "objection_answered" => t.kind_objection_answered,
        "can_apply" => t.kind_can_apply,
        "policy_retired" => t.kind_policy_retired,
        "claim_returned" => t.kind_claim_returned,
        "claim_rejected" => t.kind_claim_rejected,
        _ => t.kind_expired,
    };
    let name = n.name.as_ref().map(|b| pick(locale, b)).unwrap_or_default();
    let amount = n.amount_fen.map(format::money).unwrap_or_default();
    fill(template, &[("name", &name), ("amount", &amount)])
}

/// One grant in a list: name, period, amount, status, link to its receipt.
pub fn grant_row(g: GrantSummary) -> impl IntoView {
    let prefs = use_prefs();
    let href = Route::Grant(g.id).path();
    let status = g.status;
    let name = g.name.clone();
    let period = g.period.clone();
    view! {
        <li class="row-item" data-test="grant" data-policy=g.policy.clone() data-status=status.as_str()>
            <div>
                <a href=href>{move || pick(prefs.locale.get(), &name)}</a>
                <p class="hint">{move || fill(prefs.t().subsidy.period, &[("period", &period)])}</p>
            </div>
            <div class="row-end">
                <strong>{format::money(g.amount_fen)}</strong>
                <span class=format!("badge status-{}", status.as_str())>{move || status_text(prefs.t(), status)}</span>
            </div>
        </li>
    }
}

/// 我的补贴.
#[component]
pub fn HomePage() -> impl IntoView {
    let prefs = use_prefs();
    let auth = crate::session::use_auth();
    use_title(|m| m.subsidy.title);
    let (tick, updated) = live_changes();
    let home = load::<Home>(move || {
        tick.get();
        Some(api_client::home())
    });
    view! {
        <h1 class="page-title">{tr(|m| m.subsidy.title)}</h1>
        <p class="visually-hidden" role="status" aria-live="polite">{move || updated.get().then(|| tr(|m| m.subsidy.updated)())}</p>
        {show(home, move |h: Home| {
            if h.audience.is_none() {
                // Someone not yet linked to the registers is told how to be found.
                let unverified = matches!(
                    auth.me.get_untracked(),
                    Some(Me::Person { id_number: None, acting_for: None, acting_for_person: None, .. })
                );
                if unverified {
                    return view! {
                        <p class="panel" data-test="needs-identity">
                            {tr(|m| m.subsidy.unknown_unverified)}" "
                            <Link to=Route::Me>{tr(|m| m.subsidy.record_identity)}</Link>
                        </p>
                    }
                    .into_any();
                }
                return view! { <p class="panel">{tr(|m| m.subsidy.unknown)}</p> }.into_any();
            }
            let nothing = h.awaiting_consent.is_empty() && h.can_apply.is_empty();
            let unread = h.unread;
            view! {
                <section class="panel total" aria-labelledby="received-title">
                    <h2 id="received-title">{tr(|m| m.subsidy.received_this_year)}</h2>
                    <p class="amount" data-test="received">{format::money(h.received_this_year_fen)}</p>
                </section>
                <section class="panel" aria-labelledby="actions-title">
                    <h2 id="actions-title">{tr(|m| m.subsidy.actions_title)}</h2>
                    {nothing.then(|| view! { <p>{tr(|m| m.subsidy.no_actions)}</p> })}
                    <ul class="rows">
                        {h.awaiting_consent.into_iter().map(|g| {
                            let (id, name) = (g.id, g.name.clone());
                            let deadline = g.consent_deadline.clone().unwrap_or_default();
                            view! {
                                <li class="row-item" data-test="consent" data-policy=g.policy.clone()>
                                    <div>
                                        <a href=Route::Grant(id).path()>{move || pick(prefs.locale.get(), &name)}</a>
                                        <p class="hint">{move || { let m = prefs.t(); fill(m.subsidy.consent_until, &[("date", &format::stamp(m, &deadline))]) }}</p>
                                    </div>
                                    <div class="row-end">
                                        <strong>{format::money(g.amount_fen)}</strong>
                                        <button class="button primary" on:click=move |_| act(api_client::decide(id, GrantDecision::Consent), move |_| bump(tick))>{tr(|m| m.subsidy.consent)}</button>
                                        <button class="button" on:click=move |_| act(api_client::decide(id, GrantDecision::Decline), move |_| bump(tick))>{tr(|m| m.subsidy.decline)}</button>
                                    </div>
                                </li>
                            }
                        }).collect_view()}
                        {h.can_apply.into_iter().map(|o: ApplyOffer| {
                            let name = o.name.clone();
                            let policy = o.policy.clone();
                            view! {
                                <li class="row-item" data-test="apply" data-policy=o.policy.clone()>
                                    <div>
                                        <a href=Route::Policy(o.policy.clone()).path()>{move || pick(prefs.locale.get(), &name)}</a>
                                        <p class="hint">{tr(|m| m.subsidy.apply_hint)}</p>
                                    </div>
                                    <div class="row-end">
                                        <strong>{format::money(o.amount_fen)}</strong>
                                        <button class="button primary" on:click=move |_| act(api_client::apply(&policy), move |_| bump(tick))>{tr(|m| m.subsidy.apply)}</button>
                                    </div>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </section>
                <section class="panel" aria-labelledby="recent-title">
                    <h2 id="recent-title">{tr(|m| m.subsidy.recent_title)}</h2>
                    {h.recent.is_empty().then(|| view! { <p>{tr(|m| m.subsidy.no_grants)}</p> })}
                    <ul class="rows" data-test="recent">{h.recent.into_iter().map(grant_row).collect_view()}</ul>
                </section>
                <section class="panel" aria-labelledby="messages-title">
                    <h2 id="messages-title">
                        {tr(|m| m.subsidy.notifications_title)}
                        {(unread > 0).then(|| view! { " " <span class="badge" data-test="unread">{move || fill(prefs.t().subsidy.unread, &[("count", &unread.to_string())])}</span> })}
                    </h2>
                    {h.notifications.is_empty().then(|| view! { <p>{tr(|m| m.subsidy.no_notifications)}</p> })}
                    <ul class="rows" data-test="notifications">
                        {h.notifications.into_iter().map(|n| {
                            let when = n.created_at.clone();
                            let unread = !n.read;
                            let kind = n.kind.clone();
                            let policy = n.policy.clone().unwrap_or_default();
                            let claim = n.claim;
                            view! {
                                <li class="row-item" class:unread=unread data-kind=kind.clone() data-policy=policy>
                                    <span>
                                        {move || notification_text(prefs.t(), prefs.locale.get(), &n)}
                                        // The action is where the person acts: the list of what waits for them.
                                        {(kind == "can_apply").then(|| view! { " " <a href="#actions-title" data-test="go-apply">{tr(|m| m.subsidy.go_apply)}</a> })}
                                        {claim.map(|c| view! { " " <a href=Route::Claim(c).path() data-test="open-claim">{tr(|m| m.claim.open_mine)}</a> })}
                                    </span>
                                    <span class="hint">{move || format::stamp(prefs.t(), &when)}</span>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                    {(unread > 0).then(|| view! { <button class="button" on:click=move |_| act(api_client::read_notifications(), move |_| bump(tick))>{tr(|m| m.subsidy.mark_read)}</button> })}
                </section>
            }.into_any()
        })}
    }
}
