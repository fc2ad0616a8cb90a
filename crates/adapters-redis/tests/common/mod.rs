//! Shared by the Redis tests: the server's URL and the skip policy, random key
//! prefixes, and a counting TCP proxy to put between a limiter and Redis.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// The local server, as on the project's machines.
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379/";

/// `REDIS_URL`, or the local server.
pub fn redis_url() -> String {
    std::env::var("REDIS_URL").ok().filter(|u| !u.is_empty()).unwrap_or_else(|| DEFAULT_REDIS_URL.to_owned())
}

/// The URL when Redis answers a PING; else one `NOT RUN` line and `None`, or
/// a failure under `CI=true` (the Redis tests may not be skipped there).
pub async fn redis_or_skip(test: &str) -> Option<String> {
    let url = redis_url();
    let ping = async {
        let client = redis::Client::open(url.as_str())?;
        let mut conn = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await
    };
    let outcome = match tokio::time::timeout(Duration::from_secs(2), ping).await {
        Ok(Ok(_)) => return Some(url),
        Ok(Err(e)) => e.to_string(),
        Err(_) => "no answer within 2 s".to_owned(),
    };
    let server = upstream_of(&url).map(|a| a.to_string()).unwrap_or_else(|| "?".to_owned());
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "Redis at {server} does not answer ({outcome}); the Redis tests may not be skipped in CI (set REDIS_URL)"
    );
    eprintln!("NOT RUN {test}: Redis at {server} does not answer ({outcome}); start it or set REDIS_URL");
    None
}

/// A fresh key prefix, so tests (and runs) never share a bucket.
pub fn random_prefix() -> String {
    let mut h = RandomState::new().build_hasher();
    h.write_u128(SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos());
    h.write_u32(std::process::id());
    format!("tenantry:test:{:016x}:", h.finish())
}

/// The TCP address of the server behind `url`.
pub fn upstream_of(url: &str) -> Option<SocketAddr> {
    let client = redis::Client::open(url).ok()?;
    match client.get_connection_info().addr() {
        redis::ConnectionAddr::Tcp(host, port) => {
            std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), *port)).ok()?.next()
        }
        _ => None,
    }
}

/// `url` with its host and port replaced by `addr` (credentials and db kept).
pub fn url_via(url: &str, addr: SocketAddr) -> String {
    let mut u = redis::parse_redis_url(url).expect("a Redis URL");
    u.set_ip_host(addr.ip()).expect("a host");
    u.set_port(Some(addr.port())).expect("a port");
    u.to_string()
}

/// What the proxy does with a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Forwards both ways, counting the client's request frames.
    Forward,
    /// Accepts and reads, never answers (a server that hangs).
    Stall,
}

/// A TCP proxy to Redis on loopback that counts the request frames clients
/// send (RESP arrays), and remembers each one's command name.
pub struct Proxy {
    pub addr: SocketAddr,
    frames: Arc<AtomicU64>,
    commands: Arc<Mutex<Vec<String>>>,
    accept: Option<JoinHandle<()>>,
}

impl Proxy {
    /// On a free port.
    pub async fn start(upstream: SocketAddr, mode: Mode) -> Self {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), upstream, mode).await
    }

    /// On `addr` (to come back on the same port after [`stop`](Self::stop)).
    pub async fn start_on(addr: SocketAddr, upstream: SocketAddr, mode: Mode) -> Self {
        let listener = TcpListener::bind(addr).await.expect("bind the proxy");
        let addr = listener.local_addr().expect("the proxy's address");
        let frames = Arc::new(AtomicU64::new(0));
        let commands = Arc::new(Mutex::new(Vec::new()));
        let (f, c) = (frames.clone(), commands.clone());
        let accept = tokio::spawn(async move {
            // Owned here: aborting this task drops the listener and every connection.
            let mut connections = JoinSet::new();
            while let Ok((client, _)) = listener.accept().await {
                let (f, c) = (f.clone(), c.clone());
                connections.spawn(async move {
                    match mode {
                        Mode::Forward => forward(client, upstream, f, c).await,
                        Mode::Stall => stall(client).await,
                    }
                });
            }
        });
        Self { addr, frames, commands, accept: Some(accept) }
    }

    /// Request frames seen so far.
    pub fn frames(&self) -> u64 {
        self.frames.load(Ordering::SeqCst)
    }

    /// The command names of the frames seen so far (upper case).
    pub fn commands(&self) -> Vec<String> {
        self.commands.lock().unwrap().clone()
    }

    /// Forgets the frames seen so far.
    pub fn reset(&self) {
        self.frames.store(0, Ordering::SeqCst);
        self.commands.lock().unwrap().clear();
    }

    /// Closes the listener and every connection.
    pub async fn stop(&mut self) {
        if let Some(accept) = self.accept.take() {
            accept.abort();
            let _ = accept.await;
            // Let the aborted connection tasks be dropped (their sockets closed).
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(accept) = self.accept.take() {
            accept.abort();
        }
    }
}

async fn stall(mut client: TcpStream) {
    let mut buf = [0u8; 4096];
    while let Ok(n) = client.read(&mut buf).await {
        if n == 0 {
            break;
        }
    }
}

async fn forward(client: TcpStream, upstream: SocketAddr, frames: Arc<AtomicU64>, commands: Arc<Mutex<Vec<String>>>) {
    let Ok(server) = TcpStream::connect(upstream).await else { return };
    let (mut client_rx, mut client_tx) = client.into_split();
    let (mut server_rx, mut server_tx) = server.into_split();
    let up = async {
        let mut parser = FrameCounter::default();
        let mut buf = [0u8; 16 * 1024];
        loop {
            let n = match client_rx.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            for name in parser.feed(&buf[..n]) {
                frames.fetch_add(1, Ordering::SeqCst);
                commands.lock().unwrap().push(name);
            }
            if server_tx.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    };
    let down = tokio::io::copy(&mut server_rx, &mut client_tx);
    tokio::select! {
        _ = up => {}
        _ = down => {}
    }
}

/// Splits a client's byte stream into RESP request frames (arrays of bulk
/// strings, as redis-rs sends them).
#[derive(Default)]
struct FrameCounter {
    buf: Vec<u8>,
}

impl FrameCounter {
    /// The command names of the frames completed by `bytes`.
    fn feed(&mut self, bytes: &[u8]) -> Vec<String> {
        self.buf.extend_from_slice(bytes);
        let mut names = Vec::new();
        while let Some((used, name)) = frame(&self.buf) {
            names.push(name);
            self.buf.drain(..used);
        }
        names
    }
}

/// One complete frame at the start of `b`: its length and command name.
fn frame(b: &[u8]) -> Option<(usize, String)> {
    fn line(b: &[u8], at: usize) -> Option<(&[u8], usize)> {
        let end = b[at..].windows(2).position(|w| w == b"\r\n")? + at;
        Some((&b[at..end], end + 2))
    }
    fn number(s: &[u8]) -> usize {
        std::str::from_utf8(s).ok().and_then(|s| s.parse().ok()).expect("a RESP length")
    }
    if b.is_empty() {
        return None;
    }
    let (head, mut at) = line(b, 0)?;
    assert_eq!(head.first(), Some(&b'*'), "the proxy only reads RESP arrays");
    let mut name = String::new();
    for i in 0..number(&head[1..]) {
        let (len, next) = line(b, at)?;
        assert_eq!(len.first(), Some(&b'$'), "the proxy only reads bulk strings");
        let len = number(&len[1..]);
        if b.len() < next + len + 2 {
            return None;
        }
        if i == 0 {
            name = String::from_utf8_lossy(&b[next..next + len]).to_uppercase();
        }
        at = next + len + 2;
    }
    Some((at, name))
}

#[test]
fn the_frame_counter_counts_split_and_coalesced_frames() {
    let mut c = FrameCounter::default();
    let one = b"*2\r\n$7\r\nEVALSHA\r\n$3\r\nabc\r\n";
    assert_eq!(c.feed(&one[..10]), Vec::<String>::new());
    assert_eq!(c.feed(&one[10..]), vec!["EVALSHA"]);
    let mut two = one.to_vec();
    two.extend_from_slice(b"*1\r\n$4\r\nping\r\n");
    assert_eq!(c.feed(&two), vec!["EVALSHA", "PING"]);
}
