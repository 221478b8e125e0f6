//! `medmap healthcheck`: asks a running server's `/readyz` and exits 0 only on 200.
//!
//! Why a subcommand: the container image is a slim Debian without curl or wget, and
//! adding one (with its TLS libraries) to every image only for the `HEALTHCHECK`
//! would grow the attack surface; the binary already speaks HTTP. It reads the same
//! `MEDMAP_ADDR` as `serve`, so a container configured to listen on `0.0.0.0:8080`
//! checks itself without repeating the port.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use clap::Args;

use crate::config::defaults;

/// `medmap healthcheck` flags.
#[derive(Debug, Clone, Args)]
pub struct HealthArgs {
    /// The address `serve` listens on (the same flag and variable); an unspecified
    /// address (`0.0.0.0`, `[::]`) is asked on loopback.
    #[arg(long, env = "MEDMAP_ADDR", default_value_t = defaults::ADDR)]
    pub addr: SocketAddr,
    /// Path to ask: `/readyz` (snapshot built) or `/healthz` (process alive).
    #[arg(long, default_value = "/readyz", value_parser = parse_path)]
    pub path: String,
    /// Give up after this many seconds (a hung server is unhealthy).
    #[arg(long, default_value_t = 5)]
    pub timeout_secs: u64,
}

/// Why the server is not healthy; the message is what `docker inspect` shows.
#[derive(Debug, thiserror::Error)]
pub enum HealthError {
    #[error("cannot reach {url}")]
    Unreachable {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("{url} answered {status}: {body}")]
    NotReady {
        url: String,
        status: u16,
        body: String,
    },
}

fn parse_path(s: &str) -> Result<String, String> {
    if s.starts_with('/') && !s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Ok(s.to_string())
    } else {
        Err(format!(
            "the path must start with / and hold no spaces, got {s:?}"
        ))
    }
}

/// The URL a server listening on `addr` is reached at from the same host: a
/// listener on every interface is asked on loopback.
pub fn probe_url(addr: SocketAddr, path: &str) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}{path}", SocketAddr::new(ip, addr.port()))
}

/// Asks the server once; the body of a 200 answer on success.
pub async fn check(args: &HealthArgs) -> Result<String, HealthError> {
    let url = probe_url(args.addr, &args.path);
    let unreachable = |source| HealthError::Unreachable {
        url: url.clone(),
        source,
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(args.timeout_secs.max(1)))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(unreachable)?;
    let resp = client.get(&url).send().await.map_err(unreachable)?;
    let status = resp.status().as_u16();
    let body = resp.text().await.map_err(unreachable)?;
    // A short body is enough to say why; a misdirected port may answer anything.
    let body: String = body.trim().chars().take(200).collect();
    if status == 200 {
        Ok(body)
    } else {
        Err(HealthError::NotReady { url, status, body })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unspecified_addresses_are_asked_on_loopback() {
        let url = |a: &str| probe_url(a.parse().unwrap(), "/readyz");
        assert_eq!(url("0.0.0.0:8080"), "http://127.0.0.1:8080/readyz");
        assert_eq!(url("[::]:9000"), "http://[::1]:9000/readyz");
        assert_eq!(url("10.1.2.3:80"), "http://10.1.2.3:80/readyz");
    }

    #[test]
    fn paths_must_be_absolute() {
        assert!(parse_path("/healthz").is_ok());
        assert!(parse_path("readyz").is_err());
        assert!(parse_path("/ready z").is_err());
    }
}
