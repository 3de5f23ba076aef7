//! Bodies of the system endpoints: health, version and client reports.

use serde::{Deserialize, Serialize};

/// `GET /api/health`: whether this instance can serve, and whether its database answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    /// `ok` when every check passed, `degraded` otherwise (then the status is 503).
    pub status: HealthStatus,
    pub database: DatabaseHealth,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    Ok,
    Degraded,
}

/// The database check of [`Health`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DatabaseHealth {
    /// `sqlite` or `postgres`.
    pub backend: String,
    pub ok: bool,
    /// How long a round trip to the database took, in microseconds.
    pub latency_us: u64,
    /// The newest migration applied.
    pub schema_version: Option<i64>,
}

/// `GET /api/version`: what is running.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Version {
    pub name: String,
    pub version: String,
    /// The git commit the server was built from, when known.
    pub commit: Option<String>,
}

/// `POST /api/client-reports`: something went wrong in a person's browser that the server
/// would otherwise never hear of (the app crashed, or the browser is too old to run it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ClientReport {
    pub kind: ClientReportKind,
    /// What happened, e.g. the panic message. At most 2,000 characters.
    pub message: String,
    /// The app path the person was on, e.g. `/policies`. At most 500 characters.
    pub path: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ClientReportKind {
    /// The compatibility gate found no WebAssembly or a missing wasm feature.
    UnsupportedBrowser,
    /// The app panicked.
    Panic,
}

/// The answer to an accepted [`ClientReport`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientReportReceipt {
    pub id: i64,
}
