//! The impact sandbox (政策沙盘) on a version's page: the simulation's figures, a breakdown per
//! street, age band, disability grade, industry or size with bars, the histogram of amounts, a
//! masked sample, and the whole as CSV.

use api::policy_admin::{Breakdown, BreakdownBy, Impact, ImpactTally};
use api::text::fill;
use leptos::prelude::*;

use crate::api_client;
use crate::format;
use crate::i18n::Messages;
use crate::load::{spawn_request, Put};

/// Fen as yuan for a spreadsheet: `1234.50`, `-0.05` (integer arithmetic, no symbol).
fn yuan_cell(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    format!(
        "{sign}{}.{:02}",
        fen.unsigned_abs() / 100,
        fen.unsigned_abs() % 100
    )
}

fn by_code(by: BreakdownBy) -> &'static str {
    match by {
        BreakdownBy::Street => "street",
        BreakdownBy::AgeBand => "age_band",
        BreakdownBy::DisabilityGrade => "disability_grade",
        BreakdownBy::Industry => "industry",
        BreakdownBy::Size => "size",
    }
}
use crate::prefs::{tr, use_prefs};

fn by_title(m: &'static Messages, by: BreakdownBy) -> &'static str {
    let t = &m.policy_admin;
    match by {
        BreakdownBy::Street => t.by_street,
        BreakdownBy::AgeBand => t.by_age_band,
        BreakdownBy::DisabilityGrade => t.by_disability_grade,
        BreakdownBy::Industry => t.by_industry,
        BreakdownBy::Size => t.by_size,
    }
}

/// A group's key in words ("90-99" → "90–99 岁").
pub fn group_text(m: &'static Messages, by: BreakdownBy, key: &str) -> String {
    let t = &m.policy_admin;
    if key.is_empty() {
        return t.group_unknown.to_owned();
    }
    let band = key.replace('-', "–");
    match by {
        BreakdownBy::Street => key.to_owned(),
        BreakdownBy::AgeBand => fill(t.age_band, &[("band", &band)]),
        BreakdownBy::DisabilityGrade if key == "0" => t.grade_0.to_owned(),
        BreakdownBy::DisabilityGrade => fill(t.grade_n, &[("grade", key)]),
        BreakdownBy::Industry => {
            let section = key
                .parse()
                .ok()
                .and_then(|division| rules::Catalogue::standard().industry_section(division));
            let zh = std::ptr::eq(m, crate::i18n::Locale::ZhCn.messages());
            match section {
                Some(s) => {
                    let name = if zh { &s.name.zh_cn } else { &s.name.en };
                    fill(t.industry, &[("code", key), ("section", name)])
                }
                None => fill(t.industry_unnamed, &[("code", key)]),
            }
        }
        BreakdownBy::Size => fill(t.size_band, &[("band", &band)]),
    }
}

/// "2026-12" as "2026年12月" / "Dec 2026".
fn month_text(m: &'static Messages, month: &str) -> String {
    let Some((year, n)) = month.split_once('-') else {
        return month.to_owned();
    };
    let name = n
        .parse::<usize>()
        .ok()
        .and_then(|i| m.format.months.split(' ').nth(i.wrapping_sub(1)))
        .unwrap_or(n);
    fill(m.policy_admin.month, &[("year", year), ("month", name)])
}

/// Before and after, each on a line of its own with its label.
fn before_after(m: &'static Messages, before: String, after: String) -> impl IntoView {
    view! {
        <span class="before-after">
            <span>{m.policy_admin.col_before}" "<span class="num">{before}</span></span>
            <span>{m.policy_admin.col_after}" "<span class="num">{after}</span></span>
        </span>
    }
}

/// The yearly difference in words: "每年增加 ¥1,200.00".
fn yearly(m: &'static Messages, t: &ImpactTally, periods: i64) -> String {
    let diff = (t.cost_after_fen - t.cost_before_fen) * periods;
    if diff >= 0 {
        fill(
            m.policy_admin.impact_difference,
            &[("amount", &format::money(diff))],
        )
    } else {
        fill(
            m.policy_admin.impact_saving,
            &[("amount", &format::money(-diff))],
        )
    }
}

/// `part` of `whole` in per cent with one decimal, rounded half up (integer arithmetic).
fn percent(part: i64, whole: i64) -> String {
    let tenths = (i128::from(part) * 1000 + i128::from(whole) / 2) / i128::from(whole.max(1));
    format!("{}.{}", tenths / 10, (tenths % 10).abs())
}

/// The results as CSV (UTF-8 with a BOM, so that spreadsheet programs read the Chinese).
pub fn csv(m: &'static Messages, r: &Impact) -> String {
    let t = &m.policy_admin;
    let mut out = String::from("\u{feff}");
    let line = |out: &mut String, cells: &[String]| {
        let quoted: Vec<String> = cells
            .iter()
            .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
            .collect();
        out.push_str(&quoted.join(","));
        out.push_str("\r\n");
    };
    line(
        &mut out,
        &[
            t.group.into(),
            t.col_eligible.into(),
            t.impact_newly.into(),
            t.impact_no_longer.into(),
            t.impact_amount_changed.into(),
            t.col_before.into(),
            t.col_after.into(),
        ],
    );
    let row = |out: &mut String, label: String, x: &ImpactTally| {
        line(
            out,
            &[
                label,
                x.eligible_after.to_string(),
                x.newly.to_string(),
                x.no_longer.to_string(),
                x.amount_changed.to_string(),
                yuan_cell(x.cost_before_fen),
                yuan_cell(x.cost_after_fen),
            ],
        )
    };
    row(&mut out, t.impact_subjects.to_owned(), &r.total);
    for b in &r.breakdowns {
        for g in &b.groups {
            row(
                &mut out,
                format!("{} · {}", by_title(m, b.by), group_text(m, b.by, &g.key)),
                &g.tally,
            );
        }
    }
    out
}

/// The sandbox section: a button that runs it, then the results.
#[component]
pub fn Sandbox(id: String, version: u32) -> impl IntoView {
    let result: RwSignal<Option<Impact>> = RwSignal::new(None);
    let running = RwSignal::new(false);
    let run = move |_| {
        running.set(true);
        let page = crate::alerts::page();
        spawn_request(api_client::policy_impact(&id, version), move |answer, _| {
            running.put(false);
            match answer {
                Ok(r) => {
                    page.clear();
                    result.put(Some(r))
                }
                Err(e) => page.show(e),
            }
        });
    };
    view! {
        <section class="panel sandbox" aria-labelledby="impact-title" data-test="sandbox">
            <h2 id="impact-title">{tr(|m| m.policy_admin.impact_title)}</h2>
            <p class="hint">{tr(|m| m.policy_admin.impact_lead)}</p>
            <p><button class="button primary" data-test="run-impact" disabled=move || running.get() on:click=run>
                {move || if running.get() { tr(|m| m.policy_admin.impact_running)() } else { tr(|m| m.policy_admin.impact_run)() }}
            </button></p>
            <div aria-live="polite">
                {move || result.get().map(|r| view! { <Results report=r /> })}
            </div>
        </section>
    }
}

#[component]
fn Results(report: Impact) -> impl IntoView {
    let prefs = use_prefs();
    let r = report.clone();
    let t = r.total;
    let periods = r.periods_a_year;
    let csv_href = {
        let r = report.clone();
        move || {
            format!(
                "data:text/csv;charset=utf-8,{}",
                crate::route::encode(&csv(prefs.t(), &r))
            )
        }
    };
    let budget = r.annual_budget_fen;
    let month = r.month.clone();
    view! {
        <dl class="facts impact-summary" data-test="impact-summary">
            <dt>{tr(|m| m.policy_admin.impact_month)}</dt>
            <dd>{move || month_text(prefs.t(), &month)}</dd>
            <dt>{tr(|m| m.policy_admin.impact_subjects)}</dt>
            <dd data-test="impact-subjects">{r.subjects}</dd>
            <dt>{tr(|m| m.policy_admin.impact_eligible)}</dt>
            <dd>{move || before_after(prefs.t(), t.eligible_before.to_string(), t.eligible_after.to_string())}</dd>
            <dt>{tr(|m| m.policy_admin.impact_newly)}</dt>
            <dd data-test="impact-newly">{t.newly}</dd>
            <dt>{tr(|m| m.policy_admin.impact_no_longer)}</dt>
            <dd data-test="impact-no-longer">{t.no_longer}</dd>
            <dt>{tr(|m| m.policy_admin.impact_amount_changed)}</dt>
            <dd data-test="impact-changed">{t.amount_changed}</dd>
            <dt>{tr(|m| m.policy_admin.impact_cost_period)}</dt>
            <dd>{move || before_after(prefs.t(), format::money(t.cost_before_fen), format::money(t.cost_after_fen))}</dd>
            <dt>{tr(|m| m.policy_admin.impact_cost_year)}</dt>
            <dd data-test="impact-year">
                {move || before_after(prefs.t(), format::money(t.cost_before_fen * periods), format::money(t.cost_after_fen * periods))}
                <strong data-test="impact-difference">{move || yearly(prefs.t(), &t, periods)}</strong>
            </dd>
            <dt>{tr(|m| m.policy_admin.impact_budget)}</dt>
            <dd>{move || match budget {
                Some(b) if b > 0 => format!("{} · {}", format::money(b), fill(prefs.t().policy_admin.impact_budget_share, &[("percent", &percent(t.cost_after_fen * periods, b))])),
                Some(b) => format::money(b),
                None => prefs.t().policy_admin.impact_no_budget.to_owned(),
            }}</dd>
        </dl>
        <p class="hint">{move || fill(prefs.t().policy_admin.impact_took, &[("ms", &r.elapsed_ms.to_string())])}</p>
        {report.breakdowns.iter().cloned().map(|b| view! { <BreakdownTable breakdown=b /> }).collect_view()}
        <Histogram report=report.clone() />
        {(!report.sample.is_empty()).then(|| {
            let sample = report.sample.clone();
            view! {
                <h3>{tr(|m| m.policy_admin.sample)}</h3>
                <div class="table-scroll" tabindex="0" role="region" aria-label=tr(|m| m.policy_admin.sample)>
                    <table class="table" data-test="impact-sample">
                        <thead><tr>
                            <th scope="col">{tr(|m| m.policy_admin.col_subject)}</th>
                            <th scope="col">{tr(|m| m.policy_admin.group)}</th>
                            <th scope="col" class="num">{tr(|m| m.policy_admin.col_before)}</th>
                            <th scope="col" class="num">{tr(|m| m.policy_admin.col_after)}</th>
                        </tr></thead>
                        <tbody>
                            {sample.into_iter().map(|s| {
                                let amount = move |a: Option<i64>| a.map_or_else(|| prefs.t().policy_admin.not_eligible.to_owned(), format::money);
                                view! {
                                    <tr>
                                        <td><code>{s.subject}</code></td>
                                        <td>{s.street.unwrap_or_default()}</td>
                                        <td class="num">{move || amount(s.before_fen)}</td>
                                        <td class="num">{move || amount(s.after_fen)}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }
        })}
        <p><a class="button" download="impact.csv" href=csv_href data-test="impact-csv">{tr(|m| m.policy_admin.csv)}</a></p>
    }
}

/// One breakdown: a row per group with the change per period and a bar of those eligible.
#[component]
fn BreakdownTable(breakdown: Breakdown) -> impl IntoView {
    let prefs = use_prefs();
    let by = breakdown.by;
    let most = breakdown
        .groups
        .iter()
        .map(|g| g.tally.eligible_after.max(g.tally.eligible_before))
        .max()
        .unwrap_or(0)
        .max(1);
    view! {
        <h3>{move || by_title(prefs.t(), by)}</h3>
        <div class="table-scroll" tabindex="0" role="region" aria-label=move || by_title(prefs.t(), by)>
            <table class="table breakdown" data-test=format!("breakdown-{}", by_code(by))>
                <thead><tr>
                    <th scope="col">{tr(|m| m.policy_admin.group)}</th>
                    <th scope="col">{tr(|m| m.policy_admin.col_eligible)}</th>
                    <th scope="col" class="num">{tr(|m| m.policy_admin.col_change)}</th>
                </tr></thead>
                <tbody>
                    {breakdown.groups.into_iter().map(|g| {
                        let key = g.key.clone();
                        let t = g.tally;
                        let width = t.eligible_after * 100 / most;
                        let delta = t.cost_after_fen - t.cost_before_fen;
                        view! {
                            <tr data-group=g.key.clone() class:changed=delta != 0>
                                <th scope="row">{move || group_text(prefs.t(), by, &key)}</th>
                                <td>
                                    <span class="bar" style:width=format!("{width}%")></span>
                                    <span class="bar-label">{t.eligible_after}</span>
                                </td>
                                <td class="num">{if delta > 0 { format!("+{}", format::money(delta)) } else { format::money(delta) }}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn Histogram(report: Impact) -> impl IntoView {
    let prefs = use_prefs();
    let most = report
        .histogram
        .iter()
        .map(|b| b.count)
        .max()
        .unwrap_or(0)
        .max(1);
    view! {
        <h3>{tr(|m| m.policy_admin.histogram)}</h3>
        <ul class="histogram" data-test="histogram">
            {report.histogram.into_iter().map(|b| {
                let width = b.count * 100 / most;
                view! {
                    <li>
                        <span class="bar-label">{move || fill(prefs.t().policy_admin.histogram_bar, &[("from", &format::money(b.from_fen)), ("to", &format::money(b.to_fen)), ("count", &b.count.to_string())])}</span>
                        <span class="bar" style:width=format!("{width}%")></span>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}
