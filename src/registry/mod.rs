//! The OCI distribution client behind `imagelock refresh`, the only code that uses the network:
//! tag listing, digests, authentication (docker config, credential helpers, bearer tokens).
//!
//! Layers, bottom up: [`transport`] (one HTTP exchange; reqwest, or a fake in tests),
//! [`client`] (challenges, tokens, redirects, retries, deadlines, per-host limits), [`tags`] and
//! [`digest`] (the two endpoints), [`refresh`] (jobs per image and the new lock).

pub(crate) mod auth;
pub(crate) mod challenge;
pub(crate) mod client;
pub(crate) mod config;
pub(crate) mod digest;
mod error;
pub(crate) mod helper;
pub(crate) mod limit;
pub(crate) mod refresh;
pub(crate) mod tags;
pub mod transport;

#[cfg(test)]
mod tests;

use std::time::Instant;

pub use client::{Client, RateLimit, Settings, Target};
pub use config::{AuthEnv, Credential, CredentialStore, Found};
pub use error::RegistryError;
pub use refresh::{Job, Outcome, Session, Source};
pub use transport::{Clock, HttpOptions, HttpTransport, Pin, SystemClock};

/// The real registries: credentials from the local store, requests through the client.
pub struct Live<'a> {
    pub client: &'a Client,
    pub credentials: &'a CredentialStore,
}

struct LiveSession<'a> {
    client: &'a Client,
    target: Target,
    deadline: Instant,
}

impl Source for Live<'_> {
    fn session<'a>(&'a self, job: &'a Job) -> Result<Box<dyn Session + 'a>, RegistryError> {
        let found = self.credentials.lookup(&job.image)?;
        let target = Target::new(
            job.image.clone(),
            job.insecure,
            found.credential,
            job.timeout,
        )?;
        let deadline = self.client.call(&target).deadline;
        Ok(Box::new(LiveSession {
            client: self.client,
            target,
            deadline,
        }))
    }
}

impl LiveSession<'_> {
    fn call(&self) -> client::Call<'_> {
        client::Call {
            target: &self.target,
            deadline: self.deadline,
        }
    }
}

impl Session for LiveSession<'_> {
    fn list(&mut self) -> Result<tags::Listing, RegistryError> {
        tags::list_tags(self.client, &self.call())
    }

    fn digest(&mut self, tag: &str) -> Result<String, RegistryError> {
        digest::digest(self.client, &self.call(), tag)
    }
}
