//! The transcript web server (axum): health check and stored transcript pages.
//!
//! Transcripts are found by the hash of their unguessable token; a wrong token and a missing
//! page get the same 404, so the server reveals nothing about which tokens exist.

use std::net::SocketAddr;

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::store::Store;

/// The server's routes over `store`.
pub fn router(store: Store) -> Router {
    Router::new()
        .route("/healthz", get(health))
        .route("/api/ticket/{token}", get(transcript))
        .with_state(store)
}

async fn health() -> &'static str {
    "ok"
}

async fn transcript(State(store): State<Store>, Path(token): Path<String>) -> Response {
    match store.transcript(&token).await {
        Ok(Some(page)) => {
            let mut response = (
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("text/html; charset=utf-8"),
                    ),
                    (
                        header::CACHE_CONTROL,
                        HeaderValue::from_static("private, max-age=3600"),
                    ),
                    (
                        header::REFERRER_POLICY,
                        HeaderValue::from_static("no-referrer"),
                    ),
                    (
                        header::X_CONTENT_TYPE_OPTIONS,
                        HeaderValue::from_static("nosniff"),
                    ),
                ],
                page.body,
            )
                .into_response();
            if page.encoding != "identity" {
                if let Ok(value) = HeaderValue::from_str(&page.encoding) {
                    response
                        .headers_mut()
                        .insert(header::CONTENT_ENCODING, value);
                }
            }
            response
        }
        Ok(None) => (StatusCode::NOT_FOUND, "No transcript here.").into_response(),
        Err(error) => {
            tracing::error!(%error, "reading a transcript failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "The transcript store is unavailable; try again shortly.",
            )
                .into_response()
        }
    }
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
