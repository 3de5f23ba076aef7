//! `/policies`: the public policy library: search in Chinese or English, filter, and open a
//! policy. No login needed.

use api::policy::{AmountInfo, Audience, GrantMode, PayPeriod, PolicyInfo};
use api::text::fill;
use leptos::prelude::*;

use crate::api_client::{self, PolicySearch};
use crate::format;
use crate::i18n::{Locale, Messages};
use crate::load::{load, show};
use crate::prefs::{tr, use_prefs, use_title, Key};
use crate::route::Route;
use crate::router::Link;

/// The policy library.
#[component]
pub fn Policies() -> impl IntoView {
    let prefs = use_prefs();
    use_title(|m| m.policies.title);
    let q = RwSignal::new(String::new());
    let audience = RwSignal::new(String::new());
    let mode = RwSignal::new(String::new());
    let status = RwSignal::new("in_force".to_owned());
    let results = load::<Vec<PolicyInfo>>(move || {
        Some(api_client::policies(&PolicySearch {
            q: q.get(),
            audience: audience.get(),
            mode: mode.get(),
            status: status.get(),
        }))
    });
    let select = |id: &'static str,
                  label: Key,
                  value: RwSignal<String>,
                  options: Vec<(&'static str, Key)>| {
        view! {
            <div class="filter">
                <label for=id>{tr(label)}</label>
                <select id=id on:change=move |ev| value.set(event_target_value(&ev))>
                    {options.into_iter().map(|(v, text)| view! { <option value=v selected=move || value.get() == v>{tr(text)}</option> }).collect_view()}
                </select>
            </div>
        }
    };
    view! {
        <h1 class="page-title">{tr(|m| m.policies.title)}</h1>
        <p class="lead">{tr(|m| m.policies.intro)}</p>
        <div class="panel form library-filters" role="search">
            <label for="policy-search">{tr(|m| m.policies.search_label)}</label>
            <p class="hint" id="policy-search-hint">{tr(|m| m.policies.search_hint)}</p>
            <p><crate::app::SelfCheckLink /></p>
            <input id="policy-search" type="search" aria-describedby="policy-search-hint" prop:value=q on:input=move |ev| q.set(event_target_value(&ev)) />
            <div class="filters">
                {select("filter-audience", |m| m.policies.audience_label, audience, vec![("", |m| m.policies.all), ("resident", |m| m.policies.audience_resident), ("enterprise", |m| m.policies.audience_enterprise)])}
                {select("filter-mode", |m| m.policies.mode_label, mode, vec![("", |m| m.policies.all), ("automatic", |m| m.policies.mode_filter_automatic), ("apply", |m| m.policies.mode_filter_apply)])}
                {select("filter-status", |m| m.policies.status_label, status, vec![("in_force", |m| m.policies.status_in_force), ("retired", |m| m.policies.status_retired), ("all", |m| m.policies.all)])}
            </div>
        </div>
        {show(results, move |list: Vec<PolicyInfo>| {
            let count = list.len();
            view! {
                <p class="hint" role="status" data-test="policy-count">{move || fill(prefs.t().policies.count, &[("count", &count.to_string())])}</p>
                {(count == 0).then(|| view! { <p class="empty-state">{tr(|m| m.policies.no_results)}</p> })}
                <ul class="cards policy-list" data-test="policies">
                    {list.into_iter().map(|p| view! { <PolicyCard policy=p /> }).collect_view()}
                </ul>
            }
        })}
    }
}

/// One policy in the list.
#[component]
fn PolicyCard(policy: PolicyInfo) -> impl IntoView {
    let prefs = use_prefs();
    let href = Route::Policy(policy.id.clone()).path();
    let p = StoredValue::new(policy);
    view! {
        <li class="card policy-card">
            <h2 class="card-title">
                <a href=href>{move || name(prefs.locale.get(), &p.get_value())}</a>
            </h2>
            <p class="badges">
                <span class="badge">{move || badge(prefs.t(), p.get_value().mode)}</span>
                <span class="badge muted">{move || audience(prefs.t(), p.get_value().audience)}</span>
            </p>
            <p>{move || summary(prefs.locale.get(), &p.get_value())}</p>
            <p class="amount">{move || amount_text(prefs.t(), prefs.locale.get(), &p.get_value())}</p>
        </li>
    }
}

pub fn name(locale: Locale, p: &PolicyInfo) -> String {
    match locale {
        Locale::ZhCn => p.name.zh_cn.clone(),
        Locale::En => p.name.en.clone(),
    }
}

pub fn summary(locale: Locale, p: &PolicyInfo) -> String {
    match locale {
        Locale::ZhCn => p.summary.zh_cn.clone(),
        Locale::En => p.summary.en.clone(),
    }
}

pub fn badge(m: &'static Messages, mode: GrantMode) -> &'static str {
    match mode {
        GrantMode::Automatic => m.policies.badge_automatic,
        GrantMode::AutomaticAfterConsent => m.policies.badge_automatic_after_consent,
        GrantMode::ApplyInstant => m.policies.badge_apply_instant,
        GrantMode::ApplyReviewed => m.policies.badge_apply_reviewed,
    }
}

pub fn audience(m: &'static Messages, a: Audience) -> &'static str {
    match a {
        Audience::Resident => m.policies.audience_resident,
        Audience::Enterprise => m.policies.audience_enterprise,
    }
}

/// How much a policy pays, in a sentence.
pub fn amount_text(m: &'static Messages, locale: Locale, p: &PolicyInfo) -> String {
    let t = &m.policies;
    let period = match p.period {
        PayPeriod::Monthly => t.period_monthly,
        PayPeriod::Annual => t.period_annual,
        PayPeriod::Once => t.period_once,
    };
    let pick = |b: &api::policy::Bilingual| match locale {
        Locale::ZhCn => b.zh_cn.clone(),
        Locale::En => b.en.clone(),
    };
    match &p.amount {
        AmountInfo::Fixed { fen } => fill(
            t.amount_fixed,
            &[("period", period), ("money", &format::money(*fen))],
        ),
        AmountInfo::Tiered { measure, tiers } => {
            let measure = pick(measure);
            let steps: Vec<String> = tiers
                .iter()
                .map(|tier| {
                    fill(
                        t.amount_tier,
                        &[
                            ("measure", &measure),
                            ("from", &tier.from.to_string()),
                            ("money", &format::money(tier.fen)),
                        ],
                    )
                })
                .collect();
            format!("{} {}", period, steps.join(m.common.clause_separator))
        }
        AmountInfo::Proportional {
            base,
            base_is_money,
            numerator,
            denominator,
            floor,
            cap,
        } => {
            let base = pick(base);
            let mut text = if *base_is_money {
                let percent = if (numerator * 100) % denominator == 0 {
                    format!("{}%", numerator * 100 / denominator)
                } else {
                    format!("{numerator}/{denominator}")
                };
                fill(
                    t.amount_percent,
                    &[("period", period), ("base", &base), ("percent", &percent)],
                )
            } else {
                fill(
                    t.amount_per_unit,
                    &[
                        ("period", period),
                        ("base", &base),
                        ("money", &format::money(numerator / denominator)),
                    ],
                )
            };
            if let Some(f) = floor {
                text.push_str(&fill(t.amount_floor, &[("money", &format::money(*f))]));
            }
            if let Some(c) = cap {
                text.push_str(&fill(t.amount_cap, &[("money", &format::money(*c))]));
            }
            text
        }
    }
}

/// An article citation in the reader's language.
fn clause(locale: Locale, text: &str) -> String {
    if locale == Locale::ZhCn {
        text.to_owned()
    } else {
        format::clause_en(text)
    }
}

/// `/policies/{id}`: one policy in full.
#[component]
pub fn PolicyDetail(id: String) -> impl IntoView {
    let prefs = use_prefs();
    let policy = load::<PolicyInfo>(move || Some(api_client::policy(&id)));
    Effect::new(move || {
        if let Some(Ok(p)) = policy.get() {
            let m = prefs.t();
            document().set_title(&format!(
                "{} · {}",
                name(prefs.locale.get(), &p),
                m.app.name
            ));
        }
    });
    view! {
        <p><Link to=Route::Policies>{tr(|m| m.policies.back)}</Link></p>
        {show(policy, move |p: PolicyInfo| {
            let check_id = p.id.clone();
            let p = StoredValue::new(p);
            let criteria = p.get_value().criteria;
            let bases = p.get_value().criteria_basis;
            let amount_basis = p.get_value().amount_basis;
            view! {
                <h1 class="page-title">{move || name(prefs.locale.get(), &p.get_value())}</h1>
                <p class="badges">
                    <span class="badge">{move || badge(prefs.t(), p.get_value().mode)}</span>
                    <span class="badge muted">{move || audience(prefs.t(), p.get_value().audience)}</span>
                </p>
                {p.get_value().retirement.map(|r| view! {
                    <p class="notice-retired" role="note" data-test="retired-notice">{move || {
                        let m = prefs.t();
                        let kind = match r.kind {
                            api::policy_admin::RetirementKind::Repealed => m.policies.retired_repealed,
                            api::policy_admin::RetirementKind::Expired => m.policies.retired_expired,
                        };
                        fill(m.policies.retired_notice, &[("kind", kind), ("date", &format::date(m, r.last_day)), ("notice", &r.notice)])
                    }}</p>
                })}
                {p.get_value().sample.then(|| view! { <p class="demo-hint" role="note">{tr(|m| m.policies.sample_notice)}</p> })}
                <p class="lead">{move || summary(prefs.locale.get(), &p.get_value())}</p>
                {eligibility(check_id)}
                <section class="panel" aria-labelledby="criteria-title">
                    <h2 id="criteria-title">{tr(|m| m.policies.criteria_title)}</h2>
                    <ul data-test="criteria">
                        {criteria.into_iter().zip(bases.into_iter().chain(std::iter::repeat(None))).map(|(c, basis)| view! {
                            <li>
                                {move || if prefs.locale.get() == Locale::ZhCn { c.zh_cn.clone() } else { c.en.clone() }}
                                {basis.map(|b| view! { <span class="basis">{move || fill(prefs.t().policies.basis, &[("clause", &clause(prefs.locale.get(), &b))])}</span> })}
                            </li>
                        }).collect_view()}
                    </ul>
                </section>
                <section class="panel" aria-labelledby="amount-title">
                    <h2 id="amount-title">{tr(|m| m.policies.amount_title)}</h2>
                    <p data-test="amount">{move || amount_text(prefs.t(), prefs.locale.get(), &p.get_value())}</p>
                    {amount_basis.map(|b| view! { <p class="basis">{move || fill(prefs.t().policies.basis, &[("clause", &clause(prefs.locale.get(), &b))])}</p> })}
                </section>
                <section class="panel" aria-labelledby="legal-title">
                    <h2 id="legal-title">{tr(|m| m.policies.legal_title)}</h2>
                    <p>{move || { let v = p.get_value(); format!("{} · {} · {}", v.legal_document, v.legal_issuer, clause(prefs.locale.get(), &v.legal_clause)) }}</p>
                    <p>{move || {
                        let v = p.get_value();
                        let m = prefs.t();
                        let mut text = fill(m.policies.since, &[("date", &format::date(m, v.effective_from))]);
                        if let Some(u) = v.effective_until {
                            text.push_str(&fill(m.policies.until, &[("date", &format::date(m, u))]));
                        }
                        text
                    }}</p>
                </section>
            }
        })}
    }
}

/// Whether the signed-in person qualifies (the signed-in bundle); the way in for a visitor.
#[cfg(feature = "account")]
fn eligibility(id: String) -> impl IntoView {
    view! { <crate::pages::check::EligibilityPanel id /> }
}

#[cfg(not(feature = "account"))]
fn eligibility(_id: String) -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="check-title" data-test="check">
            <h2 id="check-title">{tr(|m| m.subsidy.check_title)}</h2>
            <p><Link to=Route::Login>{tr(|m| m.subsidy.check_login)}</Link></p>
        </section>
    }
}
