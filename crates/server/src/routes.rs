//! The router: every feature's endpoints with their OpenAPI descriptions, merged, and the
//! layers around them.

use std::sync::LazyLock;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::{middleware, Router};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use api::ErrorBody;

use crate::platform::error::{localize_errors, ApiError};
use crate::platform::request::is_api_path;
use crate::AppState;

/// The largest JSON body any endpoint reads unless its feature says otherwise.
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

/// Every endpoint, registered together with its OpenAPI description so that the document
/// cannot leave one out: each feature's router, merged.
fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(openapi_json))
        .merge(crate::system::router())
        .merge(crate::accounts::router())
        .merge(crate::policies::router())
        .merge(crate::data::router())
        .merge(crate::subsidies::router())
        .merge(crate::licences::router())
}

/// The OpenAPI 3 document of the whole API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_routes().split_for_parts().1
}

static OPENAPI_JSON: LazyLock<String> = LazyLock::new(|| {
    openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serializes")
});

/// This document: the OpenAPI 3 description of every endpoint.
#[utoipa::path(get, path = "/api/openapi.json", tag = "system",
    responses((status = 200, description = "An OpenAPI 3 document", content_type = "application/json")))]
async fn openapi_json() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        OPENAPI_JSON.as_str(),
    )
}

/// The whole application: the API, the app's files, and the layers around both.
pub fn app(state: AppState) -> Router {
    let (api, _) = api_routes().split_for_parts();
    // A feature's own body limit (feeds, uploads) is the inner layer, so it wins.
    let api = api
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(CompressionLayer::new());
    Router::new()
        .merge(api)
        .fallback(fallback)
        .layer(middleware::from_fn(crate::accounts::auth::require_csrf_header))
        .layer(middleware::from_fn_with_state(state.settings.clone(), crate::platform::headers::security_headers))
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
