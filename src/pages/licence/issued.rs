//! `/licences/issued/{number}`: the business licence with the permits it carries and its QR
//! code, laid out to print on A4.

use api::licence::Licence;
use api::text::fill;
use leptos::prelude::*;

use super::validity;
use crate::api_client;
use crate::format;
use crate::load::{load, show};
use crate::prefs::{pick, tr, use_prefs, use_title};
use crate::route::Route;

#[component]
pub fn LicencePage(number: String) -> impl IntoView {
    let prefs = use_prefs();
    use_title(|m| m.licence.licence_title);
    let licence = load::<Licence>(move || Some(api_client::licence(&number)));
    view! {
        <p class="no-print"><a href=Route::Licences.path()>{tr(|m| m.licence.back_to_list)}</a></p>
        {show(licence, move |l: Licence| {
            let qr = api_client::licence_qr_url(&l.number);
            let issued = l.issued_at.clone();
            view! {
                <article class="licence" data-test="licence">
                    <header>
                        <h1 class="page-title">{tr(|m| m.licence.licence_title)}</h1>
                        <p class="hint">{tr(|m| m.licence.licence_subtitle)}</p>
                    </header>
                    <div class="licence-body">
                        <dl class="licence-fields">
                            <dt>{tr(|m| m.licence.uscc)}</dt><dd data-test="uscc">{l.uscc.clone()}</dd>
                            <dt>{tr(|m| m.licence.name)}</dt><dd data-test="business-name">{l.business_name.clone()}</dd>
                            <dt>{tr(|m| m.licence.representative)}</dt><dd>{l.legal_representative.clone()}</dd>
                            <dt>{tr(|m| m.licence.address)}</dt><dd>{l.address.clone()}</dd>
                            <dt>{tr(|m| m.licence.scope)}</dt><dd>{l.business_scope.clone()}</dd>
                            <dt>{tr(|m| m.licence.issued)}</dt><dd>{move || format::stamp(prefs.t(), &issued)}</dd>
                            <dt>{tr(|m| m.licence.licence_number)}</dt><dd>{l.number.clone()}</dd>
                        </dl>
                        <figure class="qr">
                            <img src=qr width="180" height="180" alt=tr(|m| m.licence.qr_alt) data-test="qr" data-verify-url=l.verify_url.clone() />
                            <figcaption>{tr(|m| m.licence.scan_hint)}</figcaption>
                        </figure>
                    </div>
                    <section aria-labelledby="permits-title">
                        <h2 id="permits-title">{tr(|m| m.licence.permits_title)}</h2>
                        <table class="table permits" data-test="permits">
                            <thead><tr>
                                <th scope="col">{tr(|m| m.licence.permit)}</th>
                                <th scope="col">{tr(|m| m.licence.permit_number)}</th>
                                <th scope="col">{tr(|m| m.licence.authority)}</th>
                                <th scope="col">{tr(|m| m.licence.valid)}</th>
                            </tr></thead>
                            <tbody>
                                {l.permits.into_iter().map(|p| {
                                    let name = p.name.clone();
                                    let authority = p.authority.clone();
                                    let revoked = p.revoked_at.clone().map(|at| (at, p.revocation_reason.clone().unwrap_or_default()));
                                    let valid = p.clone();
                                    view! {
                                        <tr data-permit=p.code.clone() class:revoked=revoked.is_some()>
                                            <td>{move || pick(prefs.locale.get(), &name)}</td>
                                            <td>{p.number.clone()}</td>
                                            <td>{move || pick(prefs.locale.get(), &authority)}</td>
                                            <td>{move || validity(prefs.t(), valid.valid_from, valid.valid_to)}
                                                {revoked.clone().map(|(at, reason)| view! { <p class="returned">{move || { let m = prefs.t(); fill(m.licence.revoked_on, &[("time", &format::stamp(m, &at)), ("reason", &reason)]) }}</p> })}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </section>
                </article>
                <p class="no-print"><button class="button primary" on:click=|_| { let _ = window().print(); }>{tr(|m| m.licence.print)}</button></p>
            }
        })}
    }
}
