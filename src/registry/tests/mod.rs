//! The protocol logic against an in-memory transport and clock: no network, no waiting.

mod auth;
mod plan;
mod requests;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use super::client::{Client, Settings, Target};
use super::config::Credential;
use super::transport::{Clock, Method, Request, Response, Transport, TransportError};
use super::{digest, tags, RegistryError};
use crate::image::ImageName;

pub(super) type Handler = Box<dyn Fn(&Request) -> Result<Response, TransportError> + Send + Sync>;

pub(super) struct Fake {
    handler: Handler,
    log: Mutex<Vec<Seen>>,
}

#[derive(Clone, Debug)]
pub(super) struct Seen {
    pub(super) method: Method,
    pub(super) url: String,
    pub(super) auth: Option<String>,
    pub(super) body: Option<String>,
}

impl Transport for Fake {
    fn send(&self, request: &Request) -> Result<Response, TransportError> {
        self.log.lock().unwrap().push(Seen {
            method: request.method,
            url: request.url.to_string(),
            auth: request.header("authorization").map(str::to_owned),
            body: request
                .body
                .as_ref()
                .map(|b| String::from_utf8_lossy(b).into_owned()),
        });
        (self.handler)(request)
    }
}

pub(super) struct FakeClock {
    start: Instant,
    offset: Mutex<Duration>,
    sleeps: Mutex<Vec<Duration>>,
}

impl Clock for FakeClock {
    fn now(&self) -> Instant {
        self.start + *self.offset.lock().unwrap()
    }
    fn system_now(&self) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000) + *self.offset.lock().unwrap()
    }
    fn sleep(&self, d: Duration) {
        self.sleeps.lock().unwrap().push(d);
        *self.offset.lock().unwrap() += d;
    }
}

pub(super) struct World {
    pub(super) client: Client,
    fake: Arc<Fake>,
    clock: Arc<FakeClock>,
}

impl World {
    fn new(
        handler: impl Fn(&Request) -> Result<Response, TransportError> + Send + Sync + 'static,
    ) -> Self {
        Self::with(Settings::default(), handler)
    }

    pub(super) fn with(
        settings: Settings,
        handler: impl Fn(&Request) -> Result<Response, TransportError> + Send + Sync + 'static,
    ) -> Self {
        let fake = Arc::new(Fake {
            handler: Box::new(handler),
            log: Mutex::default(),
        });
        let clock = Arc::new(FakeClock {
            start: Instant::now(),
            offset: Mutex::default(),
            sleeps: Mutex::default(),
        });
        let client = Client::new(fake.clone(), clock.clone(), settings);
        Self {
            client,
            fake,
            clock,
        }
    }

    pub(super) fn log(&self) -> Vec<Seen> {
        self.fake.log.lock().unwrap().clone()
    }

    pub(super) fn sleeps(&self) -> Vec<Duration> {
        self.clock.sleeps.lock().unwrap().clone()
    }

    pub(super) fn advance(&self, d: Duration) {
        *self.clock.offset.lock().unwrap() += d;
    }

    pub(super) fn list(&self, target: &Target) -> Result<Vec<String>, RegistryError> {
        let call = self.client.call(target);
        tags::list_tags(&self.client, &call).map(|l| l.tags.into_iter().collect())
    }

    pub(super) fn digest(&self, target: &Target, tag: &str) -> Result<String, RegistryError> {
        let call = self.client.call(target);
        digest::digest(&self.client, &call, tag)
    }
}

pub(super) fn target(image: &str, credential: Option<Credential>) -> Target {
    Target::new(
        ImageName::parse(image).unwrap(),
        false,
        credential,
        Duration::from_secs(30),
    )
    .unwrap()
}

pub(super) fn alice() -> Option<Credential> {
    Some(Credential::Basic {
        username: "alice".into(),
        password: "s3cret".into(),
    })
}

/// `Basic base64(alice:s3cret)`
pub(super) const ALICE: &str = "Basic YWxpY2U6czNjcmV0";

pub(super) fn resp(
    status: u16,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<Response, TransportError> {
    Ok(Response {
        status,
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), (*v).to_owned()))
            .collect(),
        body: body.as_bytes().to_vec(),
    })
}

pub(super) fn tags_body(tags: &[&str]) -> String {
    serde_json::json!({ "name": "demo/app", "tags": tags }).to_string()
}

pub(super) fn path_of(r: &Request) -> String {
    match r.url.query() {
        Some(q) => format!("{}?{q}", r.url.path()),
        None => r.url.path().to_owned(),
    }
}
