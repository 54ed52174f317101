//! Fordra's HTTP service (`fordra serve`): the REST API under `/v1/` on the application layer
//! (every endpoint calls the same use case as the CLI), API keys per creditor with scopes,
//! idempotency keys, an OpenAPI 3.1 document with an offline reference page, health, readiness
//! and Prometheus metrics, JSON logs with request ids, and graceful shutdown.

#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod auth;
pub mod config;
pub mod error;
pub mod extract;
pub mod idempotency;
pub mod metrics;
pub mod routes;
pub mod state;
pub mod web;
pub mod workers;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use error::ApiError;
use state::{with_app, Shared};
use std::time::Instant;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi, SecurityRequirement};
use utoipa::OpenApi as _;

/// The document's header; the paths come from the routes.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Fordra",
        description = "Differentiated dunning and debt collection for Nordic creditors. Every request under /v1/ carries `Authorization: Bearer <key>` (made with `fordra key add`). A key works for one creditor (or, an operator's, for all); another creditor's data answers 404. POSTs that create something take an `Idempotency-Key` header. Amounts are decimal strings, dates ISO 8601. Errors: `{\"error\": {\"code\", \"message\", …}}`."
    ),
    components(schemas(routes::FileKind, routes::ReportKind, routes::Ending, routes::StatusParam, routes::SegmentParam, error::ErrorBody)),
    tags(
        (name = "creditors"), (name = "customers"), (name = "invoices"), (name = "files"), (name = "claims"),
        (name = "payments"), (name = "runs"), (name = "pauses"), (name = "deliveries"), (name = "reports"),
        (name = "policy"), (name = "models"), (name = "experiments"), (name = "keys"), (name = "webhooks"),
        (name = "law"), (name = "operations")
    )
)]
struct ApiDoc;

/// The router with its state and the OpenAPI document of its routes (served at
/// `/openapi.json`).
pub fn app(svc: Shared) -> Router {
    let (v1, mut doc) =
        utoipa_axum::router::OpenApiRouter::with_openapi(ApiDoc::openapi()).merge(routes::v1()).split_for_parts();
    let (ops, ops_doc) = utoipa_axum::router::OpenApiRouter::<Shared>::new()
        .routes(utoipa_axum::routes!(health))
        .routes(utoipa_axum::routes!(ready))
        .routes(utoipa_axum::routes!(opened))
        .split_for_parts();
    doc.merge(ops_doc);
    secure(&mut doc);
    let doc_json = doc.clone();
    let protected = v1
        .route_layer(middleware::from_fn_with_state(svc.clone(), idempotency::idempotent))
        .route_layer(middleware::from_fn_with_state(svc.clone(), auth::authenticate));
    Router::new()
        .merge(protected)
        .merge(ops)
        .merge(web::router(svc.clone()))
        .route("/metrics", get(metrics_text))
        .route("/openapi.json", get(move || async move { axum::Json(doc_json) }))
        .merge(utoipa_swagger_ui::SwaggerUi::new("/docs").url("/docs/openapi.json", doc))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(fordra_core::limits::MAX_FILE_BYTES as usize))
        .layer(middleware::from_fn_with_state(svc.clone(), observe))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(svc)
}

/// Bearer authentication on every `/v1/` operation; health and readiness are open.
fn secure(doc: &mut OpenApi) {
    use utoipa::openapi::{ContentBuilder, RefOr, ResponseBuilder};
    let error = |what: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(what)
                .content(
                    "application/json",
                    ContentBuilder::new().schema(Some(utoipa::openapi::Ref::from_schema_name("ErrorBody"))).build(),
                )
                .build(),
        )
    };
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("fdk_…").build()),
    );
    for (path, item) in doc.paths.paths.iter_mut() {
        if !path.starts_with("/v1/") {
            continue;
        }
        for (method, op) in operations(item) {
            // Each operation names the scope it needs (`security(("bearer" = ["write"]))` on the
            // handler, checked by the tenancy matrix against what the handler enforces).
            if op.security.is_none() {
                op.security = Some(vec![SecurityRequirement::new("bearer", ["admin"])]);
            }
            // What any operation may answer besides its own results: the service's refusals.
            let mut common = vec![
                ("400", "malformed request: not JSON, an unknown field, a bad parameter"),
                ("401", "no key, or an unknown or revoked one"),
                ("403", "the key's scope is too small"),
                ("404", "not found (another creditor's data is not found either)"),
                ("422", "invalid input, or a request the law or the creditor's rules refuse"),
                ("429", "over the key's rate limit"),
                ("503", "the database failed; nothing changed"),
            ];
            if method != "get" {
                common.extend([
                    ("409", "a conflict with what is stored, or the same Idempotency-Key still in progress"),
                    ("413", "the body is too large"),
                    ("415", "a JSON body without Content-Type: application/json"),
                ]);
            }
            for (code, what) in common {
                op.responses.responses.entry(code.to_string()).or_insert_with(|| error(what));
            }
        }
    }
}

fn operations(
    item: &mut utoipa::openapi::PathItem,
) -> impl Iterator<Item = (&'static str, &mut utoipa::openapi::path::Operation)> {
    [
        ("get", &mut item.get),
        ("put", &mut item.put),
        ("post", &mut item.post),
        ("delete", &mut item.delete),
        ("patch", &mut item.patch),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.as_mut().map(|op| (m, op)))
}

/// Counts and times every request by its route, and logs it as one JSON line with its id.
async fn observe(State(svc): State<Shared>, req: Request, next: Next) -> Response {
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let start = Instant::now();
    let response = next.run(req).await;
    let secs = start.elapsed().as_secs_f64();
    let status = response.status().as_u16();
    svc.metrics.latency.with_label_values(&[route.as_str(), method.as_str()]).observe(secs);
    svc.metrics.requests.with_label_values(&[route.as_str(), method.as_str(), &status.to_string()]).inc();
    tracing::info!(request_id = %id, method = %method, route = %route, status, ms = secs * 1000.0, "request");
    response
}

/// The service runs.
#[utoipa::path(get, path = "/health", tag = "operations", responses((status = 200, description = "alive")))]
async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({ "status": "ok" }))
}

/// The database answers and its schema is current.
#[utoipa::path(get, path = "/ready", tag = "operations",
    responses((status = 200, description = "ready"), (status = 503, body = error::ErrorBody)))]
async fn ready(State(svc): State<Shared>) -> Response {
    match with_app(&svc, |app| Ok(app.store.schema_version()?)).await {
        Ok((applied, known)) if applied == known => {
            axum::Json(serde_json::json!({ "status": "ready", "schema": applied })).into_response()
        }
        Ok((applied, known)) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage",
            format!("the schema is at migration {applied}, this version needs {known}"),
        )
        .into_response(),
        Err(e) => e.into_response(),
    }
}

/// The tracking image's signature.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct OpenSig {
    /// The signature from the e-mail.
    sig: Option<String>,
}

/// The smallest transparent GIF (1×1).
const PIXEL: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";

/// The tracking image of an e-mail (where the creditor tracks opening, `letter_if_unopened_days`):
/// a signed request records the e-mail as opened. Always the same image, whatever the signature,
/// so the answer tells nothing.
#[utoipa::path(get, path = "/o/{creditor}/{delivery}", tag = "operations",
    params(("creditor" = String, Path), ("delivery" = String, Path), OpenSig),
    responses((status = 200, description = "a 1×1 image", content_type = "image/gif", body = Vec<u8>)))]
async fn opened(
    State(svc): State<Shared>,
    axum::extract::Path((creditor, delivery)): axum::extract::Path<(String, String)>,
    axum::extract::Query(q): axum::extract::Query<OpenSig>,
) -> Response {
    let genuine = match (&svc.delivery.links, &q.sig) {
        (Some(links), Some(sig)) => links.verify_open(&creditor, &delivery, sig),
        _ => false,
    };
    if genuine {
        let now = chrono::Utc::now();
        let c = fordra_app::CreditorId(creditor);
        if let Err(e) = with_app(&svc, move |app| app.email_opened(&c, &delivery, now)).await {
            tracing::error!(error = %e.detail.message, "could not record an opened e-mail");
        }
    }
    let mut r = PIXEL.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("image/gif"));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

async fn metrics_text(State(svc): State<Shared>) -> Response {
    let mut r = svc.metrics.render().into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
    r
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint (see /openapi.json)")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this endpoint does not take that method")
}

/// Starts the service and serves until SIGINT or SIGTERM; then stops taking requests, lets the
/// ones in flight finish (each use case's transaction commits or rolls back whole) and returns.
pub async fn serve(config: config::ServeConfig, law: fordra_core::law::LawBook) -> Result<(), String> {
    // Connecting blocks (the PostgreSQL client runs its own runtime): off the async threads.
    let (db, connections) = (config.db.clone(), config.connections);
    let pool = tokio::task::spawn_blocking(move || state::Pool::open(&db, connections))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("database {}: {e}", config.db))?;
    let mut service = state::Service::new(pool, law, config.today, config.rate_per_second, config.rate_burst);
    service.delivery =
        fordra_comms::couriers::Config::load(config.delivery_config.as_deref().map(std::path::Path::new))
            .map_err(|e| e.to_string())?;
    let svc = std::sync::Arc::new(service);
    let listener = tokio::net::TcpListener::bind(&config.addr).await.map_err(|e| format!("{}: {e}", config.addr))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(addr = %addr, db = %config.db, "serving");
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut background = Vec::new();
    if config.workers {
        // Made once (phrases, templates, fonts, SMTP pool); a wrong configuration stops the start.
        let delivery = svc.delivery.clone();
        let couriers = tokio::task::spawn_blocking(move || fordra_comms::couriers::Couriers::new(delivery))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("delivery configuration: {e}"))?;
        let couriers = std::sync::Arc::new(std::sync::Mutex::new(couriers));
        let every = std::time::Duration::from_millis(config.webhook_interval_ms);
        background.push(tokio::spawn(workers::webhooks(svc.clone(), every, stopped.clone())));
        let holder = format!("{}-{}", std::process::id(), uuid::Uuid::new_v4());
        let every = std::time::Duration::from_secs(config.schedule_interval_seconds);
        let scheduler = workers::scheduler(svc.clone(), every, holder, config.schedule_workers, stopped.clone());
        background.push(tokio::spawn(scheduler));
        let every = std::time::Duration::from_secs(config.deliver_interval_seconds);
        background.push(tokio::spawn(workers::deliveries(svc.clone(), every, couriers, stopped.clone())));
        let hourly = std::time::Duration::from_secs(3600);
        background.push(tokio::spawn(workers::housekeeping(svc.clone(), hourly, stopped.clone())));
    }
    axum::serve(listener, app(svc)).with_graceful_shutdown(shutdown()).await.map_err(|e| e.to_string())?;
    // The requests have finished; let the workers finish their pass.
    let _ = stop.send(true);
    for task in background {
        let _ = task.await;
    }
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing the requests in flight");
}

/// Sets up logging: one JSON object per line (or plain text), level from `RUST_LOG` (default
/// info).
pub fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if json { builder.json().flatten_event(true).try_init() } else { builder.try_init() };
}

/// A running service in a thread of its own, on a free loopback port (benchmarks and tests);
/// dropping it stops the service.
pub struct Background {
    /// Its port on 127.0.0.1.
    pub port: u16,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// Serves `svc` on a free loopback port in a thread of its own, with the webhook worker looking
/// every `webhooks` when given.
pub fn spawn(svc: Shared, webhooks: Option<std::time::Duration>) -> Result<Background, String> {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (port_tx, port_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
            Ok(rt) => rt,
            Err(e) => return drop(port_tx.send(Err(e.to_string()))),
        };
        rt.block_on(async move {
            let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
                Ok(l) => l,
                Err(e) => return drop(port_tx.send(Err(e.to_string()))),
            };
            let _ = port_tx.send(listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string()));
            let (workers_stop, workers_stopped) = tokio::sync::watch::channel(false);
            if let Some(every) = webhooks {
                tokio::spawn(workers::webhooks(svc.clone(), every, workers_stopped));
            }
            let _ = axum::serve(listener, app(svc))
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
            drop(workers_stop);
        });
    });
    let port = port_rx.recv().map_err(|e| e.to_string())??;
    Ok(Background { port, _stop: stop })
}
