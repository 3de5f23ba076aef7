//! The built app (Trunk's `dist/`), held in memory with its gzip and brotli forms.
//!
//! The app is small and changes only with a deploy, so it is read once at start-up: each file
//! is served from memory in the best encoding the client accepts, with an `ETag`. Files whose
//! name carries Trunk's content hash never change and are cached for a year; everything else
//! (above all `index.html`) is revalidated on every load, so a deploy reaches every phone.
//! Precompressed siblings (`app.wasm.br`, `app.wasm.gz`, written by `cargo xtask build`) are
//! used when present; otherwise the file is compressed here.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use anyhow::Context;
use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

/// One file of the app in each encoding.
#[derive(Debug)]
pub struct Asset {
    content_type: HeaderValue,
    cache_control: HeaderValue,
    etag: String,
    identity: Bytes,
    gzip: Option<Bytes>,
    brotli: Option<Bytes>,
}

/// The app's files by URL path (`/index.html`, `/zhida-app-1f2e….js`).
#[derive(Debug, Default)]
pub struct StaticAssets {
    files: HashMap<String, Asset>,
}

pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
pub const NO_CACHE: &str = "no-cache";

impl StaticAssets {
    /// Reads every file under `dir`. A missing folder gives an empty set (the API still works,
    /// and pages say how to build the app).
    pub fn load(dir: &Path) -> anyhow::Result<StaticAssets> {
        let mut assets = StaticAssets::default();
        if !dir.is_dir() {
            tracing::warn!(dir = %dir.display(), "static folder not found: the app is not built (run `cargo xtask run`)");
            return Ok(assets);
        }
        let mut stack = vec![dir.to_path_buf()];
        while let Some(folder) = stack.pop() {
            for entry in std::fs::read_dir(&folder)
                .with_context(|| format!("reading {}", folder.display()))?
            {
                let path = entry?.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let name = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default();
                if name.ends_with(".br") || name.ends_with(".gz") {
                    continue;
                }
                let rel = path.strip_prefix(dir).expect("below the static folder");
                let url = format!("/{}", rel.to_string_lossy().replace('\\', "/"));
                let asset =
                    Asset::read(&path).with_context(|| format!("reading {}", path.display()))?;
                assets.files.insert(url, asset);
            }
        }
        tracing::info!(dir = %dir.display(), files = assets.files.len(), "static app loaded");
        Ok(assets)
    }

    /// Adds one file from memory (used by tests).
    pub fn insert(&mut self, url_path: &str, content: impl Into<Bytes>) {
        self.files.insert(
            url_path.to_owned(),
            Asset::new(url_path, content.into(), None, None),
        );
    }

    /// The text of `index.html`, if the app is built.
    pub fn index_html(&self) -> Option<&str> {
        self.files
            .get("/index.html")
            .and_then(|a| std::str::from_utf8(&a.identity).ok())
    }

    /// The text of every page of the app: the public bundle's and the signed-in one's.
    pub fn pages(&self) -> impl Iterator<Item = &str> {
        ["/index.html", ACCOUNT_INDEX, SELF_CHECK_INDEX, TRACK_INDEX]
            .into_iter()
            .filter_map(|p| self.files.get(p))
            .filter_map(|a| std::str::from_utf8(&a.identity).ok())
    }

    pub fn has_index(&self) -> bool {
        self.files.contains_key("/index.html")
    }

    /// The answer for a non-API `GET` or `HEAD`: the file at `path`, or the app's page for any
    /// path that is not a file, so that deep links into the app work. The app comes in two
    /// bundles: visitors get the public pages (`/index.html`, the small first load), people
    /// with a session everything (`/account/index.html`, when built).
    pub fn respond(&self, method: &Method, path: &str, headers: &HeaderMap) -> Response {
        if let Some(asset) = self.files.get(path) {
            return asset.respond(method, headers);
        }
        let signed_in = crate::platform::request::read_cookie(
            headers,
            crate::platform::request::SESSION_COOKIE,
        )
        .is_some();
        let route = path.trim_end_matches('/');
        let page = if route == "/self-check" && self.files.contains_key(SELF_CHECK_INDEX) {
            SELF_CHECK_INDEX
        } else if signed_in && self.files.contains_key(ACCOUNT_INDEX) {
            ACCOUNT_INDEX
        } else if matches!(route, "/track" | "/verify" | "/staff/enrol")
            && self.files.contains_key(TRACK_INDEX)
        {
            // A visitor (a scanned QR code, a tracking link, a new staff member's link): the
            // small public bundle.
            TRACK_INDEX
        } else {
            "/index.html"
        };
        let asset = self.files.get(page);
        let Some(asset) = asset else {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8"), (header::CACHE_CONTROL, NO_CACHE)],
                "Zhida: the app is not built yet. Run `cargo xtask run`, or set ZHIDA_STATIC_DIR to the folder Trunk built.\n政策直达：应用尚未构建，请运行 cargo xtask run。\n",
            )
                .into_response();
        };
        let mut response = asset.respond(method, headers);
        // The same URL answers differently with and without a session.
        response
            .headers_mut()
            .append(header::VARY, HeaderValue::from_static("Cookie"));
        response
    }
}

/// The signed-in bundle's page.
pub const ACCOUNT_INDEX: &str = "/account/index.html";
/// The policy calculator's bundle's page (it carries the rules engine).
pub const SELF_CHECK_INDEX: &str = "/selfcheck/index.html";
/// The public 一照通 pages' bundle (查询办理进度, 证照核验) for visitors.
pub const TRACK_INDEX: &str = "/track/index.html";

impl Asset {
    fn read(path: &Path) -> anyhow::Result<Asset> {
        let identity = Bytes::from(std::fs::read(path)?);
        let sibling = |ext: &str| {
            let mut p = path.as_os_str().to_owned();
            p.push(ext);
            std::fs::read(p).ok().map(Bytes::from)
        };
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        Ok(Asset::new(name, identity, sibling(".gz"), sibling(".br")))
    }

    fn new(name: &str, identity: Bytes, gzip: Option<Bytes>, brotli: Option<Bytes>) -> Asset {
        let file_name = name.rsplit('/').next().unwrap_or(name);
        let mime = content_type(file_name);
        let compressible = is_compressible(mime) && identity.len() > 256;
        let (gzip, brotli) = if compressible {
            (
                gzip.or_else(|| Some(gzip_bytes(&identity))),
                brotli.or_else(|| Some(brotli_bytes(&identity))),
            )
        } else {
            (None, None)
        };
        let cache_control = if is_hashed(file_name) {
            IMMUTABLE
        } else {
            NO_CACHE
        };
        Asset {
            content_type: HeaderValue::from_static(mime),
            cache_control: HeaderValue::from_static(cache_control),
            etag: format!("\"{:016x}\"", fnv1a(&identity)),
            identity,
            gzip,
            brotli,
        }
    }

    fn respond(&self, method: &Method, headers: &HeaderMap) -> Response {
        let accepted = headers
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let (encoding, body) = match (&self.brotli, &self.gzip) {
            (Some(br), _) if accepts(accepted, "br") => (Some("br"), br),
            (_, Some(gz)) if accepts(accepted, "gzip") => (Some("gzip"), gz),
            _ => (None, &self.identity),
        };
        // Each encoding is a different representation, so each has its own validator.
        let etag = match encoding {
            Some(enc) => format!("{}-{enc}\"", self.etag.trim_end_matches('"')),
            None => self.etag.clone(),
        };
        let not_modified = headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
        let mut response = if not_modified {
            StatusCode::NOT_MODIFIED.into_response()
        } else if method == Method::HEAD {
            let mut r = Response::new(Body::empty());
            r.headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
            r
        } else {
            Response::new(Body::from(body.clone()))
        };
        let h = response.headers_mut();
        h.insert(header::CONTENT_TYPE, self.content_type.clone());
        h.insert(header::CACHE_CONTROL, self.cache_control.clone());
        h.insert(
            header::ETAG,
            HeaderValue::from_str(&etag).expect("an ETag is ASCII"),
        );
        if self.gzip.is_some() || self.brotli.is_some() {
            h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
        if let Some(enc) = encoding {
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(enc));
        }
        response
    }
}

/// Whether `accept_encoding` accepts `coding` with a weight above zero.
fn accepts(accept_encoding: &str, coding: &str) -> bool {
    accept_encoding.split(',').any(|item| {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or_default().trim();
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        name.eq_ignore_ascii_case(coding) && q > 0.0
    })
}

/// Trunk names built files `name-<16 hex digits>.ext` (and `name-<hash>_bg.wasm`).
pub fn is_hashed(file_name: &str) -> bool {
    let stem = file_name.split('.').next().unwrap_or_default();
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-')
        .is_some_and(|(_, hash)| hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn content_type(file_name: &str) -> &'static str {
    let ext = file_name
        .rsplit_once('.')
        .map_or("", |(_, e)| e)
        .to_ascii_lowercase();
    match ext.as_str() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" | "webmanifest" => "application/json",
        "svg" => "image/svg+xml",
        "txt" => "text/plain; charset=utf-8",
        other => mime_guess::from_ext(other)
            .first_raw()
            .unwrap_or("application/octet-stream"),
    }
}

fn is_compressible(mime: &str) -> bool {
    mime.starts_with("text/")
        || mime.starts_with("application/wasm")
        || mime.starts_with("application/json")
        || mime.starts_with("image/svg")
        || mime.starts_with("application/xml")
}

fn gzip_bytes(data: &[u8]) -> Bytes {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).expect("writing to memory");
    Bytes::from(encoder.finish().expect("writing to memory"))
}

fn brotli_bytes(data: &[u8]) -> Bytes {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &data[..], &mut out, &params).expect("writing to memory");
    Bytes::from(out)
}

/// FNV-1a, 64 bits: a stable content fingerprint for ETags (not a security measure).
fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_trunk_hashes() {
        assert!(is_hashed("zhida-app-5f3c2a1b9d8e7f60.js"));
        assert!(is_hashed("zhida-app-5f3c2a1b9d8e7f60_bg.wasm"));
        assert!(is_hashed("style-0123456789abcdef.css"));
        assert!(!is_hashed("index.html"));
        assert!(!is_hashed("favicon.svg"));
        assert!(!is_hashed("zhida-app.js"));
        assert!(!is_hashed("logo-2024.png"));
    }

    #[test]
    fn reads_accept_encoding() {
        assert!(accepts("gzip, deflate, br", "br"));
        assert!(accepts("br;q=0.5, gzip", "br"));
        assert!(!accepts("br;q=0, gzip", "br"));
        assert!(!accepts("gzip", "br"));
        assert!(!accepts("", "gzip"));
    }

    #[test]
    fn types_the_app_files() {
        assert_eq!(content_type("a_bg.wasm"), "application/wasm");
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("a.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("icon.png"), "image/png");
    }
}
