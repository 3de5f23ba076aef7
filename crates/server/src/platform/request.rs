//! What a request says, read the same way everywhere: whether its path is the API's, and its
//! cookies.

use axum::http::{header, HeaderMap};

/// The cookie that carries a session.
pub const SESSION_COOKIE: &str = "zhida_session";

/// Whether a path belongs to the API (and so never falls back to the app).
pub fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// The value of the request's cookie `name`, if it has a non-empty one.
pub fn read_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (n, value) = c.trim().split_once('=')?;
            (n == name && !value.is_empty()).then(|| value.to_owned())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_paths_are_the_api_and_nothing_else() {
        assert!(is_api_path("/api"));
        assert!(is_api_path("/api/health"));
        assert!(!is_api_path("/apiary"));
        assert!(!is_api_path("/grants/1"));
    }

    #[test]
    fn a_cookie_is_found_among_others_and_empty_is_none() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, "a=1; zhida_session=abc".parse().unwrap());
        h.append(header::COOKIE, "b=".parse().unwrap());
        assert_eq!(read_cookie(&h, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(read_cookie(&h, "b"), None);
        assert_eq!(read_cookie(&h, "c"), None);
    }
}
