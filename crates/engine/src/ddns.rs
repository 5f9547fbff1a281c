//! The DHCP side of dynamic DNS updates (RFC 4702, RFC 4703): which name a client gets, who
//! updates its A and PTR records, the option 81 the server answers with, and the DNS work the
//! runtime must carry out ([`DnsIntent`]). Pure functions; no I/O.
//!
//! **The name** ([`decide`]), first that gives a valid name:
//! 1. the `hostname` of the client's reservation (the administrator's word wins in every mode);
//! 2. per `replace_client_name`: `always` → the generated name; `when-absent` → the client's
//!    name, else the generated name; `never` → the client's name, else none.
//!
//! The client's name is option 81's name (when not empty), else option 12, else the name stored
//! in the client's own lease of the address (so a client that stops sending a name on renewal
//! keeps its name). Each is sanitised ([`sanitise`]); one that sanitises to nothing counts as
//! absent. The generated name is `<generated_prefix>-a-b-c-d.<qualifying_suffix>`.
//!
//! **Sanitising**: labels of lower-case ASCII letters, digits and `-`; upper case is lowered,
//! each run of other bytes (spaces, `_`, non-ASCII) becomes one `-`; `-` is trimmed from both
//! ends of a label, labels are cut to 63 octets, empty labels dropped. A partial name gets the
//! `qualifying_suffix`; a fully qualified one (option 81 with the root label, a trailing dot)
//! is kept. A name over 253 characters (255 octets on the wire) is refused, not shortened.
//! The result is absolute text with a trailing dot: `laptop.example.test.`.
//!
//! **Who updates** (RFC 4702 §3.3, §4.1), for a client that has a name:
//!
//! | `update`   | option 81 S=1 | S=0        | N=1     | no option 81 |
//! |------------|---------------|------------|---------|--------------|
//! | `client`   | A + PTR       | PTR        | nothing | A + PTR      |
//! | `both`     | A + PTR       | A + PTR    | A + PTR | A + PTR      |
//! | `ptr-only` | PTR           | PTR        | PTR     | PTR          |
//! | `never`    | nothing       | nothing    | nothing | nothing      |
//!
//! **The reply's option 81** (only to a client that sent one, in OFFER and ACK): S = the server
//! updates the A record; O = that differs from the client's S; N = the server updates nothing;
//! E as the client sent it; RCODE1/2 = 255; the name the server uses (fully qualified, empty
//! when there is none).

use crate::config::ddns::{DdnsPolicy, DdnsUpdate, ReplaceClientName};
use crate::config::Config;
use crate::lease::{ClientKey, Lease};
use leasehold_wire::fqdn::{ClientFqdn, FqdnFlags, FqdnName, MAX_LABEL};
use std::net::Ipv4Addr;

/// Longest name in text form without the trailing dot (255 octets on the wire).
pub const MAX_NAME_TEXT: usize = 253;

/// DNS work the runtime owes for one address: hold (a bound lease) or remove (a lease that
/// ended) the records `fqdn` A `addr` (when `forward`) and `addr`'s PTR → `fqdn` (when
/// `reverse`), guarded by a DHCID record of `client` (RFC 4701, RFC 4703).
///
/// Given by [`Verdict::dns`](crate::Verdict::dns) for an ACK or a BOOTP reply, and by
/// [`intent_for_lease`] for a lease loaded from the store or one that ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsIntent {
    /// The leased address.
    pub addr: Ipv4Addr,
    /// The client's name: lower case, absolute (trailing dot), valid labels, ≤ 253 characters
    /// before the dot.
    pub fqdn: String,
    /// The server updates the A record of `fqdn`.
    pub forward: bool,
    /// The server updates the PTR record of `addr` ([`reverse_name`]).
    pub reverse: bool,
    /// TTL of the records, seconds (`[ddns] ttl`; 0 there: a third of the lease).
    pub ttl: u32,
    /// Who holds the lease: the DHCID identity (option 61 → identifier type 1; htype + chaddr
    /// → type 0; RFC 4701 §3.3).
    pub client: ClientKey,
    /// The name this client's lease of `addr` carried before this decision, when it differs
    /// from `fqdn` (the client changed its name): its records should be removed. Always
    /// `None` from [`intent_for_lease`].
    pub previous_fqdn: Option<String>,
}

/// What a request carries that bears on its name.
#[derive(Clone, Copy, Debug, Default)]
pub struct NameRequest<'a> {
    /// Option 81 as parsed (`None`: absent or malformed).
    pub fqdn: Option<&'a ClientFqdn>,
    /// Option 12, raw bytes.
    pub hostname: Option<&'a [u8]>,
    /// The `hostname` of the client's reservation.
    pub reserved: Option<&'a str>,
    /// The host name stored in the client's current lease of the address.
    pub previous: Option<&'a str>,
}

/// The outcome of [`decide`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameDecision {
    /// The client's name (see [`sanitise`]), or `None`: no DNS name at all.
    pub fqdn: Option<String>,
    /// The server updates the A record.
    pub forward: bool,
    /// The server updates the PTR record.
    pub reverse: bool,
    /// The option 81 to send back; `None` when the client sent none.
    pub reply: Option<ClientFqdn>,
}

/// Decides name, update responsibility and reply option 81 for a client of `addr` under
/// `policy` (see the module documentation).
pub fn decide(policy: &DdnsPolicy<'_>, addr: Ipv4Addr, req: &NameRequest<'_>) -> NameDecision {
    let suffix = policy.qualifying_suffix;
    let generated = || generated_name(policy.generated_prefix, addr, suffix);
    let own = || {
        req.fqdn
            .filter(|f| !f.name.is_empty())
            .and_then(|f| sanitise_fqdn(&f.name, suffix))
            .or_else(|| req.hostname.and_then(|h| sanitise_option12(h, suffix)))
            .or_else(|| req.previous.and_then(|p| sanitise(p.as_bytes(), suffix)))
    };
    let fqdn = req
        .reserved
        .and_then(|r| sanitise(r.as_bytes(), suffix))
        .or_else(|| match policy.replace_client_name {
            ReplaceClientName::Always => generated(),
            ReplaceClientName::WhenAbsent => own().or_else(generated),
            ReplaceClientName::Never => own(),
        });
    let asked = req.fqdn.map(|f| f.flags);
    let (forward, reverse) = match (fqdn.is_some(), policy.update, asked) {
        (false, _, _) | (_, DdnsUpdate::Never, _) => (false, false),
        (_, DdnsUpdate::Both, _) => (true, true),
        (_, DdnsUpdate::PtrOnly, _) => (false, true),
        (_, DdnsUpdate::Client, None) => (true, true),
        (_, DdnsUpdate::Client, Some(f)) if f.n() => (false, false),
        (_, DdnsUpdate::Client, Some(f)) => (f.s(), true),
    };
    let reply = asked.map(|f| {
        let flags = FqdnFlags::default()
            .with(FqdnFlags::E, f.e())
            .with(FqdnFlags::S, forward)
            .with(FqdnFlags::O, forward != f.s())
            .with(FqdnFlags::N, !forward && !reverse);
        let name = fqdn.as_deref().map(FqdnName::from_text).unwrap_or_default();
        ClientFqdn::reply(flags, name)
    });
    NameDecision {
        fqdn,
        forward,
        reverse,
        reply,
    }
}

/// Sanitises a name in presentation text (`"My Laptop"`, `"host.example.test."`): split on
/// `.`, a trailing dot makes it fully qualified. See the module documentation for the rules;
/// `None` when nothing valid is left or the result is too long.
pub fn sanitise(text: &[u8], suffix: Option<&str>) -> Option<String> {
    let fully_qualified = text.last() == Some(&b'.');
    sanitise_labels(text.split(|b| *b == b'.'), fully_qualified, suffix)
}

/// Sanitises option 12: up to the first NUL, then as [`sanitise`].
pub fn sanitise_option12(value: &[u8], suffix: Option<&str>) -> Option<String> {
    let end = value.iter().position(|b| *b == 0).unwrap_or(value.len());
    sanitise(value.get(..end).unwrap_or_default(), suffix)
}

/// Sanitises option 81's name (labels may hold any byte).
pub fn sanitise_fqdn(name: &FqdnName, suffix: Option<&str>) -> Option<String> {
    sanitise_labels(
        name.labels.iter().map(Vec::as_slice),
        name.fully_qualified,
        suffix,
    )
}

fn sanitise_labels<'a>(
    labels: impl Iterator<Item = &'a [u8]>,
    fully_qualified: bool,
    suffix: Option<&str>,
) -> Option<String> {
    let mut out = String::new();
    for label in labels {
        let clean = sanitise_label(label);
        if !clean.is_empty() {
            out.push_str(&clean);
            out.push('.');
        }
    }
    if out.is_empty() {
        return None;
    }
    if !fully_qualified {
        if let Some(s) = suffix {
            out.push_str(s);
        }
    }
    if !out.ends_with('.') {
        out.push('.');
    }
    (out.len() - 1 <= MAX_NAME_TEXT && is_valid_name(&out)).then_some(out)
}

/// One label: allowed bytes kept (upper case lowered), each run of others one `-`, `-`
/// trimmed from both ends, at most 63 octets.
fn sanitise_label(label: &[u8]) -> String {
    let mut s = String::with_capacity(label.len());
    let mut in_bad_run = false;
    for &b in label {
        let c = b.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' {
            s.push(char::from(c));
            in_bad_run = false;
        } else if !in_bad_run {
            s.push('-');
            in_bad_run = true;
        }
    }
    let mut s = s.trim_matches('-').to_string();
    if s.len() > MAX_LABEL {
        s.truncate(MAX_LABEL); // ASCII only: always a char boundary
        s = s.trim_end_matches('-').to_string();
    }
    s
}

/// The name the server gives a client of `addr`: `<prefix>-a-b-c-d.<suffix>` (absolute), or
/// `None` if that is not a valid name (a prefix the configuration would refuse).
pub fn generated_name(prefix: &str, addr: Ipv4Addr, suffix: Option<&str>) -> Option<String> {
    let [a, b, c, d] = addr.octets();
    let label = format!("{prefix}-{a}-{b}-{c}-{d}");
    sanitise_labels(std::iter::once(label.as_bytes()), false, suffix)
}

/// True when `name` is what this module hands out: absolute (trailing dot), at most 253
/// characters before it, labels of 1–63 lower-case letters, digits and `-`, never starting or
/// ending with `-`.
pub fn is_valid_name(name: &str) -> bool {
    let Some(body) = name.strip_suffix('.') else {
        return false;
    };
    !body.is_empty()
        && body.len() <= MAX_NAME_TEXT
        && body.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= MAX_LABEL
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// The PTR owner name of `addr`: `d.c.b.a.in-addr.arpa.`.
pub fn reverse_name(addr: Ipv4Addr) -> String {
    let [a, b, c, d] = addr.octets();
    format!("{d}.{c}.{b}.{a}.in-addr.arpa.")
}

/// The DNS records a lease stands for, recomputed from the lease alone: after a restart (for
/// every bound lease loaded from the store), and for a lease that ended (released, expired,
/// freed by an administrator: the records to remove, from the record as it was before).
///
/// `lease.hostname` holds the name the engine stored (see [`decide`]); it is sanitised again,
/// so a name stored before `[ddns]` was configured is qualified now. `None` when the
/// address's subnet has no policy or `update = "never"`, the lease has no client or no
/// (valid) host name. In `client` mode the client's S flag is not stored, so `forward` is true:
/// the DHCID guard on the DNS side keeps the update from touching another client's name.
/// The TTL follows the lease's length (`expires − starts`).
pub fn intent_for_lease(config: &Config, lease: &Lease) -> Option<DnsIntent> {
    let policy = config.ddns_policy(config.subnet_for(lease.addr)?)?;
    let (forward, reverse) = match policy.update {
        DdnsUpdate::Never => return None,
        DdnsUpdate::Client | DdnsUpdate::Both => (true, true),
        DdnsUpdate::PtrOnly => (false, true),
    };
    let fqdn = sanitise(
        lease.hostname.as_deref()?.as_bytes(),
        policy.qualifying_suffix,
    )?;
    let secs = if lease.expires == crate::lease::INFINITE {
        u32::MAX
    } else {
        u32::try_from(lease.expires.saturating_sub(lease.starts)).unwrap_or(u32::MAX - 1)
    };
    Some(DnsIntent {
        addr: lease.addr,
        fqdn,
        forward,
        reverse,
        ttl: policy.ttl_for(secs),
        client: lease.client.clone()?,
        previous_fqdn: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUFFIX: Option<&str> = Some("example.test.");

    fn s(text: &str) -> Option<String> {
        sanitise(text.as_bytes(), SUFFIX)
    }

    #[test]
    fn sanitising() {
        assert_eq!(s("laptop").as_deref(), Some("laptop.example.test."));
        assert_eq!(s("LapTop").as_deref(), Some("laptop.example.test."));
        assert_eq!(s("my laptop").as_deref(), Some("my-laptop.example.test."));
        assert_eq!(s("my   laptop").as_deref(), Some("my-laptop.example.test."));
        assert_eq!(s("web_01").as_deref(), Some("web-01.example.test."));
        assert_eq!(
            s("xn--bcher-kva").as_deref(),
            Some("xn--bcher-kva.example.test.")
        );
        assert_eq!(s("bücher").as_deref(), Some("b-cher.example.test."));
        assert_eq!(s("-edge-").as_deref(), Some("edge.example.test."));
        assert_eq!(s("  _ ").as_deref(), None);
        assert_eq!(s("").as_deref(), None);
        assert_eq!(s(".").as_deref(), None);
        assert_eq!(s("a..b").as_deref(), Some("a.b.example.test."));
        assert_eq!(s("host.other.test.").as_deref(), Some("host.other.test."));
        assert_eq!(s("Host.Other.Test.").as_deref(), Some("host.other.test."));
        let long = format!("{}-{}", "a".repeat(62), "b".repeat(10));
        assert_eq!(s(&long), Some(format!("{}.example.test.", "a".repeat(62))));
        let too_long = vec!["a".repeat(63); 4].join(".");
        assert_eq!(s(&too_long), None);
        assert_eq!(sanitise(b"laptop", None).as_deref(), Some("laptop."));
        assert_eq!(
            sanitise_option12(b"pc1\0junk", SUFFIX).as_deref(),
            Some("pc1.example.test.")
        );
        assert_eq!(sanitise_option12(b"\xff\xfe", SUFFIX), None);
    }

    #[test]
    fn generated() {
        assert_eq!(
            generated_name("dhcp", Ipv4Addr::new(198, 18, 0, 100), SUFFIX).as_deref(),
            Some("dhcp-198-18-0-100.example.test.")
        );
        assert_eq!(
            reverse_name(Ipv4Addr::new(198, 18, 0, 100)),
            "100.0.18.198.in-addr.arpa."
        );
    }

    #[test]
    fn validity() {
        assert!(is_valid_name("a.b."));
        for bad in ["a.b", ".", "a..b.", "-a.", "A.", "a_b.", ""] {
            assert!(!is_valid_name(bad), "{bad:?}");
        }
    }
}
