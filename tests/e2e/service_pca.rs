//! `POST /v1/datasets/{id}/pca` over HTTP: a band cube whose pixels vary
//! along one known direction (plus two much smaller orthogonal ones) is
//! fitted by a `learner.pca` job, and the job's results equal the closed
//! form; a bad `k`, an unknown field, a dataset without variables and an
//! unknown dataset are refused before anything is queued.

use std::time::Duration;

use plexus_e2e::Sandbox;
use plexus_plugin_api::Array;
use serde_json::{json, Value};

use super::service_client::Server;

/// An orthonormal basis of R³, the dominant direction first. Each vector's
/// entries differ in magnitude, so the sign convention (the entry of
/// largest absolute value positive) is not decided by rounding, and each
/// already follows it.
const BASIS: [[f64; 3]; 3] =
    [[2.0 / 7.0, 3.0 / 7.0, 6.0 / 7.0], [-3.0 / 7.0, 6.0 / 7.0, -2.0 / 7.0], [6.0 / 7.0, 2.0 / 7.0, -3.0 / 7.0]];
/// The spread along each basis vector.
const SPREAD: [f64; 3] = [10.0, 1.0, 0.1];
const MEAN: [f64; 3] = [100.0, 50.0, 20.0];
const SIDE: usize = 8;

/// `y x band`, 8 × 8 × 3: pixel `i` is `MEAN + Σ_j s_j SPREAD_j BASIS_j`
/// with the signs `s` the `i % 8`-th of the 8 combinations of ±1. Every
/// combination comes equally often, so the mean is exactly `MEAN` and the
/// sample covariance is exactly `n / (n - 1) Σ_j SPREAD_j² BASIS_j BASIS_jᵀ`:
/// eigenvalues `SPREAD_j² n / (n - 1)`, eigenvectors `BASIS_j`.
fn cube() -> Array {
    let mut data = Vec::with_capacity(SIDE * SIDE * 3);
    for i in 0..SIDE * SIDE {
        let signs = [0, 1, 2].map(|j| if (i >> j) & 1 == 0 { 1.0 } else { -1.0 });
        for b in 0..3 {
            data.push(MEAN[b] + (0..3).map(|j| signs[j] * SPREAD[j] * BASIS[j][b]).sum::<f64>());
        }
    }
    Array::from_vec(vec![SIDE, SIDE, 3], data).unwrap().with_axes("y x band").unwrap()
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array().unwrap_or_else(|| panic!("not a list: {v}")).iter().map(|x| x.as_f64().unwrap()).collect()
}

fn close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: {got:?} vs {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() <= tol * w.abs().max(1.0), "{what}: {got:?} vs the closed form {want:?}");
    }
}

fn bytes_of(sb: &Sandbox, a: &Array, name: &str) -> Vec<u8> {
    let p = sb.path().join(name);
    plexus_io::write(&p, a).unwrap();
    std::fs::read(p).unwrap()
}

#[test]
fn a_pca_job_finds_the_dominant_direction_and_bad_requests_are_refused() {
    let sb = Sandbox::new();
    let s = Server::start(&sb, &[]);
    let ds = s.upload("cube.tif", &bytes_of(&sb, &cube(), "cube.tif"));
    let meta = s.get(&format!("/v1/datasets/{ds}")).json();
    assert_eq!(meta["shape"], json!([SIDE, SIDE, 3]), "{meta:#}");

    let r = s.post_json(&format!("/v1/datasets/{ds}/pca"), &json!({ "k": 2 }));
    assert_eq!(r.status, 202, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    assert_eq!(r.json()["url"], format!("/v1/jobs/{id}"));
    let job = s.wait_job(&id, Duration::from_secs(120));
    assert_eq!(job["state"], "done", "{job:#}");
    assert_eq!(job["dataset"], ds.as_str());
    assert_eq!(job["results"]["stages"][0]["uses"], "learner.pca", "{job:#}");
    let pca = &job["results"]["results"]["pca"];
    let n = (SIDE * SIDE) as f64;
    assert_eq!(pca["n_samples"], SIDE * SIDE, "{pca:#}");
    assert_eq!((pca["n_features"].clone(), pca["k"].clone()), (json!(3), json!(2)));
    let lambda: Vec<f64> = SPREAD.iter().map(|s| s * s * n / (n - 1.0)).collect();
    let total: f64 = lambda.iter().sum();
    close(&f64s(&pca["explained_variance"]), &lambda[..2], 1e-10, "explained_variance");
    let ratio = f64s(&pca["explained_variance_ratio"]);
    close(&ratio, &[lambda[0] / total, lambda[1] / total], 1e-10, "explained_variance_ratio");
    assert!(ratio[0] > 0.99, "the dominant direction explains almost everything: {ratio:?}");
    close(&f64s(&pca["mean"]), &MEAN, 1e-12, "mean");
    close(&[pca["noise_variance"].as_f64().unwrap()], &[lambda[2]], 1e-9, "noise_variance");
    let sv: Vec<f64> = lambda[..2].iter().map(|l| (l * (n - 1.0)).sqrt()).collect();
    close(&f64s(&pca["singular_values"]), &sv, 1e-10, "singular_values");
    // Signs: each component's entry of largest absolute value is positive,
    // as in BASIS.
    let components = pca["components"].as_array().unwrap();
    assert_eq!(components.len(), 2);
    for (j, c) in components.iter().enumerate() {
        close(&f64s(c), &BASIS[j], 1e-9, &format!("component {j}"));
    }

    // Refusals, each naming what is wrong; none queues a job.
    let url = format!("/v1/datasets/{ds}/pca");
    let range = "`k` must be an integer from 1 to 3 (the dataset's variables)";
    for (body, says) in [
        (json!({ "k": 0 }), format!("{range}, got 0")),
        (json!({ "k": 4 }), format!("{range}, got 4: there are no more components than variables")),
        (json!({ "k": 1.5 }), format!("{range}, got `1.5`")),
        (json!({ "k": "2" }), format!("{range}, got `\"2\"`")),
        (json!({ "k": -1 }), format!("{range}, got `-1`")),
        (json!({}), "`k` is needed: the number of components, an integer from 1 to 3 (the dataset's variables)".into()),
        (json!({ "k": 2, "n": 3 }), "unknown field `n`: a PCA takes `k`, the number of components".into()),
    ] {
        let r = s.post_json(&url, &body);
        assert_eq!((r.status, r.json()["error"].clone()), (422, json!(says)), "{body}");
    }
    let r = s.post_json(&url, &json!([2]));
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.json()["error"].as_str().unwrap().contains("not a JSON object"), "{}", r.text());
    let r = s.post_json("/v1/datasets/nope/pca", &json!({ "k": 2 }));
    assert_eq!((r.status, r.json()["error"].clone()), (404, json!("no dataset `nope`")));
    let volume = s.upload("vol.npy", &bytes_of(&sb, &Array::from_fn(vec![4, 5, 6], |i| i as f32), "vol.npy"));
    let r = s.post_json(&format!("/v1/datasets/{volume}/pca"), &json!({ "k": 1 }));
    assert_eq!(r.status, 422, "{}", r.text());
    let e = r.json()["error"].as_str().unwrap().to_string();
    assert!(e.contains(&format!("dataset `{volume}` has no variables for a PCA")) && e.contains("axes `z y x`"), "{e}");
    let jobs = s.get("/v1/jobs").json();
    assert_eq!(jobs["jobs"].as_array().unwrap().len(), 1, "only the good request queued a job: {jobs:#}");
}
