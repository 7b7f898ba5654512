//! The bearer token: generated at the first start into `$PLEXUS_HOME/token`
//! (mode 0600, created exclusively, printed once), or read from
//! `--token-file`; every route but `/healthz` needs it.

use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::errors::ApiError;
use crate::error::HostError;

/// The token in use, and whether it was made just now (and so is to be
/// printed).
pub struct Token {
    /// The secret.
    pub secret: Arc<str>,
    /// Made at this start.
    pub created: bool,
}

/// The token of `--token-file`, else `$PLEXUS_HOME/token`, made there
/// (32 random bytes, hex) when it does not exist yet.
pub fn load_or_create(home: &Path, file: Option<&Path>) -> Result<Token, HostError> {
    if let Some(file) = file {
        let secret = read_token(file)?;
        return Ok(Token { secret, created: false });
    }
    let path = home.join("token");
    if path.exists() {
        return Ok(Token { secret: read_token(&path)?, created: false });
    }
    std::fs::create_dir_all(home).map_err(|e| HostError::system("create", home, e))?;
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| HostError::system("read", "/dev/urandom", e))?;
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| HostError::system("create", &path, e))?;
    f.write_all(secret.as_bytes()).map_err(|e| HostError::system("write", &path, e))?;
    Ok(Token { secret: secret.into(), created: true })
}

fn read_token(path: &Path) -> Result<Arc<str>, HostError> {
    let text = std::fs::read_to_string(path).map_err(|e| HostError::system("read the token file", path, e))?;
    let secret = text.trim();
    if secret.len() < 16 {
        return Err(HostError::Config(format!(
            "the token file `{}` holds {} characters: a token needs at least 16",
            path.display(),
            secret.len()
        )));
    }
    Ok(secret.into())
}

/// Middleware: the request goes on only with `Authorization: Bearer
/// <token>`.
pub async fn require(State(secret): State<Arc<str>>, request: Request, next: Next) -> Response {
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match given {
        Some(g) if same(g.as_bytes(), secret.as_bytes()) => next.run(request).await,
        _ => ApiError::Unauthorized.into_response(),
    }
}

/// Compares in time that does not depend on where the bytes differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_token_is_made_once_with_mode_0600_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create(dir.path(), None).unwrap();
        assert!(first.created);
        assert_eq!(first.secret.len(), 64);
        let mode = std::fs::metadata(dir.path().join("token")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = load_or_create(dir.path(), None).unwrap();
        assert!(!again.created);
        assert_eq!(again.secret, first.secret);
        assert!(same(b"abc", b"abc") && !same(b"abc", b"abd") && !same(b"abc", b"ab"));
    }
}
