//! The middleware every request goes through: the auth hook, read-only mode, the CSRF
//! double-submit check on POSTs, and the mount point links are built from.

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{OriginalUri, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::auth::same;
use crate::error::page;
use crate::{Access, AppState};

/// The cookie holding the CSRF token; forms echo it in the field of the same name.
pub(crate) const CSRF: &str = "orch_csrf";
/// Largest form body accepted: the dashboard's forms hold a token and a name.
const FORM_LIMIT: usize = 64 * 1024;

/// What a handler knows about the request beyond its own extractors.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    /// Where the router is mounted, without a trailing slash (`""` at the root).
    pub base: String,
    /// May this request change anything (shows the action forms).
    pub can_write: bool,
    /// The CSRF token forms must carry.
    pub csrf: String,
    /// Live refresh period in milliseconds, 0 for none.
    pub refresh_ms: u128,
}

impl Ctx {
    /// A link to `path` (starting with `/`) under the mount point.
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// Runs before every handler: decides access, checks POSTs, and sets the CSRF cookie.
pub(crate) async fn guard(
    State(state): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = req.into_parts();
    let base = mount_point(&parts);
    let access = match &state.options.auth {
        Some(auth) => auth.check(&parts),
        None => Access::Full,
    };
    let can_write = match access {
        Access::Deny(response) => return response,
        Access::ReadOnly => false,
        Access::Full => !state.options.read_only,
    };
    let (csrf, fresh) = match cookie(&parts.headers, CSRF) {
        Some(token) => (token, false),
        None => (uuid::Uuid::new_v4().simple().to_string(), true),
    };
    let ctx = Ctx {
        base,
        can_write,
        csrf,
        refresh_ms: state.options.refresh.as_millis(),
    };
    let body = if parts.method == Method::POST {
        if !ctx.can_write {
            return page(
                &ctx,
                StatusCode::FORBIDDEN,
                "Read-only",
                "This dashboard is read-only for you: nothing was changed.",
            );
        }
        if !same_origin(&parts.headers) {
            return page(
                &ctx,
                StatusCode::FORBIDDEN,
                "Cross-origin request refused",
                "The request came from another site: nothing was changed.",
            );
        }
        let Ok(bytes) = to_bytes(body, FORM_LIMIT).await else {
            return page(
                &ctx,
                StatusCode::PAYLOAD_TOO_LARGE,
                "Form too large",
                "The form sent is larger than any of this dashboard's.",
            );
        };
        let given = form_field(&bytes, CSRF);
        if fresh || !given.is_some_and(|g| same(g.as_bytes(), ctx.csrf.as_bytes())) {
            return page(
                &ctx,
                StatusCode::FORBIDDEN,
                "Missing or wrong CSRF token",
                "The form's token does not match this browser's: reload the page and try again. Nothing was changed.",
            );
        }
        Body::from(bytes)
    } else if parts.method == Method::GET || parts.method == Method::HEAD {
        body
    } else {
        return page(
            &ctx,
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed",
            "Pages answer GET; actions answer POST.",
        );
    };
    parts.extensions.insert(ctx.clone());
    let mut response = next.run(Request::from_parts(parts, body)).await;
    harden(response.headers_mut());
    if fresh {
        let path = if ctx.base.is_empty() { "/" } else { &ctx.base };
        let cookie = format!(
            "{CSRF}={}; Path={path}; SameSite=Strict; HttpOnly",
            ctx.csrf
        );
        if let Ok(value) = cookie.parse() {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// Headers that keep the pages out of frames (clickjacking), run only our own script and
/// stylesheet, and keep URLs with ids out of other sites' referrers.
fn harden(headers: &mut HeaderMap) {
    let set = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
    ];
    for (name, value) in set {
        headers
            .entry(name)
            .or_insert(axum::http::HeaderValue::from_static(value));
    }
}

/// The prefix the router is nested under: the original path less the path it sees.
fn mount_point(parts: &axum::http::request::Parts) -> String {
    let inner = parts.uri.path();
    let original = parts
        .extensions
        .get::<OriginalUri>()
        .map_or(inner, |o| o.0.path());
    let base = original.strip_suffix(inner).unwrap_or_else(|| {
        // Nested at `/ops`, a request for `/ops` reaches the router as `/`.
        if inner == "/" { original } else { "" }
    });
    base.trim_end_matches('/').to_owned()
}

/// A cookie's value from the request's `Cookie` headers.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, v)| *k == name && !v.is_empty())
        .map(|(_, v)| v.to_owned())
}

/// One field of an urlencoded form.
pub(crate) fn form_field(bytes: &[u8], name: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(bytes).ok()?;
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// False when the browser says the request came from another host (`Origin`, or `Referer`
/// when there is no `Origin`); true when it says nothing, the token still being required.
fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    let Some(source) = source else {
        return true;
    };
    let authority = source
        .split_once("://")
        .map(|(_, rest)| rest.split('/').next().unwrap_or(""));
    matches!((authority, host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h))
}
