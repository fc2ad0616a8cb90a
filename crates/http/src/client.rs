//! Who is calling from where: the client's address — the socket's peer, or,
//! when that peer is one of `TENANTRY_TRUSTED_PROXIES`, the rightmost address
//! of `X-Forwarded-For` that is not a trusted proxy (a client can prepend
//! anything to that header; only what the proxies appended counts) — and its
//! user agent. The address keys the per-address throttles and lockouts and is
//! kept, as its network only, on the sessions it starts.

use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::USER_AGENT;
use axum::http::request::Parts;
use ipnet::IpNet;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use tenantry_domain::session::SessionKind;
use tenantry_ports::services::sessions::ClientInfo;

/// The proxies whose `X-Forwarded-For` is believed (`TENANTRY_TRUSTED_PROXIES`:
/// addresses or networks, comma-separated).
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Vec<IpNet>);

/// Why `TENANTRY_TRUSTED_PROXIES` was refused.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not an address or network (e.g. 10.0.0.0/8, 192.0.2.7, fd00::/8)")]
pub struct BadProxy(String);

impl TrustedProxies {
    /// Parses `10.0.0.0/8, 192.0.2.7`; an empty text trusts nobody.
    pub fn parse(text: &str) -> Result<Self, BadProxy> {
        let mut nets = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let net = part
                .parse::<IpNet>()
                .or_else(|_| part.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| BadProxy(part.to_owned()))?;
            nets.push(net);
        }
        Ok(Self(nets))
    }

    fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(&address))
    }

    /// The client's address for a request from `peer` with these
    /// `X-Forwarded-For` values (in the order received).
    pub fn client_address(&self, peer: Option<IpAddr>, forwarded: &[&str]) -> Option<IpAddr> {
        let peer = peer?;
        if !self.trusts(peer) {
            return Some(peer);
        }
        // Right to left: the last hop the first trusted proxy saw is the client,
        // unless it is itself a trusted proxy.
        let hops: Vec<&str> = forwarded.iter().flat_map(|v| v.split(',')).map(str::trim).collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(address) if self.trusts(address) => client = address,
                Ok(address) => return Some(address),
                // A hop that is no address: nothing before it can be believed.
                Err(_) => return Some(client),
            }
        }
        Some(client)
    }
}

/// The caller's address and user agent (an API client's session kind).
#[derive(Clone, Debug)]
pub struct Client(pub ClientInfo);

impl Client {
    /// The same client, for a browser's session.
    pub fn web(mut self) -> ClientInfo {
        self.0.kind = SessionKind::Web;
        self.0
    }
}

impl FromRequestParts<AppState> for Client {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        let forwarded: Vec<&str> =
            parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
        let address = state.proxies.client_address(peer, &forwarded);
        let user_agent = parts.headers.get(USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_owned);
        Ok(Client(ClientInfo { kind: SessionKind::Api, user_agent, address }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn only_trusted_proxies_may_name_the_client() {
        let none = TrustedProxies::default();
        assert_eq!(none.client_address(Some(ip("203.0.113.9")), &["198.51.100.1"]), Some(ip("203.0.113.9")));
        let lb = TrustedProxies::parse("10.0.0.0/8, 192.0.2.7").unwrap();
        // From the balancer: the hop it appended, not what the client claimed before it.
        assert_eq!(lb.client_address(Some(ip("10.1.2.3")), &["1.2.3.4, 198.51.100.1"]), Some(ip("198.51.100.1")),);
        // Through two trusted hops.
        assert_eq!(lb.client_address(Some(ip("10.1.2.3")), &["198.51.100.1, 192.0.2.7"]), Some(ip("198.51.100.1")),);
        // A client not behind the balancer cannot pretend to be another.
        assert_eq!(lb.client_address(Some(ip("203.0.113.9")), &["198.51.100.1"]), Some(ip("203.0.113.9")));
        // Garbage stops the walk at the last trusted hop.
        assert_eq!(lb.client_address(Some(ip("10.1.2.3")), &["nonsense"]), Some(ip("10.1.2.3")));
        assert_eq!(lb.client_address(None, &[]), None);
        assert!(TrustedProxies::parse("10.0.0.0/8, not-an-address").is_err());
    }
}
