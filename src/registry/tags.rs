//! `GET /v2/<name>/tags/list`: `n=1000`, retried without `n` when the registry rejects it,
//! `Link: <…>; rel="next"` followed (resolved against the URL requested, same origin only),
//! a `last=` probe when a full page comes without a `Link`, and a page cap.

use std::collections::{BTreeSet, HashSet};

use url::Url;

use super::client::{status_error, Call, Client};
use super::error::RegistryError;
use super::transport::{display_url, Method};

/// What the registry listed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Listing {
    /// Valid tags, byte-sorted and distinct.
    pub tags: BTreeSet<String>,
    /// Strings that are not tags (`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`), dropped.
    pub invalid: usize,
    pub pages: usize,
}

pub fn list_tags(client: &Client, call: &Call<'_>) -> Result<Listing, RegistryError> {
    let target = call.target;
    let settings = &client.settings;
    let n = settings.page_size;
    let path = format!("v2/{}/tags/list", target.image.repository);
    let bad_url = |e: url::ParseError| RegistryError::Client {
        message: format!("cannot build the tags URL: {e}"),
    };
    let plain = target.base.join(&path).map_err(bad_url)?;
    let mut url = plain.clone();
    url.query_pairs_mut().append_pair("n", &n.to_string());
    let mut with_n = true;
    let mut listing = Listing::default();
    let mut requested: HashSet<Url> = HashSet::new();
    loop {
        if listing.pages >= settings.max_pages || !requested.insert(url.clone()) {
            return Err(RegistryError::PageCap {
                url: display_url(&plain),
                pages: settings.max_pages,
            });
        }
        listing.pages += 1;
        let resp = client.request(
            call,
            Method::Get,
            &url,
            "application/json",
            settings.page_limit,
        )?;
        if resp.status == 400 && with_n && listing.pages == 1 {
            // ECR (n > 1000), old Quay (n > 100): ask again without n.
            with_n = false;
            url = plain.clone();
            continue;
        }
        if !resp.is_success() {
            return Err(status_error(&url, &resp));
        }
        let page = parse_page(&url, &resp.body)?;
        let page_len = page.len();
        let mut new = 0;
        for tag in page {
            if !valid_tag(&tag) {
                listing.invalid += 1;
            } else if listing.tags.insert(tag) {
                new += 1;
            }
        }
        if let Some(link) = next_link(resp.headers_named("link")) {
            let next = url.join(&link).map_err(|_| RegistryError::Malformed {
                url: display_url(&url),
                message: format!("the Link header's URL `{link}` is not a URL"),
            })?;
            if next.origin() != target.base.origin() {
                return Err(RegistryError::CrossOriginLink {
                    url: display_url(&url),
                    link: display_url(&next),
                });
            }
            url = next;
            continue;
        }
        // No Link: a full page may still have a next one behind `last` (registries that
        // paginate without Link). A registry that ignores `n` sends more than n: done.
        if with_n && page_len == n && new > 0 {
            if let Some(last) = listing.tags.last() {
                let mut next = plain.clone();
                next.query_pairs_mut()
                    .append_pair("n", &n.to_string())
                    .append_pair("last", last);
                if !requested.contains(&next) {
                    url = next;
                    continue;
                }
            }
        }
        return Ok(listing);
    }
}

fn parse_page(url: &Url, body: &[u8]) -> Result<Vec<String>, RegistryError> {
    #[derive(serde::Deserialize)]
    struct Page {
        // GCR adds `manifest` and `child`: unknown fields are ignored.
        #[serde(default)]
        tags: Option<Vec<String>>,
    }
    let page: Page = serde_json::from_slice(body).map_err(|e| RegistryError::Malformed {
        url: display_url(url),
        message: e.to_string(),
    })?;
    Ok(page.tags.unwrap_or_default())
}

/// A tag as the distribution reference grammar defines it.
pub fn valid_tag(tag: &str) -> bool {
    let b = tag.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

/// The target of `rel="next"` among `Link` header values (RFC 8288).
pub fn next_link<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<String> {
    for value in values {
        let mut rest = value;
        while let Some(open) = rest.find('<') {
            let after = &rest[open + 1..];
            let close = after.find('>')?;
            let target = &after[..close];
            let params_end = after[close + 1..]
                .find('<')
                .map_or(after.len(), |i| close + 1 + i);
            let params = &after[close + 1..params_end];
            let is_next = params.split(';').any(|p| {
                let p = p.trim().trim_end_matches(',').trim();
                match p.split_once('=') {
                    Some((k, v)) if k.trim().eq_ignore_ascii_case("rel") => v
                        .trim()
                        .trim_matches('"')
                        .split_whitespace()
                        .any(|r| r.eq_ignore_ascii_case("next")),
                    _ => false,
                }
            });
            if is_next {
                return Some(target.trim().to_owned());
            }
            rest = &after[params_end..];
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_forms() {
        assert_eq!(
            next_link([r#"</v2/x/tags/list?n=100&last=1.1.99>; rel="next""#]).as_deref(),
            Some("/v2/x/tags/list?n=100&last=1.1.99")
        );
        assert_eq!(
            next_link([r#"<https://a/p?1>; rel="prev", <https://a/p?3>; rel=next"#]).as_deref(),
            Some("https://a/p?3")
        );
        assert_eq!(
            next_link([r#"<a>; rel="prev""#, r#"<b>; REL="Next""#]).as_deref(),
            Some("b")
        );
        assert_eq!(next_link([r#"<a>; rel="prev next""#]).as_deref(), Some("a"));
        assert_eq!(next_link([r#"<a>; title="next""#]), None);
        assert_eq!(next_link(["garbage", "<unterminated; rel=next", ""]), None);
    }

    #[test]
    fn tag_grammar() {
        for ok in ["1.0.0", "v1", "latest", "_x", "a-b_c.d", &"a".repeat(128)] {
            assert!(valid_tag(ok), "{ok}");
        }
        for bad in ["", ".x", "-x", "a/b", "a b", "a:b", "é", &"a".repeat(129)] {
            assert!(!valid_tag(bad), "{bad}");
        }
    }
}
