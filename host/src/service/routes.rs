//! The route table: every route of the API with its method, path, summary,
//! whether it needs the token and what it answers. The router
//! ([`super::router`]) and the OpenAPI document ([`super::openapi`]) are
//! both made from it.

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
