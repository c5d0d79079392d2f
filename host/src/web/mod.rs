//! The transcript web server (axum): health check and stored transcript pages.
//!
//! Transcripts are found by the hash of their unguessable token; a wrong token and a missing
//! page get the same 404, so the server reveals nothing about which tokens exist.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::store::Store;
use cache::{CachedPage, PageCache};

mod cache;

/// The server's routes over `store`.
pub fn router(store: Store) -> Router {
    let state = AppState {
        store,
        pages: Arc::new(PageCache::new(PAGE_CACHE_BYTES)),
    };
    Router::new()
        .route("/healthz", get(health))
        .route("/metrics", get(metrics))
        .route("/api/ticket/{token}", get(transcript))
        .route("/api/ticket/{token}/files/{hash}", get(file))
        .fallback(|| async { not_found() })
        .with_state(state)
}

/// Prometheus' text format.
async fn metrics() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        )],
        crate::metrics::METRICS.render(),
    )
        .into_response()
}

async fn health() -> &'static str {
    "ok"
}

/// The same answer for every miss, so a guess learns nothing.
fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        "No transcript here.",
    )
        .into_response()
}

/// What the handlers share.
#[derive(Clone)]
struct AppState {
    store: Store,
    pages: Arc<PageCache>,
}

/// Bytes of stored (compressed) pages kept in memory.
const PAGE_CACHE_BYTES: usize = 64 << 20;

async fn transcript(
    State(AppState { store, pages }): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    // Tokens are 32 letters and digits; anything else is a miss without a lookup.
    if token.len() != 32 || !token.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return not_found();
    }
    let page = match pages.get(&token) {
        Some(page) => Ok(Some(page)),
        None => store.transcript(&token).await.map(|found| {
            found.map(|stored| {
                let page = CachedPage::new(stored.encoding, stored.body);
                pages.put(&token, page.clone());
                page
            })
        }),
    };
    let page = match page {
        Ok(Some(page)) => page,
        Ok(None) => return not_found(),
        Err(error) => {
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
    set(
        header::CONTENT_SECURITY_POLICY,
        &crate::transcript::page::CSP,
    );
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
async fn file(
    State(AppState { store, .. }): State<AppState>,
    Path((token, hash)): Path<(String, String)>,
) -> Response {
    let well_formed = token.len() == 32
        && token.bytes().all(|b| b.is_ascii_alphanumeric())
        && hash.len() == 64
        && hash.bytes().all(|b| b.is_ascii_hexdigit());
    if !well_formed {
        return not_found();
    }
    let file = match store.transcript_file(&token, &hash).await {
        Ok(Some(file)) => file,
        Ok(None) => return not_found(),
        Err(error) => {
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

/// A running web server.
pub struct WebServer {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl WebServer {
    /// Binds `listen` and serves in the background.
    pub async fn start(listen: SocketAddr, store: Store) -> std::io::Result<Self> {
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let app = router(store);
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(error) = serve.await {
                tracing::error!(%error, "the web server stopped");
            }
        });
        tracing::info!(%addr, "transcript web server listening");
        Ok(Self { addr, stop, task })
    }

    /// The address actually bound (useful with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, finishes open requests and ends.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}
