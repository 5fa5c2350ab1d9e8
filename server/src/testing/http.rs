//! A minimal HTTP/1.1 client for tests: one request per connection.

use tokio::net::TcpStream;

/// GET `url` and return (status, body).
pub async fn get(url: &str) -> (u16, Vec<u8>) {
    request("GET", url, None).await
}

/// Sends `body` as `application/octet-stream`.
pub async fn request(method: &str, url: &str, body: Option<&[u8]>) -> (u16, Vec<u8>) {
    request_typed(method, url, "application/octet-stream", body.unwrap_or_default()).await
}

/// POSTs a JSON body and parses the JSON answer.
pub async fn post_json(url: &str, body: &str) -> (u16, serde_json::Value) {
    let (status, answer) = request_typed("POST", url, "application/json", body.as_bytes()).await;
    (status, serde_json::from_slice(&answer).unwrap_or(serde_json::Value::Null))
}

/// A minimal HTTP/1.1 client (one request per connection), enough for the API.
pub async fn request_typed(method: &str, url: &str, content_type: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let answer = send(method, url, &[("Content-Type", content_type)], body).await;
    (answer.status, answer.body)
}

/// An HTTP answer; header names are lowercase.
#[derive(Debug)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// Every header, name lowercase, in order.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl Answer {
    /// The first value of header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The body as JSON (`Null` if it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// Sends one request with `headers` (besides Connection and Content-Length;
/// `Host` is the URL's unless `headers` has one).
pub async fn send(method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").expect("http url");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = TcpStream::connect(host).await.expect("connect http");
    let named = headers.iter().find(|(name, _)| name.eq_ignore_ascii_case("host")).map(|(_, value)| *value);
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
        named.unwrap_or(host),
        body.len()
    );
    for (name, value) in headers.iter().filter(|(name, _)| !name.eq_ignore_ascii_case("host")) {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.expect("write head");
    stream.write_all(body).await.expect("write body");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read response");
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Answer {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("response head");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status");
    let headers: Vec<(String, String)> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers.iter().any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked")) {
        body = dechunk(&body);
    }
    Answer { status, headers, body }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").expect("chunk size");
        let size = usize::from_str_radix(std::str::from_utf8(&data[..line_end]).expect("hex").trim(), 16).expect("size");
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[line_end + 2..line_end + 2 + size]);
        data = &data[line_end + 2 + size + 2..];
    }
}

