//! The built site in memory, served safely: no path outside it can be named, `/x/` serves
//! `/x/index.html`, the theme's 404 page comes with status 404, and HTML pages get the
//! live-reload script.
//!
//! Takes request paths, gives files from a [`MemorySite`].

use std::collections::HashMap;
use std::sync::Mutex;

use anyhow::Result;

use crate::output::Sink;

/// A site built into memory: output paths (`news/2020/03/a/index.html`) to bytes.
#[derive(Debug, Default)]
pub struct MemorySite {
    files: Mutex<HashMap<String, std::sync::Arc<Vec<u8>>>>,
}

impl Sink for MemorySite {
    fn write(&self, rel: &str, bytes: &[u8]) -> Result<()> {
        self.files
            .lock()
            .expect("site lock")
            .insert(rel.to_string(), std::sync::Arc::new(bytes.to_vec()));
        Ok(())
    }

    fn remove(&self, rel: &str) -> Result<()> {
        MemorySite::remove(self, rel);
        Ok(())
    }
}

impl MemorySite {
    /// A file's bytes.
    pub fn get(&self, rel: &str) -> Option<std::sync::Arc<Vec<u8>>> {
        self.files.lock().expect("site lock").get(rel).cloned()
    }

    /// Removes a file.
    pub fn remove(&self, rel: &str) {
        self.files.lock().expect("site lock").remove(rel);
    }

    /// Every path, sorted.
    pub fn paths(&self) -> Vec<String> {
        let mut paths: Vec<String> = self
            .files
            .lock()
            .expect("site lock")
            .keys()
            .cloned()
            .collect();
        paths.sort();
        paths
    }

    /// How many files it holds.
    pub fn len(&self) -> usize {
        self.files.lock().expect("site lock").len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What a request path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A file of the site.
    File(String),
    /// A folder asked for without its trailing `/`: redirect there.
    Redirect(String),
    /// Nothing (or something that is not allowed).
    NotFound,
}

/// Decodes `%XX` escapes once; `None` for malformed escapes or text that is not UTF-8.
fn percent_decode(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = path.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Resolves a request path (as sent, percent-encoded) against the site.
pub fn resolve(site: &MemorySite, raw_path: &str) -> Target {
    let Some(path) = percent_decode(raw_path) else {
        return Target::NotFound;
    };
    let unsafe_segment = |s: &str| s == ".." || s == "." || s.contains('\\') || s.contains('\0');
    if !path.starts_with('/') || path.split('/').any(unsafe_segment) {
        return Target::NotFound;
    }
    let rel = path.trim_start_matches('/');
    if rel.is_empty() || rel.ends_with('/') {
        let index = format!("{rel}index.html");
        return if site.get(&index).is_some() {
            Target::File(index)
        } else {
            Target::NotFound
        };
    }
    if site.get(rel).is_some() {
        return Target::File(rel.to_string());
    }
    if site.get(&format!("{rel}/index.html")).is_some() {
        // One leading `/`, whatever the request had: `//about` must not become `//about/`,
        // which a browser reads as the host `about`.
        return Target::Redirect(format!("/{}/", percent_encode(rel)));
    }
    Target::NotFound
}

/// Escapes what may not stand in a path as it is (so a `Location` header is always valid).
fn percent_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The content type of an output file, by its extension.
pub fn content_type(rel: &str) -> &'static str {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    match name.rsplit('.').next().unwrap_or("") {
        _ if name == "atom.xml" => "application/atom+xml; charset=utf-8",
        _ if name == "rss.xml" => "application/rss+xml; charset=utf-8",
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "xml" => "application/xml; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "pdf" => "application/pdf",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        _ => "application/octet-stream",
    }
}

/// Puts `snippet` before `</body>`, or at the end when there is none.
pub fn inject(html: &[u8], snippet: &str) -> Vec<u8> {
    let at = html
        .windows(7)
        .rposition(|w| w.eq_ignore_ascii_case(b"</body>"))
        .unwrap_or(html.len());
    let mut out = Vec::with_capacity(html.len() + snippet.len());
    out.extend_from_slice(&html[..at]);
    out.extend_from_slice(snippet.as_bytes());
    out.extend_from_slice(&html[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> MemorySite {
        let site = MemorySite::default();
        for path in ["index.html", "news/a/index.html", "style.css", "404.html"] {
            site.write(path, b"x").unwrap();
        }
        site
    }

    #[test]
    fn resolves_and_refuses() {
        let s = site();
        assert_eq!(resolve(&s, "/"), Target::File("index.html".into()));
        assert_eq!(
            resolve(&s, "/news/a/"),
            Target::File("news/a/index.html".into())
        );
        assert_eq!(resolve(&s, "/news/a"), Target::Redirect("/news/a/".into()));
        // Never a protocol-relative `//host/` redirect.
        for path in ["//news/a", "///news/a", "/%2Fnews/a", "//%2F/news/a"] {
            assert_eq!(
                resolve(&s, path),
                Target::Redirect("/news/a/".into()),
                "{path}"
            );
        }
        assert_eq!(resolve(&s, "/style.css"), Target::File("style.css".into()));
        for bad in [
            "/../etc/passwd",
            "/news/../../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/%2E%2E%2Fetc%2Fpasswd",
            "/%252e%252e/etc/passwd",
            "/news/..%5c..%5cetc",
            "/%00",
            "/%zz",
            "//etc/passwd",
            "relative",
        ] {
            assert_eq!(resolve(&s, bad), Target::NotFound, "{bad}");
        }
    }

    #[test]
    fn script_goes_before_body_end() {
        assert_eq!(
            inject(b"<p>x</p></body></html>", "<s>"),
            b"<p>x</p><s></body></html>"
        );
        assert_eq!(inject(b"<p>x</p>", "<s>"), b"<p>x</p><s>");
        assert_eq!(
            content_type("a/atom.xml"),
            "application/atom+xml; charset=utf-8"
        );
    }
}
