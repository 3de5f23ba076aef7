//! 一照通: one application for a business licence and the permits it carries.
//!
//! - [`catalogue`]: the permit catalogue, versioned, edited by policy administrators; an
//!   application keeps the version it started with.
//! - [`application`]: an application loaded, its steps and working days, rendered.
//! - The applicant's side: start and autosave answers ([`drafts`]), upload materials
//!   ([`uploads`]), submit, resubmit after a return, withdraw ([`transition`]), follow live
//!   (here, with [`Applicant`], who may apply).
//! - [`review`]: the staff workbench (queues with deadlines, the whole application, every
//!   transition, figures).
//! - [`issued`]: the issued licence, its QR code, public verification and revocation, and
//!   public tracking by number and phone.
//!
//! The workflow itself is `licensing::workflow`, and what each step needs `licensing::checks`;
//! every step goes through [`transition::transition`].

pub mod application;
pub mod catalogue;
pub mod drafts;
pub mod issued;
pub mod review;
pub mod transition;
pub mod uploads;

use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, State};
use axum::http::request::Parts;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use api::ErrorBody;

use crate::accounts::auth::{may_act, Principal, Session};
use crate::platform::error::ApiError;
use crate::platform::events::{self, Event};
use crate::AppState;

/// A person applying for themselves, or for an enterprise they may act for in licence matters
/// (checked in the database on every request).
#[derive(Clone, Copy, Debug)]
pub struct Applicant {
    pub user: i64,
    pub enterprise: Option<i64>,
}

impl FromRequestParts<AppState> for Applicant {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Applicant, ApiError> {
        let session = Session::from_request_parts(parts, state).await?;
        let Principal::Person(user) = session.principal else {
            return Err(ApiError::forbidden_because("people_only"));
        };
        // A family agent handles the person's subsidies, never licences in their name.
        if session.acting_for_person.is_some() {
            return Err(ApiError::forbidden_because("scope"));
        }
        if let Some(enterprise) = session.acting_for {
            if !may_act(state, user, enterprise, Some("scope_licences")).await? {
                return Err(ApiError::forbidden_because("scope"));
            }
        }
        Ok(Applicant {
            user,
            enterprise: session.acting_for,
        })
    }
}

/// Live updates of one of the caller's applications (Server-Sent Events): `changed` whenever
/// it moves.
#[utoipa::path(get, path = "/api/licences/applications/{id}/events", tag = "licences",
    params(("id" = i64, Path)),
    responses((status = 200, description = "An event stream", content_type = "text/event-stream"), (status = 404, body = ErrorBody)))]
pub async fn application_events(
    State(state): State<AppState>,
    who: Applicant,
    Path(id): Path<i64>,
) -> Result<axum::response::Response, ApiError> {
    Box::pin(application::load(&state, id, Some(who))).await?;
    Ok(application_stream(&state, id))
}

/// The live stream of one licence application: `ready`, then `changed` whenever it moves.
pub(crate) fn application_stream(state: &AppState, id: i64) -> axum::response::Response {
    events::changed_stream(&state.events, move |e| match e {
        Event::Application(a) => a == id,
        Event::Everyone => true,
        Event::Subject(_) => false,
    })
}

/// Applications, the review desk, issued licences, verification and tracking.
pub fn router() -> OpenApiRouter<AppState> {
    // Uploads: bodies up to the upload limit, read by the handler (which answers over-size
    // files itself, in words).
    let upload_routes = OpenApiRouter::new()
        .routes(routes!(uploads::upload))
        .layer(DefaultBodyLimit::disable());
    OpenApiRouter::new()
        .routes(routes!(catalogue::catalogue_get, catalogue::catalogue_put))
        .routes(routes!(drafts::create, drafts::mine))
        .routes(routes!(drafts::get_one))
        .routes(routes!(drafts::save_answers))
        .routes(routes!(uploads::download))
        .routes(routes!(transition::applicant_transition))
        .routes(routes!(application_events))
        .routes(routes!(review::queue))
        .routes(routes!(review::application))
        .routes(routes!(review::material))
        .routes(routes!(review::step))
        .routes(routes!(review::figures))
        .routes(routes!(issued::licence))
        .routes(routes!(issued::staff_licence))
        .routes(routes!(issued::qr))
        .routes(routes!(issued::verify))
        .routes(routes!(issued::revoke))
        .routes(routes!(issued::track))
        .routes(routes!(issued::track_events))
        .routes(routes!(issued::track_current))
        .merge(upload_routes)
        .route(
            "/.well-known/zhida-licence-key.json",
            axum::routing::get(issued::public_key),
        )
}
