//! Authenticated requests to one registry: the challenge flow, redirects followed by our own
//! rules (credentials never leave their origin, no https→http), retries of 429/5xx with
//! `Retry-After`, a deadline per image and a per-host limit on requests in flight.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use url::Url;

use super::auth::{self, Token, TokenCache, TokenKey};
use super::challenge::{self, Challenge};
use super::config::Credential;
use super::error::{error_body, RegistryError};
use super::limit::HostLimiter;
use super::transport::{display_url, Clock, Method, Request, Response, Transport, TransportError};
use crate::image::{ImageName, DOCKER_HUB, DOCKER_HUB_API};

/// Largest token reply accepted.
const TOKEN_LIMIT: usize = 1 << 20;
/// Statuses worth another try.
const RETRY_STATUSES: &[u16] = &[408, 429, 500, 502, 503, 504];

#[derive(Clone, Debug)]
pub struct Settings {
    /// Requests in flight per host.
    pub per_host: usize,
    /// Retries after a 429 or 5xx (so `max_retries + 1` attempts).
    pub max_retries: u32,
    /// First wait when the registry gives no `Retry-After`; doubled each time.
    pub backoff: Duration,
    /// The longest single wait, whatever `Retry-After` says.
    pub max_wait: Duration,
    /// `n` on the first tags/list request.
    pub page_size: usize,
    pub max_pages: usize,
    pub max_redirects: usize,
    /// Largest tags/list page and manifest accepted.
    pub page_limit: usize,
    pub manifest_limit: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            per_host: 8,
            max_retries: 3,
            backoff: Duration::from_millis(500),
            max_wait: Duration::from_secs(60),
            page_size: 1000,
            max_pages: 1000,
            max_redirects: 10,
            page_limit: 4 << 20,
            manifest_limit: 4 << 20,
        }
    }
}

/// One image to query, and how.
#[derive(Clone, Debug)]
pub struct Target {
    pub image: ImageName,
    /// `scheme://api-host[:port]/`: the only origin that sees the registry credential.
    pub base: Url,
    pub credential: Option<Credential>,
    /// Reached over plain HTTP (loopback, private, `spec.insecure`): local token realms allowed.
    pub plain_http: bool,
    /// For everything this image needs (tags and digests), as Flux's `spec.timeout`.
    pub timeout: Duration,
}

impl Target {
    pub fn new(
        image: ImageName,
        insecure: bool,
        credential: Option<Credential>,
        timeout: Duration,
    ) -> Result<Self, RegistryError> {
        let plain_http = insecure || image.is_plain_http_host();
        let host = if image.registry == DOCKER_HUB {
            DOCKER_HUB_API
        } else {
            image.registry.as_str()
        };
        let scheme = if plain_http { "http" } else { "https" };
        let base =
            Url::parse(&format!("{scheme}://{host}/")).map_err(|e| RegistryError::Client {
                message: format!("`{host}` is not a usable registry host: {e}"),
            })?;
        Ok(Self {
            image,
            base,
            credential,
            plain_http,
            timeout,
        })
    }
}

/// Docker Hub's `ratelimit-limit` / `ratelimit-remaining`, last seen per host.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RateLimit {
    pub limit: Option<String>,
    pub remaining: Option<String>,
}

pub struct Client {
    transport: Arc<dyn Transport>,
    clock: Arc<dyn Clock>,
    pub(crate) settings: Settings,
    limiter: HostLimiter,
    tokens: TokenCache,
    /// The last challenge each registry origin sent: later repositories authenticate up front.
    challenges: Mutex<HashMap<String, Challenge>>,
    rate_limits: Mutex<BTreeMap<String, RateLimit>>,
}

/// One image's requests share a deadline.
pub struct Call<'a> {
    pub target: &'a Target,
    pub deadline: Instant,
}

enum Used {
    Nothing,
    Basic,
    Bearer { key: TokenKey, cached: bool },
    Static,
}

impl Client {
    pub fn new(transport: Arc<dyn Transport>, clock: Arc<dyn Clock>, settings: Settings) -> Self {
        Self {
            limiter: HostLimiter::new(settings.per_host),
            transport,
            clock,
            settings,
            tokens: TokenCache::default(),
            challenges: Mutex::new(HashMap::new()),
            rate_limits: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn call<'a>(&self, target: &'a Target) -> Call<'a> {
        Call {
            target,
            deadline: self.clock.now() + target.timeout,
        }
    }

    pub fn rate_limits(&self) -> BTreeMap<String, RateLimit> {
        lock(&self.rate_limits).clone()
    }

    /// A request to the registry itself, authenticated as the registry asks. Returns the final
    /// response (after redirects); 401 and 403 become [`RegistryError::Denied`].
    pub(crate) fn request(
        &self,
        call: &Call<'_>,
        method: Method,
        url: &Url,
        accept: &str,
        limit: usize,
    ) -> Result<Response, RegistryError> {
        let target = call.target;
        let origin = target.base.origin();
        let origin_key = origin.ascii_serialization();
        let known = lock(&self.challenges).get(&origin_key).cloned();
        let own_scope = vec![format!("repository:{}:pull", target.image.repository)];
        let (mut header, mut used) = match (&target.credential, known) {
            (Some(Credential::RegistryToken(t)), _) => (Some(format!("Bearer {t}")), Used::Static),
            (_, Some(Challenge::Bearer { realm, service, .. })) => {
                let (h, u) =
                    self.bearer(call, &realm, service.as_deref(), own_scope.clone(), false)?;
                (Some(h), u)
            }
            (Some(Credential::Basic { username, password }), Some(Challenge::Basic)) => {
                (Some(basic(username, password)), Used::Basic)
            }
            _ => (None, Used::Nothing),
        };
        let mut renewed = false;
        loop {
            let mut req = Request::new(method, url.clone(), Duration::ZERO, limit);
            req.headers.push(("accept", accept.to_owned()));
            let auth = header.as_ref().map(|h| (origin.clone(), h.clone()));
            let (resp, final_url) = self.exchange(call, req, auth)?;
            if resp.status == 403 {
                return Err(denied(url, &resp, target, false));
            }
            if resp.status != 401 {
                return Ok(resp);
            }
            // Only the registry's own challenge is answered: one from a redirect target could
            // name any realm, and the credential would follow.
            if final_url.origin() != origin {
                return Err(denied(url, &resp, target, false));
            }
            let Some(challenge) = challenge::select(resp.headers_named("www-authenticate")) else {
                return Err(denied(url, &resp, target, false));
            };
            lock(&self.challenges).insert(origin_key.clone(), challenge.clone());
            match (challenge, &used, &target.credential) {
                (Challenge::Bearer { error, .. }, Used::Bearer { key, cached }, _) => {
                    if *cached && !renewed {
                        // One retry with a fresh token: the cached one may have been revoked.
                        self.tokens.remove(key);
                        renewed = true;
                        let scopes = key.scopes.clone();
                        let service = (!key.service.is_empty()).then(|| key.service.clone());
                        let realm = key.realm.clone();
                        let (h, u) = self.bearer(call, &realm, service.as_deref(), scopes, true)?;
                        (header, used) = (Some(h), u);
                        continue;
                    }
                    let insufficient = error.as_deref() == Some("insufficient_scope");
                    return Err(denied(url, &resp, target, insufficient));
                }
                (
                    Challenge::Bearer {
                        realm,
                        service,
                        scope,
                        ..
                    },
                    Used::Nothing | Used::Basic,
                    _,
                ) => {
                    let scopes = match scope {
                        Some(s) if !s.trim().is_empty() => {
                            s.split_whitespace().map(str::to_owned).collect()
                        }
                        _ => own_scope.clone(),
                    };
                    let (h, u) = self.bearer(call, &realm, service.as_deref(), scopes, false)?;
                    (header, used) = (Some(h), u);
                }
                (
                    Challenge::Basic,
                    Used::Nothing,
                    Some(Credential::Basic { username, password }),
                ) => {
                    (header, used) = (Some(basic(username, password)), Used::Basic);
                }
                _ => return Err(denied(url, &resp, target, false)),
            }
        }
    }

    fn bearer(
        &self,
        call: &Call<'_>,
        realm: &str,
        service: Option<&str>,
        scopes: Vec<String>,
        fresh: bool,
    ) -> Result<(String, Used), RegistryError> {
        let target = call.target;
        let realm_url = Url::parse(realm).map_err(|_| RegistryError::BadChallenge {
            url: display_url(&target.base),
            message: format!("the token realm `{realm}` is not a URL"),
        })?;
        auth::check_realm(&target.base, &realm_url, target.plain_http)?;
        let credential = target.credential.as_ref();
        let key = TokenKey::new(realm, service.unwrap_or(""), &scopes, credential);
        if !fresh {
            if let Some(t) = self.tokens.get(&key, self.clock.now()) {
                return Ok((format!("Bearer {t}"), Used::Bearer { key, cached: true }));
            }
        }
        let received = self.clock.now();
        let token = self.fetch_token(call, &realm_url, service, &scopes, credential)?;
        self.tokens.put(key.clone(), &token, received);
        Ok((
            format!("Bearer {}", token.value),
            Used::Bearer { key, cached: false },
        ))
    }

    fn fetch_token(
        &self,
        call: &Call<'_>,
        realm: &Url,
        service: Option<&str>,
        scopes: &[String],
        credential: Option<&Credential>,
    ) -> Result<Token, RegistryError> {
        let has_credentials = credential.is_some();
        if let Some(Credential::IdentityToken { token, .. }) = credential {
            // OAuth2 refresh grant (distribution's oauth.md); a 404 means the service only
            // speaks the GET flow.
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.append_pair("grant_type", "refresh_token");
            if let Some(s) = service {
                form.append_pair("service", s);
            }
            form.append_pair("client_id", "imagelock");
            if !scopes.is_empty() {
                form.append_pair("scope", &scopes.join(" "));
            }
            form.append_pair("refresh_token", token);
            let mut req = Request::new(Method::Post, realm.clone(), Duration::ZERO, TOKEN_LIMIT);
            req.headers.push((
                "content-type",
                "application/x-www-form-urlencoded".to_owned(),
            ));
            req.body = Some(form.finish().into_bytes());
            let (resp, _) = self.exchange(call, req, None)?;
            if !matches!(resp.status, 404 | 405) {
                return self.token_reply(realm, &resp, has_credentials);
            }
        }
        let mut url = realm.clone();
        {
            let mut q = url.query_pairs_mut();
            if let Some(s) = service {
                q.append_pair("service", s);
            }
            for s in scopes {
                q.append_pair("scope", s);
            }
            if let Some(Credential::Basic { username, .. }) = credential {
                q.append_pair("account", username);
            }
        }
        let req = Request::new(Method::Get, url, Duration::ZERO, TOKEN_LIMIT);
        let auth = match credential {
            Some(Credential::Basic { username, password }) => {
                Some((realm.origin(), basic(username, password)))
            }
            _ => None,
        };
        let (resp, _) = self.exchange(call, req, auth)?;
        self.token_reply(realm, &resp, has_credentials)
    }

    fn token_reply(
        &self,
        realm: &Url,
        resp: &Response,
        has_credentials: bool,
    ) -> Result<Token, RegistryError> {
        if matches!(resp.status, 401 | 403) {
            let (code, message) = error_body(&resp.body);
            return Err(RegistryError::Denied {
                url: display_url(realm),
                status: resp.status,
                code,
                message,
                insufficient_scope: false,
                has_credentials,
            });
        }
        if !resp.is_success() {
            return Err(status_error(realm, resp));
        }
        auth::parse_token(realm, &resp.body, self.clock.system_now())
    }

    /// Send, following redirects: the credential goes only to `auth`'s origin, a body never
    /// crosses origins, https never goes down to http, loops and long chains are refused.
    /// Returns the response and the URL that gave it.
    fn exchange(
        &self,
        call: &Call<'_>,
        mut req: Request,
        auth: Option<(url::Origin, String)>,
    ) -> Result<(Response, Url), RegistryError> {
        let first = req.url.clone();
        let mut visited = vec![req.url.clone()];
        for _ in 0..=self.settings.max_redirects {
            req.headers.retain(|(n, _)| *n != "authorization");
            if let Some((origin, value)) = &auth {
                if req.url.origin() == *origin {
                    req.headers.push(("authorization", value.clone()));
                }
            }
            let resp = self.send_retrying(call, &req)?;
            if !matches!(resp.status, 301 | 302 | 303 | 307 | 308) {
                return Ok((resp, req.url));
            }
            let Some(location) = resp.header("location") else {
                return Ok((resp, req.url));
            };
            let io = |message: &str| RegistryError::Io {
                url: display_url(&req.url),
                message: message.to_owned(),
            };
            let next = req
                .url
                .join(location.trim())
                .map_err(|_| io("redirected to an invalid URL"))?;
            match (req.url.scheme(), next.scheme()) {
                ("https", "http") => {
                    return Err(RegistryError::Downgrade {
                        from: display_url(&req.url),
                        to: display_url(&next),
                    })
                }
                (_, "http" | "https") => {}
                _ => return Err(io("redirected to a URL that is not http(s)")),
            }
            if req.body.is_some() && next.origin() != req.url.origin() {
                return Err(io(
                    "a token request redirected to another origin; its body is not sent there",
                ));
            }
            if resp.status == 303 && req.method == Method::Post {
                req.method = Method::Get;
                req.body = None;
            }
            if visited.contains(&next) {
                return Err(RegistryError::RedirectLoop {
                    url: display_url(&first),
                });
            }
            visited.push(next.clone());
            req.url = next;
        }
        Err(RegistryError::RedirectLoop {
            url: display_url(&first),
        })
    }

    fn send_retrying(&self, call: &Call<'_>, req: &Request) -> Result<Response, RegistryError> {
        let mut attempt = 0;
        loop {
            let remaining = call.deadline.saturating_duration_since(self.clock.now());
            if remaining.is_zero() {
                return Err(RegistryError::Timeout {
                    url: display_url(&req.url),
                    seconds: call.target.timeout.as_secs_f64(),
                });
            }
            let mut one = req.clone();
            one.timeout = remaining;
            let result = {
                let _permit = self.limiter.acquire(&host_key(&req.url));
                self.transport.send(&one)
            };
            let resp = match result {
                Ok(r) => r,
                Err(TransportError::TooLarge) => {
                    return Err(RegistryError::TooLarge {
                        url: display_url(&req.url),
                        limit: req.limit,
                    })
                }
                Err(e) => return Err(e.into_registry(&req.url, call.target.timeout)),
            };
            self.note_rate_limit(&req.url, &resp);
            if !RETRY_STATUSES.contains(&resp.status) || attempt >= self.settings.max_retries {
                return Ok(resp);
            }
            let wait = retry_after(&resp, self.clock.system_now())
                .unwrap_or_else(|| self.settings.backoff * 2u32.saturating_pow(attempt))
                .min(self.settings.max_wait);
            if self.clock.now() + wait >= call.deadline {
                return Ok(resp);
            }
            self.clock.sleep(wait);
            attempt += 1;
        }
    }

    fn note_rate_limit(&self, url: &Url, resp: &Response) {
        let remaining = resp.header("ratelimit-remaining");
        if remaining.is_none() {
            return;
        }
        let mut map = lock(&self.rate_limits);
        map.insert(
            host_key(url),
            RateLimit {
                limit: resp.header("ratelimit-limit").map(str::to_owned),
                remaining: remaining.map(str::to_owned),
            },
        );
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn basic(username: &str, password: &str) -> String {
    let raw = format!("{username}:{password}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

fn host_key(url: &Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap_or(""),
        url.port_or_known_default().unwrap_or(0)
    )
}

/// `Retry-After`: delay-seconds or an HTTP date.
pub fn retry_after(resp: &Response, now: SystemTime) -> Option<Duration> {
    let value = resp.header("retry-after")?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

pub(crate) fn status_error(url: &Url, resp: &Response) -> RegistryError {
    let (code, message) = error_body(&resp.body);
    RegistryError::Status {
        url: display_url(url),
        status: resp.status,
        code,
        message,
    }
}

fn denied(url: &Url, resp: &Response, target: &Target, insufficient_scope: bool) -> RegistryError {
    let (code, message) = error_body(&resp.body);
    RegistryError::Denied {
        url: display_url(url),
        status: resp.status,
        code,
        message,
        insufficient_scope,
        has_credentials: target.credential.is_some(),
    }
}
