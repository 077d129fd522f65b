//! Who is asking: the client's address (believing `X-Forwarded-For` only from trusted
//! proxies) and a token-bucket rate limit per address, kept in memory only.
//!
//! Takes the peer address and headers, gives the client address; takes an address, gives
//! whether it may vote now or how long it must wait.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ipnet::IpNet;

/// The client's address: the peer, or for a trusted proxy the last untrusted address of
/// `X-Forwarded-For`.
pub fn client_address(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let Some(header) = forwarded_for else {
        return peer;
    };
    let mut client = peer;
    for hop in header.rsplit(',') {
        let Ok(ip) = hop.trim().parse::<IpAddr>() else {
            break;
        };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

/// Parses `--trust-proxy` values: CIDR blocks or single addresses.
pub fn parse_trusted(values: &[String]) -> anyhow::Result<Vec<IpNet>> {
    values
        .iter()
        .map(|v| {
            v.parse::<IpNet>()
                .or_else(|_| v.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| anyhow::anyhow!("--trust-proxy {v}: not an address or CIDR block"))
        })
        .collect()
}

/// A token bucket per address: `per_minute` votes, refilled evenly, bursts up to the same.
pub struct RateLimiter {
    per_minute: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// How many addresses are remembered before full buckets are forgotten.
const MAX_REMEMBERED: usize = 100_000;

impl RateLimiter {
    /// A limiter of `per_minute` votes per address; `None` when 0 (no limit).
    pub fn new(per_minute: u32) -> Option<RateLimiter> {
        (per_minute > 0).then(|| RateLimiter {
            per_minute: per_minute as f64,
            buckets: Mutex::new(HashMap::new()),
        })
    }

    /// Takes one token for `ip` at `now`; `Err(wait)` when there is none.
    pub fn check(&self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let rate = self.per_minute / 60.0;
        let mut buckets = self.buckets.lock().expect("rate limit lock");
        if buckets.len() >= MAX_REMEMBERED {
            let capacity = self.per_minute;
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.last).as_secs_f64() * rate < capacity
            });
        }
        let bucket = buckets.entry(ip).or_insert(Bucket {
            tokens: self.per_minute,
            last: now,
        });
        bucket.tokens = (bucket.tokens + now.duration_since(bucket.last).as_secs_f64() * rate)
            .min(self.per_minute);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / rate))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_only_from_trusted_proxies() {
        let trusted = parse_trusted(&["10.0.0.0/8".into(), "127.0.0.1".into()]).unwrap();
        let peer: IpAddr = "127.0.0.1".parse().unwrap();
        let stranger: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(
            client_address(peer, Some("198.51.100.7, 10.1.2.3"), &trusted),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            client_address(stranger, Some("198.51.100.7"), &trusted),
            stranger
        );
        assert_eq!(client_address(peer, Some("garbage"), &trusted), peer);
    }

    #[test]
    fn bucket_empties_and_refills() {
        let limiter = RateLimiter::new(2).unwrap();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let t0 = Instant::now();
        assert!(limiter.check(ip, t0).is_ok());
        assert!(limiter.check(ip, t0).is_ok());
        let wait = limiter.check(ip, t0).unwrap_err();
        assert!(wait.as_secs() >= 29 && wait.as_secs() <= 30, "{wait:?}");
        assert!(limiter.check(ip, t0 + Duration::from_secs(31)).is_ok());
        assert!(RateLimiter::new(0).is_none());
    }
}
