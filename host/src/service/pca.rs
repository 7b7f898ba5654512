//! `POST /v1/datasets/{id}/pca` with `{"k": N}`: a principal component
//! analysis of a dataset, as a job like any other. The route writes the
//! one-stage pipeline (`learner.pca` with `k`, no outputs: the fit is
//! published as the stage's results) and submits it through
//! [`jobs::enqueue`], the path of `POST /v1/jobs`, so it is queued, checked,
//! stored, resumed, cancelled and reported the same way; its results are
//! `results.results.pca` of `GET /v1/jobs/{id}`.
//!
//! `k` is checked here, before anything is queued, against the dataset's
//! variables as `learner.pca` counts them: the extent of a last axis
//! labelled `band`, `c` or `channel`, else the second axis of a 2-D
//! `[samples, variables]` array. The operator's own `k = 0` ("all") is not
//! taken: a client asks for a number of components, and `0` is far more
//! often a mistake than a wish. The operator's `model` (a server path to
//! write) and `array` (a dataset has one) are not taken either; the results
//! hold every field the model file would.

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::Value;

use super::errors::ApiError;
use super::jobs::{self, NewJob};
use super::AppState;
use plexus_plugin_api::CHANNEL_LABELS;

/// The stage id, and so the key of its results in the job's `results`.
pub const STAGE: &str = "pca";

/// `POST /v1/datasets/{id}/pca`.
pub async fn create(
    State(st): State<Arc<AppState>>,
    UrlPath(id): UrlPath<String>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let row = super::datasets::find(&st, &id)?;
    let Json(body) = body.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let asked = body.as_object().ok_or_else(|| {
        ApiError::BadRequest(format!("the body is not a JSON object like `{{\"k\": 2}}`: got `{body}`"))
    })?;
    if let Some(other) = asked.keys().find(|key| key.as_str() != "k") {
        return Err(invalid(format!("unknown field `{other}`: a PCA takes `k`, the number of components")));
    }
    let (shape, labels) = tokio::task::spawn_blocking(move || {
        let reader = plexus_io::open(&row.path).map_err(|e| {
            invalid(format!(
                "dataset `{}` cannot be read: {}",
                row.name,
                super::datasets::shown_error(&row, &e.to_string())
            ))
        })?;
        let info = reader.info();
        Ok::<_, ApiError>((info.shape.clone(), super::axes::labels(info)))
    })
    .await
    .map_err(ApiError::internal)??;
    let d = variables(&shape, &labels).map_err(|why| invalid(format!("dataset `{id}` {why}")))?;
    let k = components(asked.get("k"), d).map_err(invalid)?;
    jobs::enqueue(&st, NewJob { pipeline: None, toml: pipeline(k), dataset: id, set: vec![] }).await
}

fn invalid(message: String) -> ApiError {
    ApiError::Invalid { message, problems: vec![] }
}

/// The number of variables `learner.pca` will see in frames of this
/// dataset (chunking splits the first axis only, so the rule on the whole
/// dataset is the rule on every frame), or why there are none.
pub fn variables(shape: &[usize], labels: &[String]) -> Result<usize, String> {
    let last = labels.last().map(String::as_str).unwrap_or("");
    let d = if CHANNEL_LABELS.contains(&last) && !shape.is_empty() {
        shape[shape.len() - 1]
    } else if shape.len() == 2 {
        shape[1]
    } else {
        return Err(format!(
            "has no variables for a PCA: it needs a last axis labelled `band`, `c` or `channel`, or 2 axes \
             `[samples, variables]`; it has axes `{}` of shape {shape:?}",
            labels.join(" ")
        ));
    };
    if d == 0 {
        return Err(format!("has 0 variables (shape {shape:?})"));
    }
    Ok(d)
}

/// `k` as asked, checked against the dataset's `d` variables.
pub fn components(k: Option<&Value>, d: usize) -> Result<usize, String> {
    let range = format!("an integer from 1 to {d} (the dataset's variables)");
    let Some(k) = k else {
        return Err(format!("`k` is needed: the number of components, {range}"));
    };
    let Some(n) = k.as_u64() else {
        return Err(format!("`k` must be {range}, got `{k}`"));
    };
    if n == 0 {
        return Err(format!("`k` must be {range}, got 0"));
    }
    if n > d as u64 {
        return Err(format!("`k` must be {range}, got {n}: there are no more components than variables"));
    }
    Ok(n as usize)
}

/// The job's pipeline: the dataset (set by the job) into one `learner.pca`
/// stage; no outputs, since `pca` forwards its input unchanged and a copy
/// of the dataset is not what was asked for.
pub fn pipeline(k: usize) -> String {
    format!(
        "# made by POST /v1/datasets/{{id}}/pca\n[pipeline]\nname = \"pca\"\n\n[[stage]]\nid = \"{STAGE}\"\nuse = \"learner.pca\"\nparams = {{ k = {k} }}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn variables_are_counted_as_learner_pca_counts_them() {
        assert_eq!(variables(&[4, 5, 3], &labels("y x band")), Ok(3));
        assert_eq!(variables(&[2, 4, 5, 6], &labels("z y x c")), Ok(6));
        assert_eq!(variables(&[100, 7], &labels("y x")), Ok(7));
        let e = variables(&[8, 16, 16], &labels("z y x")).unwrap_err();
        assert!(e.contains("`band`") && e.contains("axes `z y x` of shape [8, 16, 16]"), "{e}");
        assert!(variables(&[5, 0], &labels("y x")).unwrap_err().contains("0 variables"));
    }

    #[test]
    fn k_is_an_integer_from_1_to_the_variables() {
        assert_eq!(components(Some(&json!(2)), 3), Ok(2));
        assert_eq!(components(Some(&json!(3)), 3), Ok(3));
        for (k, says) in [
            (json!(0), "got 0"),
            (json!(4), "got 4: there are no more components than variables"),
            (json!(-1), "got `-1`"),
            (json!(1.5), "got `1.5`"),
            (json!("2"), "got `\"2\"`"),
            (json!(null), "got `null`"),
        ] {
            let e = components(Some(&k), 3).unwrap_err();
            assert!(e.starts_with("`k` must be an integer from 1 to 3") && e.ends_with(says), "{k}: {e}");
        }
        assert!(components(None, 3).unwrap_err().starts_with("`k` is needed"));
    }

    #[test]
    fn the_pipeline_is_one_learner_pca_stage_with_k() {
        let spec = crate::pipeline::PipelineSpec::parse(std::path::Path::new("pca.toml"), &pipeline(2)).unwrap();
        assert_eq!(spec.stages.len(), 1);
        assert_eq!(spec.stages[0].id, STAGE);
        assert_eq!(spec.stages[0].uses, "learner.pca");
        assert_eq!(spec.stages[0].params["k"], json!(2));
        assert!(spec.outputs.is_empty() && spec.input.is_none());
    }
}
