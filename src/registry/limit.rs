//! At most N requests in flight per host, whatever the number of worker threads.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex};

pub struct HostLimiter {
    max: usize,
    busy: Mutex<HashMap<String, usize>>,
    freed: Condvar,
}

/// A slot on one host, given back when dropped.
pub struct Permit<'a> {
    limiter: &'a HostLimiter,
    host: String,
}

impl HostLimiter {
    pub fn new(max: usize) -> Self {
        Self {
            max: max.max(1),
            busy: Mutex::new(HashMap::new()),
            freed: Condvar::new(),
        }
    }

    pub fn acquire(&self, host: &str) -> Permit<'_> {
        let mut busy = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let n = busy.entry(host.to_owned()).or_insert(0);
            if *n < self.max {
                *n += 1;
                break;
            }
            busy = self.freed.wait(busy).unwrap_or_else(|e| e.into_inner());
        }
        Permit {
            limiter: self,
            host: host.to_owned(),
        }
    }

    #[cfg(test)]
    pub fn in_flight(&self, host: &str) -> usize {
        let busy = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        busy.get(host).copied().unwrap_or(0)
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut busy = self.limiter.busy.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = busy.get_mut(&self.host) {
            *n = n.saturating_sub(1);
        }
        drop(busy);
        self.limiter.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn never_more_than_max_per_host() {
        let limiter = HostLimiter::new(3);
        let peak = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..12 {
                s.spawn(|| {
                    for _ in 0..20 {
                        let _p = limiter.acquire("a");
                        let _q = limiter.acquire("b");
                        peak.fetch_max(limiter.in_flight("a"), Ordering::SeqCst);
                        std::thread::yield_now();
                    }
                });
            }
        });
        assert!(peak.load(Ordering::SeqCst) <= 3);
        assert_eq!(limiter.in_flight("a"), 0);
    }
}
