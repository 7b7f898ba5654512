//! `/v1/datasets`: a dataset is uploaded (the body streamed to a file
//! under `$PLEXUS_HOME/datasets/<id>/`, never held whole in memory, refused
//! with `413` past `--max-upload`) or registered by a path under an
//! `--allow-root`; it is described from its headers by `plexus-io`
//! (shape, dtype, axes, the metadata the format carries), listed,
//! described, and deleted (an upload's file goes with it; a registered
//! file stays where it is).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

use super::errors::ApiError;
use super::limits::JSON_BODY_BYTES;
use super::store::DatasetRow;
use super::AppState;
use crate::pipeline::compile::plain_name;

/// `?name=` of an upload: the file name, whose extension says the format.
#[derive(Debug, serde::Deserialize)]
pub struct UploadQuery {
    /// `scan.tif`, `vol.npy`, `data.h5`.
    pub name: Option<String>,
}

/// The JSON body that registers a file by path.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Register {
    /// A path under an `--allow-root` (relative: from the first root).
    pub path: String,
}

/// `POST /v1/datasets`: a JSON body `{ "path": ... }` registers a file; any
/// other body is an upload named by `?name=`.
pub async fn create(
    State(st): State<Arc<AppState>>,
    query: Result<Query<UploadQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let json_body = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let row = if json_body { register(&st, body).await? } else { upload(&st, query, &headers, body).await? };
    let described = describe_blocking(row.clone()).await;
    match described {
        Ok(d) => {
            st.store.insert_dataset(&row)?;
            Ok((StatusCode::CREATED, Json(d)))
        }
        Err(e) => {
            if row.uploaded {
                let _ = std::fs::remove_dir_all(upload_dir(&st, &row.id));
            }
            Err(e)
        }
    }
}

async fn register(st: &AppState, body: Body) -> Result<DatasetRow, ApiError> {
    let bytes = axum::body::to_bytes(body, JSON_BODY_BYTES)
        .await
        .map_err(|_| ApiError::TooLarge(format!("a JSON body may hold at most {JSON_BODY_BYTES} bytes")))?;
    let asked: Register = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::BadRequest(format!("the body is not `{{ \"path\": \"...\" }}`: {e}")))?;
    let real = st.roots.resolve(&asked.path)?;
    format_of(&real, &asked.path)?;
    let name = real.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    Ok(DatasetRow { id: super::new_id(), name, path: real, uploaded: false, created: super::now() })
}

/// The format of `path` by its name, or a `422` naming what the client sent.
fn format_of(path: &Path, asked: &str) -> Result<plexus_io::Format, ApiError> {
    plexus_io::Format::from_path(path).map_err(|_| ApiError::Invalid {
        message: format!(
            "`{asked}` is not a format plexus reads: expected .tif, .tiff, .png, .npy, .h5, .hdf5 or .zarr"
        ),
        problems: vec![],
    })
}

async fn upload(
    st: &AppState,
    query: Result<Query<UploadQuery>, QueryRejection>,
    headers: &HeaderMap,
    body: Body,
) -> Result<DatasetRow, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let name = q.name.ok_or_else(|| {
        ApiError::BadRequest("an upload needs `?name=FILE` (its extension says the format, e.g. `vol.npy`)".into())
    })?;
    if !plain_name(&name) || name.starts_with('.') {
        return Err(ApiError::BadRequest(format!("`{name}` is not a plain file name")));
    }
    format_of(Path::new(&name), &name)?;
    if name.ends_with(".zarr") {
        return Err(ApiError::Invalid {
            message: format!(
                "`{name}`: a Zarr store is a folder and cannot be uploaded as one file: register it by path"
            ),
            problems: vec![],
        });
    }
    let limit = st.config.limits.upload_bytes;
    let too_large =
        || ApiError::TooLarge(format!("the upload is larger than the limit of {limit} bytes (`--max-upload`)"));
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let _slot = st.uploads.clone().try_acquire_owned().map_err(|_| ApiError::Busy {
        message: format!(
            "{} uploads are streaming already (`--max-uploads`): try again later",
            st.config.limits.uploads
        ),
        retry_after_s: super::limits::RETRY_AFTER_S,
    })?;
    let id = super::new_id();
    let dir = upload_dir(st, &id);
    let result = stream_to(&dir, &name, body, limit).await;
    match result {
        Ok(path) => Ok(DatasetRow { id, name, path, uploaded: true, created: super::now() }),
        Err(e) => {
            let _ = tokio::fs::remove_dir_all(&dir).await;
            Err(e.unwrap_or_else(too_large))
        }
    }
}

/// Streams `body` into `<dir>/<name>` by way of a hidden partial file; `Err(None)`
/// when it grows past `limit`.
async fn stream_to(dir: &Path, name: &str, mut body: Body, limit: u64) -> Result<PathBuf, Option<ApiError>> {
    let io = |what: &str, e: std::io::Error| Some(ApiError::internal(format!("upload: {what}: {e}")));
    tokio::fs::create_dir_all(dir).await.map_err(|e| io("create the dataset folder", e))?;
    let partial = dir.join(format!(".{name}.partial"));
    let mut file = tokio::fs::File::create(&partial).await.map_err(|e| io("create the file", e))?;
    let mut written = 0u64;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| Some(ApiError::BadRequest(format!("the upload broke off: {e}"))))?;
        if let Ok(data) = frame.into_data() {
            written += data.len() as u64;
            if written > limit {
                return Err(None);
            }
            file.write_all(&data).await.map_err(|e| io("write", e))?;
        }
    }
    file.sync_all().await.map_err(|e| io("sync", e))?;
    let path = dir.join(name);
    tokio::fs::rename(&partial, &path).await.map_err(|e| io("rename", e))?;
    Ok(path)
}

fn upload_dir(st: &AppState, id: &str) -> PathBuf {
    st.config.home.join("datasets").join(id)
}

/// `GET /v1/datasets`.
pub async fn list(State(st): State<Arc<AppState>>) -> Result<Json<Value>, ApiError> {
    let rows = st.store.datasets()?;
    let items: Vec<Value> = rows.iter().map(summary).collect();
    Ok(Json(json!({ "datasets": items })))
}

fn summary(row: &DatasetRow) -> Value {
    json!({
        "id": row.id,
        "name": row.name,
        "source": if row.uploaded { "upload" } else { "path" },
        "created": row.created,
        "url": format!("/v1/datasets/{}", row.id),
    })
}

/// `GET /v1/datasets/{id}`.
pub async fn get(State(st): State<Arc<AppState>>, UrlPath(id): UrlPath<String>) -> Result<Json<Value>, ApiError> {
    let row = find(&st, &id)?;
    Ok(Json(describe_blocking(row).await?))
}

/// `DELETE /v1/datasets/{id}`.
pub async fn delete(State(st): State<Arc<AppState>>, UrlPath(id): UrlPath<String>) -> Result<StatusCode, ApiError> {
    let row = find(&st, &id)?;
    st.store.delete_dataset(&id)?;
    if row.uploaded {
        let _ = tokio::fs::remove_dir_all(upload_dir(&st, &id)).await;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The dataset `id`, or a `404` naming it.
pub fn find(st: &AppState, id: &str) -> Result<DatasetRow, ApiError> {
    st.store.dataset(id)?.ok_or_else(|| ApiError::NotFound(format!("no dataset `{id}`")))
}

async fn describe_blocking(row: DatasetRow) -> Result<Value, ApiError> {
    tokio::task::spawn_blocking(move || describe(&row)).await.map_err(ApiError::internal)?
}

/// What a dataset is, from its headers.
pub fn describe(row: &DatasetRow) -> Result<Value, ApiError> {
    let reader = plexus_io::open(&row.path).map_err(|e| ApiError::Invalid {
        message: format!("dataset `{}` cannot be read: {}", row.name, shown_error(row, &e.to_string())),
        problems: vec![],
    })?;
    let info = reader.info();
    let labels = super::axes::labels(info);
    let units = info.meta.get("units").and_then(Value::as_array);
    let scale = info.meta.get("scale").and_then(Value::as_array);
    let axes: Vec<Value> = labels
        .iter()
        .zip(&info.shape)
        .enumerate()
        .map(|(k, (name, size))| {
            let mut a = json!({ "name": name, "size": size });
            if let Some(u) = units.and_then(|u| u.get(k)).filter(|u| !u.is_null()) {
                a["unit"] = u.clone();
            }
            if let Some(s) = scale.and_then(|s| s.get(k)) {
                a["scale"] = s.clone();
            }
            a
        })
        .collect();
    let channels = super::axes::channel_axis(&labels).map(|k| info.shape[k]).unwrap_or(1);
    let format = plexus_io::Format::from_path(&row.path).map(|f| f.name().to_ascii_lowercase()).unwrap_or_default();
    let mut d = json!({
        "id": row.id,
        "name": row.name,
        "source": if row.uploaded { "upload" } else { "path" },
        "format": format,
        "shape": info.shape,
        "dtype": info.dtype.name(),
        "axes": axes,
        "channels": channels,
        "bytes": info.total_bytes(),
        "streams": reader.streams(),
        "metadata": Value::Object(info.meta.clone()),
        "created": row.created,
        "links": {
            "slice": format!("/v1/datasets/{}/slice", row.id),
            "statistics": format!("/v1/datasets/{}/statistics", row.id),
        },
    });
    if !row.uploaded {
        d["path"] = row.path.display().to_string().into();
    }
    Ok(d)
}

/// An I/O error's text with the server's folder of an upload taken out:
/// the client knows the file by the name it gave.
pub fn shown_error(row: &DatasetRow, text: &str) -> String {
    if row.uploaded {
        text.replace(&row.path.display().to_string(), &row.name)
    } else {
        text.to_string()
    }
}
