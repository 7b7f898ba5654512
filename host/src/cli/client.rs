//! A small HTTP/1.1 client for `plexus submit` and `plexus jobs`: plain
//! `http://` over TCP (the service listens on loopback; TLS belongs to a
//! proxy or an SSH tunnel), one request per connection, request bodies
//! streamed from files, response bodies read as they come (chunked
//! transfer decoded), so an event stream is followed live and a download
//! is never held whole in memory.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use serde_json::Value;

/// Where the server is, and the token to show it.
pub struct Client {
    /// `host:port`.
    addr: String,
    token: String,
}

/// A request body.
pub enum Body<'a> {
    /// None.
    Empty,
    /// JSON text.
    Json(String),
    /// A file, streamed.
    File(&'a Path),
}

/// A response whose body is read as it comes.
pub struct Response {
    /// The status code.
    pub status: u16,
    body: Box<dyn Read>,
}

impl Response {
    /// The body as JSON.
    pub fn json(mut self) -> anyhow::Result<Value> {
        let mut text = String::new();
        self.body.read_to_string(&mut text).context("reading the response")?;
        serde_json::from_str(&text).with_context(|| format!("the server's answer is not JSON: {text}"))
    }

    /// The body, streamed.
    pub fn reader(self) -> Box<dyn Read> {
        self.body
    }

    /// The server's `{"error"}` (and `problems`) as one message, for a
    /// status that is not a success.
    pub fn error(self) -> anyhow::Error {
        let status = self.status;
        match self.json() {
            Ok(v) => {
                let mut m = format!("the server answered {status}: {}", v["error"].as_str().unwrap_or("(no message)"));
                for p in v["problems"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                    if !m.contains(p) {
                        m.push_str(&format!("\n  {p}"));
                    }
                }
                anyhow!(m)
            }
            Err(_) => anyhow!("the server answered {status}"),
        }
    }
}

/// The token: `--token-file`, else `$PLEXUS_TOKEN`, else
/// `$PLEXUS_HOME/token` (the server's own, on the same machine).
pub fn token(file: Option<&Path>) -> anyhow::Result<String> {
    if let Some(f) = file {
        return read_token(f);
    }
    if let Ok(t) = std::env::var("PLEXUS_TOKEN") {
        return Ok(t.trim().to_string());
    }
    read_token(&crate::paths::home().join("token"))
}

fn read_token(path: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!("reading the API token `{}` (give one with `--token-file` or $PLEXUS_TOKEN)", path.display())
    })?;
    Ok(text.trim().to_string())
}

impl Client {
    /// A client of `server` (`http://host:port`, or `host:port`).
    pub fn new(server: &str, token: String) -> anyhow::Result<Client> {
        if server.starts_with("https://") {
            bail!("`{server}`: plexus speaks plain http to its service (it listens on loopback); reach a remote one through an SSH tunnel or a TLS proxy");
        }
        let addr = server.trim_start_matches("http://").trim_end_matches('/');
        if addr.is_empty() || addr.contains('/') {
            bail!("`{server}`: expected a server such as http://127.0.0.1:8750");
        }
        Ok(Client { addr: addr.to_string(), token })
    }

    /// Sends one request; the response with its body unread.
    pub fn send(&self, method: &str, path: &str, body: Body<'_>) -> anyhow::Result<Response> {
        let mut s =
            TcpStream::connect(&self.addr).with_context(|| format!("connecting to the server at {}", self.addr))?;
        s.set_read_timeout(Some(Duration::from_secs(300))).ok();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nConnection: close\r\n",
            self.addr, self.token
        );
        let sent = || format!("sending `{method} {path}` to {}", self.addr);
        match &body {
            Body::Empty => head.push_str("Content-Length: 0\r\n\r\n"),
            Body::Json(t) => {
                head.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n\r\n", t.len()))
            }
            Body::File(p) => {
                let len = std::fs::metadata(p).with_context(|| format!("reading `{}`", p.display()))?.len();
                head.push_str(&format!("Content-Type: application/octet-stream\r\nContent-Length: {len}\r\n\r\n"));
            }
        }
        s.write_all(head.as_bytes()).with_context(sent)?;
        match body {
            Body::Empty => {}
            Body::Json(t) => s.write_all(t.as_bytes()).with_context(sent)?,
            Body::File(p) => {
                let mut f = std::fs::File::open(p).with_context(|| format!("reading `{}`", p.display()))?;
                // A server that refuses early (413) closes: its answer says why.
                let _ = std::io::copy(&mut f, &mut s);
            }
        }
        let mut r = BufReader::new(s);
        let mut line = String::new();
        r.read_line(&mut line).with_context(|| format!("reading the answer to `{method} {path}`"))?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| anyhow!("`{}` does not answer as an HTTP server (`{}`)", self.addr, line.trim()))?;
        let mut chunked = false;
        let mut length = None;
        loop {
            line.clear();
            r.read_line(&mut line)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                match k.trim().to_ascii_lowercase().as_str() {
                    "transfer-encoding" => chunked = v.contains("chunked"),
                    "content-length" => length = v.trim().parse::<u64>().ok(),
                    _ => {}
                }
            }
        }
        let body: Box<dyn Read> = match (chunked, length) {
            (true, _) => Box::new(Chunked { inner: r, left: 0, done: false }),
            (false, Some(n)) => Box::new(r.take(n)),
            (false, None) => Box::new(r),
        };
        Ok(Response { status, body })
    }

    /// `GET path` as JSON, or the server's error.
    pub fn get_json(&self, path: &str) -> anyhow::Result<Value> {
        let r = self.send("GET", path, Body::Empty)?;
        if r.status != 200 {
            return Err(r.error());
        }
        r.json()
    }

    /// Downloads `path` to `dest` (by way of a hidden partial file).
    pub fn download(&self, path: &str, dest: &Path) -> anyhow::Result<u64> {
        let r = self.send("GET", path, Body::Empty)?;
        if r.status != 200 {
            return Err(r.error());
        }
        let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let partial = dest.with_file_name(format!(".{name}.partial"));
        let mut f = std::fs::File::create(&partial).with_context(|| format!("creating `{}`", partial.display()))?;
        let n = std::io::copy(&mut r.reader(), &mut f).with_context(|| format!("downloading `{path}`"))?;
        f.sync_all().ok();
        std::fs::rename(&partial, dest).with_context(|| format!("writing `{}`", dest.display()))?;
        Ok(n)
    }
}

/// A chunked body, decoded as it is read.
struct Chunked<R: BufRead> {
    inner: R,
    left: usize,
    done: bool,
}

impl<R: BufRead> Read for Chunked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            let mut line = String::new();
            self.inner.read_line(&mut line)?;
            if line.trim().is_empty() {
                // The CRLF after the previous chunk.
                line.clear();
                self.inner.read_line(&mut line)?;
            }
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16).map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::InvalidData, format!("bad chunk size `{}`", line.trim()))
            })?;
            if size == 0 {
                self.done = true;
                return Ok(0);
            }
            self.left = size;
        }
        let n = buf.len().min(self.left);
        let got = self.inner.read(&mut buf[..n])?;
        if got == 0 {
            self.done = true;
        }
        self.left -= got;
        Ok(got)
    }
}

/// `name` with everything but unreserved characters percent-encoded, for
/// a query value.
pub fn encode(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Where an output goes: `dir/name`, refused when that is the dataset
/// itself (no output overwrites an input) or the name is not plain.
pub fn output_path(dir: &Path, name: &str, dataset: &Path) -> anyhow::Result<PathBuf> {
    if !crate::pipeline::compile::plain_name(name) {
        bail!("the server named an output `{name}`, which is no plain file name");
    }
    let dest = dir.join(name);
    let same = |a: &Path, b: &Path| a.canonicalize().ok().is_some_and(|a| b.canonicalize().ok() == Some(a));
    if same(&dest, dataset) {
        bail!("output `{name}` would overwrite the dataset `{}`: choose another `--out`", dataset.display());
    }
    Ok(dest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_bodies_decode_and_names_encode() {
        let raw = b"4\r\nWiki\r\n6\r\npedia \r\n0\r\n\r\n";
        let mut c = Chunked { inner: BufReader::new(&raw[..]), left: 0, done: false };
        let mut out = String::new();
        c.read_to_string(&mut out).unwrap();
        assert_eq!(out, "Wikipedia ");
        assert_eq!(encode("a b&c.npy"), "a%20b%26c.npy");
        assert!(Client::new("https://x", String::new()).is_err());
        assert_eq!(Client::new("http://127.0.0.1:8750/", String::new()).unwrap().addr, "127.0.0.1:8750");
    }
}
