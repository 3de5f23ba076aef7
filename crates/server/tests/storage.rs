//! Uploads kept in an S3-compatible object store: the real client (path-style requests signed
//! with AWS Signature V4) against a local fake store that checks every signature.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::routing::any;
use axum::Router;
use common::licence::{start, upload, PDF};
use common::{login_phone, TestApp};
use server::platform::storage::{sigv4_authorization, Credentials, Storage, S3};
use sha2::{Digest, Sha256};

const ACCESS: &str = "zhida-test";
const SECRET: &str = "s3cr3t/key+for+tests";

type Objects = Arc<Mutex<HashMap<String, (String, Vec<u8>)>>>;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A fake object store: PUT and GET of `/{bucket}/{key}`, each signature recomputed.
async fn fake_store() -> (String, Objects) {
    let objects: Objects = Arc::default();
    async fn handle(
        State(objects): State<Objects>,
        method: Method,
        Path((bucket, key)): Path<(String, String)>,
        headers: HeaderMap,
        body: Bytes,
    ) -> (StatusCode, Vec<u8>) {
        let h = |n: &str| {
            headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        let sha = h("x-amz-content-sha256");
        if sha != hex(&Sha256::digest(&body)) {
            return (
                StatusCode::BAD_REQUEST,
                b"XAmzContentSHA256Mismatch".to_vec(),
            );
        }
        let (host, date, content_type) = (h("host"), h("x-amz-date"), h("content-type"));
        let mut signed = vec![
            ("host", host.as_str()),
            ("x-amz-content-sha256", sha.as_str()),
            ("x-amz-date", date.as_str()),
        ];
        if method == Method::PUT {
            signed.push(("content-type", content_type.as_str()));
        }
        let who = Credentials {
            access_key: ACCESS,
            secret_key: SECRET,
            region: "cn-south-1",
        };
        let expected = sigv4_authorization(
            method.as_str(),
            &format!("/{bucket}/{key}"),
            &signed,
            &sha,
            &who,
            &date,
        );
        if h("authorization") != expected {
            return (StatusCode::FORBIDDEN, b"SignatureDoesNotMatch".to_vec());
        }
        let name = format!("{bucket}/{key}");
        match method {
            Method::PUT => {
                objects
                    .lock()
                    .unwrap()
                    .insert(name, (content_type, body.to_vec()));
                (StatusCode::OK, Vec::new())
            }
            _ => match objects.lock().unwrap().get(&name) {
                Some((_, b)) => (StatusCode::OK, b.clone()),
                None => (StatusCode::NOT_FOUND, b"NoSuchKey".to_vec()),
            },
        }
    }
    let app = Router::new()
        .route("/{bucket}/{*key}", any(handle))
        .with_state(objects.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), objects)
}

fn store(endpoint: &str, secret: &str) -> S3 {
    S3 {
        endpoint: endpoint.to_owned(),
        bucket: "zhida-uploads".into(),
        region: "cn-south-1".into(),
        access_key: ACCESS.into(),
        secret_key: secret.into(),
        client: reqwest::Client::new(),
    }
}

/// In the SQLite layer of `cargo xtask test` (the second test keeps its applications there).
mod sqlite {
    use super::*;

    #[tokio::test]
    async fn objects_go_in_and_come_back_signed() {
        let (endpoint, objects) = fake_store().await;
        let s3 = store(&endpoint, SECRET);
        assert_eq!(s3.get("applications/1/x-abc").await.unwrap(), None);
        s3.put("applications/1/x-abc", PDF.to_vec(), "application/pdf")
            .await
            .unwrap();
        assert_eq!(s3.get("applications/1/x-abc").await.unwrap().unwrap(), PDF);
        let stored = objects
            .lock()
            .unwrap()
            .get("zhida-uploads/applications/1/x-abc")
            .cloned()
            .unwrap();
        assert_eq!(stored.0, "application/pdf");
        // A wrong secret is refused by the store, and the error says so (without the secret).
        let wrong = store(&endpoint, "not-the-secret");
        let e = wrong
            .put("applications/1/y", PDF.to_vec(), "application/pdf")
            .await
            .unwrap_err();
        assert!(format!("{e:#}").contains("403"), "{e:#}");
        assert!(!format!("{e:#}").contains("not-the-secret"));
        // Nothing listening.
        let gone = store("http://127.0.0.1:9", SECRET);
        assert!(gone.get("a/b").await.is_err());
    }

    #[tokio::test]
    async fn an_applicant_s_upload_lands_in_the_object_store() {
        let (endpoint, objects) = fake_store().await;
        let mut app = TestApp::sqlite().await.demo().await;
        app.state = app
            .state
            .clone()
            .with_storage(Arc::new(store(&endpoint, SECRET)));
        let app = app.rebuilt();
        let owner = login_phone(&app, "13800000005").await;
        let id = start(&app, &owner, "other", &[]).await["id"]
            .as_i64()
            .unwrap();
        let answer = upload(
            &app,
            &owner,
            id,
            "legal_rep_id",
            "application/pdf",
            PDF.to_vec(),
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
        assert_eq!(objects.lock().unwrap().len(), 1);
        let file = app
            .call(
                "GET",
                &format!("/api/licences/applications/{id}/materials/legal_rep_id"),
                &owner,
                None,
            )
            .await;
        assert_eq!(file.body.as_ref(), PDF);
        // The store failing is a 503 in words, and nothing is recorded.
        let mut broken = app;
        broken.state = broken
            .state
            .clone()
            .with_storage(Arc::new(store(&endpoint, "wrong")));
        let broken = broken.rebuilt();
        let refused = upload(
            &broken,
            &owner,
            id,
            "premises_proof",
            "application/pdf",
            PDF.to_vec(),
        )
        .await;
        assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
        let a = broken
            .call(
                "GET",
                &format!("/api/licences/applications/{id}"),
                &owner,
                None,
            )
            .await
            .json();
        assert!(a["materials"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["code"] == "premises_proof")
            .unwrap()["upload"]
            .is_null());
    }
}
