//! The one place bytes cross the network: a small trait with reqwest behind it, so that the
//! protocol logic above it (auth, redirects, pagination, retries) is tested against fakes.

use std::io::Read as _;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use reqwest::Url;

use super::error::RegistryError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
}

/// One HTTP exchange, without redirects: the client above decides whether to follow them.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: Method,
    pub url: Url,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<Vec<u8>>,
    /// For connecting, sending and reading the whole body.
    pub timeout: Duration,
    /// The most body bytes accepted.
    pub limit: usize,
}

impl Request {
    pub fn new(method: Method, url: Url, timeout: Duration, limit: usize) -> Self {
        Self {
            method,
            url,
            headers: Vec::new(),
            body: None,
            timeout,
            limit,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

/// The first header of that name (case-insensitive) in a list of (name, value) pairs.
pub fn header<'a, N: AsRef<str>>(headers: &'a [(N, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.as_ref().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[derive(Clone, Debug, Default)]
pub struct Response {
    pub status: u16,
    /// Names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransportError {
    Timeout,
    Connect(String),
    TooLarge,
    Other(String),
}

impl TransportError {
    pub fn into_registry(self, url: &Url, timeout: Duration) -> RegistryError {
        let url = display_url(url);
        match self {
            Self::Timeout => RegistryError::Timeout {
                url,
                seconds: timeout.as_secs_f64(),
            },
            Self::Connect(message) => {
                let help = message.contains("invalid peer certificate").then(|| {
                    "to trust a private CA, put its PEM bundle in SSL_CERT_FILE (trusted besides the system's roots)".to_owned()
                });
                RegistryError::Connect { url, message, help }
            }
            Self::TooLarge => RegistryError::Io {
                url,
                message: "response too large".into(),
            },
            Self::Other(message) => RegistryError::Io { url, message },
        }
    }
}

pub trait Transport: Send + Sync {
    fn send(&self, request: &Request) -> Result<Response, TransportError>;
}

/// Time, injectable so that token expiry and retry waits are tested without waiting.
pub trait Clock: Send + Sync {
    fn now(&self) -> Instant;
    fn system_now(&self) -> SystemTime;
    fn sleep(&self, duration: Duration);
}

/// The real clock.
///
/// For the integration tests only: when `IMAGELOCK_TEST_SLEEP_LOG` names a file (read once per
/// process), sleeps do not wait. Each advances a process-wide virtual offset that `now` and
/// `system_now` add, so deadlines and `Retry-After` dates see the time as passed, and appends its
/// duration in milliseconds, one per line, to that file, for the test to check the waits.
pub struct SystemClock;

fn test_sleep_log() -> Option<&'static (PathBuf, std::sync::Mutex<Duration>)> {
    static LOG: std::sync::OnceLock<Option<(PathBuf, std::sync::Mutex<Duration>)>> =
        std::sync::OnceLock::new();
    LOG.get_or_init(|| {
        std::env::var_os("IMAGELOCK_TEST_SLEEP_LOG")
            .filter(|p| !p.is_empty())
            .map(|p| (PathBuf::from(p), std::sync::Mutex::default()))
    })
    .as_ref()
}

fn test_offset() -> Duration {
    test_sleep_log().map_or(Duration::ZERO, |(_, offset)| {
        *offset
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    })
}

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now() + test_offset()
    }
    fn system_now(&self) -> SystemTime {
        SystemTime::now() + test_offset()
    }
    fn sleep(&self, duration: Duration) {
        let Some((path, offset)) = test_sleep_log() else {
            std::thread::sleep(duration);
            return;
        };
        let mut offset = offset
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *offset += duration;
        let line = format!("{}\n", duration.as_millis());
        let appended = fs_err::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, line.as_bytes()));
        if let Err(e) = appended {
            panic!("IMAGELOCK_TEST_SLEEP_LOG: {e}");
        }
    }
}

/// A URL as it may appear in messages: never with user information.
pub fn display_url(url: &Url) -> String {
    if url.username().is_empty() && url.password().is_none() {
        return url.to_string();
    }
    let mut clean = url.clone();
    let _ = clean.set_username("");
    let _ = clean.set_password(None);
    clean.to_string()
}

/// How the real transport is set up.
#[derive(Clone, Debug, Default)]
pub struct HttpOptions {
    /// Extra trusted CA bundles (PEM), e.g. `SSL_CERT_FILE`.
    pub ca_files: Vec<PathBuf>,
    pub connect_timeout: Option<Duration>,
    /// `--resolve`: addresses pinned for a host and port, instead of asking DNS.
    pub pins: Vec<Pin>,
}

/// `HOST:PORT:ADDR`, as curl's `--resolve`: requests to `HOST` on `PORT` connect to `ADDR`
/// (TLS still verifies the certificate for `HOST`, and `Host` stays `HOST:PORT`). Other ports of
/// the same host are resolved as usual.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pin {
    /// Lower case, as URLs hold it.
    pub host: String,
    pub port: u16,
    pub addr: std::net::IpAddr,
}

impl Pin {
    fn matches(&self, url: &Url) -> bool {
        url.host_str() == Some(self.host.as_str()) && url.port_or_known_default() == Some(self.port)
    }
}

impl std::str::FromStr for Pin {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let mut parts = s.splitn(3, ':');
        let (Some(host), Some(port), Some(addr)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(format!("`{s}` is not HOST:PORT:ADDR"));
        };
        let parsed = Url::parse(&format!("https://{host}/")).ok();
        let host = match parsed.as_ref().and_then(Url::host) {
            Some(url::Host::Domain(d)) if !host.is_empty() && !host.contains(['/', '@']) => {
                d.to_owned()
            }
            _ => return Err(format!("`{host}` is not a host name")),
        };
        let port = port
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("`{port}` is not a port (1 to 65535)"))?;
        let bare = addr
            .strip_prefix('[')
            .and_then(|a| a.strip_suffix(']'))
            .unwrap_or(addr);
        let addr = bare
            .parse()
            .map_err(|_| format!("`{addr}` is not an IP address"))?;
        Ok(Self { host, port, addr })
    }
}

/// reqwest's blocking client, redirects off (the client follows them itself, by its rules).
///
/// Plain-HTTP registries (loopback, `insecure`) go through a client that loads no trust store;
/// the TLS client, which reads the system's roots (tens of milliseconds), is built on the first
/// `https` request.
pub struct HttpTransport {
    plain: reqwest::blocking::Client,
    tls: Lazy,
    /// One pair of clients (plain, TLS) per `--resolve` pin, built when first used.
    pinned: Vec<(Pin, Lazy, Lazy)>,
    extra_roots: Vec<reqwest::Certificate>,
    connect_timeout: Duration,
}

type Lazy = std::sync::OnceLock<Result<reqwest::blocking::Client, String>>;

impl HttpTransport {
    pub fn new(options: &HttpOptions) -> Result<Self, RegistryError> {
        // No-op when a provider is already installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut extra_roots = Vec::new();
        for path in &options.ca_files {
            let pem = crate::fs::read(path).map_err(|e| RegistryError::Client {
                message: format!("cannot read CA file: {e}"),
            })?;
            let bundle =
                reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| RegistryError::Client {
                    message: format!("{}: not a PEM certificate bundle: {e}", path.display()),
                })?;
            if bundle.is_empty() {
                return Err(RegistryError::Client {
                    message: format!("{}: holds no PEM certificate", path.display()),
                });
            }
            extra_roots.extend(bundle);
        }
        let connect_timeout = options.connect_timeout.unwrap_or(Duration::from_secs(10));
        let plain = build(connect_timeout, &[], false, None)
            .map_err(|message| RegistryError::Client { message })?;
        Ok(Self {
            plain,
            tls: Lazy::new(),
            pinned: options
                .pins
                .iter()
                .map(|p| (p.clone(), Lazy::new(), Lazy::new()))
                .collect(),
            extra_roots,
            connect_timeout,
        })
    }

    fn client_for(&self, url: &Url) -> Result<&reqwest::blocking::Client, TransportError> {
        let https = url.scheme() == "https";
        let (cell, pin) = match self.pinned.iter().find(|(p, _, _)| p.matches(url)) {
            Some((pin, plain, tls)) => (if https { tls } else { plain }, Some(pin)),
            None if !https => return Ok(&self.plain),
            None => (&self.tls, None),
        };
        cell.get_or_init(|| build(self.connect_timeout, &self.extra_roots, https, pin))
            .as_ref()
            .map_err(|e| TransportError::Other(format!("cannot set up the HTTP client: {e}")))
    }
}

/// A client for plain HTTP (no trust store loaded) or TLS (the system's roots and the extra
/// CAs), connecting to the pinned address when there is a pin.
fn build(
    connect_timeout: Duration,
    extra_roots: &[reqwest::Certificate],
    https: bool,
    pin: Option<&Pin>,
) -> Result<reqwest::blocking::Client, String> {
    let mut b = builder(connect_timeout);
    if !https {
        b = b.tls_certs_only(Vec::new());
    } else if !extra_roots.is_empty() {
        b = b.tls_certs_merge(extra_roots.to_vec());
    }
    if let Some(pin) = pin {
        b = b.resolve(&pin.host, std::net::SocketAddr::new(pin.addr, pin.port));
    }
    b.build().map_err(|e| e.without_url().to_string())
}

fn builder(connect_timeout: Duration) -> reqwest::blocking::ClientBuilder {
    reqwest::blocking::Client::builder()
        .user_agent(concat!("imagelock/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .referer(false)
        .retry(reqwest::retry::never())
        .connect_timeout(connect_timeout)
        .timeout(None)
        .tcp_nodelay(true)
        .pool_max_idle_per_host(16)
}

impl Transport for HttpTransport {
    fn send(&self, request: &Request) -> Result<Response, TransportError> {
        let method = match request.method {
            Method::Get => reqwest::Method::GET,
            Method::Head => reqwest::Method::HEAD,
            Method::Post => reqwest::Method::POST,
        };
        let deadline = Instant::now() + request.timeout;
        let mut builder = self
            .client_for(&request.url)?
            .request(method, request.url.clone())
            .timeout(request.timeout);
        for (name, value) in &request.headers {
            builder = builder.header(*name, value);
        }
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        let response = builder.send().map_err(map_error)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        if request.method == Method::Head {
            return Ok(Response {
                status,
                headers,
                body: Vec::new(),
            });
        }
        if response
            .content_length()
            .is_some_and(|len| len > request.limit as u64)
        {
            return Err(TransportError::TooLarge);
        }
        let mut body = Vec::new();
        let read = response
            .take(request.limit as u64 + 1)
            .read_to_end(&mut body);
        if let Err(e) = read {
            if Instant::now() >= deadline || e.kind() == std::io::ErrorKind::TimedOut {
                return Err(TransportError::Timeout);
            }
            return Err(TransportError::Other(format!("reading the body: {e}")));
        }
        if body.len() > request.limit {
            return Err(TransportError::TooLarge);
        }
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

fn map_error(err: reqwest::Error) -> TransportError {
    let err = err.without_url();
    if err.is_timeout() {
        return TransportError::Timeout;
    }
    let mut message = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    if err.is_connect() {
        TransportError::Connect(message)
    } else {
        TransportError::Other(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_clock_really_sleeps_without_the_test_log() {
        // The real path of the integration tests' virtual clock: unit tests never set
        // IMAGELOCK_TEST_SLEEP_LOG.
        assert!(test_sleep_log().is_none());
        let started = Instant::now();
        SystemClock.sleep(Duration::from_millis(20));
        assert!(started.elapsed() >= Duration::from_millis(20));
        assert!(SystemClock.now() >= started + Duration::from_millis(20));
    }

    #[test]
    fn resolve_pins_parse_as_curl_writes_them() {
        let pin: Pin = "Registry.Example.com:5000:127.0.0.1".parse().unwrap();
        assert_eq!(
            pin,
            Pin {
                host: "registry.example.com".into(),
                port: 5000,
                addr: "127.0.0.1".parse().unwrap()
            }
        );
        let v6: Pin = "r.example:443:[::1]".parse().unwrap();
        assert_eq!(v6.addr, "::1".parse::<std::net::IpAddr>().unwrap());
        let url = |s: &str| Url::parse(s).unwrap();
        assert!(pin.matches(&url("https://registry.example.com:5000/v2/")));
        assert!(!pin.matches(&url("https://registry.example.com/v2/")));
        assert!(v6.matches(&url("https://r.example/v2/")));
        for bad in [
            "",
            "host",
            "host:80",
            ":80:127.0.0.1",
            "host:0:127.0.0.1",
            "host:99999:127.0.0.1",
            "host:80:localhost",
            "user@host:80:127.0.0.1",
            "a/b:80:127.0.0.1",
            "127.0.0.1:80:127.0.0.1",
        ] {
            assert!(bad.parse::<Pin>().is_err(), "{bad}");
        }
    }

    /// HTTPS with and without the CA is tested end to end against docker-registry
    /// (tests/cli/registry/real.rs); here, which client serves which URL, and bad CA files.
    #[test]
    fn plain_tls_and_pinned_clients_and_bad_ca_files() {
        let dir = tempfile::tempdir().unwrap();
        let pin: Pin = "registry.example.com:5000:127.0.0.1".parse().unwrap();
        let transport = HttpTransport::new(&HttpOptions {
            pins: vec![pin],
            ..HttpOptions::default()
        })
        .unwrap();
        let url = |s: &str| Url::parse(s).unwrap();
        let plain = transport
            .client_for(&url("http://127.0.0.1:5000/v2/"))
            .unwrap();
        assert!(std::ptr::eq(plain, &transport.plain), "no trust store");
        assert!(transport.tls.get().is_none(), "TLS set up only when used");
        let pinned = transport
            .client_for(&url("https://registry.example.com:5000/v2/"))
            .unwrap();
        assert!(std::ptr::eq(
            pinned,
            transport.pinned[0].2.get().unwrap().as_ref().unwrap()
        ));
        let other_port = transport
            .client_for(&url("https://registry.example.com/v2/"))
            .unwrap();
        assert!(std::ptr::eq(
            other_port,
            transport.tls.get().unwrap().as_ref().unwrap()
        ));

        let missing = HttpTransport::new(&HttpOptions {
            ca_files: vec![dir.path().join("nope.pem")],
            ..HttpOptions::default()
        });
        assert!(missing.is_err());
        fs_err::write(dir.path().join("junk.pem"), "not a certificate").unwrap();
        let junk = HttpTransport::new(&HttpOptions {
            ca_files: vec![dir.path().join("junk.pem")],
            ..HttpOptions::default()
        });
        assert!(junk.is_err());
    }
}
