//! Where uploaded files live: behind [`Storage`], a local directory by default ([`LocalDir`])
//! or an S3-compatible object store for scale ([`S3`], path-style requests signed with AWS
//! Signature Version 4, which MinIO, Ceph and the Chinese clouds' object stores all accept).
//!
//! Keys are made by the server (`applications/{id}/{material}-{sha256}`), never by clients.

use std::path::PathBuf;

use anyhow::Context;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// A place for uploaded files.
#[async_trait::async_trait]
pub trait Storage: Send + Sync {
    /// Stores `bytes` under `key` (replacing what was there).
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> anyhow::Result<()>;
    /// The bytes under `key`, if any.
    async fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>>;
}

fn check_key(key: &str) -> anyhow::Result<()> {
    let ok = !key.is_empty()
        && !key.contains("..")
        && !key.starts_with('/')
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.'));
    anyhow::ensure!(ok, "not a storage key: {key:?}");
    Ok(())
}

/// Files in a directory on this machine.
pub struct LocalDir {
    root: PathBuf,
}

impl LocalDir {
    pub fn new(root: impl Into<PathBuf>) -> LocalDir {
        LocalDir { root: root.into() }
    }
}

#[async_trait::async_trait]
impl Storage for LocalDir {
    async fn put(&self, key: &str, bytes: Vec<u8>, _content_type: &str) -> anyhow::Result<()> {
        check_key(key)?;
        let path = self.root.join(key);
        let dir = path.parent().context("a key has a directory")?.to_owned();
        tokio::fs::create_dir_all(&dir)
            .await
            .with_context(|| format!("creating {}", dir.display()))?;
        // Written whole, then renamed: a reader never sees half a file.
        let partial = path.with_extension(format!("partial-{}", uuid::Uuid::new_v4()));
        tokio::fs::write(&partial, &bytes)
            .await
            .with_context(|| format!("writing {}", partial.display()))?;
        tokio::fs::rename(&partial, &path)
            .await
            .with_context(|| format!("renaming into {}", path.display()))?;
        Ok(())
    }

    async fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        check_key(key)?;
        match tokio::fs::read(self.root.join(key)).await {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).context("reading an upload"),
        }
    }
}

/// An S3-compatible bucket.
pub struct S3 {
    /// `http(s)://host[:port]`, without the bucket.
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
    pub client: reqwest::Client,
}

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut m = HmacSha256::new_from_slice(key).expect("HMAC takes any key");
    m.update(data.as_bytes());
    m.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The path of an object, each segment percent-encoded as SigV4 wants.
fn encode_path(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            segment
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Who signs, and for which region.
pub struct Credentials<'a> {
    pub access_key: &'a str,
    pub secret_key: &'a str,
    pub region: &'a str,
}

/// The `Authorization` header of AWS Signature Version 4 for a request without a query string.
/// `headers` are (lower-case name, value) and must include `host`, `x-amz-date` and
/// `x-amz-content-sha256`.
pub fn sigv4_authorization(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    payload_sha256: &str,
    who: &Credentials,
    amz_date: &str,
) -> String {
    let Credentials {
        access_key,
        secret_key,
        region,
    } = who;
    let mut sorted: Vec<(&str, &str)> = headers.to_vec();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let canonical_headers: String = sorted
        .iter()
        .map(|(n, v)| format!("{n}:{}\n", v.trim()))
        .collect();
    let signed_headers = sorted.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(";");
    let canonical_request = format!(
        "{method}\n{}\n\n{canonical_headers}\n{signed_headers}\n{payload_sha256}",
        encode_path(path)
    );
    let day = &amz_date[..8];
    let scope = format!("{day}/{region}/s3/aws4_request");
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical_request.as_bytes()))
    );
    let key = hmac(format!("AWS4{secret_key}").as_bytes(), day);
    let key = hmac(&key, region);
    let key = hmac(&key, "s3");
    let key = hmac(&key, "aws4_request");
    let signature = hex(&hmac(&key, &string_to_sign));
    format!(
        "AWS4-HMAC-SHA256 Credential={access_key}/{scope},SignedHeaders={signed_headers},Signature={signature}"
    )
}

impl S3 {
    fn request(
        &self,
        method: reqwest::Method,
        key: &str,
        body: Option<(Vec<u8>, &str)>,
    ) -> anyhow::Result<reqwest::RequestBuilder> {
        check_key(key)?;
        let url = reqwest::Url::parse(&format!(
            "{}/{}/{}",
            self.endpoint.trim_end_matches('/'),
            self.bucket,
            key
        ))?;
        let host = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_owned(),
        };
        let payload = body.as_ref().map(|(b, _)| b.as_slice()).unwrap_or(&[]);
        let sha = hex(&Sha256::digest(payload));
        let amz_date = time::OffsetDateTime::now_utc()
            .format(&time::macros::format_description!(
                "[year][month][day]T[hour][minute][second]Z"
            ))
            .expect("a date formats");
        let mut headers = vec![
            ("host", host.as_str()),
            ("x-amz-content-sha256", sha.as_str()),
            ("x-amz-date", amz_date.as_str()),
        ];
        if let Some((_, content_type)) = &body {
            headers.push(("content-type", content_type));
        }
        let authorization = sigv4_authorization(
            method.as_str(),
            url.path(),
            &headers,
            &sha,
            &Credentials {
                access_key: &self.access_key,
                secret_key: &self.secret_key,
                region: &self.region,
            },
            &amz_date,
        );
        let mut request = self
            .client
            .request(method, url.clone())
            .header("authorization", authorization)
            .header("x-amz-content-sha256", &sha)
            .header("x-amz-date", &amz_date);
        if let Some((bytes, content_type)) = body {
            request = request.header("content-type", content_type).body(bytes);
        }
        Ok(request)
    }
}

#[async_trait::async_trait]
impl Storage for S3 {
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> anyhow::Result<()> {
        let response = self
            .request(reqwest::Method::PUT, key, Some((bytes, content_type)))?
            .send()
            .await
            .map_err(|e| e.without_url())
            .context("storing an upload")?;
        anyhow::ensure!(
            response.status().is_success(),
            "the object store answered {} to a PUT",
            response.status()
        );
        Ok(())
    }

    async fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let response = self
            .request(reqwest::Method::GET, key, None)?
            .send()
            .await
            .map_err(|e| e.without_url())
            .context("reading an upload")?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        anyhow::ensure!(
            response.status().is_success(),
            "the object store answered {} to a GET",
            response.status()
        );
        Ok(Some(response.bytes().await?.to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's worked example ("Example: GET Object", sig-v4-header-based-auth).
    #[test]
    fn signs_exactly_as_the_aws_example() {
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let auth = sigv4_authorization(
            "GET",
            "/test.txt",
            &[
                ("host", "examplebucket.s3.amazonaws.com"),
                ("range", "bytes=0-9"),
                ("x-amz-content-sha256", empty),
                ("x-amz-date", "20130524T000000Z"),
            ],
            empty,
            &Credentials {
                access_key: "AKIAIOSFODNN7EXAMPLE",
                secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                region: "us-east-1",
            },
            "20130524T000000Z",
        );
        assert_eq!(
            auth,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,\
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,\
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    #[test]
    fn keys_cannot_leave_the_store() {
        for bad in [
            "",
            "../x",
            "/etc/passwd",
            "a/../../b",
            "a b",
            "a\\b",
            "中文",
        ] {
            assert!(check_key(bad).is_err(), "{bad:?}");
        }
        check_key("applications/7/legal_rep_id-abc123").unwrap();
    }

    #[tokio::test]
    async fn a_local_directory_keeps_what_it_is_given() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalDir::new(dir.path());
        assert_eq!(store.get("a/b").await.unwrap(), None);
        store
            .put("a/b", b"%PDF-1".to_vec(), "application/pdf")
            .await
            .unwrap();
        assert_eq!(store.get("a/b").await.unwrap().unwrap(), b"%PDF-1");
        store
            .put("a/b", b"%PDF-2".to_vec(), "application/pdf")
            .await
            .unwrap();
        assert_eq!(store.get("a/b").await.unwrap().unwrap(), b"%PDF-2");
        // Nothing half-written is left beside it.
        assert_eq!(std::fs::read_dir(dir.path().join("a")).unwrap().count(), 1);
    }
}
