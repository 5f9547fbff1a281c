//! Client classification: which `[[class]]` tables a request belongs to, and what they give.
//!
//! A request is classified once, when its context is built, from what it carries: option 60
//! (vendor class, prefix match), option 77 (user class: iPXE's bare `"iPXE"` or an RFC 3004
//! list), option 93 (client architectures, a list of u16), the presence of option 175 (iPXE),
//! chaddr, the trusted option 82 circuit id / remote id (see `relay_policy`), the selected
//! subnet and whether the client has a reservation (`known`). A class matches when every key it gives matches.
//!
//! For each reply field (`file`, `siaddr`, `sname`, each option code) the first matching class in
//! file order that sets it wins. Classes rank below a reservation and above pool, subnet and
//! server.

use crate::config::{ClassMatch, ClientClass, Config, OptionSet};
use crate::ClientKey;
use leasehold_wire::options::code;
use leasehold_wire::{Packet, RelayAgentInfo};
use std::net::Ipv4Addr;

/// Option 175: iPXE's encapsulated options, sent by every iPXE build.
pub(crate) const IPXE_ENCAP: u8 = 175;

/// Indices (into [`Config::classes`], ascending = file order) of the classes `req` belongs to.
pub(crate) fn classify(
    cfg: &Config,
    req: &Packet,
    relay: Option<&RelayAgentInfo>,
    subnet: Option<usize>,
) -> Vec<usize> {
    if cfg.classes.is_empty() {
        return Vec::new();
    }
    let facts = Facts {
        req,
        relay,
        subnet: subnet.and_then(|s| cfg.subnets.get(s)).map(|s| s.net),
        known: cfg.classes.iter().any(|c| c.matcher.known.is_some()) && known(cfg, req, relay),
    };
    cfg.classes
        .iter()
        .enumerate()
        .filter(|(_, c)| facts.matches(&c.matcher))
        .map(|(i, _)| i)
        .collect()
}

/// What a request offers to match against.
struct Facts<'a> {
    req: &'a Packet,
    relay: Option<&'a RelayAgentInfo>,
    subnet: Option<ipnet::Ipv4Net>,
    /// The client has a reservation (computed only when a class asks).
    known: bool,
}

/// True when the client has a reservation in any subnet: by option 61, by hardware address, or
/// by the trusted option 82 circuit/remote id.
fn known(cfg: &Config, req: &Packet, relay: Option<&RelayAgentInfo>) -> bool {
    let by_id = ClientKey::of_request(req);
    let by_hw = ClientKey::HwAddr(req.chaddr);
    cfg.reservations_of(&by_id).next().is_some()
        || cfg.reservations_of(&by_hw).next().is_some()
        || relay.is_some_and(|r| {
            !cfg.reservations_by_relay(r.circuit_id(), r.remote_id())
                .is_empty()
        })
}

impl Facts<'_> {
    fn matches(&self, m: &ClassMatch) -> bool {
        let opts = &self.req.options;
        let user_class = m.user_class.as_deref().is_none_or(|want| {
            opts.get(code::USER_CLASS)
                .is_some_and(|v| user_class_has(v, want))
        });
        let ipxe = m.ipxe.is_none_or(|want| opts.contains(IPXE_ENCAP) == want);
        let vendor = m.vendor_class.as_deref().is_none_or(|want| {
            opts.get(code::VENDOR_CLASS_ID)
                .is_some_and(|v| v.starts_with(want))
        });
        let arch = m.arch.is_empty()
            || opts
                .get(code::CLIENT_ARCH)
                .is_some_and(|v| arch_list(v).any(|a| m.arch.contains(&a)));
        let hw = m
            .hw_address_prefix
            .as_deref()
            .is_none_or(|p| self.req.chaddr.as_bytes().starts_with(p));
        let circuit = m
            .circuit_id
            .as_deref()
            .is_none_or(|want| self.relay.and_then(RelayAgentInfo::circuit_id) == Some(want));
        let remote = m
            .remote_id
            .as_deref()
            .is_none_or(|want| self.relay.and_then(RelayAgentInfo::remote_id) == Some(want));
        let subnet = m
            .subnet
            .is_none_or(|net| self.subnet.is_some_and(|s| net.contains(&s)));
        let known = m.known.is_none_or(|want| self.known == want);
        user_class && ipxe && vendor && arch && hw && circuit && remote && subnet && known
    }
}

/// True when option 77 value `v` is `want` itself (iPXE sends a bare string, not RFC 3004), or
/// an RFC 3004 list (length-prefixed entries filling the value exactly) with an entry `want`.
pub(crate) fn user_class_has(v: &[u8], want: &[u8]) -> bool {
    if v == want {
        return true;
    }
    let mut rest = v;
    let mut found = false;
    while let Some((&len, tail)) = rest.split_first() {
        let len = usize::from(len);
        if len == 0 || tail.len() < len {
            return false; // not an RFC 3004 list
        }
        let (entry, after) = tail.split_at(len);
        found |= entry == want;
        rest = after;
    }
    found
}

/// The architectures of option 93 value `v` (big-endian u16s; a trailing odd byte is ignored).
pub(crate) fn arch_list(v: &[u8]) -> impl Iterator<Item = u16> + '_ {
    v.chunks_exact(2).map(|c| match c {
        [hi, lo] => u16::from_be_bytes([*hi, *lo]),
        _ => 0, // chunks_exact yields pairs only
    })
}

/// What a request's classes give its reply: per field, the first class (file order) setting it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ClassGrant {
    /// `file`.
    pub boot_file: Option<String>,
    /// `siaddr`.
    pub next_server: Option<Ipv4Addr>,
    /// `sname`.
    pub server_name: Option<String>,
    /// Options (first class setting a code wins); always sent.
    pub options: OptionSet,
}

/// Merges the classes `member_of` (ascending indices into `cfg.classes`).
pub(crate) fn grant(cfg: &Config, member_of: &[usize]) -> ClassGrant {
    let mut g = ClassGrant::default();
    for c in member_of.iter().filter_map(|i| cfg.classes.get(*i)) {
        apply(&mut g, c);
    }
    g
}

fn apply(g: &mut ClassGrant, c: &ClientClass) {
    if g.boot_file.is_none() {
        g.boot_file.clone_from(&c.boot_file);
    }
    if g.next_server.is_none() {
        g.next_server = c.next_server;
    }
    if g.server_name.is_none() {
        g.server_name.clone_from(&c.server_name);
    }
    for (code, v) in &c.options {
        g.options.entry(*code).or_insert_with(|| v.clone());
    }
}

/// True when one of the classes `member_of` denies service.
pub(crate) fn denied(cfg: &Config, member_of: &[usize]) -> bool {
    member_of
        .iter()
        .filter_map(|i| cfg.classes.get(*i))
        .any(|c| c.deny)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_class_bare_and_rfc3004() {
        assert!(user_class_has(b"iPXE", b"iPXE"));
        assert!(user_class_has(b"\x03abc\x04iPXE", b"iPXE"));
        assert!(
            !user_class_has(b"\x03abc\x04iPX", b"iPXE"),
            "truncated list"
        );
        assert!(!user_class_has(b"\x03abc", b"iPXE"));
        assert!(!user_class_has(b"", b"iPXE"));
        assert!(!user_class_has(b"\x00", b"iPXE"));
    }

    #[test]
    fn arch_list_reads_u16s() {
        assert_eq!(
            arch_list(&[0, 7, 0, 11, 1]).collect::<Vec<_>>(),
            vec![7, 11]
        );
        assert_eq!(arch_list(&[0]).count(), 0);
    }
}
