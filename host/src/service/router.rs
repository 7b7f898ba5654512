//! The routes: one table, [`ROUTES`], that both the router and the OpenAPI
//! document ([`super::openapi`]) are made from, so neither can list a
//! route the other lacks. Every route but `/healthz` and the static page
//! at `/` sits behind the bearer token ([`super::auth`]); an unknown path or method gets a JSON
//! error, as everything else does.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{self, MethodFilter, MethodRouter};
use axum::Router;

use super::errors::{no_method, no_route};
use super::limits::JSON_BODY_BYTES;
use super::{datasets, jobs, metrics, openapi, pca, plugins, slice, sse, stats, web, AppState};

/// One route.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// `GET`, `POST`, `DELETE`.
    pub method: &'static str,
    /// The path, `{name}` for a parameter.
    pub path: &'static str,
    /// What it does.
    pub summary: &'static str,
    /// Whether the bearer token is needed.
    pub auth: bool,
    /// What it answers with when all goes well.
    pub ok: &'static str,
}

const fn route(method: &'static str, path: &'static str, ok: &'static str, summary: &'static str) -> Route {
    Route { method, path, summary, auth: true, ok }
}

/// Every route.
pub const ROUTES: &[Route] = &[
    Route { method: "GET", path: "/healthz", summary: "liveness: `ok`, no token needed", auth: false, ok: "200" },
    Route {
        method: "GET",
        path: "/",
        summary: "the web page (static HTML; the API calls it makes need the token)",
        auth: false,
        ok: "200",
    },
    route("GET", "/openapi.json", "200", "this API as an OpenAPI 3.1 document"),
    route("GET", "/metrics", "200", "Prometheus metrics: per stage and plugin version, jobs by state, queue depth"),
    route("GET", "/v1/plugins", "200", "the plugin versions serving now, with their operators"),
    route(
        "POST",
        "/v1/datasets",
        "201",
        "upload a dataset (raw body, `?name=FILE`) or register a file by path (`{\"path\": ...}` under an `--allow-root`)",
    ),
    route("GET", "/v1/datasets", "200", "list the datasets"),
    route("GET", "/v1/datasets/{id}", "200", "a dataset's shape, dtype, axes (names, units), channels, metadata"),
    route("DELETE", "/v1/datasets/{id}", "204", "forget a dataset (an upload's file is removed)"),
    route(
        "GET",
        "/v1/datasets/{id}/slice",
        "200",
        "one plane (`?z=&t=&c=`, `lo`, `hi`): PNG, JSON or NPY by `Accept`",
    ),
    route("GET", "/v1/datasets/{id}/statistics", "200", "per channel count, mean, std, min, max (cached)"),
    route(
        "POST",
        "/v1/datasets/{id}/pca",
        "202",
        "submit a PCA job (`learner.pca`): `{\"k\": N}` components; its results are those of `GET /v1/jobs/{id}`",
    ),
    route("POST", "/v1/jobs", "202", "submit a job: `{\"pipeline\"|\"toml\", \"dataset\", \"set\"}`"),
    route("GET", "/v1/jobs", "200", "list the jobs"),
    route("GET", "/v1/jobs/{id}", "200", "a job's state, progress, results and outputs"),
    route("DELETE", "/v1/jobs/{id}", "200", "cancel a job"),
    route("GET", "/v1/jobs/{id}/events", "200", "server-sent events of a job: state, progress, its control events"),
    route("GET", "/v1/jobs/{id}/outputs/{name}", "200", "download one output file of a finished job"),
];

/// The handler of a route of [`ROUTES`].
fn handler(r: &Route) -> MethodRouter<Arc<AppState>> {
    let filter = match r.method {
        "GET" => MethodFilter::GET,
        "POST" => MethodFilter::POST,
        "DELETE" => MethodFilter::DELETE,
        other => unreachable!("ROUTES holds no `{other}` route"),
    };
    match (r.method, r.path) {
        ("GET", "/healthz") => routing::on(filter, || async { "ok" }),
        ("GET", "/") => routing::on(filter, web::index),
        ("GET", "/openapi.json") => routing::on(filter, openapi::get),
        ("GET", "/metrics") => routing::on(filter, metrics::get),
        ("GET", "/v1/plugins") => routing::on(filter, plugins::list),
        ("POST", "/v1/datasets") => routing::on(filter, datasets::create),
        ("GET", "/v1/datasets") => routing::on(filter, datasets::list),
        ("GET", "/v1/datasets/{id}") => routing::on(filter, datasets::get),
        ("DELETE", "/v1/datasets/{id}") => routing::on(filter, datasets::delete),
        ("GET", "/v1/datasets/{id}/slice") => routing::on(filter, slice::get),
        ("GET", "/v1/datasets/{id}/statistics") => routing::on(filter, stats::get),
        ("POST", "/v1/datasets/{id}/pca") => routing::on(filter, pca::create),
        ("POST", "/v1/jobs") => routing::on(filter, jobs::create),
        ("GET", "/v1/jobs") => routing::on(filter, jobs::list),
        ("GET", "/v1/jobs/{id}") => routing::on(filter, jobs::get),
        ("DELETE", "/v1/jobs/{id}") => routing::on(filter, jobs::cancel),
        ("GET", "/v1/jobs/{id}/events") => routing::on(filter, sse::get),
        ("GET", "/v1/jobs/{id}/outputs/{name}") => routing::on(filter, jobs::output),
        (m, p) => unreachable!("no handler for `{m} {p}`"),
    }
}

/// The router of [`ROUTES`], the token check on those that need it.
pub fn router(state: Arc<AppState>, token: Arc<str>) -> Router {
    let mut by_path: BTreeMap<(&str, bool), MethodRouter<Arc<AppState>>> = BTreeMap::new();
    for r in ROUTES {
        let h = handler(r);
        let entry = by_path.remove(&(r.path, r.auth));
        by_path.insert(
            (r.path, r.auth),
            match entry {
                Some(e) => e.merge(h),
                None => h,
            },
        );
    }
    let (mut open, mut closed) = (Router::new(), Router::new());
    for ((path, auth), m) in by_path {
        // One fallback per path, after the merge (axum merges no two).
        let m = m.fallback(no_method);
        if auth {
            closed = closed.route(path, m);
        } else {
            open = open.route(path, m);
        }
    }
    let timeout = state.config.limits.request_timeout;
    let closed = closed
        .route_layer(axum::middleware::from_fn_with_state(timeout, super::limits::deadline))
        .route_layer(axum::middleware::from_fn_with_state(token, super::auth::require));
    open.merge(closed).fallback(no_route).layer(DefaultBodyLimit::max(JSON_BODY_BYTES)).with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_of_the_table_has_its_handler_and_its_place_in_the_document() {
        // `handler` panics on a route of the table it does not know.
        for r in ROUTES {
            let _ = handler(r);
        }
        let doc = openapi::document();
        let documented: usize = doc["paths"].as_object().unwrap().values().map(|p| p.as_object().unwrap().len()).sum();
        assert_eq!(documented, ROUTES.len());
        for r in ROUTES {
            assert!(doc["paths"][r.path][r.method.to_lowercase()].is_object(), "{} {}", r.method, r.path);
        }
    }
}
