//! `GET /`: the web page ([`web/index.html`](PAGE)), one static file
//! embedded in the binary. It is served without the token because it holds
//! no data: every call it makes to the API sends the bearer token the user
//! pasted (or passed as `#token=...` in the URL fragment, which never
//! reaches the server), kept in the tab's `sessionStorage`.
//!
//! The Content-Security-Policy allows exactly the page's own inline
//! `<script>` and `<style>` (by their SHA-256), API calls to this origin
//! and images from `blob:`; no remote script, style, frame or form target.
//! So a script injected into the page (a dataset named `<script>…`) would
//! not run even if the page ever put text into HTML, which it does not.

use std::sync::LazyLock;

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// The page.
pub const PAGE: &str = include_str!("web/index.html");

/// The page's Content-Security-Policy, made once from its inline blocks.
static CSP: LazyLock<String> = LazyLock::new(|| policy(PAGE));

/// `GET /`.
pub async fn index() -> Response {
    let mut r = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], PAGE).into_response();
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&CSP) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    // The page changes with the binary only; a stale copy after an upgrade
    // would call routes the new server may not have.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

/// The policy for `page`: its one `<script>` and one `<style>` block by
/// hash. A block that is missing gets `'none'`, so a broken page fails
/// closed (nothing runs) rather than open.
pub fn policy(page: &str) -> String {
    let script = block(page, "script").map(hash_source).unwrap_or_else(|| "'none'".into());
    let style = block(page, "style").map(hash_source).unwrap_or_else(|| "'none'".into());
    format!(
        "default-src 'none'; script-src {script}; style-src {style}; img-src 'self' blob: data:; \
         connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
}

/// The text between `<tag>` and `</tag>` (the first such block; the tag
/// without attributes, as the page writes it).
fn block<'a>(page: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let start = page.find(&open)? + open.len();
    let len = page[start..].find(&format!("</{tag}>"))?;
    Some(&page[start..start + len])
}

/// A CSP source for an inline block: `'sha256-<base64 of its digest>'`,
/// the digest over the exact bytes between the tags, as browsers take it.
fn hash_source(text: &str) -> String {
    format!("'sha256-{}'", base64(&Sha256::digest(text.as_bytes())))
}

/// Standard base64 with padding (RFC 4648 §4); 32 bytes here, not worth a
/// dependency.
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let b = [group[0], *group.get(1).unwrap_or(&0), *group.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= group.len() {
                out.push(ABC[(n >> shift) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_test_vectors() {
        let cases =
            [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("foobar", "Zm9vYmFy")];
        for (plain, coded) in cases {
            assert_eq!(base64(plain.as_bytes()), coded, "{plain}");
        }
    }

    #[test]
    fn the_policy_allows_the_pages_own_blocks_and_nothing_remote() {
        let p = policy(PAGE);
        assert!(!p.contains("'none'; style") && p.contains("script-src 'sha256-"), "{p}");
        assert!(p.contains("style-src 'sha256-"), "{p}");
        assert!(!p.contains("unsafe") && !p.contains("http"), "{p}");
        // The page has exactly one block of each, with no attributes, so
        // the hash covers all of its script.
        assert_eq!(PAGE.matches("<script").count(), 1);
        assert_eq!(PAGE.matches("<style").count(), 1);
        assert_eq!(policy("<p>no script</p>").split("script-src ").nth(1).unwrap().split(';').next(), Some("'none'"));
        // A known digest: sha256("") in base64.
        assert_eq!(hash_source(""), "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='");
    }
}
