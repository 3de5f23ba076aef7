//! 一照通: the catalogue, applications and their form, review, issued licences, and the
//! public tracking and verification.

use std::collections::BTreeMap;

use api::licence::{
    AnswersUpdate, Application, ApplicationSummary, Catalogue, CombinationFigures, Licence,
    NewApplication, Revocation, Stage, TrackRequest, Tracking, TransitionRequest, Verification,
};

use super::{Call, Events};
use crate::route::encode;

/// `GET /api/licences/catalogue`: the permit catalogue in force.
pub fn catalogue() -> Call<Catalogue> {
    Call::get("/api/licences/catalogue".to_owned())
}

/// `PUT /api/licences/catalogue`: a new version of the catalogue.
pub fn save_catalogue(body: &Catalogue) -> Call<Catalogue> {
    Call::put("/api/licences/catalogue".to_owned(), body)
}

/// `GET /api/licences/applications`: the person's (or their enterprise's) applications.
pub fn applications() -> Call<Vec<ApplicationSummary>> {
    Call::get("/api/licences/applications".to_owned())
}

/// `POST /api/licences/applications`: starts one.
pub fn new_application(body: &NewApplication) -> Call<Application> {
    Call::post("/api/licences/applications".to_owned(), body)
}

/// `GET /api/licences/applications/{id}`.
pub fn application(id: i64) -> Call<Application> {
    Call::get(format!("/api/licences/applications/{id}"))
}

/// `PUT /api/licences/applications/{id}/answers`: saves answers (merged into those before).
pub fn save_answers(id: i64, answers: &BTreeMap<String, String>) -> Call<Application> {
    Call::put(
        format!("/api/licences/applications/{id}/answers"),
        &AnswersUpdate {
            answers: answers.clone(),
        },
    )
}

/// `PUT /api/licences/applications/{id}/materials/{code}?name=`: uploads one material, the
/// file as the body with its own content type.
#[cfg(feature = "account")]
pub fn upload_material(id: i64, code: &str, file: web_sys::File) -> Call<Application> {
    let path = format!(
        "/api/licences/applications/{id}/materials/{}?name={}",
        encode(code),
        encode(&file.name())
    );
    Call::new("PUT", path, super::Body::File(file))
}

/// `POST /api/licences/applications/{id}/transitions`: the applicant's step.
pub fn applicant_step(id: i64, body: &TransitionRequest) -> Call<Application> {
    Call::post(format!("/api/licences/applications/{id}/transitions"), body)
}

/// `GET /api/licences/applications/{id}/events`: live word that the application moved.
pub fn application_events(id: i64) -> Events {
    Events {
        path: format!("/api/licences/applications/{id}/events"),
    }
}

/// `GET /api/licences/issued/{number}`: an issued licence, for its holder.
pub fn licence(number: &str) -> Call<Licence> {
    Call::get(format!("/api/licences/issued/{}", encode(number)))
}

/// The licence's QR code, an SVG image.
pub fn licence_qr_url(number: &str) -> String {
    format!("/api/licences/issued/{}/qr.svg", encode(number))
}

/// `GET /api/staff/licences/applications?stage=`: a reviewers' queue (all open ones without a
/// stage).
pub fn queue(stage: Option<Stage>) -> Call<Vec<ApplicationSummary>> {
    Call::get(format!(
        "/api/staff/licences/applications?stage={}",
        stage.map_or("", Stage::as_str)
    ))
}

/// `GET /api/staff/licences/applications/{id}`: an application under review.
pub fn review(id: i64) -> Call<Application> {
    Call::get(format!("/api/staff/licences/applications/{id}"))
}

/// An uploaded material, for a reviewer to open.
pub fn material_url(id: i64, code: &str) -> String {
    format!(
        "/api/staff/licences/applications/{id}/materials/{}",
        encode(code)
    )
}

/// `POST /api/staff/licences/applications/{id}/transitions`: the reviewer's step.
pub fn reviewer_step(id: i64, body: &TransitionRequest) -> Call<Application> {
    Call::post(
        format!("/api/staff/licences/applications/{id}/transitions"),
        body,
    )
}

/// `GET /api/staff/licences/issued/{number}`: an issued licence, for staff.
pub fn issued_for_staff(number: &str) -> Call<Licence> {
    Call::get(format!("/api/staff/licences/issued/{}", encode(number)))
}

/// `POST /api/staff/licences/issued/{number}/permits/{code}/revoke`.
pub fn revoke_permit(number: &str, code: &str, body: &Revocation) -> Call<Licence> {
    Call::post(
        format!(
            "/api/staff/licences/issued/{}/permits/{}/revoke",
            encode(number),
            encode(code)
        ),
        body,
    )
}

/// `GET /api/staff/licences/figures`: materials and time against separate applications.
pub fn figures() -> Call<Vec<CombinationFigures>> {
    Call::get("/api/staff/licences/figures".to_owned())
}

/// `POST /api/track`: an application's progress by its number and phone.
pub fn track(body: &TrackRequest) -> Call<Tracking> {
    Call::post("/api/track".to_owned(), body)
}

/// `GET /api/track/current?watch=`: the tracked application again, by its watch token.
pub fn tracked(watch: &str) -> Call<Tracking> {
    Call::get(format!("/api/track/current?watch={}", encode(watch)))
}

/// `GET /api/track/events?watch=`: live word that the tracked application moved.
pub fn track_events(watch: &str) -> Events {
    Events {
        path: format!("/api/track/events?watch={}", encode(watch)),
    }
}

/// `GET /api/verify?t=`: what a scanned licence QR code is worth.
pub fn verify(token: &str) -> Call<Verification> {
    Call::get(format!("/api/verify?t={}", encode(token)))
}
