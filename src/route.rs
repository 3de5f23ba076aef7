//! Every address of the app as a value: [`Route::path`] writes one, [`Route::parse`] reads one
//! back. Pages link with `Route::….path()` and `app.rs` picks the page with `Route::parse`, so
//! no page slices or formats an address itself.

use api::licence::Stage;

/// A page of the app, with what its address carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// `/`: what Zhida does; a signed-in person's subsidies.
    Landing,
    /// `/policies`: the policy library.
    Policies,
    /// `/policies/{id}`: one policy.
    Policy(String),
    /// `/self-check`: the policy calculator (a bundle of its own).
    SelfCheck,
    /// `/services` (办事).
    Services,
    /// `/me` (我的).
    Me,
    /// `/login`: phone and SMS code.
    Login,
    /// `/login?wechat=1`: the phone step that binds a first WeChat login.
    BindWeChat,
    /// `/login/staff`.
    StaffLogin,
    /// `/wechat?ticket=…`: where a mini-program's web-view opens, with its login ticket.
    WeChat(Option<String>),
    /// `/problem?error=…`: where the server sends a navigation that ended in an error.
    Problem(String),
    /// `/track`: an application's progress by its number and phone.
    Track,
    /// `/verify?t=…`: what a scanned licence QR code is worth.
    Verify(Option<String>),
    /// `/staff/enrol?t=…`: a new staff member's one-time link (password and authenticator).
    StaffEnrol(Option<String>),
    /// `/grants/{id}`: a grant's receipt.
    Grant(i64),
    /// `/staff/disbursement`.
    Disbursement,
    /// `/licences`: the applicant's applications.
    Licences,
    /// `/licences/new`.
    NewApplication,
    /// `/licences/{id}`: an application's task list or progress.
    Application(i64),
    /// `/licences/{id}/{section}`: one section of the form (or `materials`).
    Section(i64, String),
    /// `/licences/{id}/check`: check your answers, then submit.
    CheckAnswers(i64),
    /// `/licences/issued/{number}`: an issued licence.
    Licence(String),
    /// `/staff/licences?stage=…`: the reviewers' queues (all open ones without a stage).
    Workbench(Option<Stage>),
    /// `/staff/licences/{id}`: one application under review.
    Review(i64),
    /// `/staff/licences/figures`.
    Figures,
    /// `/staff/licences/catalogue`: the permit catalogue.
    Catalogue,
    /// `/staff/policies`: policy administration (the policies and their versions).
    PolicyAdmin,
    /// `/staff/policies/new`: a new policy's first draft.
    NewPolicy,
    /// `/staff/policies/{id}/versions/{version}`: one version (editor, diff, sandbox, decision).
    PolicyVersion(String, u32),
    /// `/claims/{id}`: an application for a subsidy that a department reviews (线上申报).
    Claim(i64),
    /// `/staff/claims`: a department's queue of applications to review.
    ClaimQueue,
    /// `/staff/claims/{id}`: one application under review.
    ClaimReview(i64),
}

impl Route {
    /// The address: path, and the query the page reads, each part percent-encoded.
    pub fn path(&self) -> String {
        let with = |path: &str, name: &str, value: Option<&str>| match value {
            Some(v) => format!("{path}?{name}={}", encode(v)),
            None => path.to_owned(),
        };
        match self {
            Route::Landing => "/".to_owned(),
            Route::Policies => "/policies".to_owned(),
            Route::Policy(id) => format!("/policies/{}", encode(id)),
            Route::SelfCheck => "/self-check".to_owned(),
            Route::Services => "/services".to_owned(),
            Route::Me => "/me".to_owned(),
            Route::Login => "/login".to_owned(),
            Route::BindWeChat => "/login?wechat=1".to_owned(),
            Route::StaffLogin => "/login/staff".to_owned(),
            Route::WeChat(ticket) => with("/wechat", "ticket", ticket.as_deref()),
            Route::Problem(reason) => with(
                "/problem",
                "error",
                Some(reason.as_str()).filter(|r| !r.is_empty()),
            ),
            Route::Track => "/track".to_owned(),
            Route::Verify(token) => with("/verify", "t", token.as_deref()),
            Route::StaffEnrol(token) => with("/staff/enrol", "t", token.as_deref()),
            Route::Grant(id) => format!("/grants/{id}"),
            Route::Disbursement => "/staff/disbursement".to_owned(),
            Route::Licences => "/licences".to_owned(),
            Route::NewApplication => "/licences/new".to_owned(),
            Route::Application(id) => format!("/licences/{id}"),
            Route::Section(id, section) => format!("/licences/{id}/{}", encode(section)),
            Route::CheckAnswers(id) => format!("/licences/{id}/check"),
            Route::Licence(number) => format!("/licences/issued/{}", encode(number)),
            Route::Workbench(stage) => with("/staff/licences", "stage", stage.map(Stage::as_str)),
            Route::Review(id) => format!("/staff/licences/{id}"),
            Route::Figures => "/staff/licences/figures".to_owned(),
            Route::Catalogue => "/staff/licences/catalogue".to_owned(),
            Route::PolicyAdmin => "/staff/policies".to_owned(),
            Route::NewPolicy => "/staff/policies/new".to_owned(),
            Route::PolicyVersion(id, version) => {
                format!("/staff/policies/{}/versions/{version}", encode(id))
            }
            Route::Claim(id) => format!("/claims/{id}"),
            Route::ClaimQueue => "/staff/claims".to_owned(),
            Route::ClaimReview(id) => format!("/staff/claims/{id}"),
        }
    }

    /// The page an address names (a path, optionally with its query); `None` for an address
    /// the app does not know. A trailing slash is ignored.
    pub fn parse(address: &str) -> Option<Route> {
        let (path, query) = address.split_once('?').unwrap_or((address, ""));
        let path = path.split('#').next().unwrap_or_default();
        let param = |name: &str| query_param(query, name);
        let segments: Vec<String> = path
            .trim_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .map(decode)
            .collect::<Option<_>>()?;
        let parts: Vec<&str> = segments.iter().map(String::as_str).collect();
        let id = |s: &str| s.parse::<i64>().ok();
        Some(match parts.as_slice() {
            [] => Route::Landing,
            ["policies"] => Route::Policies,
            ["policies", id] => Route::Policy((*id).to_owned()),
            ["self-check"] => Route::SelfCheck,
            ["services"] => Route::Services,
            ["me"] => Route::Me,
            ["login"] if param("wechat").is_some() => Route::BindWeChat,
            ["login"] => Route::Login,
            ["login", "staff"] => Route::StaffLogin,
            ["wechat"] => Route::WeChat(param("ticket")),
            ["problem"] => Route::Problem(param("error").unwrap_or_default()),
            ["track"] => Route::Track,
            ["verify"] => Route::Verify(param("t")),
            ["staff", "enrol"] => Route::StaffEnrol(param("t")),
            ["grants", n] => Route::Grant(id(n)?),
            ["staff", "disbursement"] => Route::Disbursement,
            ["licences"] => Route::Licences,
            ["licences", "new"] => Route::NewApplication,
            ["licences", "issued", number] => Route::Licence((*number).to_owned()),
            ["licences", n] => Route::Application(id(n)?),
            ["licences", n, "check"] => Route::CheckAnswers(id(n)?),
            ["licences", n, section] => Route::Section(id(n)?, (*section).to_owned()),
            ["staff", "licences"] => Route::Workbench(match param("stage") {
                None => None,
                Some(s) if s.is_empty() => None,
                Some(s) => Some(Stage::parse(&s)?),
            }),
            ["staff", "licences", "figures"] => Route::Figures,
            ["staff", "licences", "catalogue"] => Route::Catalogue,
            ["staff", "licences", n] => Route::Review(id(n)?),
            ["staff", "policies"] => Route::PolicyAdmin,
            ["staff", "policies", "new"] => Route::NewPolicy,
            ["staff", "policies", policy, "versions", v] => {
                Route::PolicyVersion((*policy).to_owned(), v.parse().ok()?)
            }
            ["claims", n] => Route::Claim(id(n)?),
            ["staff", "claims"] => Route::ClaimQueue,
            ["staff", "claims", n] => Route::ClaimReview(id(n)?),
            _ => return None,
        })
    }
}

/// The value of `name` in a query string (`a=1&b=2`, with or without its `?`), decoded; a
/// value that does not decode is given as it is.
pub fn query_param(query: &str, name: &str) -> Option<String> {
    query.trim_start_matches('?').split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then(|| decode(value).unwrap_or_else(|| value.to_owned()))
    })
}

/// Percent-encodes a path segment or a query value: everything but letters, digits and
/// `-._~` (RFC 3986's unreserved characters), as UTF-8 bytes.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 15)]));
        }
    }
    out
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Reads percent-escapes back; `None` for a broken escape or text that is not UTF-8.
pub fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One of each variant, with awkward values where a variant carries text.
    fn every_route() -> Vec<Route> {
        let mut all = vec![
            Route::Landing,
            Route::Policies,
            Route::Policy("senior-allowance".to_owned()),
            Route::Policy("a b/c?d=é".to_owned()),
            Route::SelfCheck,
            Route::Services,
            Route::Me,
            Route::Login,
            Route::BindWeChat,
            Route::StaffLogin,
            Route::WeChat(None),
            Route::WeChat(Some("t+k/=&x".to_owned())),
            Route::Problem(String::new()),
            Route::Problem("invalid_code_ticket".to_owned()),
            Route::Track,
            Route::Verify(None),
            Route::Verify(Some("eyJhIjoxfQ.c2ln".to_owned())),
            Route::StaffEnrol(None),
            Route::StaffEnrol(Some("a-b_c".to_owned())),
            Route::Grant(42),
            Route::Grant(-1),
            Route::Disbursement,
            Route::Licences,
            Route::NewApplication,
            Route::Application(7),
            Route::Section(7, "business".to_owned()),
            Route::Section(7, "materials".to_owned()),
            Route::CheckAnswers(7),
            Route::Licence("440604202600000712".to_owned()),
            Route::Licence("粤 1/2".to_owned()),
            Route::Workbench(None),
            Route::Review(7),
            Route::Figures,
            Route::Catalogue,
            Route::PolicyAdmin,
            Route::NewPolicy,
            Route::PolicyVersion("senior-allowance".to_owned(), 2),
            Route::Claim(3),
            Route::ClaimQueue,
            Route::ClaimReview(3),
        ];
        all.extend(Stage::ALL.iter().map(|s| Route::Workbench(Some(*s))));
        all
    }

    #[test]
    fn every_route_reads_back_from_its_path() {
        for route in every_route() {
            let path = route.path();
            assert!(path.starts_with('/'), "{path}");
            assert_eq!(Route::parse(&path), Some(route.clone()), "{path}");
        }
    }

    /// The test above names each variant: this match fails to compile when one is added
    /// without being added there too.
    #[test]
    fn the_round_trip_covers_every_variant() {
        let covered = |r: &Route| match r {
            Route::Landing
            | Route::Policies
            | Route::Policy(_)
            | Route::SelfCheck
            | Route::Services
            | Route::Me
            | Route::Login
            | Route::BindWeChat
            | Route::StaffLogin
            | Route::WeChat(_)
            | Route::Problem(_)
            | Route::Track
            | Route::Verify(_)
            | Route::StaffEnrol(_)
            | Route::Grant(_)
            | Route::Disbursement
            | Route::Licences
            | Route::NewApplication
            | Route::Application(_)
            | Route::Section(..)
            | Route::CheckAnswers(_)
            | Route::Licence(_)
            | Route::Workbench(_)
            | Route::Review(_)
            | Route::Figures
            | Route::Catalogue
            | Route::PolicyAdmin
            | Route::NewPolicy
            | Route::PolicyVersion(..)
            | Route::Claim(_)
            | Route::ClaimQueue
            | Route::ClaimReview(_) => std::mem::discriminant(r),
        };
        let kinds: std::collections::HashSet<_> = every_route().iter().map(covered).collect();
        assert_eq!(kinds.len(), 32);
    }

    #[test]
    fn paths_are_the_addresses_people_and_the_server_use() {
        assert_eq!(Route::Landing.path(), "/");
        assert_eq!(Route::Grant(3).path(), "/grants/3");
        assert_eq!(
            Route::Section(5, "drug_retail".into()).path(),
            "/licences/5/drug_retail"
        );
        assert_eq!(
            Route::Workbench(Some(Stage::Submitted)).path(),
            "/staff/licences?stage=submitted"
        );
        assert_eq!(Route::Workbench(None).path(), "/staff/licences");
        assert_eq!(Route::BindWeChat.path(), "/login?wechat=1");
        assert_eq!(Route::Policy("a b".into()).path(), "/policies/a%20b");
    }

    #[test]
    fn reads_addresses_as_browsers_and_the_server_write_them() {
        assert_eq!(Route::parse("/policies/"), Some(Route::Policies));
        assert_eq!(Route::parse(""), Some(Route::Landing));
        assert_eq!(Route::parse("/login?wechat=1"), Some(Route::BindWeChat));
        assert_eq!(Route::parse("/login?other=1"), Some(Route::Login));
        assert_eq!(
            Route::parse("/problem?error=unavailable_wechat"),
            Some(Route::Problem("unavailable_wechat".into()))
        );
        assert_eq!(
            Route::parse("/verify?x=1&t=abc%2Bd"),
            Some(Route::Verify(Some("abc+d".into())))
        );
        assert_eq!(
            Route::parse("/staff/licences?stage="),
            Some(Route::Workbench(None))
        );
        assert_eq!(
            Route::parse("/licences/12/check#top"),
            Some(Route::CheckAnswers(12))
        );
    }

    #[test]
    fn refuses_addresses_the_app_does_not_know() {
        for address in [
            "/nowhere",
            "/grants/abc",
            "/licences/x",
            "/licences/issued",
            "/licences/1/a/b",
            "/policies/a/b",
            "/staff/licences?stage=nonsense",
            "/staff/licences/abc",
            "/policies/%E0%A4",
            "/policies/%zz",
        ] {
            assert_eq!(Route::parse(address), None, "{address}");
        }
    }

    #[test]
    fn encodes_and_decodes_text() {
        assert_eq!(encode("abc-._~XYZ09"), "abc-._~XYZ09");
        assert_eq!(encode("a/b c"), "a%2Fb%20c");
        assert_eq!(encode("禅"), "%E7%A6%85");
        assert_eq!(decode("%E7%A6%85").as_deref(), Some("禅"));
        assert_eq!(decode("a+b").as_deref(), Some("a+b"));
        assert_eq!(decode("%4"), None);
        assert_eq!(query_param("?a=1&b=x%20y", "b").as_deref(), Some("x y"));
        assert_eq!(query_param("a", "a").as_deref(), Some(""));
        assert_eq!(query_param("a=%zz", "a").as_deref(), Some("%zz"));
        assert_eq!(query_param("a=1", "b"), None);
    }
}
