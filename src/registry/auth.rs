//! Bearer tokens: the cache (keyed by realm, service, scopes and who asked), the token reply,
//! and the rules for where credentials may go.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sha2::{Digest as _, Sha256};
use url::Url;

use super::config::Credential;
use super::error::RegistryError;
use super::transport::display_url;

/// Default token lifetime when the reply has no `expires_in` (the token spec says 60 s).
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(60);
/// Renew this long before expiry (at most half the lifetime).
pub const RENEW_EARLY: Duration = Duration::from_secs(30);

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TokenKey {
    pub realm: String,
    pub service: String,
    pub scopes: Vec<String>,
    /// sha256 of the credential used (never the credential itself).
    pub who: [u8; 32],
}

impl TokenKey {
    pub fn new(
        realm: &str,
        service: &str,
        scopes: &[String],
        credential: Option<&Credential>,
    ) -> Self {
        let mut scopes = scopes.to_vec();
        scopes.sort();
        scopes.dedup();
        let mut h = Sha256::new();
        match credential {
            None => h.update(b"anonymous"),
            Some(Credential::Basic { username, password }) => {
                h.update(b"basic\0");
                h.update(username.as_bytes());
                h.update(b"\0");
                h.update(password.as_bytes());
            }
            Some(Credential::IdentityToken { username, token }) => {
                h.update(b"identity\0");
                h.update(username.as_bytes());
                h.update(b"\0");
                h.update(token.as_bytes());
            }
            Some(Credential::RegistryToken(t)) => {
                h.update(b"registry\0");
                h.update(t.as_bytes());
            }
        }
        Self {
            realm: realm.to_owned(),
            service: service.to_owned(),
            scopes,
            who: h.finalize().into(),
        }
    }
}

struct Cached {
    token: String,
    renew_at: Instant,
}

#[derive(Default)]
pub struct TokenCache {
    map: Mutex<HashMap<TokenKey, Cached>>,
}

impl TokenCache {
    /// A token still comfortably valid at `now`.
    pub fn get(&self, key: &TokenKey, now: Instant) -> Option<String> {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key)
            .filter(|c| now < c.renew_at)
            .map(|c| c.token.clone())
    }

    pub fn put(&self, key: TokenKey, token: &Token, received: Instant) {
        let lifetime = token.lifetime;
        let renew_at = received + lifetime.saturating_sub(RENEW_EARLY.min(lifetime / 2));
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(
            key,
            Cached {
                token: token.value.clone(),
                renew_at,
            },
        );
    }

    pub fn remove(&self, key: &TokenKey) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(key);
    }
}

/// A token reply: `token` or `access_token`, valid for `lifetime` from when it was received.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    pub value: String,
    pub lifetime: Duration,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Token(***, {:?})", self.lifetime)
    }
}

/// Read a token service's reply. `system_now` places `issued_at` (a clock-skewed or future
/// `issued_at` is ignored: the receive time is used instead).
pub fn parse_token(url: &Url, body: &[u8], system_now: SystemTime) -> Result<Token, RegistryError> {
    #[derive(serde::Deserialize)]
    struct Reply {
        #[serde(default)]
        token: Option<String>,
        #[serde(default)]
        access_token: Option<String>,
        #[serde(default)]
        expires_in: Option<i64>,
        #[serde(default)]
        issued_at: Option<String>,
    }
    let reply: Reply = serde_json::from_slice(body).map_err(|e| RegistryError::Malformed {
        url: display_url(url),
        message: e.to_string(),
    })?;
    let value = reply
        .token
        .filter(|t| !t.is_empty())
        .or(reply.access_token.filter(|t| !t.is_empty()))
        .ok_or_else(|| RegistryError::NoToken {
            url: display_url(url),
        })?;
    let mut lifetime = match reply.expires_in {
        Some(s) if s > 0 => Duration::from_secs(s.unsigned_abs()),
        _ => DEFAULT_LIFETIME,
    };
    if let Some(issued) = reply.issued_at.as_deref().and_then(parse_rfc3339) {
        if let Ok(age) = system_now.duration_since(issued) {
            if age < lifetime {
                lifetime -= age;
            }
        }
    }
    Ok(Token { value, lifetime })
}

/// `2026-11-23T10:00:00Z`, `…T10:00:00.123+01:00`.
pub fn parse_rfc3339(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse().ok() };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, min, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if b[13] != b':' || b[16] != b':' || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let (h, m) = rest[1..].split_once(':')?;
            sign * (h.parse::<i64>().ok()? * 3600 + m.parse::<i64>().ok()? * 60)
        }
    };
    // Days from civil (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hour * 3600 + min * 60 + sec - offset;
    u64::try_from(secs)
        .ok()
        .map(|s| UNIX_EPOCH + Duration::from_secs(s))
}

/// Where a token realm may be, given the registry that named it:
/// - http or https only, and never plain http when the registry is https;
/// - a loopback, private, link-local or unspecified address only when it is the registry's own
///   host and port, or when the registry itself is reached over plain HTTP (loopback, `insecure`).
pub fn check_realm(registry: &Url, realm: &Url, relaxed: bool) -> Result<(), RegistryError> {
    let refuse = |reason: &str| {
        Err(RegistryError::UnsafeRealm {
            url: display_url(registry),
            realm: display_url(realm),
            reason: reason.to_owned(),
        })
    };
    match realm.scheme() {
        "https" => {}
        "http" if registry.scheme() == "http" => {}
        "http" => return refuse("plain http for a registry reached over https"),
        _ => return refuse("not an http(s) URL"),
    }
    if !realm.username().is_empty() || realm.password().is_some() {
        return refuse("it carries user information");
    }
    let same_host = realm.host_str() == registry.host_str()
        && realm.port_or_known_default() == registry.port_or_known_default();
    if !same_host && !relaxed && is_local(realm) {
        return refuse("a local or private address that is not the registry's own");
    }
    Ok(())
}

fn is_local(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => is_local_ip(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => is_local_ip(IpAddr::V6(ip)),
        None => true,
    }
}

fn is_local_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => {
            ip.is_loopback() || ip.is_private() || ip.is_link_local() || ip.is_unspecified()
        }
        IpAddr::V6(ip) => {
            if let Some(v4) = ip.to_ipv4_mapped() {
                return is_local_ip(IpAddr::V4(v4));
            }
            let seg0 = ip.segments()[0];
            ip.is_loopback()
                || ip.is_unspecified()
                || (seg0 & 0xfe00) == 0xfc00 // unique local
                || (seg0 & 0xffc0) == 0xfe80 // link-local
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn token_or_access_token_and_default_lifetime() {
        let now = SystemTime::now();
        let t = parse_token(&u("https://a/t"), br#"{"access_token":"abc"}"#, now).unwrap();
        assert_eq!((t.value.as_str(), t.lifetime), ("abc", DEFAULT_LIFETIME));
        let t = parse_token(
            &u("https://a/t"),
            br#"{"token":"x","access_token":"y","expires_in":300}"#,
            now,
        )
        .unwrap();
        assert_eq!(
            (t.value.as_str(), t.lifetime),
            ("x", Duration::from_secs(300))
        );
        assert!(matches!(
            parse_token(&u("https://a/t"), br#"{"expires_in":3}"#, now),
            Err(RegistryError::NoToken { .. })
        ));
        assert!(matches!(
            parse_token(&u("https://a/t"), b"<html>", now),
            Err(RegistryError::Malformed { .. })
        ));
    }

    #[test]
    fn issued_at_shortens_the_lifetime_unless_in_the_future() {
        let issued = parse_rfc3339("2026-11-23T10:00:00Z").unwrap();
        let later = issued + Duration::from_secs(100);
        let body = br#"{"token":"x","expires_in":300,"issued_at":"2026-11-23T10:00:00Z"}"#;
        let t = parse_token(&u("https://a/t"), body, later).unwrap();
        assert_eq!(t.lifetime, Duration::from_secs(200));
        let earlier = issued - Duration::from_secs(1000);
        assert_eq!(
            parse_token(&u("https://a/t"), body, earlier)
                .unwrap()
                .lifetime,
            Duration::from_secs(300)
        );
    }

    #[test]
    fn rfc3339() {
        let t = |s: &str| parse_rfc3339(s).map(|t| t.duration_since(UNIX_EPOCH).unwrap().as_secs());
        assert_eq!(t("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(t("2000-03-01T00:00:00Z"), Some(951_868_800));
        assert_eq!(
            t("2026-11-23T10:00:00.123456+01:00"),
            t("2026-11-23T09:00:00Z")
        );
        assert_eq!(t("2026-11-23"), None);
        assert_eq!(t("garbage-garbage-garbage"), None);
    }

    #[test]
    fn cache_renews_early_and_keys_by_who() {
        let cache = TokenCache::default();
        let anon = TokenKey::new("https://r/t", "s", &["repository:a:pull".into()], None);
        let alice = TokenKey::new(
            "https://r/t",
            "s",
            &["repository:a:pull".into()],
            Some(&Credential::Basic {
                username: "alice".into(),
                password: "pw".into(),
            }),
        );
        assert_ne!(anon, alice);
        let t0 = Instant::now();
        let tok = Token {
            value: "v".into(),
            lifetime: Duration::from_secs(300),
        };
        cache.put(anon.clone(), &tok, t0);
        assert_eq!(
            cache.get(&anon, t0 + Duration::from_secs(269)).as_deref(),
            Some("v")
        );
        assert_eq!(
            cache.get(&anon, t0 + Duration::from_secs(271)),
            None,
            "renewed 30 s early"
        );
        assert_eq!(cache.get(&alice, t0), None);
        // A short-lived token is renewed at half its life.
        cache.put(
            alice.clone(),
            &Token {
                value: "w".into(),
                lifetime: Duration::from_secs(10),
            },
            t0,
        );
        assert!(cache.get(&alice, t0 + Duration::from_secs(4)).is_some());
        assert!(cache.get(&alice, t0 + Duration::from_secs(6)).is_none());
        cache.remove(&anon);
        assert_eq!(cache.get(&anon, t0), None);
    }

    #[test]
    fn realm_rules() {
        let reg = u("https://registry-1.docker.io/");
        assert!(check_realm(&reg, &u("https://auth.docker.io/token"), false).is_ok());
        assert!(
            check_realm(&reg, &u("http://auth.docker.io/token"), false).is_err(),
            "downgrade"
        );
        assert!(
            check_realm(&reg, &u("https://127.0.0.1:9/token"), false).is_err(),
            "loopback"
        );
        assert!(
            check_realm(&reg, &u("https://10.0.0.1/token"), false).is_err(),
            "private"
        );
        assert!(
            check_realm(&reg, &u("https://169.254.169.254/token"), false).is_err(),
            "metadata"
        );
        assert!(check_realm(&reg, &u("https://[::1]/token"), false).is_err());
        assert!(check_realm(&reg, &u("https://localhost/token"), false).is_err());
        assert!(check_realm(&reg, &u("file:///etc/passwd"), false).is_err());
        assert!(check_realm(&reg, &u("https://u:p@auth.docker.io/token"), false).is_err());
        let local = u("http://127.0.0.1:5000/");
        assert!(
            check_realm(&local, &u("http://127.0.0.1:5000/token"), false).is_ok(),
            "own host"
        );
        assert!(
            check_realm(&local, &u("http://127.0.0.1:5001/token"), true).is_ok(),
            "relaxed"
        );
        assert!(check_realm(&local, &u("http://127.0.0.1:5001/token"), false).is_err());
    }
}
