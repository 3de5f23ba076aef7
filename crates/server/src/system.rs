//! The server's own endpoints: whether it can serve, what is running, and problems reported by
//! people's browsers.

use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use tower_http::request_id::RequestId;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use api::system::{
    ClientReport, ClientReportKind, ClientReportReceipt, DatabaseHealth, Health, HealthStatus,
    Version,
};
use api::ErrorBody;

use crate::platform::error::ApiError;
use crate::platform::json::ApiJson;
use crate::AppState;

/// Health, version and client reports.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(version))
        .routes(routes!(create_client_report))
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
    .bind(crate::platform::db::now_utc())
    .fetch_one(&state.db.pool)
    .await?;
    tracing::warn!(id, kind, path = %report.path, "client report");
    Ok((StatusCode::CREATED, Json(ClientReportReceipt { id })))
}
