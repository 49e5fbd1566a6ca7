//! A tag's digest: `HEAD /v2/<name>/manifests/<tag>` with the four manifest media types, read
//! `Docker-Content-Digest`; without it (or when HEAD fails), `GET` and sha256 the body.

use sha2::{Digest as _, Sha256};

use super::client::{status_error, Call, Client};
use super::error::RegistryError;
use super::transport::Method;

/// OCI index, OCI manifest, Docker manifest list, Docker manifest v2: distribution 2.8 answers
/// 404 for an OCI manifest whose type is not accepted, so all four go on every request.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.docker.distribution.manifest.v2+json";

pub fn digest(client: &Client, call: &Call<'_>, tag: &str) -> Result<String, RegistryError> {
    let url = call
        .target
        .base
        .join(&format!(
            "v2/{}/manifests/{tag}",
            call.target.image.repository
        ))
        .map_err(|e| RegistryError::Client {
            message: format!("cannot build the manifest URL: {e}"),
        })?;
    let head = client.request(call, Method::Head, &url, MANIFEST_ACCEPT, 0)?;
    if head.is_success() {
        if let Some(d) = head.header("docker-content-digest").map(str::trim) {
            if valid_digest(d) {
                return Ok(d.to_owned());
            }
        }
    }
    // HEAD carries no error body: GET gives both the fallback digest and the registry's message.
    let get = client.request(
        call,
        Method::Get,
        &url,
        MANIFEST_ACCEPT,
        client.settings.manifest_limit,
    )?;
    if !get.is_success() {
        return Err(status_error(&url, &get));
    }
    Ok(sha256(&get.body))
}

pub fn sha256(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let mut out = String::with_capacity(71);
    out.push_str("sha256:");
    for b in hash {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// `sha256:<64 hex>` or `sha512:<128 hex>`.
pub fn valid_digest(d: &str) -> bool {
    let hex = |s: &str, n: usize| {
        s.len() == n && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    };
    match d.split_once(':') {
        Some(("sha256", h)) => hex(h, 64),
        Some(("sha512", h)) => hex(h, 128),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests() {
        assert_eq!(
            sha256(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert!(valid_digest(&sha256(b"x")));
        assert!(!valid_digest("sha256:ABC"));
        assert!(!valid_digest("md5:abc"));
        assert!(!valid_digest("sha256:e3b0\n"));
    }
}
