//! Image references as Flux reads them: `spec.image` of an ImageRepository, and the values that
//! markers hold (`name[:tag][@digest]`).

use std::fmt;

/// Docker Hub's registry name in canonical image names, as go-containerregistry spells it.
pub const DOCKER_HUB: &str = "index.docker.io";
/// The host that serves Docker Hub's registry API.
pub const DOCKER_HUB_API: &str = "registry-1.docker.io";

/// A repository name split into registry host and path, normalised as Flux does.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImageName {
    /// `index.docker.io`, `ghcr.io`, `localhost:5000`, …
    pub registry: String,
    /// `library/nginx`, `org/app`, …
    pub repository: String,
}

impl ImageName {
    /// Parse `spec.image` (no tag, no digest) the way go-containerregistry does for Flux.
    pub fn parse(image: &str) -> Result<Self, ImageError> {
        if image.is_empty() {
            return Err(ImageError::Empty);
        }
        if image.contains("://") {
            return Err(ImageError::Scheme(image.to_owned()));
        }
        let (first, rest) = match image.split_once('/') {
            Some((first, rest)) if is_host(first) => (Some(first), rest),
            _ => (None, image),
        };
        if rest.contains([':', '@']) {
            return Err(ImageError::TagInName(image.to_owned()));
        }
        let registry = match first {
            None | Some("docker.io" | "index.docker.io" | "registry-1.docker.io") => DOCKER_HUB,
            Some(host) => host,
        };
        let repository = if registry == DOCKER_HUB && !rest.contains('/') {
            format!("library/{rest}")
        } else {
            rest.to_owned()
        };
        validate_repository(&repository).map_err(|c| ImageError::InvalidChar {
            image: image.to_owned(),
            found: c,
        })?;
        Ok(Self {
            registry: registry.to_owned(),
            repository,
        })
    }

    /// `index.docker.io/library/nginx`: Flux's `status.canonicalImageName`, the lock's key.
    pub fn canonical(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// Loopback, `localhost`, `*.local` and private addresses are reached over plain HTTP (Flux).
    pub fn is_plain_http_host(&self) -> bool {
        let host = host_without_port(&self.registry);
        if host == "localhost" || host.ends_with(".local") {
            return true;
        }
        let host = host.trim_start_matches('[').trim_end_matches(']');
        match host.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V4(ip)) => ip.is_loopback() || ip.is_private(),
            Ok(std::net::IpAddr::V6(ip)) => ip.is_loopback(),
            Err(_) => false,
        }
    }
}

impl fmt::Display for ImageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)
    }
}

fn is_host(component: &str) -> bool {
    component.contains(['.', ':']) || component == "localhost"
}

fn host_without_port(registry: &str) -> &str {
    if registry.starts_with('[') {
        return registry.split_once(']').map_or(registry, |(h, _)| h);
    }
    registry.rsplit_once(':').map_or(registry, |(h, _)| h)
}

fn validate_repository(repo: &str) -> Result<(), char> {
    if repo.is_empty() || repo.len() > 255 {
        return Err(' ');
    }
    match repo
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || "_./-".contains(*c)))
    {
        Some(c) => Err(c),
        None => Ok(()),
    }
}

/// A value as a marker field holds it: `name`, `name:tag`, `name@digest`, `name:tag@digest`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference<'a> {
    pub name: &'a str,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
}

impl<'a> Reference<'a> {
    /// Split without validating: a tag is what follows the last `:` after the last `/`.
    pub fn split(value: &'a str) -> Self {
        let (rest, digest) = match value.split_once('@') {
            Some((r, d)) => (r, Some(d)),
            None => (value, None),
        };
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        match rest[last_slash..].rfind(':') {
            Some(i) => Self {
                name: &rest[..last_slash + i],
                tag: Some(&rest[last_slash + i + 1..]),
                digest,
            },
            None => Self {
                name: rest,
                tag: None,
                digest,
            },
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    #[error("image name is empty")]
    Empty,
    #[error("image `{0}` has a URL scheme; Flux expects a bare repository name")]
    Scheme(String),
    #[error(
        "image `{0}` carries a tag or digest; ImageRepository.spec.image names a repository only"
    )]
    TagInName(String),
    #[error(
        "image `{image}` has `{found}`; repository names use lowercase letters, digits and `_./-`"
    )]
    InvalidChar { image: String, found: char },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_like_flux() {
        let c = |s: &str| ImageName::parse(s).unwrap().canonical();
        assert_eq!(c("alpine"), "index.docker.io/library/alpine");
        assert_eq!(c("docker.io/alpine"), "index.docker.io/library/alpine");
        assert_eq!(
            c("particule/helloworld"),
            "index.docker.io/particule/helloworld"
        );
        assert_eq!(c("ghcr.io/org/app"), "ghcr.io/org/app");
        assert_eq!(c("localhost/app"), "localhost/app");
        assert_eq!(c("localhost:5000/app"), "localhost:5000/app");
        assert_eq!(c("127.0.0.1:5000/a/b"), "127.0.0.1:5000/a/b");
    }

    #[test]
    fn rejects_what_flux_rejects() {
        assert!(ImageName::parse("").is_err());
        assert!(ImageName::parse("nginx:1.25").is_err());
        assert!(ImageName::parse("ghcr.io/org/App").is_err());
        assert!(ImageName::parse("https://ghcr.io/org/app").is_err());
        assert!(ImageName::parse("nginx@sha256:abc").is_err());
    }

    #[test]
    fn plain_http_hosts() {
        let h = |s: &str| ImageName::parse(s).unwrap().is_plain_http_host();
        assert!(h("localhost:5000/a"));
        assert!(h("127.0.0.1:5000/a"));
        assert!(h("10.1.2.3/a"));
        assert!(h("registry.local/a"));
        assert!(!h("ghcr.io/a"));
        assert!(!h("nginx"));
    }

    #[test]
    fn splits_references() {
        let r = Reference::split("localhost:5000/app:v1@sha256:ab");
        assert_eq!(
            (r.name, r.tag, r.digest),
            ("localhost:5000/app", Some("v1"), Some("sha256:ab"))
        );
        let r = Reference::split("localhost:5000/app");
        assert_eq!((r.name, r.tag), ("localhost:5000/app", None));
        let r = Reference::split("nginx");
        assert_eq!((r.name, r.tag, r.digest), ("nginx", None, None));
    }
}
