//! A small HTTP/1.1 client (one request per connection), for chromedriver's WebDriver
//! endpoint and for checking the vote API behind the browser's back.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A response, read whole.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Response {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// Sends one request to `addr` (`127.0.0.1:port`) and reads the whole response; a JSON
/// body when `json` is given.
pub fn request(
    addr: &str,
    method: &str,
    path: &str,
    json: Option<&serde_json::Value>,
    timeout: Duration,
) -> std::io::Result<Response> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let body = json.map(|v| v.to_string()).unwrap_or_default();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if json.is_some() {
        head.push_str("Content-Type: application/json; charset=utf-8\r\n");
    }
    if json.is_some() || method == "POST" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    read_response(&mut stream)
}

/// Reads one response: up to `Content-Length`, through the last chunk, or to the end, as
/// its head says (chromedriver keeps connections open whatever the request asks).
fn read_response(stream: &mut TcpStream) -> std::io::Result<Response> {
    let incomplete = || {
        std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "an incomplete HTTP response",
        )
    };
    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let split = loop {
        if let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break split;
        }
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Err(incomplete());
        }
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(incomplete)?;
    let (mut length, mut chunked) = (None, false);
    for (name, value) in lines.filter_map(|l| l.split_once(':')) {
        if name.trim().eq_ignore_ascii_case("content-length") {
            length = value.trim().parse::<usize>().ok();
        } else if name.trim().eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.contains("chunked");
        }
    }
    let mut body = raw.split_off(split + 4);
    loop {
        let done = match length {
            Some(n) if !chunked => body.len() >= n,
            _ => chunked && body.ends_with(b"0\r\n\r\n"),
        };
        if done {
            break;
        }
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
    }
    if chunked {
        body = dechunk(&body);
    }
    Ok(Response { status, body })
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..end]).trim(), 16).unwrap_or(0);
        if size == 0 || data.len() < end + 2 + size {
            break;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[(end + 4 + size).min(data.len())..];
    }
    out
}

/// GET, answered within 30 s.
pub fn get(addr: &str, path: &str) -> Response {
    request(addr, "GET", path, None, Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("GET http://{addr}{path}: {e}"))
}
