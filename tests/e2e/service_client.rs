//! A minimal HTTP/1.1 client over `std::net::TcpStream` for the service
//! tests (one request per connection, `Connection: close`, chunked bodies
//! decoded), and a `plexus serve --http 127.0.0.1:0` child to talk to.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use plexus_e2e::Sandbox;
use serde_json::Value;

/// A response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// How a request body is sent.
pub enum Send<'a> {
    None,
    Bytes(&'a [u8]),
    /// `Transfer-Encoding: chunked`, in pieces of this many bytes: the
    /// server cannot know the size beforehand.
    Chunked(&'a [u8], usize),
}

/// Sends one request to `addr` and reads the whole response.
pub fn request(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: Send<'_>) -> Reply {
    let mut s = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    match &body {
        Send::None => head.push_str("Content-Length: 0\r\n"),
        Send::Bytes(b) => head.push_str(&format!("Content-Length: {}\r\n", b.len())),
        Send::Chunked(..) => head.push_str("Transfer-Encoding: chunked\r\n"),
    }
    head.push_str("\r\n");
    // A server that refuses early (413) may close while we still write.
    let _ = s.write_all(head.as_bytes());
    match body {
        Send::None => {}
        Send::Bytes(b) => {
            let _ = s.write_all(b);
        }
        Send::Chunked(b, n) => {
            for piece in b.chunks(n.max(1)) {
                if s.write_all(format!("{:x}\r\n", piece.len()).as_bytes()).is_err()
                    || s.write_all(piece).is_err()
                    || s.write_all(b"\r\n").is_err()
                {
                    break;
                }
            }
            let _ = s.write_all(b"0\r\n\r\n");
        }
    }
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    parse(&raw)
}

fn parse(raw: &[u8]) -> Reply {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().and_then(|l| l.split_whitespace().nth(1)).and_then(|s| s.parse().ok()).unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    if headers.iter().any(|(k, v)| k == "transfer-encoding" && v.contains("chunked")) {
        body = unchunk(&body);
    }
    Reply { status, headers, body }
}

fn unchunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = b.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&b[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 || b.len() < eol + 2 + size {
            break;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = &b[(eol + 4 + size).min(b.len())..];
    }
    out
}

/// `plexus serve --http 127.0.0.1:0` in a sandbox.
pub struct Server {
    pub child: Child,
    pub addr: String,
    pub token: String,
    /// Where the server's stderr goes, for a failing test to show.
    pub stderr: PathBuf,
}

/// The folders `serve` needs, made in `sb`.
pub fn serve_args(extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> =
        ["serve", "--pipelines", "pipelines", "--input", "incoming", "--output", "results", "--http", "127.0.0.1:0"]
            .iter()
            .map(|s| s.to_string())
            .collect();
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

impl Server {
    /// Starts the server and waits until it answers `/healthz`.
    pub fn start(sb: &Sandbox, extra: &[&str]) -> Server {
        let home = sb.path().join(".plexus");
        let addr_file = home.join("http.addr");
        let _ = std::fs::remove_file(&addr_file);
        let stderr = sb.path().join("serve.stderr");
        let log = std::fs::File::create(&stderr).expect("create serve.stderr");
        let mut child =
            sb.cmd().args(serve_args(extra)).stdout(Stdio::null()).stderr(log).spawn().expect("spawn plexus serve");
        let started = Instant::now();
        let addr = loop {
            if let Some(a) = std::fs::read_to_string(&addr_file).ok().filter(|a| a.ends_with('\n')) {
                break a.trim().to_string();
            }
            assert!(child.try_wait().unwrap().is_none(), "plexus serve exited before it listened");
            assert!(started.elapsed() < Duration::from_secs(60), "plexus serve never listened");
            std::thread::sleep(Duration::from_millis(20));
        };
        let token_file = token_file_of(sb, extra);
        let token = std::fs::read_to_string(token_file).unwrap().trim().to_string();
        let s = Server { child, addr, token, stderr };
        assert_eq!(s.get_open("/healthz").status, 200);
        s
    }

    /// What the server has written to stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    fn bearer(&self) -> String {
        format!("Bearer {}", self.token)
    }

    /// A request without the token.
    pub fn get_open(&self, path: &str) -> Reply {
        request(&self.addr, "GET", path, &[], Send::None)
    }

    pub fn call(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Send<'_>) -> Reply {
        let auth = self.bearer();
        let mut h = vec![("Authorization", auth.as_str())];
        h.extend_from_slice(headers);
        request(&self.addr, method, path, &h, body)
    }

    pub fn get(&self, path: &str) -> Reply {
        self.call("GET", path, &[], Send::None)
    }

    pub fn post_json(&self, path: &str, body: &Value) -> Reply {
        let text = body.to_string();
        self.call("POST", path, &[("Content-Type", "application/json")], Send::Bytes(text.as_bytes()))
    }

    pub fn delete(&self, path: &str) -> Reply {
        self.call("DELETE", path, &[], Send::None)
    }

    /// Uploads `bytes` as `name`; the dataset's id.
    pub fn upload(&self, name: &str, bytes: &[u8]) -> String {
        let r = self.call(
            "POST",
            &format!("/v1/datasets?name={name}"),
            &[("Content-Type", "application/octet-stream")],
            Send::Bytes(bytes),
        );
        assert_eq!(r.status, 201, "{}", r.text());
        r.json()["id"].as_str().unwrap().to_string()
    }

    /// Waits until job `id` is in a final state; its JSON.
    pub fn wait_job(&self, id: &str, timeout: Duration) -> Value {
        let started = Instant::now();
        loop {
            let j = self.get(&format!("/v1/jobs/{id}")).json();
            if ["done", "failed", "cancelled"].contains(&j["state"].as_str().unwrap_or("")) {
                return j;
            }
            assert!(started.elapsed() < timeout, "job {id} did not end: {j:#}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGTERM, and the exit status once it ends (within `bound`).
    pub fn terminate(mut self, bound: Duration) -> std::process::ExitStatus {
        let _ = std::process::Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(started.elapsed() < bound, "plexus serve did not end within {bound:?} of SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn token_file_of(sb: &Sandbox, extra: &[&str]) -> PathBuf {
    match extra.iter().position(|a| *a == "--token-file") {
        Some(i) => sb.path().join(extra[i + 1]),
        None => sb.path().join(".plexus/token"),
    }
}
