//! Transcript pages and their kept files, found by the hash of their unguessable token. A
//! wrong token and a missing page get the same 404, so the server reveals nothing about which
//! tokens exist, and each client's misses are budgeted ([`super::misses`]).

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::cache::CachedPage;
use super::AppState;

/// Tokens are 32 letters and digits; the original bot's (imported) are commonly UUIDs: up to
/// 128 letters, digits, `-` and `_`.
fn well_formed_token(token: &str) -> bool {
    (1..=128).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The policy for a page imported from the original bot: its HTML is untrusted, so no script
/// runs at all (sandboxed without scripts), nothing loads from elsewhere, and only its inline
/// styles apply.
pub(super) const LEGACY_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; sandbox";

/// The same answer for every miss, so a guess learns nothing.
pub(super) fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        "No transcript here.",
    )
        .into_response()
}

/// A client that missed too often waits.
fn too_many_misses(wait: Duration) -> Response {
    crate::metrics::METRICS.miss_limited();
    let seconds = wait.as_secs().max(1).to_string();
    let mut response = (
        StatusCode::TOO_MANY_REQUESTS,
        "Too many links that lead nowhere; wait a moment and check the link.",
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&seconds) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// A transcript page by its token.
pub(super) async fn transcript(
    State(AppState {
        store,
        pages,
        misses,
    }): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let page = match pages.get(&token) {
        Some(page) => Ok(Some(page)),
        None => {
            // Charged up front (a hit gives it back), so slow lookups cannot let a burst of
            // guesses past the budget.
            if let Err(wait) = misses.take(client.ip()) {
                return too_many_misses(wait);
            }
            // Tokens are 32 letters and digits; anything else is a miss without a lookup.
            if !well_formed_token(&token) {
                return not_found();
            }
            store.transcript(&token).await.map(|found| {
                if found.is_some() {
                    misses.refund(client.ip());
                }
                found.map(|stored| {
                    let page = CachedPage::new(stored.encoding, stored.body, stored.legacy);
                    pages.put(&token, page.clone());
                    page
                })
            })
        }
    };
    let page = match page {
        Ok(Some(page)) => page,
        Ok(None) => return not_found(),
        Err(error) => {
            misses.refund(client.ip());
            tracing::error!(%error, "reading a transcript failed");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "The transcript store is unavailable; try again shortly.",
            )
                .into_response();
        }
    };
    let etag = page.etag.clone();
    let mut response_headers = HeaderMap::new();
    let mut set = |name: header::HeaderName, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            response_headers.insert(name, value);
        }
    };
    set(header::CONTENT_TYPE, "text/html; charset=utf-8");
    set(header::CACHE_CONTROL, "private, no-cache");
    set(header::REFERRER_POLICY, "no-referrer");
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(
        header::HeaderName::from_static("x-robots-tag"),
        "noindex, nofollow",
    );
    let policy: &str = if page.legacy {
        LEGACY_CSP
    } else {
        &crate::transcript::page::CSP
    };
    set(header::CONTENT_SECURITY_POLICY, policy);
    set(header::ETAG, &etag);
    set(header::VARY, "Accept-Encoding");
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim() == etag || tag.trim() == "*")
        });
    if matches {
        return (StatusCode::NOT_MODIFIED, response_headers).into_response();
    }
    let accepts_gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',').any(|e| {
                e.split(';')
                    .next()
                    .is_some_and(|e| e.trim() == "gzip" || e.trim() == "*")
            })
        });
    let body = match page.encoding.as_str() {
        "gzip" if accepts_gzip => {
            set(header::CONTENT_ENCODING, "gzip");
            page.body
        }
        "gzip" => match crate::transcript::decompress(&page.body) {
            Ok(body) => Bytes::from(body),
            Err(error) => {
                tracing::error!(%error, "a stored transcript does not decompress");
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "This transcript is damaged.",
                )
                    .into_response();
            }
        },
        _ => page.body,
    };
    (response_headers, body).into_response()
}

/// A file kept for a transcript: images as themselves, anything else as a download, never
/// sniffed, never able to run anything.
pub(super) async fn file(
    State(AppState { store, misses, .. }): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path((token, hash)): Path<(String, String)>,
) -> Response {
    // Charged up front (a hit gives it back), as for pages.
    if let Err(wait) = misses.take(client.ip()) {
        return too_many_misses(wait);
    }
    let well_formed = well_formed_token(&token)
        && hash.len() == 64
        && hash.bytes().all(|b| b.is_ascii_hexdigit());
    if !well_formed {
        return not_found();
    }
    let file = match store.transcript_file(&token, &hash).await {
        Ok(Some(file)) => {
            misses.refund(client.ip());
            file
        }
        Ok(None) => return not_found(),
        Err(error) => {
            misses.refund(client.ip());
            tracing::error!(%error, "reading a transcript file failed");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "The transcript store is unavailable; try again shortly.",
            )
                .into_response();
        }
    };
    let image = file.content_type.as_deref().filter(|t| {
        crate::transcript::page::INLINE_IMAGES.contains(t)
            || crate::transcript::page::INLINE_VIDEOS.contains(t)
    });
    let mut headers = HeaderMap::new();
    let mut set = |name: header::HeaderName, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    set(
        header::CONTENT_TYPE,
        image.unwrap_or("application/octet-stream"),
    );
    if image.is_none() {
        set(header::CONTENT_DISPOSITION, "attachment");
    }
    set(
        header::CACHE_CONTROL,
        "private, max-age=31536000, immutable",
    );
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "no-referrer");
    set(
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; sandbox",
    );
    set(
        header::HeaderName::from_static("x-robots-tag"),
        "noindex, nofollow",
    );
    (headers, file.body).into_response()
}
