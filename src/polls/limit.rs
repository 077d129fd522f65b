//! Who is asking: the client's address (believing `X-Forwarded-For` only from trusted
//! proxies) and the network it is counted by (an IPv6 address by its /64), a token-bucket
//! rate limit and a daily quota per poll, kept in memory only (addresses are never stored).
//!
//! Takes the peer address and headers, gives the client address; takes a key (a network,
//! and whom it is charged to), gives whether it may vote now or how long it must wait.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
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

/// The network that limits count `ip` by: an IPv4 address as it is, an IPv6 address by its
/// /64 (what one subscriber is usually given, so one subscriber is one client), an
/// IPv4-mapped IPv6 address as its IPv4 address.
pub fn network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & !((1u128 << 64) - 1))),
        },
    }
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

/// A token bucket per key (an address, or an address and a reader): `per_minute` votes,
/// refilled evenly, bursts up to the same.
pub struct RateLimiter<K = IpAddr> {
    per_minute: f64,
    buckets: Mutex<HashMap<K, Bucket>>,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// How many addresses are remembered before full buckets are forgotten.
const MAX_REMEMBERED: usize = 100_000;

impl<K: Hash + Eq> RateLimiter<K> {
    /// A limiter of `per_minute` votes per key; `None` when 0 (no limit).
    pub fn new(per_minute: u32) -> Option<RateLimiter<K>> {
        (per_minute > 0).then(|| RateLimiter {
            per_minute: per_minute as f64,
            buckets: Mutex::new(HashMap::new()),
        })
    }

    /// Takes one token for `key` at `now`; `Err(wait)` when there is none.
    pub fn check(&self, key: K, now: Instant) -> Result<(), Duration> {
        let rate = self.per_minute / 60.0;
        let mut buckets = self.buckets.lock().expect("rate limit lock");
        if buckets.len() >= MAX_REMEMBERED {
            let capacity = self.per_minute;
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.last).as_secs_f64() * rate < capacity
            });
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
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

/// How many votes a key may cast in one poll in one day (UTC), counted in memory.
pub struct Quota<K = IpAddr> {
    per_day: u32,
    counts: Mutex<Counts<K>>,
}

struct Counts<K> {
    /// The UTC day (days since 1970) the counts are for.
    day: i64,
    by_key: HashMap<(K, String), u32>,
}

const DAY: i64 = 86_400;

impl<K: Hash + Eq> Quota<K> {
    /// A quota of `per_day` votes per key and poll; `None` when 0 (no quota).
    pub fn new(per_day: u32) -> Option<Quota<K>> {
        (per_day > 0).then(|| Quota {
            per_day,
            counts: Mutex::new(Counts {
                day: 0,
                by_key: HashMap::new(),
            }),
        })
    }

    /// Counts one vote of `key` in `poll` at `now` (Unix seconds); `Err(wait)`, the time to
    /// the next UTC midnight, when the key has used its quota today.
    pub fn check(&self, key: K, poll: &str, now: i64) -> Result<(), Duration> {
        let day = now.div_euclid(DAY);
        let mut counts = self.counts.lock().expect("quota lock");
        if counts.day != day {
            counts.day = day;
            counts.by_key.clear();
        }
        let entry = (key, poll.to_string());
        if counts.by_key.len() >= MAX_REMEMBERED && !counts.by_key.contains_key(&entry) {
            // Keys that voted once are most likely single readers: forgetting them costs
            // the quota little. When the rest still fill the table, new keys pass uncounted
            // (the rate limit still holds them) rather than lock readers out.
            counts.by_key.retain(|_, n| *n > 1);
            if counts.by_key.len() >= MAX_REMEMBERED {
                return Ok(());
            }
        }
        let count = counts.by_key.entry(entry).or_insert(0);
        if *count >= self.per_day {
            let wait = (day + 1) * DAY - now;
            return Err(Duration::from_secs(u64::try_from(wait).unwrap_or(1)));
        }
        *count += 1;
        Ok(())
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
        assert!(RateLimiter::<IpAddr>::new(0).is_none());
    }

    #[test]
    fn ipv6_counts_by_its_64() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(
            network(ip("2001:db8:1:2:aaaa::1")),
            network(ip("2001:db8:1:2:ffff:1:2:3"))
        );
        assert_eq!(network(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_ne!(
            network(ip("2001:db8:1:2::1")),
            network(ip("2001:db8:1:3::1"))
        );
        assert_eq!(network(ip("::ffff:192.0.2.7")), ip("192.0.2.7"));
        assert_eq!(network(ip("192.0.2.7")), ip("192.0.2.7"));
    }

    #[test]
    fn a_quota_is_per_poll_and_per_day() {
        let quota = Quota::new(2).unwrap();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let noon = 20_000 * DAY + DAY / 2;
        assert!(quota.check(ip, "a", noon).is_ok());
        assert!(quota.check(ip, "a", noon).is_ok());
        assert_eq!(
            quota.check(ip, "a", noon),
            Err(Duration::from_secs(DAY as u64 / 2))
        );
        assert!(quota.check(ip, "b", noon).is_ok());
        assert!(quota.check("192.0.2.2".parse().unwrap(), "a", noon).is_ok());
        assert!(quota.check(ip, "a", noon + DAY / 2).is_ok());
        assert!(Quota::<IpAddr>::new(0).is_none());
    }
}
