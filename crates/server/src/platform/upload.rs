//! A document a person uploads (PDF, JPEG or PNG up to 10 MB): checked by its content, stored
//! through [`Storage`], and served back to whoever may read it. Used by 一照通's materials and
//! by applications under review.

use axum::body::Body;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use api::licence::MAX_UPLOAD_BYTES;

use crate::platform::error::ApiError;
use crate::platform::storage::Storage;

/// What a file's first bytes say it is.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else {
        None
    }
}

fn declared_type(headers: &HeaderMap) -> String {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .map(|v| {
            if v == "image/jpg" || v == "image/pjpeg" {
                "image/jpeg".to_owned()
            } else {
                v
            }
        })
        .unwrap_or_default()
}

/// A file received and stored.
pub struct Stored {
    pub storage_key: String,
    /// The name the person gave it (control characters and slashes removed), or `fallback`.
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
}

/// Reads, checks and stores an upload under `{key_prefix}-{sha256}`: a PDF, JPEG or PNG of
/// 1 byte to 10 MB whose content is what its declared type says (422 naming `file`, 413).
pub async fn receive(
    storage: &dyn Storage,
    headers: &HeaderMap,
    body: Body,
    name: Option<String>,
    fallback: &str,
    key_prefix: &str,
) -> Result<Stored, ApiError> {
    let declared = declared_type(headers);
    if !["application/pdf", "image/jpeg", "image/png"].contains(&declared.as_str()) {
        return Err(ApiError::invalid_field_because("file", "file_type"));
    }
    let bytes = match axum::body::to_bytes(body, MAX_UPLOAD_BYTES).await {
        Ok(b) => b,
        Err(_) => return Err(ApiError::file_too_large(MAX_UPLOAD_BYTES)),
    };
    if bytes.is_empty() {
        return Err(ApiError::invalid_field_because("file", "file_empty"));
    }
    match sniff(&bytes) {
        Some(t) if t == declared => {}
        _ => return Err(ApiError::invalid_field_because("file", "file_content")),
    }
    let name: String = name
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '/' | '\\'))
        .take(120)
        .collect();
    let file_name = if name.trim().is_empty() {
        fallback.to_owned()
    } else {
        name
    };
    let sha256 = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    let storage_key = format!("{key_prefix}-{sha256}");
    let size = bytes.len() as i64;
    storage
        .put(&storage_key, bytes.to_vec(), &declared)
        .await
        .map_err(|e| {
            tracing::error!(error = %format!("{e:#}"), "storing an upload");
            ApiError::unavailable()
        })?;
    Ok(Stored {
        storage_key,
        file_name,
        content_type: declared,
        size,
        sha256,
    })
}

/// Records `stored` as the current upload of `material` in `table` (a materials table keyed by
/// its owner's column and `material`): a new upload replaces the old row and clears a return
/// reason. `table` and its column are the caller's constants, never input.
pub async fn record(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    (table, owner_column, owner): (&'static str, &'static str, i64),
    material: &str,
    stored: &Stored,
    at: &str,
) -> sqlx::Result<()> {
    sqlx::query(&format!(
        "INSERT INTO {table} ({owner_column}, material, storage_key, file_name, content_type, size, sha256, uploaded_at, returned_reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL) \
         ON CONFLICT ({owner_column}, material) DO UPDATE SET storage_key = excluded.storage_key, file_name = excluded.file_name, \
         content_type = excluded.content_type, size = excluded.size, sha256 = excluded.sha256, uploaded_at = excluded.uploaded_at, returned_reason = NULL"
    ))
    .bind(owner)
    .bind(material)
    .bind(&stored.storage_key)
    .bind(&stored.file_name)
    .bind(&stored.content_type)
    .bind(stored.size)
    .bind(&stored.sha256)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The bytes stored under `key`, as a private, uncached, inline response.
pub async fn serve(
    storage: &dyn Storage,
    key: &str,
    content_type: &str,
) -> Result<Response, ApiError> {
    let bytes = storage
        .get(key)
        .await
        .map_err(|e| {
            tracing::error!(error = %format!("{e:#}"), "reading an upload");
            ApiError::unavailable()
        })?
        .ok_or_else(ApiError::not_found)?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, content_type.to_owned()),
            (
                axum::http::header::CACHE_CONTROL,
                "private, no-store".to_owned(),
            ),
            (axum::http::header::CONTENT_DISPOSITION, "inline".to_owned()),
        ],
        bytes,
    )
        .into_response())
}
