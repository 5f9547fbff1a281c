//! The active probe: a DISCOVER with a throwaway identity ([`probe_discover`]), marked with a
//! [`ProbeToken`] so our own server recognises and drops it.
//!
//! The token is a value, not a process-wide secret: whoever starts the server makes one
//! ([`ProbeToken::random`]) and hands it both to the rogue monitor (which puts it in its probes)
//! and to the packet loop's guard (`Guard::set_own_probe_prefix(token.client_id_prefix())`).
//! `leasehold probe` makes its own, so a running server answers it like any client.

use leasehold_engine::guard::PROBE_CLIENT_ID_PREFIX;
use leasehold_wire::{EncodeParams, HwAddr, Options, Packet};
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

/// Marks the probes of one monitor (or one `leasehold probe` run): their client ids start with
/// [`client_id_prefix`](Self::client_id_prefix).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProbeToken(u32);

impl ProbeToken {
    /// A fresh random token.
    pub fn random() -> ProbeToken {
        ProbeToken((random_u64() & 0xffff_ffff) as u32)
    }

    /// The token `raw` (tests, reproducible runs).
    pub fn new(raw: u32) -> ProbeToken {
        ProbeToken(raw)
    }

    /// [`PROBE_CLIENT_ID_PREFIX`], the token as 8 hex digits and `:` — the client-id prefix of
    /// the probes marked with this token, which the server's guard drops (and only those).
    pub fn client_id_prefix(&self) -> Vec<u8> {
        let mut p = PROBE_CLIENT_ID_PREFIX.to_vec();
        p.extend(format!("{:08x}:", self.0).bytes());
        p
    }
}

/// A random u64 (SipHash of the time under per-process random keys; no RNG crate needed for
/// transaction ids and throwaway identities).
pub fn random_u64() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    RandomState::new().hash_one((t, std::process::id()))
}

/// A DISCOVER with a throwaway identity: random xid, a random locally administered MAC, client
/// id `token.client_id_prefix()` + 8 random bytes in hex, broadcast flag set. Returns the xid
/// and the encoded datagram.
pub fn probe_discover(token: &ProbeToken) -> Option<(u32, Vec<u8>)> {
    let r = random_u64();
    let xid = (r >> 32) as u32;
    let b = r.to_be_bytes();
    let mac = [0x02, b[2], b[3], b[4], b[5], b[6]];
    let mut client_id = token.client_id_prefix();
    client_id.extend(format!("{:016x}", random_u64()).bytes());
    let mut options = Options::default();
    options.insert(53, vec![1]);
    options.insert(61, client_id);
    options.insert(55, vec![1, 3, 6, 15, 51, 54]);
    let pkt = Packet {
        flags: leasehold_wire::BROADCAST_FLAG,
        options,
        ..Packet::boot_request(HwAddr::new(1, &mac).ok()?, xid)
    };
    let params = EncodeParams {
        pad_to_bootp_min: true,
        ..EncodeParams::default()
    };
    Some((xid, pkt.encode(&params).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use leasehold_wire::MessageType;

    #[test]
    fn probe_is_a_broadcast_discover_with_a_throwaway_id() {
        let token = ProbeToken::new(0x0012_abcd);
        let (xid, bytes) = probe_discover(&token).expect("encodes");
        let p = Packet::parse(&bytes).expect("parses");
        assert_eq!(p.xid, xid);
        assert_eq!(p.message_type(), Some(MessageType::Discover));
        assert!(p.broadcast());
        let id = p.options.client_id().expect("client id");
        assert!(id.starts_with(PROBE_CLIENT_ID_PREFIX));
        assert!(id.starts_with(&token.client_id_prefix()));
        let (_, other) = probe_discover(&token).expect("encodes");
        assert_ne!(bytes, other, "each probe has a new identity");
    }

    #[test]
    fn the_prefix_is_the_marker_eight_hex_digits_and_a_colon() {
        let mut want = PROBE_CLIENT_ID_PREFIX.to_vec();
        want.extend(b"0012abcd:");
        assert_eq!(ProbeToken::new(0x0012_abcd).client_id_prefix(), want);
        // The guard of a server started with one token does not drop another token's probes.
        let a = ProbeToken::new(1).client_id_prefix();
        let (_, b) = probe_discover(&ProbeToken::new(2)).expect("encodes");
        let id = Packet::parse(&b)
            .ok()
            .and_then(|p| p.options.client_id().map(<[u8]>::to_vec))
            .expect("client id");
        assert!(!id.starts_with(&a));
    }
}
