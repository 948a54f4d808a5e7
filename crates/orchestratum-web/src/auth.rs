//! The authentication hook, and two ready ones: a bearer token and basic auth.

use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;

use crate::Access;

/// Decides what a request may do from its method, URI and headers; plug in the app's own
/// session check here. A closure `Fn(&Parts) -> Access` is one.
pub trait Auth: Send + Sync + 'static {
    /// What this request may do.
    fn check(&self, parts: &Parts) -> Access;
}

impl<F> Auth for F
where
    F: Fn(&Parts) -> Access + Send + Sync + 'static,
{
    fn check(&self, parts: &Parts) -> Access {
        self(parts)
    }
}

/// Allows everything to a request with `Authorization: Bearer <token>`, refuses others with 401.
pub fn bearer(token: impl Into<String>) -> impl Auth {
    let token = token.into();
    move |parts: &Parts| {
        let given = authorization(parts).and_then(|v| v.strip_prefix("Bearer "));
        match given {
            Some(t) if same(t.trim().as_bytes(), token.as_bytes()) => Access::Full,
            _ => Access::Deny(unauthorized("Bearer realm=\"orchestratum\"")),
        }
    }
}

/// Allows everything to a request with basic auth as `user` and `password`, refuses others
/// with 401 (so a browser asks for them).
pub fn basic(user: impl Into<String>, password: impl Into<String>) -> impl Auth {
    let expected = format!("{}:{}", user.into(), password.into());
    move |parts: &Parts| {
        let given = authorization(parts)
            .and_then(|v| v.strip_prefix("Basic "))
            .and_then(|b| {
                base64::engine::general_purpose::STANDARD
                    .decode(b.trim())
                    .ok()
            });
        match given {
            Some(pair) if same(&pair, expected.as_bytes()) => Access::Full,
            _ => Access::Deny(unauthorized(
                "Basic realm=\"orchestratum\", charset=\"UTF-8\"",
            )),
        }
    }
}

fn authorization(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
}

/// Compares in time independent of where the first difference is, so a timing does not
/// reveal how much of a secret was right.
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn unauthorized(challenge: &'static str) -> Response {
    let mut response = (StatusCode::UNAUTHORIZED, "authentication required").into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(challenge),
    );
    response
}
