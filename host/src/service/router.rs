//! The router, built from the one route table
//! ([`ROUTES`](super::routes::ROUTES)) that the OpenAPI document
//! ([`super::openapi`]) is made from too, so neither can list a route the
//! other lacks. Every route but `/healthz` and the static page
//! at `/` sits behind the bearer token ([`super::auth`]); an unknown path or method gets a JSON
//! error, as everything else does.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{self, MethodFilter, MethodRouter};
use axum::Router;

use super::errors::{no_method, no_route};
use super::limits::JSON_BODY_BYTES;
use super::routes::{Route, ROUTES};
use super::{datasets, jobs, metrics, openapi, pca, plugins, slice, sse, stats, web, AppState};

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
