//! Who a request comes from, for per-client limits and the access log: the
//! one place that decides a client's address.
//!
//! The address is the TCP peer (the accept loop puts it in every request as
//! `ConnectInfo`), or, when that peer is one of `--trusted-proxies`, the
//! client its forwarding headers name ([`TrustedProxies::client`]). [`resolve`]
//! decides it once per request, before anything else reads it; every limit,
//! the access log and the WebSocket caps then read it with [`ClientAddr::of`].

use crate::http::forwarded::TrustedProxies;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

/// Bits of an IPv6 address that name one client: a /64 is what one
/// subscriber or host is usually given, so counting each of its 2^64
/// addresses apart would let one client pass every per-client limit.
const IPV6_CLIENT_PREFIX_BITS: u32 = 64;

/// The client's address, if the transport has one (`None` in tests that
/// call the router without a socket).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub Option<IpAddr>);

impl ClientAddr {
    /// The client of the request whose extensions are `parts`: as
    /// [`resolve`] decided, else the TCP peer.
    pub fn of(parts: &axum::http::Extensions) -> Self {
        match parts.get::<ClientAddr>() {
            Some(resolved) => *resolved,
            None => ClientAddr(parts.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip())),
        }
    }

    /// The key per-client limits count this client under.
    pub fn key(self) -> Option<ClientKey> {
        self.0.map(ClientKey::of)
    }
}

impl std::fmt::Display for ClientAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(ip) => write!(f, "{ip}"),
            None => f.write_str("-"),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr::of(&parts.extensions))
    }
}

/// Decides the request's client once — the peer, or the client the trusted
/// proxies in front of it name — and records it in the request for
/// [`ClientAddr::of`].
pub async fn resolve(State(proxies): State<TrustedProxies>, mut request: Request, next: Next) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip());
    let client = ClientAddr(peer.map(|ip| proxies.client(ip, request.headers())));
    request.extensions_mut().insert(client);
    next.run(request).await
}

/// What per-client limits count one client by: an IPv4 address (also when
/// written as IPv4-mapped IPv6), or the /64 network of an IPv6 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientKey(IpAddr);

impl ClientKey {
    /// The key of address `ip`.
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => ClientKey(IpAddr::V4(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientKey(IpAddr::V4(v4)),
                None => ClientKey(IpAddr::V6(network(v6))),
            },
        }
    }

    /// The key as an address: the IPv4 address, or the IPv6 network's first address.
    pub fn ip(self) -> IpAddr {
        self.0
    }
}

/// The first address of `v6`'s client network.
fn network(v6: Ipv6Addr) -> Ipv6Addr {
    let mask = u128::MAX << (128 - IPV6_CLIENT_PREFIX_BITS);
    Ipv6Addr::from(u128::from(v6) & mask)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> IpAddr {
        ClientKey::of(s.parse().unwrap()).ip()
    }

    #[test]
    fn an_ipv6_64_is_one_client_and_ipv4_is_itself_however_written() {
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:ffff:1:2:3"));
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::".parse::<IpAddr>().unwrap());
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:10.0.0.1"), "10.0.0.1".parse::<IpAddr>().unwrap());
        assert_ne!(key("10.0.0.1"), key("10.0.0.2"));
    }

    #[test]
    fn the_address_comes_from_the_connection() {
        let mut ext = axum::http::Extensions::new();
        assert_eq!(ClientAddr::of(&ext).to_string(), "-");
        ext.insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 9))));
        assert_eq!(ClientAddr::of(&ext).to_string(), "127.0.0.1");
        ext.insert(ClientAddr(Some([10, 0, 0, 7].into())));
        assert_eq!(ClientAddr::of(&ext).to_string(), "10.0.0.7", "as resolved behind a proxy");
    }
}
