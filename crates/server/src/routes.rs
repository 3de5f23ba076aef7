//! The router: every endpoint, its OpenAPI description, and the layers around them.

use std::sync::LazyLock;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{middleware, Json, Router};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use api::system::{
    ClientReport, ClientReportKind, ClientReportReceipt, DatabaseHealth, Health, HealthStatus,
    Version,
};
use api::ErrorBody;

use crate::error::{localize_errors, ApiError};
use crate::json::ApiJson;
use crate::AppState;

/// The largest JSON body any endpoint reads unless it says otherwise.
const BODY_LIMIT: usize = 64 * 1024;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Zhida (政策直达) API",
        description = "The API behind the Zhida app. Every error answers with an `ErrorBody`: \
                       a machine-readable `code`, the offending `field` when there is one, and a \
                       `message` in the language of `Accept-Language` (zh-CN by default)."
    ),
    components(schemas(ErrorBody))
)]
struct ApiDoc;

/// Every `/api` endpoint, registered together with its OpenAPI description so that the
/// document cannot leave one out.
fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health))
        .routes(routes!(version))
        .routes(routes!(openapi_json))
        .routes(routes!(create_client_report))
        .routes(routes!(crate::login::methods))
        .routes(routes!(crate::login::send_code))
        .routes(routes!(crate::login::verify_code))
        .routes(routes!(crate::login::staff_login))
        .routes(routes!(crate::login::demo_totp))
        .routes(routes!(crate::login::logout))
        .routes(routes!(crate::login::logout_all))
        .routes(routes!(crate::account::me))
        .routes(routes!(crate::account::current))
        .routes(routes!(crate::account::act_for))
        .routes(routes!(crate::account::set_identity))
        .routes(routes!(crate::account::sessions))
        .routes(routes!(crate::account::end_session))
        .routes(routes!(crate::account::access_log))
        .routes(routes!(crate::account::agents, crate::account::add_agent))
        .routes(routes!(crate::account::revoke_agent))
        .routes(routes!(crate::staff::read_person))
        .routes(routes!(crate::policies::library))
        .routes(routes!(crate::policies::policy))
        .routes(routes!(crate::wechat::mini_login))
        .routes(routes!(crate::wechat::ticket))
        .routes(routes!(crate::wechat::oauth_start))
        .routes(routes!(crate::wechat::oauth_callback))
        .routes(routes!(crate::subsidies::home))
        .routes(routes!(crate::subsidies::notifications))
        .routes(routes!(crate::subsidies::read_notifications))
        .routes(routes!(crate::subsidies::check))
        .routes(routes!(crate::subsidies::apply))
        .routes(routes!(crate::subsidies::grant))
        .routes(routes!(crate::subsidies::consent))
        .routes(routes!(crate::subsidies::decline))
        .routes(routes!(crate::subsidies::disbursement))
        .routes(routes!(crate::subsidies::retry_payment))
        .routes(routes!(crate::events::stream))
        .routes(routes!(crate::objections::create))
        .routes(routes!(crate::objections::mine))
        .routes(routes!(crate::objections::for_department))
        .routes(routes!(crate::objections::answer))
        .routes(routes!(
            crate::licences::catalogue_get,
            crate::licences::catalogue_put
        ))
        .routes(routes!(crate::licences::create, crate::licences::mine))
        .routes(routes!(crate::licences::get_one))
        .routes(routes!(crate::licences::save_answers))
        .routes(routes!(crate::licences::download))
        .routes(routes!(crate::licences::applicant_transition))
        .routes(routes!(crate::licences::application_events))
        .routes(routes!(crate::licences::review::queue))
        .routes(routes!(crate::licences::review::application))
        .routes(routes!(crate::licences::review::material))
        .routes(routes!(crate::licences::review::step))
        .routes(routes!(crate::licences::review::figures))
        .routes(routes!(crate::licences::issued::licence))
        .routes(routes!(crate::licences::issued::staff_licence))
        .routes(routes!(crate::licences::issued::qr))
        .routes(routes!(crate::licences::issued::verify))
        .routes(routes!(crate::licences::issued::revoke))
        .routes(routes!(crate::licences::issued::track))
        .routes(routes!(crate::licences::issued::track_events))
        .routes(routes!(crate::licences::issued::track_current))
}

/// Uploads: bodies up to the upload limit, read by the handler (which answers over-size
/// files itself, in words).
fn upload_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(crate::licences::upload))
}

/// The departments' feeds: larger bodies than the rest of the API.
fn feed_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(crate::feeds::push))
}

/// The OpenAPI 3 document of the whole API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_routes()
        .merge(feed_routes())
        .merge(upload_routes())
        .split_for_parts()
        .1
}

static OPENAPI_JSON: LazyLock<String> = LazyLock::new(|| {
    openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serializes")
});

/// The whole application: the API, the app's files, and the layers around both.
pub fn app(state: AppState) -> Router {
    let (api, _) = api_routes().split_for_parts();
    let (feeds, _) = feed_routes().split_for_parts();
    let (uploads, _) = upload_routes().split_for_parts();
    let api = api
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .merge(feeds.layer(DefaultBodyLimit::max(crate::feeds::FEED_BODY_LIMIT)))
        .merge(uploads.layer(DefaultBodyLimit::disable()))
        .route(
            "/.well-known/zhida-licence-key.json",
            axum::routing::get(crate::licences::issued::public_key),
        )
        .layer(CompressionLayer::new());
    Router::new()
        .merge(api)
        .fallback(fallback)
        .layer(middleware::from_fn(crate::auth::require_csrf_header))
        .layer(middleware::from_fn_with_state(state.clone(), crate::headers::security_headers))
        .with_state(state)
        .layer(CatchPanicLayer::custom(|_| ApiError::internal("a handler panicked").into_response()))
        .layer(middleware::from_fn(localize_errors))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
            let request_id = request
                .extensions()
                .get::<RequestId>()
                .and_then(|id| id.header_value().to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", id = %request_id, method = %request.method(), path = %request.uri().path())
        }))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// Whether a path belongs to the API (and so never falls back to the app).
pub fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// Everything no route matched: a JSON 404 under `/api`, the app's files (or `index.html`)
/// elsewhere.
async fn fallback(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if is_api_path(uri.path()) {
        return ApiError::not_found().into_response();
    }
    if method != Method::GET && method != Method::HEAD {
        return ApiError::method_not_allowed().into_response();
    }
    state.assets.respond(&method, uri.path(), &headers)
}

/// Whether this instance can serve: it answers 503 when the database does not.
#[utoipa::path(get, path = "/api/health", tag = "system",
    responses(
        (status = 200, description = "Every check passed", body = Health),
        (status = 503, description = "The database did not answer", body = Health),
    ))]
async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let ping = tokio::time::timeout(Duration::from_secs(3), state.db.ping()).await;
    let (ok, latency, schema_version) = match ping {
        Ok(Ok((latency, version))) => (true, latency, version),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health check: database error");
            (false, Duration::ZERO, None)
        }
        Err(_) => {
            tracing::warn!("health check: database timed out");
            (false, Duration::ZERO, None)
        }
    };
    let health = Health {
        status: if ok {
            HealthStatus::Ok
        } else {
            HealthStatus::Degraded
        },
        database: DatabaseHealth {
            backend: state.db.backend.as_str().to_owned(),
            ok,
            latency_us: latency.as_micros().try_into().unwrap_or(u64::MAX),
            schema_version,
        },
    };
    (
        if ok {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        Json(health),
    )
}

/// What is running: the server's name, version and commit.
#[utoipa::path(get, path = "/api/version", tag = "system",
    responses((status = 200, body = Version)))]
async fn version() -> Json<Version> {
    Json(Version {
        name: "zhida".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        commit: option_env!("ZHIDA_GIT_COMMIT")
            .filter(|c| !c.is_empty())
            .map(str::to_owned),
    })
}

/// This document: the OpenAPI 3 description of every endpoint.
#[utoipa::path(get, path = "/api/openapi.json", tag = "system",
    responses((status = 200, description = "An OpenAPI 3 document", content_type = "application/json")))]
async fn openapi_json() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        OPENAPI_JSON.as_str(),
    )
}

const REPORT_MESSAGE_MAX: usize = 2000;
const REPORT_PATH_MAX: usize = 500;
const USER_AGENT_MAX: usize = 300;

/// Records a problem in a person's browser (a crash, or a browser too old for the app), so
/// that we learn how many people cannot use Zhida and why.
#[utoipa::path(post, path = "/api/client-reports", tag = "system",
    request_body = ClientReport,
    responses(
        (status = 201, body = ClientReportReceipt),
        (status = 400, description = "The body is not a client report", body = ErrorBody),
        (status = 413, description = "The body is larger than 64 KiB", body = ErrorBody),
        (status = 422, description = "A field is empty or too long", body = ErrorBody),
    ))]
async fn create_client_report(
    State(state): State<AppState>,
    headers: HeaderMap,
    request_id: Option<axum::Extension<RequestId>>,
    ApiJson(report): ApiJson<ClientReport>,
) -> Result<(StatusCode, Json<ClientReportReceipt>), ApiError> {
    let message = report.message.trim();
    if message.is_empty() {
        return Err(ApiError::invalid_field(
            "message",
            api::ValidationError::Required,
        ));
    }
    if message.chars().count() > REPORT_MESSAGE_MAX {
        return Err(ApiError::invalid_field_because("message", "too_long")
            .with_arg("max", REPORT_MESSAGE_MAX.to_string()));
    }
    if !report.path.starts_with('/') {
        return Err(ApiError::invalid_field_because("path", "app_path"));
    }
    if report.path.chars().count() > REPORT_PATH_MAX {
        return Err(ApiError::invalid_field_because("path", "too_long")
            .with_arg("max", REPORT_PATH_MAX.to_string()));
    }
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.chars().take(USER_AGENT_MAX).collect::<String>());
    let request_id = request_id.and_then(|id| id.0.header_value().to_str().ok().map(str::to_owned));
    let kind = match report.kind {
        ClientReportKind::UnsupportedBrowser => "unsupported_browser",
        ClientReportKind::Panic => "panic",
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO client_reports (kind, message, path, user_agent, request_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(kind)
    .bind(message)
    .bind(&report.path)
    .bind(user_agent)
    .bind(request_id)
    .bind(crate::db::now_utc())
    .fetch_one(&state.db.pool)
    .await?;
    tracing::warn!(id, kind, path = %report.path, "client report");
    Ok((StatusCode::CREATED, Json(ClientReportReceipt { id })))
}
