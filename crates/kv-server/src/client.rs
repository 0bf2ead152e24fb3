//! A small blocking HTTP/1.1 client for the KV API, used by the demo, the
//! integration tests and the benchmark: one keep-alive connection, bounded
//! waits, no retries (a retried write could apply twice).

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// One response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Header names (lower-cased) and values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The value of header `name` (lower-case), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).trim_end().to_owned()
    }
}

/// A client of one server.
#[derive(Debug)]
pub struct HttpClient {
    addr: SocketAddr,
    timeout: Duration,
    conn: Option<BufReader<TcpStream>>,
}

/// Largest response body read, so a broken server cannot exhaust memory.
const BODY_LEN_MAX: usize = 16 << 20;

fn invalid(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

impl HttpClient {
    /// A client of the server at `addr`; each request waits at most
    /// `timeout` for the connection and for each read.
    pub fn new(addr: SocketAddr, timeout: Duration) -> Self {
        Self {
            addr,
            timeout,
            conn: None,
        }
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Sends one request and reads its response. Any error closes the
    /// connection (the next request opens a new one).
    ///
    /// # Errors
    ///
    /// Connecting, writing or reading failed or timed out, or the response
    /// is not HTTP/1.1 as this client reads it.
    pub fn request(&mut self, method: &str, path: &str, body: &[u8]) -> io::Result<HttpResponse> {
        let result = self.exchange(method, path, body);
        if result.is_err() {
            self.conn = None;
        }
        result
    }

    fn exchange(&mut self, method: &str, path: &str, body: &[u8]) -> io::Result<HttpResponse> {
        let conn = match &mut self.conn {
            Some(conn) => conn,
            None => {
                let stream = TcpStream::connect_timeout(&self.addr, self.timeout)?;
                stream.set_read_timeout(Some(self.timeout))?;
                stream.set_write_timeout(Some(self.timeout))?;
                stream.set_nodelay(true)?;
                self.conn.insert(BufReader::new(stream))
            }
        };
        let head = format!(
            "{method} {path} HTTP/1.1\r\nhost: {}\r\ncontent-length: {}\r\n\r\n",
            self.addr,
            body.len()
        );
        let stream = conn.get_mut();
        stream.write_all(head.as_bytes())?;
        stream.write_all(body)?;
        let response = read_response(conn)?;
        if response
            .header("connection")
            .is_some_and(|value| value.eq_ignore_ascii_case("close"))
        {
            self.conn = None;
        }
        Ok(response)
    }
}

fn read_line(conn: &mut impl BufRead) -> io::Result<String> {
    let mut line = String::new();
    if conn.read_line(&mut line)? == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connection closed before the response",
        ));
    }
    Ok(line.trim_end().to_owned())
}

fn read_response(conn: &mut impl BufRead) -> io::Result<HttpResponse> {
    let status_line = read_line(conn)?;
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| invalid(format!("bad status line {status_line:?}")))?;
    let mut headers = Vec::new();
    loop {
        let line = read_line(conn)?;
        if line.is_empty() {
            break;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| invalid(format!("bad header {line:?}")))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let response = HttpResponse {
        status,
        headers,
        body: Vec::new(),
    };
    let body = if response
        .header("transfer-encoding")
        .is_some_and(|value| value.eq_ignore_ascii_case("chunked"))
    {
        read_chunked(conn)?
    } else {
        let len: usize = response
            .header("content-length")
            .unwrap_or("0")
            .parse()
            .map_err(|_| invalid("bad content-length"))?;
        if len > BODY_LEN_MAX {
            return Err(invalid(format!(
                "a {len}-byte body is over the client's limit"
            )));
        }
        let mut body = vec![0; len];
        conn.read_exact(&mut body)?;
        body
    };
    Ok(HttpResponse { body, ..response })
}

fn read_chunked(conn: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let size_line = read_line(conn)?;
        let size = usize::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| invalid(format!("bad chunk size {size_line:?}")))?;
        if body.len() + size > BODY_LEN_MAX {
            return Err(invalid("a chunked body over the client's limit"));
        }
        let start = body.len();
        body.resize(start + size, 0);
        conn.read_exact(&mut body[start..])?;
        read_line(conn).or_else(|e| if size == 0 { Ok(String::new()) } else { Err(e) })?;
        if size == 0 {
            return Ok(body);
        }
    }
}
