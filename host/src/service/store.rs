//! The service's durable state: one SQLite database in `$PLEXUS_HOME`
//! (`service.sqlite`) holding the datasets (uploaded or registered by
//! path, with their cached statistics) and the jobs (their pipeline text,
//! state, progress, results and outputs).
//!
//! The database is in WAL mode with `synchronous = NORMAL`: every committed
//! write survives the process being killed (`kill -9`), which is what a
//! restart needs to pick the jobs up again; the chunks a job had finished
//! are in its outputs' own checkpoints ([`crate::runtime`]'s journals), not
//! here.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::Value;

/// A failure of the database.
#[derive(Debug, thiserror::Error)]
#[error("the service store `{path}`: {source}")]
pub struct StoreError {
    path: PathBuf,
    #[source]
    source: rusqlite::Error,
}

/// A dataset the service knows.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetRow {
    /// Its id.
    pub id: String,
    /// The file name it was uploaded or registered with.
    pub name: String,
    /// Where it is on the server.
    pub path: PathBuf,
    /// Uploaded (the service owns the file) rather than registered by path.
    pub uploaded: bool,
    /// RFC 3339.
    pub created: String,
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JobState {
    /// Waiting for the runner.
    Queued,
    /// Being run.
    Running,
    /// Finished without errors.
    Done,
    /// Finished with errors, or could not start.
    Failed,
    /// Cancelled by a client.
    Cancelled,
}

impl JobState {
    /// Its name in the store and in the API.
    pub fn name(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
        }
    }

    /// Every state, in lifecycle order.
    pub const ALL: [JobState; 5] =
        [JobState::Queued, JobState::Running, JobState::Done, JobState::Failed, JobState::Cancelled];

    fn parse(s: &str) -> JobState {
        JobState::ALL.into_iter().find(|j| j.name() == s).unwrap_or(JobState::Failed)
    }

    /// Whether the job will change no more.
    pub fn is_final(self) -> bool {
        matches!(self, JobState::Done | JobState::Failed | JobState::Cancelled)
    }
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRow {
    /// Its id.
    pub id: String,
    /// The pipeline's name in the pipelines folder, `None` when inline.
    pub pipeline: Option<String>,
    /// The pipeline's TOML as submitted (a named pipeline's file as it was
    /// then), so a restart runs the very same pipeline.
    pub toml: String,
    /// The dataset it runs on.
    pub dataset: String,
    /// `stage.param=value` overrides.
    pub set: Vec<String>,
    /// Where it is.
    pub state: JobState,
    /// Progress: chunks done, of total, bytes done, of total.
    pub progress: [u64; 4],
    /// The run's report, once finished.
    pub results: Value,
    /// Its outputs, once finished.
    pub outputs: Value,
    /// Why it failed.
    pub error: Option<String>,
    /// RFC 3339.
    pub created: String,
}

/// The database.
pub struct Store {
    path: PathBuf,
    conn: Mutex<Connection>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS datasets (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    uploaded INTEGER NOT NULL,
    created TEXT NOT NULL,
    statistics TEXT
);
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    pipeline TEXT,
    toml TEXT NOT NULL,
    dataset TEXT NOT NULL,
    overrides TEXT NOT NULL,
    state TEXT NOT NULL,
    chunks_done INTEGER NOT NULL DEFAULT 0,
    chunks_total INTEGER NOT NULL DEFAULT 0,
    bytes_done INTEGER NOT NULL DEFAULT 0,
    bytes_total INTEGER NOT NULL DEFAULT 0,
    results TEXT NOT NULL DEFAULT 'null',
    outputs TEXT NOT NULL DEFAULT '[]',
    error TEXT,
    created TEXT NOT NULL
);
";

impl Store {
    /// Opens (or creates) the database at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let err = |source| StoreError { path: path.to_path_buf(), source };
        let conn = Connection::open(path).map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        Ok(Store { path: path.to_path_buf(), conn: Mutex::new(conn) })
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, StoreError> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        f(&conn).map_err(|source| StoreError { path: self.path.clone(), source })
    }

    /// Adds a dataset.
    pub fn insert_dataset(&self, d: &DatasetRow) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO datasets (id, name, path, uploaded, created) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![d.id, d.name, d.path.to_string_lossy(), d.uploaded, d.created],
            )
            .map(drop)
        })
    }

    /// Every dataset, oldest first.
    pub fn datasets(&self) -> Result<Vec<DatasetRow>, StoreError> {
        self.with(|c| {
            let mut s = c.prepare("SELECT id, name, path, uploaded, created FROM datasets ORDER BY rowid")?;
            let rows = s.query_map([], dataset_row)?;
            rows.collect()
        })
    }

    /// One dataset.
    pub fn dataset(&self, id: &str) -> Result<Option<DatasetRow>, StoreError> {
        self.with(|c| {
            c.query_row("SELECT id, name, path, uploaded, created FROM datasets WHERE id = ?1", [id], dataset_row)
                .optional()
        })
    }

    /// Forgets a dataset; whether it was there.
    pub fn delete_dataset(&self, id: &str) -> Result<bool, StoreError> {
        self.with(|c| c.execute("DELETE FROM datasets WHERE id = ?1", [id]).map(|n| n > 0))
    }

    /// The cached statistics of a dataset.
    pub fn statistics(&self, id: &str) -> Result<Option<Value>, StoreError> {
        let text: Option<Option<String>> =
            self.with(|c| c.query_row("SELECT statistics FROM datasets WHERE id = ?1", [id], |r| r.get(0)).optional())?;
        Ok(text.flatten().and_then(|t| serde_json::from_str(&t).ok()))
    }

    /// Caches the statistics of a dataset.
    pub fn set_statistics(&self, id: &str, stats: &Value) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute("UPDATE datasets SET statistics = ?2 WHERE id = ?1", params![id, stats.to_string()]).map(drop)
        })
    }

    /// Adds a job.
    pub fn insert_job(&self, j: &JobRow) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO jobs (id, pipeline, toml, dataset, overrides, state, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    j.id,
                    j.pipeline,
                    j.toml,
                    j.dataset,
                    serde_json::to_string(&j.set).unwrap_or_default(),
                    j.state.name(),
                    j.created
                ],
            )
            .map(drop)
        })
    }

    /// Every job, oldest first.
    pub fn jobs(&self) -> Result<Vec<JobRow>, StoreError> {
        self.with(|c| {
            let mut s = c.prepare(&format!("SELECT {JOB_COLUMNS} FROM jobs ORDER BY seq"))?;
            let rows = s.query_map([], job_row)?;
            rows.collect()
        })
    }

    /// One job.
    pub fn job(&self, id: &str) -> Result<Option<JobRow>, StoreError> {
        self.with(|c| c.query_row(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?1"), [id], job_row).optional())
    }

    /// Moves a job to `state`.
    pub fn set_state(&self, id: &str, state: JobState) -> Result<(), StoreError> {
        self.with(|c| c.execute("UPDATE jobs SET state = ?2 WHERE id = ?1", params![id, state.name()]).map(drop))
    }

    /// Records a job's progress.
    pub fn set_progress(&self, id: &str, p: [u64; 4]) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE jobs SET chunks_done = ?2, chunks_total = ?3, bytes_done = ?4, bytes_total = ?5 WHERE id = ?1",
                params![id, p[0] as i64, p[1] as i64, p[2] as i64, p[3] as i64],
            )
            .map(drop)
        })
    }

    /// Records how a job ended.
    pub fn finish_job(
        &self,
        id: &str,
        state: JobState,
        results: &Value,
        outputs: &Value,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE jobs SET state = ?2, results = ?3, outputs = ?4, error = ?5 WHERE id = ?1",
                params![id, state.name(), results.to_string(), outputs.to_string(), error],
            )
            .map(drop)
        })
    }

    /// Jobs in each state.
    pub fn job_counts(&self) -> Result<Vec<(JobState, u64)>, StoreError> {
        self.with(|c| {
            let mut s = c.prepare("SELECT state, COUNT(*) FROM jobs GROUP BY state")?;
            let rows =
                s.query_map([], |r| Ok((JobState::parse(&r.get::<_, String>(0)?), r.get::<_, i64>(1)? as u64)))?;
            rows.collect()
        })
    }
}

const JOB_COLUMNS: &str = "id, pipeline, toml, dataset, overrides, state, chunks_done, chunks_total, bytes_done, \
                           bytes_total, results, outputs, error, created";

fn dataset_row(r: &Row<'_>) -> rusqlite::Result<DatasetRow> {
    Ok(DatasetRow {
        id: r.get(0)?,
        name: r.get(1)?,
        path: PathBuf::from(r.get::<_, String>(2)?),
        uploaded: r.get(3)?,
        created: r.get(4)?,
    })
}

fn job_row(r: &Row<'_>) -> rusqlite::Result<JobRow> {
    let json = |i: usize| -> rusqlite::Result<Value> {
        Ok(serde_json::from_str(&r.get::<_, String>(i)?).unwrap_or(Value::Null))
    };
    Ok(JobRow {
        id: r.get(0)?,
        pipeline: r.get(1)?,
        toml: r.get(2)?,
        dataset: r.get(3)?,
        set: serde_json::from_str(&r.get::<_, String>(4)?).unwrap_or_default(),
        state: JobState::parse(&r.get::<_, String>(5)?),
        progress: [
            r.get::<_, i64>(6)? as u64,
            r.get::<_, i64>(7)? as u64,
            r.get::<_, i64>(8)? as u64,
            r.get::<_, i64>(9)? as u64,
        ],
        results: json(10)?,
        outputs: json(11)?,
        error: r.get(12)?,
        created: r.get(13)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_and_datasets_read_back_across_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite");
        {
            let s = Store::open(&path).unwrap();
            let d = DatasetRow {
                id: "d1".into(),
                name: "v.npy".into(),
                path: "/x/v.npy".into(),
                uploaded: true,
                created: "now".into(),
            };
            s.insert_dataset(&d).unwrap();
            s.set_statistics("d1", &serde_json::json!({ "n": 1 })).unwrap();
            let j = JobRow {
                id: "j1".into(),
                pipeline: None,
                toml: "[pipeline]".into(),
                dataset: "d1".into(),
                set: vec!["a.b=1".into()],
                state: JobState::Queued,
                progress: [0; 4],
                results: Value::Null,
                outputs: serde_json::json!([]),
                error: None,
                created: "now".into(),
            };
            s.insert_job(&j).unwrap();
            s.set_state("j1", JobState::Running).unwrap();
            s.set_progress("j1", [3, 10, 30, 100]).unwrap();
        }
        let s = Store::open(&path).unwrap();
        assert_eq!(s.datasets().unwrap()[0].path, PathBuf::from("/x/v.npy"));
        assert_eq!(s.statistics("d1").unwrap(), Some(serde_json::json!({ "n": 1 })));
        let j = s.job("j1").unwrap().unwrap();
        assert_eq!((j.state, j.progress, j.set.clone()), (JobState::Running, [3, 10, 30, 100], vec!["a.b=1".into()]));
        assert_eq!(s.job_counts().unwrap(), vec![(JobState::Running, 1)]);
        assert!(s.delete_dataset("d1").unwrap() && !s.delete_dataset("d1").unwrap());
    }
}
