//! The one HTTP client pull feeds use, and what it refuses.
//!
//! A publisher chooses the URL, so the URL is untrusted: fetched naively it would let
//! anyone with a key make medmap read its own network (cloud metadata at
//! 169.254.169.254, an admin port on 127.0.0.1, a database on 10.0.0.5). Unless the
//! operator allows private URLs, the client:
//!
//! * takes only `https` URLs, on the first request and on every redirect;
//! * refuses IP literals that are not public addresses (on registration too);
//! * resolves host names itself ([`GuardedResolver`]) and refuses a name if any of
//!   its addresses is private, loopback, link-local or otherwise not global. The
//!   addresses it checked are the very ones the connection is made to, so a name
//!   that answers a public address to a check and a private one to the connect (DNS
//!   rebinding) cannot get through: there is no second look-up;
//! * uses no proxy (a proxy would resolve the name instead of us).
//!
//! The body is streamed into a spool file and cut at a size cap; the whole exchange
//! has a timeout.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

/// Redirects followed before giving up.
const MAX_REDIRECTS: usize = 5;

/// What the operator allows beyond public `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UrlPolicy {
    /// `--allow-private-urls`: private, loopback and link-local addresses and plain
    /// `http` (local networks rarely have certificates), as tests need too.
    pub allow_private: bool,
}

/// Why a fetch did not give a file. Every variant is a message for the publisher.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{0}")]
    Refused(String),
    #[error("timed out after {0} s")]
    Timeout(u64),
    #[error("the file is larger than {0} bytes; nothing was applied")]
    TooLarge(u64),
    #[error("the server answered HTTP {0}")]
    Status(u16),
    #[error("{0}")]
    Network(String),
    /// Ours, not the publisher's (no spool file).
    #[error("{0}")]
    Local(String),
}

/// A refusal raised inside the resolver or the redirect policy, found again in the
/// client's error chain so the publisher reads the reason and not "error sending
/// request".
#[derive(Debug)]
struct Refusal(String);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refusal {}

/// Whether an address is one a public URL may reach: not private (RFC 1918, unique
/// local), loopback, link-local, shared (CGNAT), documentation, benchmarking,
/// multicast, broadcast or unspecified; IPv4 inside IPv6 (mapped, NAT64) judged as IPv4.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let s = v6.segments();
            // 64:ff9b::/96, NAT64: the IPv4 address it stands for decides.
            if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
                let o = v6.octets();
                return is_public_v4(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
            }
            !(v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // fc00::/7 unique local
                || (s[0] & 0xffc0) == 0xfe80 // fe80::/10 link-local
                || (s[0] & 0xffc0) == 0xfec0 // fec0::/10 site-local (deprecated)
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0 && s[1..6] == [0, 0, 0, 0, 0])) // ::/80 (IPv4-compatible and the like)
        }
    }
}

fn is_public_v4(v4: Ipv4Addr) -> bool {
    let o = v4.octets();
    !(v4.is_private()
        || v4.is_loopback()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_multicast()
        || v4.is_documentation()
        || o[0] == 0 // 0.0.0.0/8
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // 100.64.0.0/10 shared (CGNAT)
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // 192.0.0.0/24 protocol assignments
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // 198.18.0.0/15 benchmarking
        || o[0] >= 240) // reserved
}

fn private_hint() -> &'static str {
    "not a public address (private, loopback or link-local); an operator may allow such URLs with --allow-private-urls"
}

/// Checks a URL's scheme and, for IP literals, its address (names are checked when
/// they are resolved). Run on registration, on the first request and on redirects.
pub fn check_url(url: &Url, policy: UrlPolicy) -> Result<(), String> {
    match url.scheme() {
        "https" => {}
        "http" if policy.allow_private => {}
        "http" => {
            return Err(
                "only https URLs are fetched (an operator may allow http on local networks with --allow-private-urls)".into(),
            )
        }
        other => return Err(format!("{other}: URLs are not fetched; use https")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("URLs with a user name or password are not accepted; publish the file at a URL of its own".into());
    }
    let Some(host) = url.host_str() else {
        return Err("the URL has no host".into());
    };
    // IPv6 literals come bracketed; numeric IPv4 spellings are normalised by the parser.
    let ip = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .ok();
    if let Some(ip) = ip {
        if !policy.allow_private && !is_public(ip) {
            return Err(format!("{ip} is {}", private_hint()));
        }
    }
    Ok(())
}

/// Resolves names with the system resolver and refuses the non-public ones, so the
/// addresses connected to are the addresses checked.
struct GuardedResolver {
    policy: UrlPolicy,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if !policy.allow_private {
                if let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
                    return Err(Box::new(Refusal(format!(
                        "{host} resolves to {}, {}",
                        bad.ip(),
                        private_hint()
                    )))
                        as Box<dyn std::error::Error + Send + Sync>);
                }
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// A pull's HTTP client (one per server: connections are pooled).
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    policy: UrlPolicy,
    timeout: Duration,
    max_bytes: u64,
}

/// Validators of the copy already read.
#[derive(Debug, Clone, Default)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A fetched file, spooled.
#[derive(Debug)]
pub struct Fetched {
    pub file: std::fs::File,
    pub bytes: u64,
    pub sha256: String,
    pub validators: Validators,
    /// `charset` of the response's Content-Type.
    pub charset: Option<String>,
    /// The file name: Content-Disposition's, else the URL path's last segment
    /// (Tabletki's `Rest_<branch>_<time>` names travel this way).
    pub file_name: Option<String>,
    /// The response's `Cache-Control` (slot publications read `max-age` as a
    /// polling hint).
    pub cache_control: Option<String>,
}

/// The answer to a conditional GET.
#[derive(Debug)]
pub enum Fetch {
    /// 304: the copy read last time is current.
    NotModified,
    File(Fetched),
}

impl Fetcher {
    pub fn new(
        policy: UrlPolicy,
        timeout: Duration,
        max_bytes: u64,
    ) -> Result<Fetcher, FetchError> {
        let redirect = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                return attempt.error(Refusal(format!("more than {MAX_REDIRECTS} redirects")));
            }
            match check_url(attempt.url(), policy) {
                Ok(()) => attempt.follow(),
                Err(m) => {
                    let m = format!("redirected to {}: {m}", attempt.url());
                    attempt.error(Refusal(m))
                }
            }
        });
        let client = reqwest::Client::builder()
            .user_agent(concat!(
                "medmap/",
                env!("CARGO_PKG_VERSION"),
                " (pull feeds)"
            ))
            .dns_resolver(Arc::new(GuardedResolver { policy }))
            .no_proxy()
            .redirect(redirect)
            .https_only(!policy.allow_private)
            .connect_timeout(timeout)
            .timeout(timeout)
            .build()
            .map_err(|e| FetchError::Local(format!("cannot build the HTTP client: {e}")))?;
        Ok(Fetcher {
            client,
            policy,
            timeout,
            max_bytes,
        })
    }

    pub fn policy(&self) -> UrlPolicy {
        self.policy
    }

    fn failed(&self, e: reqwest::Error) -> FetchError {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(s) = source {
            if let Some(r) = s.downcast_ref::<Refusal>() {
                return FetchError::Refused(r.0.clone());
            }
            source = s.source();
        }
        if e.is_timeout() {
            return FetchError::Timeout(self.timeout.as_secs().max(1));
        }
        // The chain's innermost message says what happened (connection refused, DNS).
        let mut msg = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            msg = format!("{msg}: {s}");
            source = s.source();
        }
        FetchError::Network(msg)
    }

    /// A conditional GET of `url`, the body spooled up to the cap.
    pub async fn fetch(&self, url: &str, have: &Validators) -> Result<Fetch, FetchError> {
        let parsed = Url::parse(url).map_err(|e| FetchError::Refused(format!("not a URL: {e}")))?;
        check_url(&parsed, self.policy).map_err(FetchError::Refused)?;
        let mut req = self.client.get(parsed);
        if let Some(e) = &have.etag {
            req = req.header(reqwest::header::IF_NONE_MATCH, e);
        }
        if let Some(m) = &have.last_modified {
            req = req.header(reqwest::header::IF_MODIFIED_SINCE, m);
        }
        let mut resp = req.send().await.map_err(|e| self.failed(e))?;
        let status = resp.status();
        if status == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(Fetch::NotModified);
        }
        if !status.is_success() {
            return Err(FetchError::Status(status.as_u16()));
        }
        if resp.content_length().is_some_and(|n| n > self.max_bytes) {
            return Err(FetchError::TooLarge(self.max_bytes));
        }
        let header = |h: reqwest::header::HeaderName| {
            resp.headers()
                .get(h)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let validators = Validators {
            etag: header(reqwest::header::ETAG),
            last_modified: header(reqwest::header::LAST_MODIFIED),
        };
        let charset = header(reqwest::header::CONTENT_TYPE).and_then(|ct| {
            ct.split(';').find_map(|part| {
                let (k, v) = part.split_once('=')?;
                k.trim()
                    .eq_ignore_ascii_case("charset")
                    .then(|| v.trim().trim_matches('"').to_string())
            })
        });
        let file_name = header(reqwest::header::CONTENT_DISPOSITION)
            .and_then(|cd| {
                let i = cd.find("filename=")?;
                let f = cd[i + 9..].split(';').next()?.trim().trim_matches('"');
                (!f.is_empty()).then(|| f.to_string())
            })
            .or_else(|| {
                let u = resp.url();
                let last = u.path_segments()?.next_back()?;
                let last = percent_encoding::percent_decode_str(last)
                    .decode_utf8()
                    .ok()?;
                (!last.is_empty()).then(|| last.into_owned())
            });
        let cache_control = header(reqwest::header::CACHE_CONTROL);
        let local = |e: std::io::Error| FetchError::Local(format!("cannot spool the file: {e}"));
        let spool = tempfile::tempfile().map_err(local)?;
        let mut out = tokio::fs::File::from_std(spool);
        let mut hash = Sha256::new();
        let mut total: u64 = 0;
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.failed(e))? {
            total += chunk.len() as u64;
            if total > self.max_bytes {
                // Stop reading at the cap: the rest is never downloaded.
                return Err(FetchError::TooLarge(self.max_bytes));
            }
            hash.update(&chunk);
            out.write_all(&chunk).await.map_err(local)?;
        }
        out.flush().await.map_err(local)?;
        Ok(Fetch::File(Fetched {
            file: out.into_std().await,
            bytes: total,
            sha256: hex::encode(hash.finalize()),
            validators,
            charset,
            file_name,
            cache_control,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_and_private_addresses() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "198.18.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2001:db8::1",
        ] {
            assert!(!is_public(a.parse().expect("ip")), "{a} is not public");
        }
        for a in [
            "8.8.8.8",
            "1.1.1.1",
            "2a00:1450:4001::1",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert!(is_public(a.parse().expect("ip")), "{a} is public");
        }
    }

    #[test]
    fn urls_on_registration_and_redirects() {
        let strict = UrlPolicy {
            allow_private: false,
        };
        let open = UrlPolicy {
            allow_private: true,
        };
        let check = |u: &str, p| check_url(&Url::parse(u).expect("url"), p);
        assert!(check("https://feeds.example.org/stock.csv", strict).is_ok());
        for bad in [
            "http://feeds.example.org/stock.csv",
            "ftp://feeds.example.org/stock.csv",
            "file:///etc/passwd",
            "https://127.0.0.1/x",
            "https://169.254.169.254/latest/meta-data/",
            "https://[::1]:8080/x",
            "https://[::ffff:7f00:1]/x",
            "https://user:pw@feeds.example.org/x",
        ] {
            assert!(check(bad, strict).is_err(), "{bad} refused");
        }
        assert!(check("http://127.0.0.1:8080/x", open).is_ok());
        assert!(check("ftp://127.0.0.1/x", open).is_err());
    }
}
