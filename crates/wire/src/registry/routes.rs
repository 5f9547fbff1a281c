//! RFC 3442 classless static routes (option 121): for each route, the prefix length, the
//! significant octets of the destination, then the router.

use std::net::Ipv4Addr;

/// One classless route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Route {
    /// Destination network (host bits zero).
    pub dest: Ipv4Addr,
    /// Prefix length, 0–32.
    pub prefix: u8,
    /// Router for the destination.
    pub router: Ipv4Addr,
}

/// Parses `"198.18.5.0/24 198.18.0.1"` (space or comma separated); host bits must be zero.
pub(super) fn parse_route(item: &str) -> Result<Route, String> {
    let mut words = item
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty());
    let (Some(net), Some(router), None) = (words.next(), words.next(), words.next()) else {
        return Err(format!(
            "expected a route \"destination/prefix router\" like \"198.18.5.0/24 198.18.0.1\", got {item:?}"
        ));
    };
    let (dest, prefix) = net
        .split_once('/')
        .ok_or_else(|| format!("expected destination/prefix, got {net:?}"))?;
    let dest: Ipv4Addr = dest
        .parse()
        .map_err(|_| format!("expected an IPv4 address, got {dest:?}"))?;
    let prefix: u8 = prefix
        .parse()
        .ok()
        .filter(|p| *p <= 32)
        .ok_or_else(|| format!("expected a prefix length 0 to 32, got {prefix:?}"))?;
    let router: Ipv4Addr = router
        .parse()
        .map_err(|_| format!("expected an IPv4 address, got {router:?}"))?;
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix))
    };
    if u32::from(dest) & !mask != 0 {
        return Err(format!("{net} has host bits set"));
    }
    Ok(Route {
        dest,
        prefix,
        router,
    })
}

/// Appends the RFC 3442 encoding of `r` to `out`.
pub(super) fn encode_route(r: &Route, out: &mut Vec<u8>) {
    let significant = usize::from(r.prefix).div_ceil(8);
    out.push(r.prefix);
    out.extend(r.dest.octets().iter().take(significant));
    out.extend_from_slice(&r.router.octets());
}

/// Decodes a whole option 121 value; `None` when malformed.
pub(super) fn decode_routes(mut value: &[u8]) -> Option<Vec<Route>> {
    let mut routes = Vec::new();
    while let Some((&prefix, rest)) = value.split_first() {
        if prefix > 32 {
            return None;
        }
        let significant = usize::from(prefix).div_ceil(8);
        let (dest_bytes, rest) = rest.split_at_checked(significant)?;
        let (router, rest) = rest.split_first_chunk::<4>()?;
        let mut dest = [0u8; 4];
        for (d, s) in dest.iter_mut().zip(dest_bytes) {
            *d = *s;
        }
        routes.push(Route {
            dest: dest.into(),
            prefix,
            router: (*router).into(),
        });
        value = rest;
    }
    Some(routes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(item: &str) -> Vec<u8> {
        let mut out = Vec::new();
        encode_route(&parse_route(item).unwrap(), &mut out);
        out
    }

    /// RFC 3442 §2 table of destination descriptors (router 10.0.0.1 appended).
    #[test]
    fn rfc3442_descriptor_table() {
        let r = [10, 0, 0, 1];
        let cases: [(&str, &[u8]); 7] = [
            ("0.0.0.0/0", &[0]),
            ("10.0.0.0/8", &[8, 10]),
            ("10.0.0.0/24", &[24, 10, 0, 0]),
            ("10.17.0.0/16", &[16, 10, 17]),
            ("10.27.129.0/24", &[24, 10, 27, 129]),
            ("10.229.0.128/25", &[25, 10, 229, 0, 128]),
            ("10.198.122.47/32", &[32, 10, 198, 122, 47]),
        ];
        for (net, descriptor) in cases {
            let mut want = descriptor.to_vec();
            want.extend_from_slice(&r);
            assert_eq!(enc(&format!("{net} 10.0.0.1")), want, "{net}");
        }
    }

    #[test]
    fn decode_inverts_encode() {
        let mut v = Vec::new();
        for item in [
            "0.0.0.0/0 198.18.0.1",
            "198.18.5.0/24 198.18.0.2",
            "10.229.0.128/25 10.0.0.1",
        ] {
            encode_route(&parse_route(item).unwrap(), &mut v);
        }
        let got = decode_routes(&v).unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(got[2].dest, Ipv4Addr::new(10, 229, 0, 128));
        assert_eq!(got[2].prefix, 25);
    }

    #[test]
    fn rejects_host_bits_bad_prefix_and_truncation() {
        assert!(parse_route("198.18.5.1/24 198.18.0.1").is_err());
        assert!(parse_route("198.18.5.0/33 198.18.0.1").is_err());
        assert!(parse_route("198.18.5.0/24").is_err());
        assert_eq!(decode_routes(&[24, 10, 0]), None);
        assert_eq!(decode_routes(&[33, 0, 0, 0, 0, 0, 0, 0, 0]), None);
    }
}
