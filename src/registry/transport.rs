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
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
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
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
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
            Self::Connect(message) => RegistryError::Connect { url, message },
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

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn system_now(&self) -> SystemTime {
        SystemTime::now()
    }
    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
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
}

/// reqwest's blocking client, redirects off (the client follows them itself, by its rules).
///
/// Plain-HTTP registries (loopback, `insecure`) go through a client that loads no trust store;
/// the TLS client, which reads the system's roots (tens of milliseconds), is built on the first
/// `https` request.
pub struct HttpTransport {
    plain: reqwest::blocking::Client,
    tls: std::sync::OnceLock<Result<reqwest::blocking::Client, String>>,
    extra_roots: Vec<reqwest::Certificate>,
    connect_timeout: Duration,
}

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
            extra_roots.extend(bundle);
        }
        let connect_timeout = options.connect_timeout.unwrap_or(Duration::from_secs(10));
        let plain = builder(connect_timeout)
            .tls_certs_only(Vec::new())
            .build()
            .map_err(|e| RegistryError::Client {
                message: e.without_url().to_string(),
            })?;
        Ok(Self {
            plain,
            tls: std::sync::OnceLock::new(),
            extra_roots,
            connect_timeout,
        })
    }

    fn client_for(&self, url: &Url) -> Result<&reqwest::blocking::Client, TransportError> {
        if url.scheme() != "https" {
            return Ok(&self.plain);
        }
        let tls = self.tls.get_or_init(|| {
            let mut b = builder(self.connect_timeout);
            if !self.extra_roots.is_empty() {
                b = b.tls_certs_merge(self.extra_roots.clone());
            }
            b.build().map_err(|e| e.without_url().to_string())
        });
        tls.as_ref()
            .map_err(|e| TransportError::Other(format!("cannot set up TLS: {e}")))
    }
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
    use std::io::Write as _;
    use std::process::Command;
    use std::sync::Arc;

    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    fn openssl(dir: &std::path::Path, args: &[&str]) {
        let ok = Command::new("openssl")
            .current_dir(dir)
            .args(args)
            .stderr(std::process::Stdio::null())
            .status()
            .expect("openssl (apt-get install openssl)");
        assert!(ok.success(), "openssl {args:?}");
    }

    /// A CA and a leaf for 127.0.0.1 signed by it.
    fn pki(dir: &std::path::Path) {
        openssl(
            dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=imagelock-test-ca",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
            ],
        );
        openssl(
            dir,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                "/CN=127.0.0.1",
                "-keyout",
                "leaf.key",
                "-out",
                "leaf.csr",
            ],
        );
        fs_err::write(
            dir.join("ext.cnf"),
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                "leaf.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "1",
                "-extfile",
                "ext.cnf",
                "-out",
                "leaf.pem",
            ],
        );
    }

    /// Serve HTTPS on 127.0.0.1 until `n` connections were handled.
    fn serve(dir: &std::path::Path, n: usize) -> u16 {
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_file_iter(dir.join("leaf.pem"))
                .unwrap()
                .map(Result::unwrap)
                .collect();
        let key = PrivateKeyDer::from_pem_file(dir.join("leaf.key")).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
        let config = Arc::new(config);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(n) {
                let Ok(stream) = stream else { continue };
                let conn = rustls::ServerConnection::new(config.clone()).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, stream);
                let mut buf = [0u8; 4096];
                if std::io::Read::read(&mut tls, &mut buf).unwrap_or(0) == 0 {
                    continue;
                }
                let _ = tls.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                );
                let _ = tls.flush();
                tls.conn.send_close_notify();
                let _ = tls.flush();
            }
        });
        port
    }

    #[test]
    fn https_with_a_custom_ca_bundle_and_not_without() {
        let dir = tempfile::tempdir().unwrap();
        pki(dir.path());
        let port = serve(dir.path(), 2);
        let url = Url::parse(&format!("https://127.0.0.1:{port}/v2/")).unwrap();
        let request = Request::new(Method::Get, url, Duration::from_secs(10), 1024);

        let trusted = HttpTransport::new(&HttpOptions {
            ca_files: vec![dir.path().join("ca.pem")],
            connect_timeout: None,
        })
        .unwrap();
        let resp = trusted.send(&request).unwrap();
        assert_eq!((resp.status, resp.body.as_slice()), (200, &b"ok"[..]));

        let untrusted = HttpTransport::new(&HttpOptions::default()).unwrap();
        assert!(
            untrusted.send(&request).is_err(),
            "an unknown CA is refused"
        );

        let missing = HttpTransport::new(&HttpOptions {
            ca_files: vec![dir.path().join("nope.pem")],
            connect_timeout: None,
        });
        assert!(missing.is_err());

        // Plain http goes through the client without a trust store.
        let plain = Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
        assert!(std::ptr::eq(
            trusted.client_for(&plain).unwrap(),
            &trusted.plain
        ));
    }
}
