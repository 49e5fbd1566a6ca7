//! Where local credentials come from, replacing what Flux reads in the cluster (`secretRef`,
//! `serviceAccountName`, `provider`): the docker config and containers' `auth.json`, in Docker's
//! order within a file — `credHelpers[host]`, then `credsStore`, then `auths`.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine as _;

use super::error::RegistryError;
use super::helper;
use crate::image::{ImageName, DOCKER_HUB};

/// A credential for one registry. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// Username and password: Basic to the registry, or to its token realm.
    Basic { username: String, password: String },
    /// An OAuth2 refresh token (`identitytoken`, or a helper's `<token>` user).
    IdentityToken { username: String, token: String },
    /// A bearer token used as is (`registrytoken`).
    RegistryToken(String),
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Basic { username, .. } => write!(f, "Basic({username}, ***)"),
            Self::IdentityToken { username, .. } => write!(f, "IdentityToken({username}, ***)"),
            Self::RegistryToken(_) => f.write_str("RegistryToken(***)"),
        }
    }
}

/// The credential for an image, and where it was found (for `-v`; never the secret).
#[derive(Clone, Debug)]
pub struct Found {
    pub credential: Option<Credential>,
    pub source: String,
}

/// The process environment this module reads, gathered once (and set freely in tests).
#[derive(Clone, Debug, Default)]
pub struct AuthEnv {
    pub registry_auth_file: Option<PathBuf>,
    pub docker_config: Option<PathBuf>,
    pub xdg_runtime_dir: Option<PathBuf>,
    pub xdg_config_home: Option<PathBuf>,
    pub home: Option<PathBuf>,
}

impl AuthEnv {
    pub fn from_process() -> Self {
        let var = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        Self {
            registry_auth_file: var("REGISTRY_AUTH_FILE"),
            docker_config: var("DOCKER_CONFIG"),
            xdg_runtime_dir: var("XDG_RUNTIME_DIR"),
            xdg_config_home: var("XDG_CONFIG_HOME"),
            home: var("HOME"),
        }
    }

    /// The files read, in order: `$REGISTRY_AUTH_FILE`; the docker config
    /// (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`); containers' `auth.json`
    /// (`$XDG_RUNTIME_DIR/containers/`, then `$XDG_CONFIG_HOME/containers/` or `~/.config/containers/`).
    pub fn candidates(&self) -> Vec<(PathBuf, FileKind)> {
        let mut out = Vec::new();
        if let Some(p) = &self.registry_auth_file {
            out.push((p.clone(), FileKind::Containers));
        }
        match (&self.docker_config, &self.home) {
            (Some(dir), _) => out.push((dir.join("config.json"), FileKind::Docker)),
            (None, Some(home)) => out.push((home.join(".docker/config.json"), FileKind::Docker)),
            (None, None) => {}
        }
        if let Some(dir) = &self.xdg_runtime_dir {
            out.push((dir.join("containers/auth.json"), FileKind::Containers));
        }
        match (&self.xdg_config_home, &self.home) {
            (Some(dir), _) => out.push((dir.join("containers/auth.json"), FileKind::Containers)),
            (None, Some(home)) => out.push((
                home.join(".config/containers/auth.json"),
                FileKind::Containers,
            )),
            (None, None) => {}
        }
        out
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// Docker's `config.json`: `credsStore` applies.
    Docker,
    /// containers' `auth.json`: `credsStore` is ignored (as skopeo does); keys may name repositories.
    Containers,
}

#[derive(Debug, Default, serde::Deserialize)]
struct ConfigFile {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: BTreeMap<String, String>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
}

#[derive(Default, serde::Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
    #[serde(default)]
    registrytoken: Option<String>,
}

impl fmt::Debug for AuthEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthEntry(***)")
    }
}

struct Loaded {
    path: PathBuf,
    kind: FileKind,
    /// Normalised key (`host` or `host/repo/path`) → entry.
    auths: Vec<(String, AuthEntry)>,
    helpers: BTreeMap<String, String>,
    store: Option<String>,
}

fn normalized<V>((key, value): (String, V)) -> (String, V) {
    (normalize_key(&key), value)
}

impl Loaded {
    /// A parsed file, its keys normalised; an empty `credsStore` is none.
    fn new(config: ConfigFile, path: PathBuf, kind: FileKind) -> Self {
        Self {
            auths: config.auths.into_iter().map(normalized).collect(),
            helpers: config.cred_helpers.into_iter().map(normalized).collect(),
            store: config.creds_store.filter(|s| !s.is_empty()),
            path,
            kind,
        }
    }
}

/// Every credential file found, read once; helpers are asked at most once per server.
pub struct CredentialStore {
    files: Vec<Loaded>,
    helper_timeout: Duration,
    helper_cache: Mutex<HashMap<(String, String), HelperAnswer>>,
}

/// A helper's answer, kept so that each helper is asked once per server.
type HelperAnswer = Result<Option<Credential>, String>;

impl CredentialStore {
    pub fn load(env: &AuthEnv, helper_timeout: Duration) -> Result<Self, RegistryError> {
        let mut files = Vec::new();
        for (path, kind) in env.candidates() {
            let text = match crate::fs::read(&path) {
                Ok(t) => t,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    return Err(RegistryError::Config {
                        path: path.display().to_string(),
                        message: e.to_string(),
                    })
                }
            };
            if text.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let config: ConfigFile =
                serde_json::from_slice(&text).map_err(|e| RegistryError::Config {
                    path: path.display().to_string(),
                    // serde_json's message names line and column, never the content.
                    message: e.to_string(),
                })?;
            files.push(Loaded::new(config, path, kind));
        }
        Ok(Self {
            files,
            helper_timeout,
            helper_cache: Mutex::new(HashMap::new()),
        })
    }

    /// The paths that were read.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.files.iter().map(|f| f.path.as_path())
    }

    /// The credential for `image`: the first file that has one wins.
    pub fn lookup(&self, image: &ImageName) -> Result<Found, RegistryError> {
        let host = image.registry.as_str();
        let server = helper_server(host);
        let keys = repository_keys(image);
        for file in &self.files {
            let shown = file.path.display();
            if let Some(helper) = file.helpers.get(host) {
                if let Some(c) = self.ask_helper(helper, &server)? {
                    return Ok(found(
                        c,
                        format!(
                            "credential helper docker-credential-{helper} (credHelpers in {shown})"
                        ),
                    ));
                }
            } else if let (FileKind::Docker, Some(store)) = (file.kind, &file.store) {
                if let Some(c) = self.ask_helper(store, &server)? {
                    return Ok(found(
                        c,
                        format!(
                            "credential helper docker-credential-{store} (credsStore in {shown})"
                        ),
                    ));
                }
            }
            for key in &keys {
                let Some((_, entry)) = file.auths.iter().find(|(k, _)| k == key) else {
                    continue;
                };
                let credential = decode_entry(entry).map_err(|message| RegistryError::Config {
                    path: file.path.display().to_string(),
                    message: format!("auths[\"{key}\"]: {message}"),
                })?;
                if let Some(c) = credential {
                    return Ok(found(c, format!("auths[\"{key}\"] in {shown}")));
                }
            }
        }
        let searched: Vec<String> = self.paths().map(|p| p.display().to_string()).collect();
        Ok(Found {
            credential: None,
            source: if searched.is_empty() {
                "anonymous (no docker config or auth.json found)".into()
            } else {
                format!("anonymous (nothing for {host} in {})", searched.join(", "))
            },
        })
    }

    fn ask_helper(&self, helper: &str, server: &str) -> Result<Option<Credential>, RegistryError> {
        let key = (helper.to_owned(), server.to_owned());
        let mut cache = self.helper_cache.lock().unwrap_or_else(|e| e.into_inner());
        let result = cache.entry(key).or_insert_with(|| {
            match helper::get(helper, server, self.helper_timeout) {
                Ok(None) => Ok(None),
                Ok(Some(c)) if c.username == "<token>" => Ok(Some(Credential::IdentityToken {
                    username: String::new(),
                    token: c.secret,
                })),
                Ok(Some(c)) => Ok(Some(Credential::Basic {
                    username: c.username,
                    password: c.secret,
                })),
                Err(RegistryError::Helper { message, .. }) => Err(message),
                Err(other) => Err(other.to_string()),
            }
        });
        result.clone().map_err(|message| RegistryError::Helper {
            helper: format!("docker-credential-{helper}"),
            server: server.to_owned(),
            message,
        })
    }
}

fn found(credential: Credential, source: String) -> Found {
    Found {
        credential: Some(credential),
        source,
    }
}

/// What a helper is asked for: Docker Hub's legacy URL, else `host[:port]`.
pub fn helper_server(registry: &str) -> String {
    if registry == DOCKER_HUB {
        "https://index.docker.io/v1/".to_owned()
    } else {
        registry.to_owned()
    }
}

/// `https://index.docker.io/v1/` → `index.docker.io`; `host/ns/repo` stays (containers keys).
pub fn normalize_key(key: &str) -> String {
    let key = key.trim();
    let (had_scheme, rest) = match key.split_once("://") {
        Some((_, rest)) => (true, rest),
        None => (false, key),
    };
    let rest = if had_scheme {
        rest.split('/').next().unwrap_or("")
    } else {
        rest.trim_end_matches('/')
    };
    let (host, path) = match rest.split_once('/') {
        Some((h, p)) => (h, Some(p)),
        None => (rest, None),
    };
    let host = match host {
        "docker.io" | "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB,
        h => h,
    };
    match path {
        Some(p) => format!("{host}/{p}"),
        None => host.to_owned(),
    }
}

/// `host/a/b/c`, `host/a/b`, `host/a`, `host`: the most specific key first.
fn repository_keys(image: &ImageName) -> Vec<String> {
    let mut keys = Vec::new();
    let mut path = image.repository.as_str();
    loop {
        keys.push(format!("{}/{path}", image.registry));
        match path.rsplit_once('/') {
            Some((parent, _)) => path = parent,
            None => break,
        }
    }
    keys.push(image.registry.clone());
    keys
}

fn decode_entry(entry: &AuthEntry) -> Result<Option<Credential>, String> {
    let nonempty = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
    if let Some(token) = nonempty(&entry.registrytoken) {
        return Ok(Some(Credential::RegistryToken(token)));
    }
    let (mut username, mut password) = (nonempty(&entry.username), nonempty(&entry.password));
    if let Some(auth) = nonempty(&entry.auth) {
        let engine = base64::engine::GeneralPurpose::new(
            &base64::alphabet::STANDARD,
            base64::engine::GeneralPurposeConfig::new()
                .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
        );
        let bytes = engine
            .decode(auth.trim())
            .map_err(|_| "`auth` is not base64".to_owned())?;
        let text = String::from_utf8(bytes).map_err(|_| "`auth` is not UTF-8".to_owned())?;
        let (u, p) = text
            .split_once(':')
            .ok_or_else(|| "`auth` does not decode to user:password".to_owned())?;
        username = Some(u.to_owned());
        password = Some(p.to_owned());
    }
    if let Some(token) = nonempty(&entry.identitytoken) {
        return Ok(Some(Credential::IdentityToken {
            username: username.unwrap_or_default(),
            token,
        }));
    }
    match (username, password) {
        (Some(username), Some(password)) => Ok(Some(Credential::Basic { username, password })),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(s: &str) -> ImageName {
        ImageName::parse(s).unwrap()
    }

    fn store_with(files: &[(&str, FileKind, &str)]) -> (tempfile::TempDir, CredentialStore) {
        let dir = tempfile::tempdir().unwrap();
        let mut loaded = Vec::new();
        for (name, kind, text) in files {
            let path = dir.path().join(name);
            fs_err::write(&path, text).unwrap();
            let config: ConfigFile = serde_json::from_str(text).unwrap();
            loaded.push(Loaded::new(config, path, *kind));
        }
        let store = CredentialStore {
            files: loaded,
            helper_timeout: Duration::from_secs(5),
            helper_cache: Mutex::default(),
        };
        (dir, store)
    }

    #[test]
    fn normalises_keys() {
        assert_eq!(
            normalize_key("https://index.docker.io/v1/"),
            "index.docker.io"
        );
        assert_eq!(normalize_key("docker.io"), "index.docker.io");
        assert_eq!(normalize_key("registry-1.docker.io"), "index.docker.io");
        assert_eq!(normalize_key("http://127.0.0.1:5000/v2/"), "127.0.0.1:5000");
        assert_eq!(normalize_key("quay.io/org/app"), "quay.io/org/app");
        assert_eq!(normalize_key("ghcr.io/"), "ghcr.io");
    }

    #[test]
    fn decodes_auth_fields() {
        let (_d, s) = store_with(&[(
            "c.json",
            FileKind::Docker,
            // "alice:s3:cret" without padding; a second registry with username/password.
            r#"{"auths":{"https://index.docker.io/v1/":{"auth":"YWxpY2U6czM6Y3JldA"},
                          "ghcr.io":{"username":"bob","password":"pw"},
                          "quay.io":{"auth":"dTpw","identitytoken":"refresh"},
                          "r.example":{"registrytoken":"tok"},
                          "empty.example":{}}}"#,
        )]);
        let c = |i: &str| s.lookup(&image(i)).unwrap().credential;
        assert_eq!(
            c("nginx"),
            Some(Credential::Basic {
                username: "alice".into(),
                password: "s3:cret".into()
            })
        );
        assert_eq!(
            c("ghcr.io/a/b"),
            Some(Credential::Basic {
                username: "bob".into(),
                password: "pw".into()
            })
        );
        assert_eq!(
            c("quay.io/a/b"),
            Some(Credential::IdentityToken {
                username: "u".into(),
                token: "refresh".into()
            })
        );
        assert_eq!(
            c("r.example/a"),
            Some(Credential::RegistryToken("tok".into()))
        );
        assert_eq!(c("empty.example/a"), None);
        let found = s.lookup(&image("other.example/a")).unwrap();
        assert!(found.source.starts_with("anonymous"), "{}", found.source);
        let debug = format!("{:?}", c("nginx"));
        assert!(!debug.contains("s3:cret"), "{debug}");
    }

    #[test]
    fn most_specific_key_and_first_file_win() {
        let (_d, s) = store_with(&[
            (
                "a.json",
                FileKind::Containers,
                r#"{"auths":{"quay.io/org/app":{"auth":"YTph"},"quay.io":{"auth":"YjpiCg=="}}}"#,
            ),
            (
                "b.json",
                FileKind::Docker,
                r#"{"auths":{"quay.io/org":{"auth":"Yzpj"},"ghcr.io":{"auth":"ZDpk"}}}"#,
            ),
        ]);
        let user = |i: &str| match s.lookup(&image(i)).unwrap().credential {
            Some(Credential::Basic { username, .. }) => username,
            other => panic!("{other:?}"),
        };
        assert_eq!(user("quay.io/org/app"), "a");
        assert_eq!(user("quay.io/org/other"), "b");
        assert_eq!(user("ghcr.io/x"), "d");
        assert!(s
            .lookup(&image("quay.io/org/app"))
            .unwrap()
            .source
            .contains("a.json"));
    }

    #[test]
    fn bad_base64_is_an_error_naming_the_file_not_the_value() {
        let (_d, s) = store_with(&[(
            "c.json",
            FileKind::Docker,
            r#"{"auths":{"ghcr.io":{"auth":"!!!secret!!!"}}}"#,
        )]);
        let err = s.lookup(&image("ghcr.io/a")).unwrap_err().to_string();
        assert!(
            err.contains("c.json") && err.contains("not base64"),
            "{err}"
        );
        assert!(!err.contains("secret"), "{err}");
    }

    #[test]
    fn candidate_order() {
        let env = AuthEnv {
            registry_auth_file: Some("/x/auth.json".into()),
            docker_config: None,
            xdg_runtime_dir: Some("/run/user/1".into()),
            xdg_config_home: None,
            home: Some("/home/u".into()),
        };
        let paths: Vec<String> = env
            .candidates()
            .into_iter()
            .map(|(p, _)| p.display().to_string())
            .collect();
        assert_eq!(
            paths,
            [
                "/x/auth.json",
                "/home/u/.docker/config.json",
                "/run/user/1/containers/auth.json",
                "/home/u/.config/containers/auth.json"
            ]
        );
    }
}
