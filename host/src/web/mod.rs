//! The web server (axum): health check, stored transcript pages and their files, metrics.
//!
//! - `transcripts`: pages and files by token; one 404 for every miss.
//! - `cache`: hot pages in memory, bounded by bytes.
//! - `misses`: each client's budget of lookups that find nothing.
//! - `serve`: accepting connections within bounds (count, header time, idle, lifetime).
//! - `dashboard`: staff and players on the web, signed in with Discord (when configured).
//!
//! `/metrics` is on the main address only with a bearer token from the environment
//! (`TICKETBOT_METRICS_TOKEN`), and without one on `web.metrics_listen` when configured.

mod cache;
pub mod dashboard;
mod misses;
mod serve;
mod transcripts;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::{Secret, WebConfig};
use crate::store::Store;
use cache::PageCache;
use misses::MissBudget;

/// Bytes of stored (compressed) pages kept in memory.
const PAGE_CACHE_BYTES: usize = 64 << 20;

/// What the handlers share.
#[derive(Clone)]
struct AppState {
    store: Store,
    pages: Arc<PageCache>,
    misses: Arc<MissBudget>,
}

/// The main routes over `store`: health, transcripts and files, `/metrics` when a token
/// guards it, and the dashboard when it is configured.
pub fn router(
    store: Store,
    web: &WebConfig,
    dashboard: Option<dashboard::DashboardDeps>,
) -> Router {
    let dashboard = dashboard.map(|deps| dashboard::router(store.clone(), &web.public_url, deps));
    let state = AppState {
        store,
        pages: Arc::new(PageCache::new(PAGE_CACHE_BYTES)),
        misses: Arc::new(MissBudget::new(web.limits.misses_per_minute)),
    };
    let mut router = Router::new()
        .route("/healthz", get(health))
        .route("/api/ticket/{token}", get(transcripts::transcript))
        .route("/api/ticket/{token}/files/{hash}", get(transcripts::file));
    if let Some(token) = web.metrics_token.clone() {
        router = router.route(
            "/metrics",
            get(move |headers: HeaderMap| guarded_metrics(token.clone(), headers)),
        );
    }
    let router = router
        .fallback(|| async { transcripts::not_found() })
        .with_state(state);
    match dashboard {
        Some(dashboard) => dashboard.merge(router),
        None => router,
    }
}

/// The routes of the metrics-only address.
fn metrics_router() -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(health))
        .fallback(|| async { StatusCode::NOT_FOUND })
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

/// `/metrics` for a request bearing the token; the same 404 as any miss otherwise.
async fn guarded_metrics(token: Secret, headers: HeaderMap) -> Response {
    let offered = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match offered {
        Some(offered) if token.matches(offered.trim()) => metrics().await,
        _ => transcripts::not_found(),
    }
}

async fn health() -> &'static str {
    "ok"
}

/// A running web server (and its metrics address, if configured).
pub struct WebServer {
    addr: SocketAddr,
    metrics_addr: Option<SocketAddr>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl WebServer {
    /// Binds the configured addresses and serves in the background (with the dashboard when
    /// `dashboard` is given).
    pub async fn start(
        web: &WebConfig,
        store: Store,
        dashboard: Option<dashboard::DashboardDeps>,
    ) -> std::io::Result<Self> {
        let (stop, stopped) = watch::channel(false);
        let listener = TcpListener::bind(web.listen).await?;
        let addr = listener.local_addr()?;
        let mut tasks = vec![tokio::spawn(serve::serve(
            listener,
            router(store, web, dashboard),
            web.limits,
            stopped.clone(),
        ))];
        let mut metrics_addr = None;
        if let Some(listen) = web.metrics_listen {
            let listener = TcpListener::bind(listen).await?;
            metrics_addr = Some(listener.local_addr()?);
            tasks.push(tokio::spawn(serve::serve(
                listener,
                metrics_router(),
                web.limits,
                stopped,
            )));
            tracing::info!(addr = ?metrics_addr, "metrics listening");
        }
        tracing::info!(%addr, "web server listening");
        Ok(Self {
            addr,
            metrics_addr,
            stop,
            tasks,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The metrics address actually bound, if one is configured.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// Stops accepting, finishes open requests (briefly) and ends.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}
