//! Serving the built app: deep links, caching, content types and compression.

mod common;

use std::io::Read;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{Answer, TestApp};

const INDEX: &str =
    "<!DOCTYPE html><html lang=\"zh-CN\"><head><title>政策直达</title></head><body></body></html>";
const JS: &str = "zhida-app-0123456789abcdef.js";
const WASM: &str = "zhida-app-0123456789abcdef_bg.wasm";

on_both_databases!(
    deep_links_fall_back_to_the_app,
    hashed_assets_are_immutable,
    wasm_has_its_mime_type,
    assets_are_compressed_as_accepted,
    precompressed_files_are_used,
    unchanged_assets_answer_304,
    head_requests_have_no_body,
    non_get_requests_outside_the_api_are_refused,
    an_unbuilt_app_says_how_to_build_it,
);

/// A built app in a temporary folder, shaped like Trunk's output.
fn built_app() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), INDEX).unwrap();
    std::fs::write(
        dir.path().join(JS),
        "export default function init() {}\n".repeat(100),
    )
    .unwrap();
    // A wasm module header followed by enough bytes to be worth compressing.
    let mut wasm = vec![0, 97, 115, 109, 1, 0, 0, 0];
    wasm.extend(std::iter::repeat_n(7u8, 4000));
    std::fs::write(dir.path().join(WASM), wasm).unwrap();
    std::fs::create_dir(dir.path().join("icons")).unwrap();
    std::fs::write(
        dir.path().join("icons/favicon.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    )
    .unwrap();
    dir
}

async fn get_with(app: &TestApp, uri: &str, header: (&str, &str)) -> Answer {
    app.send(
        Request::get(uri)
            .header(header.0, header.1)
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

async fn deep_links_fall_back_to_the_app(app: TestApp) {
    let dir = built_app();
    let app = app.with_static_dir(dir.path());
    for path in [
        "/",
        "/policies",
        "/policies/senior-allowance",
        "/me/settings?tab=2",
        "/index.html",
    ] {
        let answer = app.get(path).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        assert_eq!(answer.text(), INDEX, "{path}");
        assert_eq!(answer.header("content-type"), "text/html; charset=utf-8");
        assert_eq!(answer.header("cache-control"), "no-cache", "{path}");
    }
    let icon = app.get("/icons/favicon.svg").await;
    assert_eq!(icon.header("content-type"), "image/svg+xml");
    assert_eq!(icon.header("cache-control"), "no-cache");
}

async fn hashed_assets_are_immutable(app: TestApp) {
    let dir = built_app();
    let app = app.with_static_dir(dir.path());
    for file in [JS, WASM] {
        let answer = app.get(&format!("/{file}")).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(
            answer.header("cache-control"),
            "public, max-age=31536000, immutable",
            "{file}"
        );
    }
    assert_eq!(
        app.get(&format!("/{JS}")).await.header("content-type"),
        "text/javascript; charset=utf-8"
    );
}

async fn wasm_has_its_mime_type(app: TestApp) {
    let dir = built_app();
    let app = app.with_static_dir(dir.path());
    let answer = app.get(&format!("/{WASM}")).await;
    assert_eq!(answer.header("content-type"), "application/wasm");
    assert_eq!(&answer.body[..4], b"\0asm");
}

async fn assets_are_compressed_as_accepted(app: TestApp) {
    let dir = built_app();
    let original = std::fs::read(dir.path().join(WASM)).unwrap();
    let app = app.with_static_dir(dir.path());
    let uri = format!("/{WASM}");

    let br = get_with(&app, &uri, ("accept-encoding", "gzip, deflate, br")).await;
    assert_eq!(br.header("content-encoding"), "br");
    assert_eq!(br.header("vary"), "accept-encoding");
    let mut decoded = Vec::new();
    brotli::Decompressor::new(&br.body[..], 4096)
        .read_to_end(&mut decoded)
        .unwrap();
    assert_eq!(decoded, original);
    assert!(br.body.len() < original.len() / 10);

    let gz = get_with(&app, &uri, ("accept-encoding", "gzip")).await;
    assert_eq!(gz.header("content-encoding"), "gzip");
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(&gz.body[..])
        .read_to_end(&mut decoded)
        .unwrap();
    assert_eq!(decoded, original);

    let plain = app.get(&uri).await;
    assert_eq!(plain.header("content-encoding"), "");
    assert_eq!(plain.body.to_vec(), original);

    let refused = get_with(&app, &uri, ("accept-encoding", "br;q=0, gzip;q=0")).await;
    assert_eq!(refused.header("content-encoding"), "");

    // Each representation has its own ETag, so caches never mix them up.
    let tags = [br.header("etag"), gz.header("etag"), plain.header("etag")];
    assert!(
        tags[0] != tags[1] && tags[1] != tags[2] && tags[0] != tags[2],
        "{tags:?}"
    );
}

async fn precompressed_files_are_used(app: TestApp) {
    let dir = built_app();
    // A marker that only the precompressed file can produce.
    let mut marker = Vec::new();
    let params = brotli::enc::BrotliEncoderParams::default();
    brotli::BrotliCompress(&mut &b"from the .br file"[..], &mut marker, &params).unwrap();
    std::fs::write(dir.path().join(format!("{JS}.br")), &marker).unwrap();
    let app = app.with_static_dir(dir.path());
    let answer = get_with(&app, &format!("/{JS}"), ("accept-encoding", "br")).await;
    assert_eq!(answer.body.to_vec(), marker);
    // The sibling itself is not an asset of its own.
    assert_eq!(app.get(&format!("/{JS}.br")).await.text(), INDEX);
}

async fn unchanged_assets_answer_304(app: TestApp) {
    let dir = built_app();
    let app = app.with_static_dir(dir.path());
    let first = get_with(&app, "/policies", ("accept-encoding", "gzip")).await;
    let etag = first.header("etag").to_owned();
    let request = Request::get("/policies")
        .header("accept-encoding", "gzip")
        .header("if-none-match", &etag)
        .body(Body::empty())
        .unwrap();
    let again = app.send(request).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), etag);
}

async fn head_requests_have_no_body(app: TestApp) {
    let dir = built_app();
    let app = app.with_static_dir(dir.path());
    let answer = app
        .send(
            Request::head(format!("/{WASM}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.body.is_empty());
    assert_eq!(answer.header("content-length"), "4008");
}

async fn non_get_requests_outside_the_api_are_refused(app: TestApp) {
    let dir = built_app();
    let app = app.with_static_dir(dir.path());
    let answer = app
        .send(Request::post("/policies").body(Body::empty()).unwrap())
        .await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
}

async fn an_unbuilt_app_says_how_to_build_it(app: TestApp) {
    let empty = tempfile::tempdir().unwrap();
    let app = app.with_static_dir(&empty.path().join("missing"));
    let answer = app.get("/").await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(answer.text().contains("cargo xtask run"));
    // The API works without the app.
    assert_eq!(app.get("/api/version").await.status, StatusCode::OK);
}
