//! Who the client is behind reverse proxies (`--trusted-proxies`).
//!
//! A proxy connects on the client's behalf and names the client in
//! `Forwarded: for=…` (RFC 7239) or `X-Forwarded-For`. Anyone can write those
//! headers, so they are believed only when the direct peer is a trusted
//! proxy, and only as far back as the chain stays trusted: reading the
//! addresses from the nearest hop outwards, the first one that is not a
//! trusted proxy is the client. A garbled or obfuscated entry ends the walk
//! at the last trusted hop, so a client can never pick its own address.

use axum::http::{HeaderMap, header};
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// The networks whose connections are reverse proxies.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Arc<[IpNet]>);

impl TrustedProxies {
    /// Trusts `networks`.
    pub fn new(networks: Vec<IpNet>) -> Self {
        TrustedProxies(networks.into())
    }

    /// Parses one flag value: a network (`10.0.0.0/8`, `fd00::/8`) or one address.
    pub fn parse_network(raw: &str) -> Result<IpNet, String> {
        let raw = raw.trim();
        raw.parse::<IpNet>()
            .or_else(|_| raw.parse::<IpAddr>().map(IpNet::from))
            .map_err(|_| format!("{raw:?} is neither an address nor a network (CIDR)"))
    }

    /// Whether a proxy is trusted at all (no forwarding header is read otherwise).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client's address: `peer`, or the address the trusted proxies in
    /// front of it name in `headers`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = canonical(peer);
        if !self.trusts(client) {
            return client;
        }
        for hop in hops(headers).iter().rev() {
            match parse_node(hop) {
                Some(ip) if self.trusts(ip) => client = ip,
                Some(ip) => return ip,
                None => return client,
            }
        }
        client
    }
}

/// The addresses the forwarding headers list, farthest first: `Forwarded`'s
/// `for=` values if it is present, else `X-Forwarded-For`'s.
fn hops(headers: &HeaderMap) -> Vec<String> {
    let values = |name| headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>();
    let forwarded = values(header::FORWARDED);
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .flat_map(|line| line.split(','))
            .map(|element| for_value(element).unwrap_or_default())
            .collect();
    }
    let x_forwarded: Vec<&str> = values(header::HeaderName::from_static("x-forwarded-for"));
    x_forwarded.iter().flat_map(|line| line.split(',')).map(|hop| hop.trim().to_owned()).collect()
}

/// The `for=` parameter of one `Forwarded` element, unquoted.
fn for_value(element: &str) -> Option<String> {
    element.split(';').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        name.trim().eq_ignore_ascii_case("for").then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:4711`,
/// `2001:db8::1` or `[2001:db8::1]:4711`; `None` for `unknown`, an
/// obfuscated name or anything else.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Ok(addr) = node.parse::<SocketAddr>() {
        return Some(canonical(addr.ip()));
    }
    let bracketed = node.strip_prefix('[')?.strip_suffix(']')?;
    bracketed.parse::<IpAddr>().ok().map(canonical)
}

/// An IPv4 address written as IPv4-mapped IPv6 (`::ffff:192.0.2.1`) as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn trusted(networks: &[&str]) -> TrustedProxies {
        TrustedProxies::new(networks.iter().map(|n| TrustedProxies::parse_network(n).unwrap()).collect())
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(*name, HeaderValue::from_str(value).unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn headers_from_an_untrusted_peer_are_ignored() {
        let proxies = trusted(&["10.0.0.0/8"]);
        let spoofed = headers(&[("x-forwarded-for", "1.2.3.4")]);
        assert_eq!(proxies.client(ip("203.0.113.9"), &spoofed), ip("203.0.113.9"));
        assert_eq!(TrustedProxies::default().client(ip("10.0.0.1"), &spoofed), ip("10.0.0.1"));
    }

    #[test]
    fn the_first_untrusted_hop_from_the_nearest_is_the_client() {
        let proxies = trusted(&["10.0.0.0/8", "::1"]);
        // The client wrote a fake first entry; the proxies appended the real ones.
        let chain = headers(&[("x-forwarded-for", "6.6.6.6, 198.51.100.7"), ("x-forwarded-for", "10.1.1.1")]);
        assert_eq!(proxies.client(ip("10.0.0.2"), &chain), ip("198.51.100.7"));
        assert_eq!(proxies.client(ip("::1"), &headers(&[("x-forwarded-for", "2001:db8::5")])), ip("2001:db8::5"));
        assert_eq!(proxies.client(ip("::ffff:10.0.0.2"), &headers(&[("x-forwarded-for", "198.51.100.7:5555")])), ip("198.51.100.7"));
        // Every hop trusted: the farthest one.
        assert_eq!(proxies.client(ip("10.0.0.2"), &headers(&[("x-forwarded-for", "10.9.9.9")])), ip("10.9.9.9"));
        // No header: the proxy itself.
        assert_eq!(proxies.client(ip("10.0.0.2"), &HeaderMap::new()), ip("10.0.0.2"));
    }

    #[test]
    fn forwarded_wins_over_x_forwarded_for_and_garbage_stops_the_walk() {
        let proxies = trusted(&["10.0.0.0/8"]);
        let both = headers(&[
            ("forwarded", r#"for=192.0.2.60;proto=https, for="[2001:db8:cafe::17]:4711""#),
            ("x-forwarded-for", "6.6.6.6"),
        ]);
        assert_eq!(proxies.client(ip("10.0.0.2"), &both), ip("2001:db8:cafe::17"));
        let garbled = headers(&[("x-forwarded-for", "6.6.6.6, unknown, 10.2.2.2")]);
        assert_eq!(proxies.client(ip("10.0.0.2"), &garbled), ip("10.2.2.2"));
        let obfuscated = headers(&[("forwarded", "for=_hidden")]);
        assert_eq!(proxies.client(ip("10.0.0.2"), &obfuscated), ip("10.0.0.2"));
    }

    #[test]
    fn networks_and_single_addresses_parse() {
        assert!(TrustedProxies::parse_network("10.0.0.0/8").is_ok());
        assert!(TrustedProxies::parse_network(" 127.0.0.1 ").is_ok());
        assert!(TrustedProxies::parse_network("fd00::/8").is_ok());
        assert!(TrustedProxies::parse_network("proxy.local").is_err());
    }
}
