//! The real registry: Debian's `docker-registry` (CNCF distribution 2.8) started on 127.0.0.1
//! on a free port with filesystem storage in a temporary directory, images pushed through its
//! HTTP API, and a token server of our own for `auth: token`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use sha2::{Digest as _, Sha256};

use super::server::{Reply, Req, Server};

/// Fail loudly (not skip) when a tool is missing: `scripts/test.sh` installs them.
pub fn require(tool: &str, package: &str) {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "`{tool}` is not installed: these tests need it (apt-get install {package}; `bash scripts/test.sh` does it)"
    );
}

pub struct Registry {
    child: Child,
    pub port: u16,
    /// Its filesystem storage, to serve it again with [`Registry::start_with`].
    pub storage: PathBuf,
    _dir: tempfile::TempDir,
}

impl Registry {
    /// Start `docker-registry serve` with `auth` (YAML under `auth:`, or empty).
    pub fn start(auth: &str) -> Self {
        Self::start_with(auth, None, None)
    }

    /// Serving HTTPS with `tls`'s server certificate, and with the storage of another registry
    /// (`storage`: what was pushed through that one is served by this one too).
    pub fn start_with(auth: &str, tls: Option<&Pki>, storage: Option<&Path>) -> Self {
        require("docker-registry", "docker-registry");
        let dir = tempfile::tempdir().unwrap();
        let storage = storage.map_or_else(|| dir.path().join("storage"), Path::to_path_buf);
        let tls = tls.map_or_else(String::new, |pki| {
            format!(
                ", tls: {{certificate: {}, key: {}}}",
                pki.server_cert.display(),
                pki.server_key.display()
            )
        });
        for _attempt in 0..3 {
            let port = free_port();
            let config = dir.path().join("config.yml");
            let auth = if auth.is_empty() {
                String::new()
            } else {
                format!("auth:\n{auth}")
            };
            fs_err::write(
                &config,
                format!(
                    "version: 0.1\nlog: {{level: error, accesslog: {{disabled: true}}}}\nstorage:\n  filesystem: {{rootdirectory: {}}}\n  delete: {{enabled: true}}\nhttp: {{addr: \"127.0.0.1:{port}\", secret: test-only{tls}}}\n{auth}",
                    storage.display()
                ),
            )
            .unwrap();
            let log = fs_err::File::create(dir.path().join("registry.log")).unwrap();
            let mut child = Command::new("docker-registry")
                .arg("serve")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log.into_parts().0)
                .spawn()
                .expect("start docker-registry");
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if let Ok(Some(_)) = child.try_wait() {
                    break; // the port was taken meanwhile: try another
                }
                // Over TLS too: Go answers a plain request with a 400.
                if get(&format!("http://127.0.0.1:{port}/v2/"), &[]).is_some() {
                    return Self {
                        child,
                        port,
                        storage,
                        _dir: dir,
                    };
                }
                assert!(
                    Instant::now() < deadline,
                    "docker-registry did not answer: {}",
                    fs_err::read_to_string(dir.path().join("registry.log")).unwrap_or_default()
                );
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        panic!(
            "docker-registry would not start: {}",
            fs_err::read_to_string(dir.path().join("registry.log")).unwrap_or_default()
        );
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

/// A CA and a server certificate it signed for `host` (a DNS name), made with `openssl`.
pub struct Pki {
    pub ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
}

impl Pki {
    pub fn generate(dir: &Path, host: &str) -> Self {
        require("openssl", "openssl");
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl")
                .current_dir(dir)
                .args(args)
                .output()
                .expect("run openssl");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        openssl(
            &[
                &["req", "-x509"][..],
                &ec,
                &[
                    "-days",
                    "2",
                    "-subj",
                    "/CN=imagelock test CA",
                    "-keyout",
                    "ca.key",
                    "-out",
                    "ca.pem",
                ],
            ]
            .concat(),
        );
        openssl(
            &[
                &["req"][..],
                &ec,
                &[
                    "-subj",
                    &format!("/CN={host}"),
                    "-keyout",
                    "server.key",
                    "-out",
                    "server.csr",
                ],
            ]
            .concat(),
        );
        fs_err::write(
            dir.join("server.ext"),
            format!("subjectAltName=DNS:{host}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"),
        )
        .unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "server.ext",
            "-out",
            "server.pem",
        ]);
        Self {
            ca: dir.join("ca.pem"),
            server_cert: dir.join("server.pem"),
            server_key: dir.join("server.key"),
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A reply as imagelock's own transport holds one (header names in lower case).
pub type HttpReply = imagelock::registry::transport::Response;

/// One HTTP/1.1 exchange to 127.0.0.1 (`Connection: close`); `None` when nothing answers.
pub fn http(method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> Option<HttpReply> {
    let rest = url
        .strip_prefix("http://127.0.0.1:")
        .expect("loopback URLs only");
    let (port, path) = rest
        .split_once('/')
        .map(|(p, r)| (p, format!("/{r}")))
        .unwrap();
    let mut stream = TcpStream::connect(("127.0.0.1", port.parse::<u16>().unwrap())).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).ok()?;
    stream.write_all(body).ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).ok()?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Some(HttpReply {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    })
}

fn get(url: &str, headers: &[(&str, &str)]) -> Option<HttpReply> {
    http("GET", url, headers, b"")
}

pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// The Authorization header for a repository, if any.
pub type AuthFn<'a> = Box<dyn Fn(&str) -> Option<String> + 'a>;

/// Pushes blobs and manifests, authenticating each repository with `auth(repo)`.
pub struct Pusher<'a> {
    pub port: u16,
    pub auth: AuthFn<'a>,
}

impl Pusher<'_> {
    pub fn anonymous(port: u16) -> Self {
        Self {
            port,
            auth: Box::new(|_| None),
        }
    }

    fn send(
        &self,
        method: &str,
        repo: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> HttpReply {
        let auth = (self.auth)(repo);
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        if let Some(a) = &auth {
            all.push(("Authorization", a));
        }
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("http://127.0.0.1:{}{path}", self.port)
        };
        http(method, &url, &all, body).expect("the registry answers")
    }

    pub fn blob(&self, repo: &str, bytes: &[u8]) -> (String, usize) {
        let digest = sha256(bytes);
        let start = self.send(
            "POST",
            repo,
            &format!("/v2/{repo}/blobs/uploads/"),
            &[],
            b"",
        );
        assert_eq!(
            start.status,
            202,
            "{}",
            String::from_utf8_lossy(&start.body)
        );
        let location = start.header("location").unwrap().to_owned();
        let location = if location.starts_with('/') {
            format!("http://127.0.0.1:{}{location}", self.port)
        } else {
            location
        };
        let sep = if location.contains('?') { '&' } else { '?' };
        let put = self.send(
            "PUT",
            repo,
            &format!("{location}{sep}digest={digest}"),
            &[("Content-Type", "application/octet-stream")],
            bytes,
        );
        assert_eq!(put.status, 201, "{}", String::from_utf8_lossy(&put.body));
        (digest, bytes.len())
    }

    pub fn manifest(&self, repo: &str, tag: &str, media_type: &str, bytes: &[u8]) -> String {
        let r = self.send(
            "PUT",
            repo,
            &format!("/v2/{repo}/manifests/{tag}"),
            &[("Content-Type", media_type)],
            bytes,
        );
        assert_eq!(r.status, 201, "{tag}: {}", String::from_utf8_lossy(&r.body));
        let digest = sha256(bytes);
        assert_eq!(r.header("docker-content-digest"), Some(digest.as_str()));
        digest
    }
}

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_V2: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    OciManifest,
    OciIndex,
    DockerV2,
    ManifestList,
}

/// Push a one-layer image of `kind` to `repo` and tag it with every tag; returns the digest of
/// what the tags point at (the index or list itself for multi-arch kinds).
pub fn push_image(p: &Pusher<'_>, repo: &str, kind: Kind, tags: &[&str]) -> String {
    let docker = matches!(kind, Kind::DockerV2 | Kind::ManifestList);
    let layer = format!("layer of {repo} {kind:?}").into_bytes();
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let (l_digest, l_size) = p.blob(repo, &layer);
    let (c_digest, c_size) = p.blob(repo, config);
    let (m_type, c_type, l_type) = if docker {
        (
            DOCKER_V2,
            "application/vnd.docker.container.image.v1+json",
            "application/vnd.docker.image.rootfs.diff.tar.gzip",
        )
    } else {
        (
            OCI_MANIFEST,
            "application/vnd.oci.image.config.v1+json",
            "application/vnd.oci.image.layer.v1.tar+gzip",
        )
    };
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": m_type,
        "config": { "mediaType": c_type, "digest": c_digest, "size": c_size },
        "layers": [{ "mediaType": l_type, "digest": l_digest, "size": l_size }],
    })
    .to_string()
    .into_bytes();
    let (top_type, top) = match kind {
        Kind::OciManifest | Kind::DockerV2 => (m_type, manifest),
        Kind::OciIndex | Kind::ManifestList => {
            let child = p.manifest(repo, &sha256(&manifest), m_type, &manifest);
            let list_type = if docker { DOCKER_LIST } else { OCI_INDEX };
            let list = serde_json::json!({
                "schemaVersion": 2,
                "mediaType": list_type,
                "manifests": [{
                    "mediaType": m_type, "digest": child, "size": manifest.len(),
                    "platform": { "architecture": "amd64", "os": "linux" }
                }],
            })
            .to_string()
            .into_bytes();
            (list_type, list)
        }
    };
    let mut digest = String::new();
    for tag in tags {
        digest = p.manifest(repo, tag, top_type, &top);
    }
    digest
}

/// `auth: htpasswd` with bcrypt entries (distribution 2.8 reads no other hash), via `htpasswd`.
pub fn htpasswd(dir: &Path, users: &[(&str, &str)]) -> PathBuf {
    require("htpasswd", "apache2-utils");
    let mut text = String::new();
    for (user, pass) in users {
        let out = Command::new("htpasswd")
            .args(["-Bbn", user, pass])
            .output()
            .unwrap();
        assert!(out.status.success());
        text.push_str(String::from_utf8_lossy(&out.stdout).trim());
        text.push('\n');
    }
    let path = dir.join("htpasswd");
    fs_err::write(&path, text).unwrap();
    path
}

/// A distribution token server: RS256 JWTs signed with the `openssl` CLI, `kid` the libtrust
/// key id of the certificate the registry trusts. Anonymous callers get pull on repositories
/// outside `priv/`; known users get what they ask for; wrong credentials get 401.
pub struct TokenServer {
    pub server: Server,
    pub cert: PathBuf,
}

pub const ISSUER: &str = "test-issuer";
pub const SERVICE: &str = "test-registry";

impl TokenServer {
    pub fn start(dir: &Path, users: &[(&str, &str)]) -> Self {
        require("openssl", "openssl");
        let key = dir.join("token.key");
        let cert = dir.join("token.crt");
        let ok = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=test-token-issuer",
                "-keyout",
            ])
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(ok.success());
        let kid = libtrust_kid(&cert);
        let users: Vec<(String, String)> = users
            .iter()
            .map(|(u, p)| ((*u).to_owned(), (*p).to_owned()))
            .collect();
        let server = Server::start(move |req| token_reply(req, &users, &key, &kid));
        Self { server, cert }
    }

    pub fn realm(&self) -> String {
        format!("{}/token", self.server.url())
    }

    /// The registry's `auth:` section for this server.
    pub fn auth_yaml(&self) -> String {
        format!(
            "  token: {{realm: \"{}\", service: {SERVICE}, issuer: {ISSUER}, rootcertbundle: {}}}\n",
            self.realm(),
            self.cert.display()
        )
    }

    /// A token with `actions` on `repo`, as `user` (for pushing).
    pub fn token(&self, user: (&str, &str), repo: &str, actions: &str) -> String {
        let basic =
            base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", user.0, user.1));
        let url = format!(
            "{}?service={SERVICE}&scope=repository:{repo}:{actions}",
            self.realm()
        );
        let r = http(
            "GET",
            &url,
            &[("Authorization", &format!("Basic {basic}"))],
            b"",
        )
        .unwrap();
        assert_eq!(r.status, 200);
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        v["token"].as_str().unwrap().to_owned()
    }
}

fn token_reply(req: &Req, users: &[(String, String)], key: &Path, kid: &str) -> Reply {
    let mut user = None;
    if let Some(basic) = req
        .header("authorization")
        .and_then(|a| a.strip_prefix("Basic "))
    {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(basic)
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&decoded).into_owned();
        let (name, pass) = text.split_once(':').unwrap_or((&text, ""));
        if !users.iter().any(|(u, p)| u == name && p == pass) {
            return Reply::error(401, "UNAUTHORIZED", "bad credentials");
        }
        user = Some(name.to_owned());
    }
    let access: Vec<serde_json::Value> = req
        .query_all("scope")
        .iter()
        .map(|scope| {
            let mut parts = scope.splitn(3, ':');
            let (typ, name, actions) = (
                parts.next().unwrap_or(""),
                parts.next().unwrap_or(""),
                parts.next().unwrap_or(""),
            );
            let granted: Vec<&str> = actions
                .split(',')
                .filter(|a| user.is_some() || (*a == "pull" && !name.starts_with("priv/")))
                .collect();
            serde_json::json!({ "type": typ, "name": name, "actions": granted })
        })
        .collect();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = serde_json::json!({
        "iss": ISSUER, "sub": user.clone().unwrap_or_default(), "aud": req.query("service").unwrap_or_default(),
        "exp": now + 300, "nbf": now - 5, "iat": now, "jti": format!("{now}-{}", access.len()), "access": access,
    });
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let header = serde_json::json!({ "typ": "JWT", "alg": "RS256", "kid": kid });
    let signing_input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let mut sign = Command::new("openssl")
        .args(["dgst", "-sha256", "-sign"])
        .arg(key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    sign.stdin
        .take()
        .unwrap()
        .write_all(signing_input.as_bytes())
        .unwrap();
    let signature = sign.wait_with_output().unwrap().stdout;
    let token = format!("{signing_input}.{}", b64(&signature));
    Reply::json(
        200,
        serde_json::json!({ "token": token, "access_token": token, "expires_in": 300 }).to_string(),
    )
}

/// libtrust's key id: base32 of the first 240 bits of sha256(DER SubjectPublicKeyInfo), in
/// groups of four joined by `:`.
fn libtrust_kid(cert: &Path) -> String {
    let pem = Command::new("openssl")
        .args(["x509", "-noout", "-pubkey", "-in"])
        .arg(cert)
        .output()
        .unwrap()
        .stdout;
    let mut der_cmd = Command::new("openssl")
        .args(["pkey", "-pubin", "-outform", "DER"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    der_cmd.stdin.take().unwrap().write_all(&pem).unwrap();
    let der = der_cmd.wait_with_output().unwrap().stdout;
    let hash = Sha256::digest(&der);
    let b32 = base32(&hash[..30]);
    b32.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(":")
}

fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            out.push(ALPHABET[((buffer >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}
