//! Who may vote, and what it costs them: the voter cookie, cross-site posts, trusted
//! proxies, and the rate limit and daily quota that a vote is charged against.
//!
//! Takes the service's [`Options`], a request's peer address and headers, gives the reader's
//! id (from the cookie `birge_voter`), the network the request counts for, whether a post
//! is cross-site, and whether a vote may go on ([`Policy::admit`]) or must wait
//! ([`TooMany`]).
//!
//! Stuffing an anonymous poll takes a new reader per vote, and a new reader is a post with
//! no id that this store issued: those posts share one rate bucket and one quota per poll
//! per network (an IPv4 address or an IPv6 /64). A reader whose cookie holds an id the
//! store issued (ids carry a tag keyed by the store's key, so they cannot be made up) is
//! charged to a bucket of their own on that network and to no quota: one vote per poll is
//! already theirs by the store's unique key, and each such id cost one anonymous vote to
//! obtain. So a noisy client behind an address many readers share uses up the anonymous
//! budget only: readers who have voted there before (in any poll) keep voting.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderValue, header};
use cookie::{Cookie, SameSite};
use ipnet::IpNet;

use super::limit::{Quota, RateLimiter, client_address, network};
use super::service::Options;

/// The voter cookie's name.
pub const VOTER_COOKIE: &str = "birge_voter";

/// Whom a vote is charged to, on its network.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Payer {
    /// A post without an id this store issued: a new reader, or anyone who drops or makes
    /// up their cookie (ids from before ids carried a tag count here too).
    Anonymous,
    /// A reader whose cookie holds an id this store issued.
    Reader(String),
}

/// A vote turned away before it reaches the store: 429 with `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooMany {
    /// The JSON `error`: `rate_limited` or `quota_exceeded`.
    pub code: &'static str,
    /// How long to wait.
    pub wait: Duration,
}

impl TooMany {
    /// `Retry-After`, in whole seconds, at least 1.
    pub fn retry_after(&self) -> u64 {
        (self.wait.as_secs() + u64::from(self.wait.subsec_nanos() > 0)).max(1)
    }
}

/// The service's policy, built once from its options.
pub struct Policy {
    allow_origins: Vec<String>,
    trust_proxy: Vec<IpNet>,
    limiter: Option<RateLimiter<(IpAddr, Payer)>>,
    quota: Option<Quota<IpAddr>>,
}

impl Policy {
    /// The policy of `options`.
    pub fn new(options: &Options) -> Policy {
        Policy {
            allow_origins: options
                .allow_origins
                .iter()
                .map(|o| o.trim_end_matches('/').to_string())
                .collect(),
            trust_proxy: options.trust_proxy.clone(),
            limiter: RateLimiter::new(options.rate_limit),
            quota: Quota::new(options.poll_quota),
        }
    }

    /// Whether `origin` may call the API from another site (CORS).
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.allow_origins.iter().any(|o| o == origin)
    }

    fn is_trusted_proxy(&self, peer: IpAddr) -> bool {
        self.trust_proxy.iter().any(|net| net.contains(&peer))
    }

    /// Whether a post comes from another site: one from an allowed origin never does; else
    /// `Sec-Fetch-Site: cross-site`, or an `Origin` that is not this host.
    pub fn is_cross_site(&self, headers: &HeaderMap, peer: IpAddr) -> bool {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        if text("origin").is_some_and(|origin| self.allows_origin(origin)) {
            return false;
        }
        if text("sec-fetch-site") == Some("cross-site") {
            return true;
        }
        if let Some(origin) = text("origin") {
            let forwarded_host = self
                .is_trusted_proxy(peer)
                .then(|| text("x-forwarded-host"))
                .flatten();
            let host = forwarded_host.or_else(|| text("host"));
            let origin_host = origin.split_once("://").map(|(_, h)| h);
            return match (origin_host, host) {
                (Some(o), Some(h)) => !o.eq_ignore_ascii_case(h),
                _ => true,
            };
        }
        false
    }

    /// Whether the reader came over https (the cookie is then `Secure`).
    pub fn is_https(&self, headers: &HeaderMap, peer: IpAddr) -> bool {
        let proto = headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok());
        let origin = headers.get("origin").and_then(|v| v.to_str().ok());
        (self.is_trusted_proxy(peer) && proto == Some("https"))
            || origin.is_some_and(|o| o.starts_with("https://"))
    }

    /// The network a request from `peer` counts for: the client's address (from a trusted
    /// proxy's `X-Forwarded-For`), an IPv6 one by its /64.
    pub fn network(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
        network(client_address(peer, forwarded, &self.trust_proxy))
    }

    /// Charges a vote in `poll` from `network` by `payer`: the rate limit's bucket of the
    /// network (anonymous posts) or of the reader on it, then, for anonymous posts, the
    /// network's quota for the poll today.
    pub fn admit(&self, network: IpAddr, payer: Payer, poll: &str) -> Result<(), TooMany> {
        let anonymous = payer == Payer::Anonymous;
        if let Some(limiter) = &self.limiter {
            limiter
                .check((network, payer), Instant::now())
                .map_err(|wait| TooMany {
                    code: "rate_limited",
                    wait,
                })?;
        }
        if let Some(quota) = &self.quota
            && anonymous
        {
            quota
                .check(network, poll, jiff::Timestamp::now().as_second())
                .map_err(|wait| TooMany {
                    code: "quota_exceeded",
                    wait,
                })?;
        }
        Ok(())
    }
}

/// The voter id of the request's cookie, when it is one birge could have issued (32 hex
/// digits; whether this store did is [`crate::polls::store::VoterKey::issued`]'s call).
pub fn voter_from(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .filter(|c| c.name() == VOTER_COOKIE)
        .map(|c| c.value().to_string())
        .find(|id| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(|id| id.to_ascii_lowercase())
}

/// The `Set-Cookie` value that gives a reader `voter`: a year, first-party, out of scripts'
/// reach, `Secure` over https.
pub fn voter_cookie(voter: &str, secure: bool) -> Option<HeaderValue> {
    let cookie = Cookie::build((VOTER_COOKIE, voter))
        .path("/")
        .max_age(cookie::time::Duration::days(365))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .build();
    HeaderValue::from_str(&cookie.to_string()).ok()
}

/// The connection's peer address (loopback when the server did not say).
pub fn peer_of(extensions: &axum::http::Extensions) -> IpAddr {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |c| c.0.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(rate_limit: u32, poll_quota: u32) -> Policy {
        Policy::new(&Options {
            rate_limit,
            poll_quota,
            ..Options::default()
        })
    }

    #[test]
    fn readers_with_an_issued_id_are_not_charged_for_anonymous_posts() {
        let policy = policy(2, 0);
        let shared: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(policy.admit(shared, Payer::Anonymous, "p").is_ok());
        assert!(policy.admit(shared, Payer::Anonymous, "p").is_ok());
        let refused = policy.admit(shared, Payer::Anonymous, "p").unwrap_err();
        assert_eq!(refused.code, "rate_limited");
        assert!((29..=30).contains(&refused.retry_after()), "{refused:?}");
        let reader = Payer::Reader("r".into());
        assert!(policy.admit(shared, reader.clone(), "p").is_ok());
        assert!(policy.admit(shared, reader, "q").is_ok());
    }

    #[test]
    fn the_quota_holds_anonymous_posts_per_poll() {
        let policy = policy(0, 2);
        let shared: IpAddr = "2001:db8::1".parse().unwrap();
        for _ in 0..2 {
            assert!(policy.admit(shared, Payer::Anonymous, "p").is_ok());
        }
        let refused = policy.admit(shared, Payer::Anonymous, "p").unwrap_err();
        assert_eq!(refused.code, "quota_exceeded");
        assert!(refused.retry_after() <= 86_400);
        assert!(policy.admit(shared, Payer::Anonymous, "q").is_ok());
        for _ in 0..5 {
            assert!(policy.admit(shared, Payer::Reader("r".into()), "p").is_ok());
        }
    }

    #[test]
    fn cookies_are_first_party_and_out_of_scripts_reach() {
        let attributes = |secure| {
            let value = voter_cookie("ab", secure).unwrap();
            let mut list: Vec<String> = value
                .to_str()
                .unwrap()
                .split(';')
                .map(|a| a.trim().to_string())
                .collect();
            list.sort();
            list
        };
        assert_eq!(
            attributes(false),
            [
                "HttpOnly",
                "Max-Age=31536000",
                "Path=/",
                "SameSite=Lax",
                "birge_voter=ab"
            ]
        );
        assert!(attributes(true).contains(&"Secure".to_string()));
    }

    #[test]
    fn the_voter_id_is_read_from_any_cookie_header() {
        let id = "0123456789ABCDEF0123456789abcdef";
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("a=1"));
        headers.append(
            header::COOKIE,
            HeaderValue::from_str(&format!("x=2; birge_voter={id}; y=3")).unwrap(),
        );
        assert_eq!(voter_from(&headers), Some(id.to_ascii_lowercase()));
        let mut bad = HeaderMap::new();
        bad.insert(
            header::COOKIE,
            HeaderValue::from_static(
                "birge_voter=short; birge_voterx=0123456789abcdef0123456789abcdef",
            ),
        );
        assert_eq!(voter_from(&bad), None);
    }
}
