//! Limits on the public doors that are not a single parameter's business: the
//! per-client rate of the public read API (with the trusted-proxy rule for
//! `X-Forwarded-For`), the global in-flight cap with load shedding, and the cap on
//! the request target's length. Each refusal is an [`ApiError`], so clients see the
//! same JSON shape and `Retry-After` whichever limit they met.
//!
//! The connection-level limits (header and body read timeouts, the open-connection
//! cap) are in [`crate::serve`] and the layers [`super::router`] stacks.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::error::ApiError;
use super::params::MAX_URI_BYTES;
use super::AppState;
use crate::config::ClientRate;

/// Every this many checks, buckets of clients that have been quiet long enough to be
/// full again are dropped, so the limiter's memory follows the active clients rather
/// than every address ever seen.
const FORGET_EVERY: u64 = 10_000;

/// Per-client limit of the public read API.
///
/// The client is the peer address, unless the peer is a trusted proxy
/// (`--trusted-proxy`): then it is the right-most `X-Forwarded-For` entry that is not
/// itself a trusted proxy (proxies append the address they saw, so entries left of it
/// are whatever the client wrote and are never believed). A trusted proxy's request
/// that names no such client (no header, or only trusted hops) is the proxy's own and
/// is not limited. IPv6 clients are counted per /64, the block one host is given.
pub struct ClientLimiter {
    limiter: Option<DefaultKeyedRateLimiter<IpAddr>>,
    trusted: Vec<ipnet::IpNet>,
    checks: AtomicU64,
}

impl ClientLimiter {
    pub fn new(rate: Option<ClientRate>, trusted: Vec<ipnet::IpNet>) -> ClientLimiter {
        ClientLimiter {
            limiter: rate
                .map(|r| RateLimiter::keyed(Quota::per_minute(r.per_minute).allow_burst(r.burst))),
            trusted,
            checks: AtomicU64::new(0),
        }
    }

    fn is_trusted(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.trusted.iter().any(|n| n.contains(&ip))
    }

    /// The address a request counts against (`None`: not limited), by the rule above.
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&str]) -> Option<IpAddr> {
        if !self.is_trusted(peer) {
            return Some(peer.to_canonical());
        }
        forwarded_for
            .iter()
            .flat_map(|h| h.split(','))
            .rev()
            .map(parse_hop)
            .find(|hop| hop.is_none_or(|ip| !self.is_trusted(ip)))
            .flatten()
            .map(|ip| ip.to_canonical())
    }

    /// `Err(seconds to wait)` when `client` is past its rate.
    pub fn check(&self, client: IpAddr) -> Result<(), u64> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % FORGET_EVERY == FORGET_EVERY - 1 {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        let key = match client {
            IpAddr::V6(v6) => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
            v4 => v4,
        };
        limiter.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:5`,
/// `[::1]:5`). `None` for anything else (`unknown`, garbage).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// The rate limit as a middleware over the public read API.
pub async fn rate_limit(State(st): State<AppState>, req: Request, next: Next) -> Response {
    // Requests that did not come over a socket (in-process callers) have no client.
    if let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>() {
        let forwarded: Vec<&str> = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        if let Some(client) = st.client_limiter.client(peer.ip(), &forwarded) {
            if let Err(retry_after) = st.client_limiter.check(client) {
                return ApiError::TooManyRequests { retry_after }.into_response();
            }
        }
    }
    next.run(req).await
}

/// What the load-shedding stack's errors become: `Overloaded` is the in-flight cap
/// (503 with `Retry-After`); nothing else is expected from it.
pub async fn shed_error(e: tower::BoxError) -> Response {
    if e.is::<tower::load_shed::error::Overloaded>() {
        metrics::counter!("medmap_http_shed_total").increment(1);
        ApiError::Overloaded { retry_after: 1 }.into_response()
    } else {
        ApiError::Internal(format!("limit layer: {e}")).into_response()
    }
}

/// 414 for a request target longer than [`MAX_URI_BYTES`], before any routing.
pub async fn uri_length(req: Request, next: Next) -> Response {
    let len = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    if len > MAX_URI_BYTES {
        return ApiError::UriTooLong(MAX_URI_BYTES).into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::num::NonZeroU32;

    fn limiter(trusted: &[&str]) -> ClientLimiter {
        ClientLimiter::new(
            Some(ClientRate {
                per_minute: NonZeroU32::new(60).unwrap(),
                burst: NonZeroU32::new(2).unwrap(),
            }),
            trusted
                .iter()
                .map(|t| crate::config::parse_proxy(t).unwrap())
                .collect(),
        )
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
        let l = limiter(&["10.0.0.0/8", "::1"]);
        // An untrusted peer is the client whatever it claims.
        assert_eq!(
            l.client(ip("203.0.113.9"), &["198.51.100.1"]),
            Some(ip("203.0.113.9"))
        );
        // From a trusted proxy, the right-most hop that is not a trusted proxy.
        assert_eq!(
            l.client(ip("10.1.2.3"), &["6.6.6.6, 198.51.100.1, 10.0.0.7"]),
            Some(ip("198.51.100.1"))
        );
        // Several headers count as one list, in order; ports are dropped.
        assert_eq!(
            l.client(ip("::1"), &["6.6.6.6", "198.51.100.2:4431"]),
            Some(ip("198.51.100.2"))
        );
        // IPv4-mapped peers are the IPv4 address they map.
        assert_eq!(
            l.client(ip("::ffff:10.0.0.1"), &["198.51.100.3"]),
            Some(ip("198.51.100.3"))
        );
        // The proxy's own requests (no header, only trusted hops, garbage) are not limited.
        assert_eq!(l.client(ip("10.0.0.1"), &[]), None);
        assert_eq!(l.client(ip("10.0.0.1"), &["10.0.0.2"]), None);
        assert_eq!(l.client(ip("10.0.0.1"), &["1.1.1.1, unknown"]), None);
    }

    #[test]
    fn the_rate_counts_per_client_and_ipv6_per_64() {
        let l = limiter(&[]);
        assert!(l.check(ip("192.0.2.1")).is_ok());
        assert!(l.check(ip("192.0.2.1")).is_ok());
        let wait = l.check(ip("192.0.2.1")).unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(l.check(ip("192.0.2.2")).is_ok());
        assert!(l.check(ip("2001:db8::1")).is_ok());
        assert!(l.check(ip("2001:db8::2")).is_ok());
        assert!(l.check(ip("2001:db8::3")).is_err());
        assert!(l.check(ip("2001:db8:0:1::1")).is_ok());
        assert!(ClientLimiter::new(None, vec![])
            .check(ip("192.0.2.1"))
            .is_ok());
    }
}
