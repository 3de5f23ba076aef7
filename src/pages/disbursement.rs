//! `/staff/disbursement` (policy administrators): grants by policy and status with their
//! amounts, failed payments with a retry button, and the money paid per month.

use api::subsidy::{Disbursement, MonthPaid};
use api::text::fill;
use leptos::prelude::*;

use crate::api_client;
use crate::format;
use crate::load::{act, bump, load, show};
use crate::pages::home::{pick, status_text};
use crate::prefs::{tr, use_prefs, use_title};

/// A bar chart of money paid per month (SVG, with the figures as text for screen readers).
fn chart(months: &[MonthPaid]) -> impl IntoView {
    let max = months
        .iter()
        .map(|m| m.amount_fen)
        .max()
        .unwrap_or(1)
        .max(1);
    let width = 48 * months.len().max(1);
    view! {
        <svg class="chart" role="img" aria-labelledby="chart-title" viewBox=format!("0 0 {width} 130") width=width.to_string() height="130">
            {months.iter().enumerate().map(|(i, m)| {
                let h = (m.amount_fen as f64 / max as f64 * 100.0).round();
                let x = i * 48 + 8;
                view! {
                    <rect x=x.to_string() y=(110.0 - h).to_string() width="32" height=h.to_string() class="bar" />
                    <text x=(x + 16).to_string() y="125" text-anchor="middle" class="axis">{m.month[5..].to_owned()}</text>
                }
            }).collect_view()}
        </svg>
        <ul class="visually-hidden">
            {months.iter().map(|m| view! { <li>{format!("{}: {}", m.month, format::money(m.amount_fen))}</li> }).collect_view()}
        </ul>
    }
}

#[component]
pub fn DisbursementPage() -> impl IntoView {
    let prefs = use_prefs();
    use_title(|m| m.disbursement.title);
    let reload = RwSignal::new(0u32);
    let board = load::<Disbursement>(move || {
        reload.get();
        Some(api_client::disbursement())
    });
    let retry = move |id: i64| act(api_client::retry_payment(id), move |()| bump(reload));
    view! {
        <h1 class="page-title">{tr(|m| m.disbursement.title)}</h1>
        {show(board, move |b: Disbursement| view! {
            <section class="panel" aria-labelledby="chart-title">
                <h2 id="chart-title">{tr(|m| m.disbursement.paid_by_month)}</h2>
                {chart(&b.paid_by_month)}
            </section>
            <section class="panel" aria-labelledby="failed-title">
                <h2 id="failed-title">{tr(|m| m.disbursement.failed)}</h2>
                {b.failed.is_empty().then(|| view! { <p>{tr(|m| m.disbursement.no_failed)}</p> })}
                <ul class="rows" data-test="failed">
                    {b.failed.into_iter().map(|p| {
                        let (id, error_text) = (p.id, p.error.clone().unwrap_or_default());
                        view! {
                            <li class="row-item">
                                <div>
                                    <strong>{format!("{} · {}", p.policy, format::money(p.amount_fen))}</strong>
                                    <p class="hint">{move || fill(prefs.t().disbursement.attempts, &[("count", &p.attempts.to_string())])}" · "{error_text}</p>
                                </div>
                                <button class="button" on:click=move |_| retry(id)>{tr(|m| m.disbursement.retry)}</button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
            <section class="panel" aria-labelledby="tally-title">
                <h2 id="tally-title">{tr(|m| m.disbursement.by_policy)}</h2>
                <table class="table" data-test="tallies">
                    <thead><tr>
                        <th scope="col">{tr(|m| m.disbursement.policy)}</th>
                        <th scope="col">{tr(|m| m.disbursement.status)}</th>
                        <th scope="col">{tr(|m| m.disbursement.count)}</th>
                        <th scope="col">{tr(|m| m.disbursement.amount)}</th>
                    </tr></thead>
                    <tbody>
                        {b.tallies.into_iter().map(|t| view! {
                            <tr>
                                <td>{move || pick(prefs.locale.get(), &t.name)}</td>
                                <td>{move || status_text(prefs.t(), t.status)}</td>
                                <td>{t.count}</td>
                                <td>{format::money(t.amount_fen)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
        })}
    }
}
