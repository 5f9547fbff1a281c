//! Dynamic DNS, the DHCP side: `[ddns]` configuration (values and `FILE:LINE:COL` errors), the
//! name decision, who updates what (every `update` mode × option 81 S/N), the option 81 in
//! OFFER and ACK, the host name stored in the lease, and [`intent_for_lease`].

mod common;

use common::*;
use leasehold_engine::config::{ConflictResolution, DdnsUpdate, ReplaceClientName, TsigAlgorithm};
use leasehold_engine::ddns::{intent_for_lease, DnsIntent};
use leasehold_engine::{ClientKey, Config, Lease, LeaseState, Outcome, Verdict};
use leasehold_wire::fqdn::{ClientFqdn, FqdnFlags};
use leasehold_wire::options::code;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

const DDNS: &str = r#"
[ddns]
qualifying_suffix = "example.test."
"#;

/// [`BASE`] with a pool of 100 addresses on subnet 0 and no starvation defence (tests bring
/// many new clients), then `extra`.
fn with_ddns(extra: &str) -> Harness {
    let base = BASE.replace("198.18.0.100-198.18.0.109", "198.18.0.100-198.18.0.199");
    Harness::with(&format!("{base}[security]\npressure = false\n{extra}"))
}

/// Asserts `text` is refused at `line:col` with `reason` in the message.
fn refused(text: &str, line: usize, col: usize, reason: &str) {
    let err = Config::from_toml(text, Path::new("/etc/leasehold.toml"))
        .err()
        .unwrap_or_else(|| panic!("accepted: {text}"));
    let shown = err.to_string();
    assert!(
        shown.starts_with(&format!("/etc/leasehold.toml:{line}:{col}: ")),
        "{shown}\n--\n{text}"
    );
    assert!(shown.contains(reason), "{shown}");
}

/// Option 81 from a client: `flags`, rcodes 0, `name` (wire format when `flags` has E).
fn fqdn81(flags: u8, name: &str) -> Vec<u8> {
    ClientFqdn {
        flags: FqdnFlags::from_bits(flags),
        rcode1: 0,
        rcode2: 0,
        name: leasehold_wire::FqdnName::from_text(name),
    }
    .encode()
}

/// DISCOVER then REQUEST from client `n`, both carrying `opts`; returns (OFFER, ACK).
fn dora_with(h: &mut Harness, n: u8, opts: &[(u8, Vec<u8>)]) -> (Verdict, Verdict) {
    let mut d = Req::discover(n);
    for (c, v) in opts {
        d = d.opt(*c, v);
    }
    let offer = h.send(&d);
    let Outcome::Offered(addr) = offer.outcome else {
        panic!("no offer: {:?}", offer.outcome)
    };
    let mut r = Req::request(n).server_id(server_id(&offer)).requested(addr);
    for (c, v) in opts {
        r = r.opt(*c, v);
    }
    let ack = h.send(&r);
    assert_eq!(ack.outcome, Outcome::Acked(addr));
    (offer, ack)
}

fn reply81(v: &Verdict) -> Option<ClientFqdn> {
    reply(v)
        .options
        .get(code::CLIENT_FQDN)
        .map(|b| ClientFqdn::parse(b).expect("our option 81 parses"))
}

fn stored_hostname(v: &Verdict) -> Option<String> {
    v.durable().next().and_then(|l| l.hostname.clone())
}

const E: u8 = FqdnFlags::E;
const S: u8 = FqdnFlags::S;
const N: u8 = FqdnFlags::N;
const O: u8 = FqdnFlags::O;

// ---------------------------------------------------------------------------------------------
// Configuration

#[test]
fn absent_section_is_off() {
    let c = config(BASE);
    assert_eq!(c.ddns, None);
    assert_eq!(c.ddns_policy(0), None);
}

#[test]
fn defaults() {
    let c = config(&format!("{BASE}{DDNS}"));
    let d = c.ddns.clone().unwrap();
    assert_eq!(d.update, DdnsUpdate::Client);
    assert_eq!(d.qualifying_suffix.as_deref(), Some("example.test."));
    assert_eq!(d.generated_prefix, "dhcp");
    assert_eq!(d.replace_client_name, ReplaceClientName::WhenAbsent);
    assert_eq!(d.conflict_resolution, ConflictResolution::CheckWithDhcid);
    assert_eq!((d.ttl, d.queue_limit), (0, 65536));
    assert!(d.keys.is_empty() && d.zones.is_empty());
    let p = c.ddns_policy(1).unwrap();
    assert_eq!(p.update, DdnsUpdate::Client);
    assert_eq!(p.ttl_for(3600), 1200);
}

const FULL: &str = r#"
[server]
lease_time = 3600

[ddns]
update = "both"
qualifying_suffix = "Example.Test"
generated_prefix = "Host"
replace_client_name = "always"
conflict_resolution = "no-check-with-dhcid"
ttl = 300
queue_limit = 1000

[[ddns.key]]
name = "leasehold-key"
algorithm = "hmac-sha512"
secret_file = "/etc/leasehold/ddns.key"

[[ddns.key]]
name = "other."
secret_file = "other.key"

[[ddns.zone]]
name = "example.test."
server = "198.18.0.53"
key = "leasehold-key."

[[ddns.zone]]
name = "lab.example.test."
server = "198.18.0.54:5353"

[[ddns.zone]]
name = "18.198.in-addr.arpa"
server = "198.18.0.53"
key = "Other"

[[subnet]]
subnet = "198.18.0.0/24"
[[subnet.pool]]
range = "198.18.0.100-198.18.0.109"
[subnet.ddns]
update = "ptr-only"
qualifying_suffix = "lab.example.test."
generated_prefix = "pc"
replace_client_name = "never"

[[subnet]]
subnet = "198.18.1.0/24"
[[subnet.pool]]
range = "198.18.1.100-198.18.1.109"
"#;

#[test]
fn every_key() {
    let c = config(FULL);
    let d = c.ddns.clone().unwrap();
    assert_eq!(d.update, DdnsUpdate::Both);
    assert_eq!(d.qualifying_suffix.as_deref(), Some("example.test."));
    assert_eq!(d.generated_prefix, "host");
    assert_eq!(d.replace_client_name, ReplaceClientName::Always);
    assert_eq!(d.conflict_resolution, ConflictResolution::NoCheckWithDhcid);
    assert_eq!((d.ttl, d.queue_limit), (300, 1000));
    assert_eq!(d.keys.len(), 2);
    assert_eq!(d.keys[0].name, "leasehold-key.");
    assert_eq!(d.keys[0].algorithm, TsigAlgorithm::HmacSha512);
    assert_eq!(
        d.keys[0].secret_file,
        PathBuf::from("/etc/leasehold/ddns.key")
    );
    assert_eq!(d.keys[1].algorithm, TsigAlgorithm::HmacSha256);
    assert_eq!(
        d.zones[0].server,
        "198.18.0.53:53".parse::<SocketAddr>().unwrap()
    );
    assert_eq!(d.zones[0].key.as_deref(), Some("leasehold-key."));
    assert_eq!(
        d.zones[1].server,
        "198.18.0.54:5353".parse::<SocketAddr>().unwrap()
    );
    assert_eq!(d.zones[1].key, None);
    assert_eq!(d.zones[2].name, "18.198.in-addr.arpa.");
    assert_eq!(d.zones[2].key.as_deref(), Some("other."));
    assert!(d.key("other.").is_some());
    // Longest suffix wins; label boundaries only.
    let zone = |n: &str| d.zone_for(n).map(|z| z.name.as_str());
    assert_eq!(zone("pc.example.test."), Some("example.test."));
    assert_eq!(zone("pc.lab.example.test."), Some("lab.example.test."));
    assert_eq!(zone("PC.LAB.example.test"), Some("lab.example.test."));
    assert_eq!(zone("example.test."), Some("example.test."));
    assert_eq!(zone("pcexample.test."), None);
    assert_eq!(
        zone("100.0.18.198.in-addr.arpa."),
        Some("18.198.in-addr.arpa.")
    );
    assert_eq!(d.ttl_for(3600), 300);
    // Subnet 0 overrides everything it may; subnet 1 inherits.
    let p = c.ddns_policy(0).unwrap();
    assert_eq!(p.update, DdnsUpdate::PtrOnly);
    assert_eq!(p.qualifying_suffix, Some("lab.example.test."));
    assert_eq!(p.generated_prefix, "pc");
    assert_eq!(p.replace_client_name, ReplaceClientName::Never);
    let p = c.ddns_policy(1).unwrap();
    assert_eq!(p.update, DdnsUpdate::Both);
    assert_eq!(p.qualifying_suffix, Some("example.test."));
    assert_eq!(p.generated_prefix, "host");
    assert_eq!(p.replace_client_name, ReplaceClientName::Always);
    assert_eq!(c.ddns_policy(2), None);
}

#[test]
fn errors_are_located() {
    let sub = "[[subnet]]\nsubnet = \"198.18.0.0/24\"\n";
    refused(
        "[ddns]\nupdaet = \"both\"\n",
        2,
        1,
        "unknown field `updaet`",
    );
    refused(
        "[ddns]\nupdate = \"sometimes\"\n",
        2,
        10,
        "update \"sometimes\": use one of",
    );
    refused(
        "[ddns]\nreplace_client_name = \"no\"\n",
        2,
        23,
        "replace_client_name \"no\"",
    );
    refused(
        "[ddns]\nconflict_resolution = \"yes\"\n",
        2,
        23,
        "conflict_resolution \"yes\"",
    );
    refused(
        "[ddns]\nttl = -1\n",
        2,
        7,
        "ttl must be between 0 and 2147483647",
    );
    refused(
        "[ddns]\nqueue_limit = 0\n",
        2,
        15,
        "queue_limit must be between 1",
    );
    refused(
        "[ddns]\nqualifying_suffix = \"exa mple.test\"\n",
        2,
        21,
        "not a DNS name",
    );
    refused(
        "[ddns]\nqualifying_suffix = \".\"\n",
        2,
        21,
        "not a DNS name",
    );
    refused(
        "[ddns]\ngenerated_prefix = \"-x\"\n",
        2,
        20,
        "generated_prefix",
    );
    refused(
        "[ddns]\n[[ddns.key]]\nname = \"k.\"\nalgorithm = \"hmac-md5\"\nsecret_file = \"k\"\n",
        4,
        13,
        "HMAC-MD5 and HMAC-SHA1 are not accepted",
    );
    refused(
        "[ddns]\n[[ddns.key]]\nname = \"k.\"\nsecret_file = \"\"\n",
        4,
        15,
        "secret_file must name a file",
    );
    refused(
        "[ddns]\n[[ddns.key]]\nname = \"k.\"\nsecret_file = \"a\"\n[[ddns.key]]\nname = \"K\"\nsecret_file = \"b\"\n",
        6,
        8,
        "key \"k.\" is given twice",
    );
    refused(
        "[ddns]\n[[ddns.zone]]\nname = \"example.test.\"\nserver = \"198.18.0.53\"\nkey = \"nokey.\"\n",
        5,
        7,
        "key \"nokey.\" names no [[ddns.key]]",
    );
    refused(
        "[ddns]\n[[ddns.zone]]\nname = \"a.test\"\nserver = \"198.18.0.53\"\n[[ddns.zone]]\nname = \"A.test.\"\nserver = \"198.18.0.54\"\n",
        6,
        8,
        "zone \"a.test.\" is given twice",
    );
    refused(
        "[ddns]\n[[ddns.zone]]\nname = \"a..test\"\nserver = \"198.18.0.53\"\n",
        3,
        8,
        "zone name \"a..test\" is not a DNS name",
    );
    refused(
        "[ddns]\n[[ddns.zone]]\nname = \"a.test\"\nserver = \"dns.example\"\n",
        4,
        10,
        "is not an IPv4 address with an optional port",
    );
    refused(
        "[ddns]\n[[ddns.zone]]\nname = \"a.test\"\n",
        2,
        1,
        "missing field `server`",
    );
    // A subnet that updates needs a suffix: pointed at [ddns], or at its own [subnet.ddns].
    refused(
        &format!("{sub}[ddns]\nupdate = \"both\"\n"),
        3,
        1,
        "qualifying_suffix is needed: subnet 198.18.0.0/24 updates DNS (update = \"both\")",
    );
    refused(
        &format!("[ddns]\nupdate = \"never\"\n{sub}[subnet.ddns]\nupdate = \"client\"\n"),
        5,
        1,
        "qualifying_suffix is needed",
    );
    refused(
        &format!("{sub}[subnet.ddns]\nupdate = \"both\"\n"),
        3,
        1,
        "needs a [ddns] table",
    );
    refused(
        &format!("[ddns]\nqualifying_suffix = \"a.test\"\n{sub}[subnet.ddns]\nttl = 5\n"),
        6,
        1,
        "unknown field `ttl`",
    );
    // update = "never" everywhere needs no suffix.
    let c = config(&format!("[ddns]\nupdate = \"never\"\n{sub}"));
    assert_eq!(c.ddns_policy(0).map(|p| p.qualifying_suffix), Some(None));
}

// ---------------------------------------------------------------------------------------------
// Who updates what, and the option 81 answer

/// (update mode, client's option 81 flags or None, expected forward, reverse, reply flags).
#[test]
fn every_mode_and_flag() {
    #[rustfmt::skip]
    let cases: &[(&str, Option<u8>, bool, bool, u8)] = &[
        ("client",   Some(E | S), true,  true,  E | S),
        ("client",   Some(E),     false, true,  E),
        ("client",   Some(E | N), false, false, E | N),
        ("client",   Some(S),     true,  true,  S),          // ASCII form: E stays 0
        ("client",   None,        true,  true,  0),
        ("both",     Some(E | S), true,  true,  E | S),
        ("both",     Some(E),     true,  true,  E | S | O),
        ("both",     Some(E | N), true,  true,  E | S | O),
        ("both",     None,        true,  true,  0),
        ("ptr-only", Some(E | S), false, true,  E | O),
        ("ptr-only", Some(E),     false, true,  E),
        ("ptr-only", Some(E | N), false, true,  E),
        ("ptr-only", None,        false, true,  0),
        ("never",    Some(E | S), false, false, E | N | O),
        ("never",    Some(E),     false, false, E | N),
        ("never",    Some(E | N), false, false, E | N),
        ("never",    None,        false, false, 0),
    ];
    for (i, (mode, flags, fwd, rev, want)) in cases.iter().enumerate() {
        let mut h = with_ddns(&format!("{DDNS}update = \"{mode}\"\n"));
        let n = 10 + i as u8;
        let opts: Vec<(u8, Vec<u8>)> = match flags {
            Some(f) => vec![(code::CLIENT_FQDN, fqdn81(*f, "laptop"))],
            None => vec![(code::HOSTNAME, b"laptop".to_vec())],
        };
        let (offer, ack) = dora_with(&mut h, n, &opts);
        let addr = ack.reply.as_ref().unwrap().packet.yiaddr;
        let what = format!("{mode} {flags:?}");
        let intent = ack.dns.clone();
        if *fwd || *rev {
            assert_eq!(
                intent,
                Some(DnsIntent {
                    addr,
                    fqdn: "laptop.example.test.".into(),
                    forward: *fwd,
                    reverse: *rev,
                    ttl: 1200,
                    client: ClientKey::HwAddr(mac(n)),
                    previous_fqdn: None,
                }),
                "{what}"
            );
        } else {
            assert_eq!(intent, None, "{what}");
        }
        for v in [&offer, &ack] {
            match flags {
                None => assert_eq!(reply81(v), None, "{what}"),
                Some(_) => {
                    let r = reply81(v).unwrap();
                    assert_eq!(r.flags.bits(), *want, "{what}");
                    assert_eq!((r.rcode1, r.rcode2), (255, 255), "{what}");
                    assert_eq!(
                        r.name,
                        leasehold_wire::FqdnName::from_text("laptop.example.test."),
                        "{what}"
                    );
                }
            }
        }
        assert!(offer.dns.is_none(), "{what}: no DNS work on an OFFER");
        // The lease keeps the FQDN, except in "never" mode (option 12 as before, or nothing).
        let stored = stored_hostname(&ack);
        match (*mode, flags) {
            ("never", None) => assert_eq!(stored.as_deref(), Some("laptop")),
            ("never", Some(_)) => assert_eq!(stored, None),
            _ => assert_eq!(stored.as_deref(), Some("laptop.example.test."), "{what}"),
        }
    }
}

#[test]
fn option_81_encoding_follows_the_client() {
    let mut h = with_ddns(DDNS);
    let (_, ack) = dora_with(&mut h, 1, &[(code::CLIENT_FQDN, fqdn81(E | S, "Laptop"))]);
    assert_eq!(
        reply(&ack).options.get(code::CLIENT_FQDN).unwrap(),
        b"\x05\xff\xff\x06laptop\x07example\x04test\x00"
    );
    let (_, ack) = dora_with(&mut h, 2, &[(code::CLIENT_FQDN, fqdn81(S, "Laptop2"))]);
    assert_eq!(
        reply(&ack).options.get(code::CLIENT_FQDN).unwrap(),
        b"\x01\xff\xfflaptop2.example.test."
    );
}

#[test]
fn without_ddns_nothing_changes() {
    let mut h = Harness::new();
    let (offer, ack) = dora_with(
        &mut h,
        1,
        &[
            (code::CLIENT_FQDN, fqdn81(E | S, "laptop")),
            (code::HOSTNAME, b"Laptop_1".to_vec()),
        ],
    );
    assert_eq!(reply81(&offer), None);
    assert_eq!(reply81(&ack), None);
    assert_eq!(ack.dns, None);
    assert_eq!(stored_hostname(&ack).as_deref(), Some("Laptop_1"));
}

#[test]
fn malformed_option_81_is_ignored() {
    let mut h = with_ddns(DDNS);
    let (_, ack) = dora_with(
        &mut h,
        1,
        &[
            (code::CLIENT_FQDN, b"\x05\x00\x00\xc0\x0c".to_vec()),
            (code::HOSTNAME, b"pc".to_vec()),
        ],
    );
    assert_eq!(reply81(&ack), None);
    let i = ack.dns.unwrap();
    assert_eq!(
        (i.fqdn.as_str(), i.forward, i.reverse),
        ("pc.example.test.", true, true)
    );
}

// ---------------------------------------------------------------------------------------------
// The name

fn name_of(h: &mut Harness, n: u8, opts: &[(u8, Vec<u8>)]) -> Option<String> {
    let (_, ack) = dora_with(h, n, opts);
    let stored = stored_hostname(&ack);
    assert_eq!(ack.dns.as_ref().map(|i| i.fqdn.clone()), stored);
    stored
}

#[test]
fn names_are_sanitised_and_qualified() {
    let mut h = with_ddns(DDNS);
    let h12 = |v: &[u8]| vec![(code::HOSTNAME, v.to_vec())];
    let cases: &[(&[u8], &str)] = &[
        (b"My Laptop", "my-laptop.example.test."),
        (b"web_01", "web-01.example.test."),
        (b"b\xc3\xbccher", "b-cher.example.test."),
        (b"-dash-", "dash.example.test."),
        (b"pc.lab", "pc.lab.example.test."),
        (b"pc.other.test.", "pc.other.test."),
    ];
    for (i, (sent, want)) in cases.iter().enumerate() {
        assert_eq!(
            name_of(&mut h, 1 + i as u8, &h12(sent)).as_deref(),
            Some(*want)
        );
    }
    // An over-long label is cut to 63.
    let long = "x".repeat(80);
    let got = name_of(&mut h, 20, &h12(long.as_bytes())).unwrap();
    assert_eq!(got, format!("{}.example.test.", "x".repeat(63)));
    // Names that sanitise to nothing, or to too long a name, count as none: generated.
    let addr_name = |v: &Verdict| {
        let [a, b, c, d] = reply(v).yiaddr.octets();
        format!("dhcp-{a}-{b}-{c}-{d}.example.test.")
    };
    for (i, sent) in [&b"___"[..], b"\xff\xfe", b" ", b"\0x"].iter().enumerate() {
        let (_, ack) = dora_with(&mut h, 30 + i as u8, &h12(sent));
        assert_eq!(stored_hostname(&ack), Some(addr_name(&ack)), "{sent:?}");
    }
    let too_long = vec!["y".repeat(63); 4].join(".");
    let (_, ack) = dora_with(&mut h, 40, &h12(too_long.as_bytes()));
    assert_eq!(stored_hostname(&ack), Some(addr_name(&ack)));
    // No name at all: generated.
    let (_, ack) = dora_with(&mut h, 41, &[]);
    assert_eq!(stored_hostname(&ack), Some(addr_name(&ack)));
    // An option 81 with an empty name asks the server to choose (option 12 is used first).
    let (_, ack) = dora_with(&mut h, 42, &[(code::CLIENT_FQDN, fqdn81(E | S, ""))]);
    assert_eq!(stored_hostname(&ack), Some(addr_name(&ack)));
    let r = reply81(&ack).unwrap();
    assert_eq!(
        r.name,
        leasehold_wire::FqdnName::from_text(&addr_name(&ack))
    );
}

#[test]
fn option_81_name_wins_over_option_12() {
    let mut h = with_ddns(DDNS);
    let got = name_of(
        &mut h,
        1,
        &[
            (code::CLIENT_FQDN, fqdn81(E | S, "from81.other.test.")),
            (code::HOSTNAME, b"from12".to_vec()),
        ],
    );
    assert_eq!(got.as_deref(), Some("from81.other.test."));
}

#[test]
fn replace_client_name_modes() {
    let mut h = with_ddns(&format!("{DDNS}replace_client_name = \"always\"\n"));
    let (_, ack) = dora_with(&mut h, 1, &[(code::CLIENT_FQDN, fqdn81(E | S, "laptop"))]);
    let [a, b, c, d] = reply(&ack).yiaddr.octets();
    let generated = format!("dhcp-{a}-{b}-{c}-{d}.example.test.");
    assert_eq!(stored_hostname(&ack).as_deref(), Some(generated.as_str()));
    assert_eq!(
        reply81(&ack).unwrap().name,
        leasehold_wire::FqdnName::from_text(&generated)
    );

    let mut h = with_ddns(&format!("{DDNS}replace_client_name = \"never\"\n"));
    let (_, ack) = dora_with(&mut h, 1, &[(code::CLIENT_FQDN, fqdn81(E | S, ""))]);
    assert_eq!(stored_hostname(&ack), None);
    assert_eq!(ack.dns, None);
    let r = reply81(&ack).unwrap();
    assert_eq!(r.flags.bits(), E | N | O);
    assert!(r.name.is_empty());
    let (_, ack) = dora_with(&mut h, 2, &[(code::HOSTNAME, b"pc".to_vec())]);
    assert_eq!(stored_hostname(&ack).as_deref(), Some("pc.example.test."));

    // A custom prefix.
    let mut h = with_ddns(&format!("{DDNS}generated_prefix = \"host\"\n"));
    let (_, ack) = dora_with(&mut h, 1, &[]);
    let [a, b, c, d] = reply(&ack).yiaddr.octets();
    assert_eq!(
        stored_hostname(&ack),
        Some(format!("host-{a}-{b}-{c}-{d}.example.test."))
    );
}

#[test]
fn reservation_hostname_wins() {
    // BASE reserves 198.18.0.10 for client 0xaa with hostname "printer".
    let mut h = with_ddns(&format!("{DDNS}replace_client_name = \"always\"\n"));
    let (_, ack) = dora_with(&mut h, 0xaa, &[(code::HOSTNAME, b"other".to_vec())]);
    assert_eq!(reply(&ack).yiaddr, ip("198.18.0.10"));
    assert_eq!(
        stored_hostname(&ack).as_deref(),
        Some("printer.example.test.")
    );
}

#[test]
fn renewal_keeps_the_name_and_reports_a_change() {
    let mut h = with_ddns(DDNS);
    let (_, ack) = dora_with(&mut h, 1, &[(code::HOSTNAME, b"pc".to_vec())]);
    let addr = reply(&ack).yiaddr;
    // Renewing without a name keeps it.
    h.now += 100;
    let renew = h.send(&Req::request(1).ciaddr(addr));
    assert_eq!(renew.outcome, Outcome::Acked(addr));
    assert_eq!(stored_hostname(&renew).as_deref(), Some("pc.example.test."));
    assert_eq!(renew.dns.as_ref().unwrap().previous_fqdn, None);
    // Renewing with another name: the old one is reported for removal.
    h.now += 100;
    let renew = h.send(&Req::request(1).ciaddr(addr).opt(code::HOSTNAME, b"pc2"));
    let i = renew.dns.unwrap();
    assert_eq!(i.fqdn, "pc2.example.test.");
    assert_eq!(i.previous_fqdn.as_deref(), Some("pc.example.test."));
}

#[test]
fn subnet_override_applies() {
    let text = r#"
[ddns]
qualifying_suffix = "example.test."
[[subnet]]
subnet = "198.18.0.0/24"
interface = "eth0"
[[subnet.pool]]
range = "198.18.0.100-198.18.0.109"
[subnet.ddns]
update = "ptr-only"
qualifying_suffix = "lab.example.test."
"#;
    let mut h = Harness::with(text);
    let (_, ack) = dora_with(&mut h, 1, &[(code::CLIENT_FQDN, fqdn81(E | S, "pc"))]);
    let i = ack.dns.clone().unwrap();
    assert_eq!(
        (i.fqdn.as_str(), i.forward, i.reverse),
        ("pc.lab.example.test.", false, true)
    );
    assert_eq!(reply81(&ack).unwrap().flags.bits(), E | O);
}

#[test]
fn ttl_setting_and_lease_time() {
    let mut h = with_ddns(&format!("{DDNS}ttl = 60\n"));
    let (_, ack) = dora_with(&mut h, 1, &[]);
    assert_eq!(ack.dns.unwrap().ttl, 60);
    let mut h = with_ddns(DDNS);
    let (_, ack) = dora_with(
        &mut h,
        1,
        &[(code::LEASE_TIME, 600u32.to_be_bytes().to_vec())],
    );
    assert_eq!(ack.dns.unwrap().ttl, 200);
}

#[test]
fn bootp_clients_get_names() {
    let text = format!("{BASE}{DDNS}").replace("[server]\n", "[server]\ndynamic_bootp = true\n");
    let mut h = Harness::with(&text);
    let v = h.send(&Req::bootp(1).opt(code::HOSTNAME, b"Old Box"));
    let Outcome::Bootp(addr) = v.outcome else {
        panic!("{:?}", v.outcome)
    };
    assert_eq!(
        stored_hostname(&v).as_deref(),
        Some("old-box.example.test.")
    );
    let i = v.dns.clone().unwrap();
    assert_eq!((i.addr, i.forward, i.reverse), (addr, true, true));
    assert_eq!(i.ttl, 86_400, "infinite BOOTP lease");
    assert_eq!(reply(&v).options.get(code::CLIENT_FQDN), None);
}

#[test]
fn client_id_is_the_dhcid_identity() {
    let mut h = with_ddns(DDNS);
    let (_, ack) = dora_with(&mut h, 1, &[(code::CLIENT_ID, vec![1, 2, 3])]);
    assert_eq!(ack.dns.unwrap().client, ClientKey::ClientId(vec![1, 2, 3]));
}

// ---------------------------------------------------------------------------------------------
// After a restart

#[test]
fn intents_from_stored_leases() {
    let lease = |addr: &str, host: Option<&str>| Lease {
        addr: ip(addr),
        client: Some(ClientKey::HwAddr(mac(1))),
        hwaddr: Some(mac(1)),
        state: LeaseState::Bound,
        starts: 1000,
        expires: 1000 + 3600,
        hostname: host.map(str::to_string),
    };
    let c = config(&format!("{BASE}{DDNS}"));
    assert_eq!(
        intent_for_lease(&c, &lease("198.18.0.100", Some("pc.example.test."))),
        Some(DnsIntent {
            addr: ip("198.18.0.100"),
            fqdn: "pc.example.test.".into(),
            forward: true,
            reverse: true,
            ttl: 1200,
            client: ClientKey::HwAddr(mac(1)),
            previous_fqdn: None,
        })
    );
    // A name stored before [ddns] existed is qualified now.
    assert_eq!(
        intent_for_lease(&c, &lease("198.18.0.100", Some("Old PC"))).map(|i| i.fqdn),
        Some("old-pc.example.test.".to_string())
    );
    assert_eq!(intent_for_lease(&c, &lease("198.18.0.100", None)), None);
    assert_eq!(
        intent_for_lease(&c, &lease("203.0.113.1", Some("pc"))),
        None
    );
    let mut nobody = lease("198.18.0.100", Some("pc"));
    nobody.client = None;
    assert_eq!(intent_for_lease(&c, &nobody), None);
    // Per mode.
    let mode = |m: &str| {
        let c = config(&format!("{BASE}{DDNS}update = \"{m}\"\n"));
        intent_for_lease(&c, &lease("198.18.0.100", Some("pc"))).map(|i| (i.forward, i.reverse))
    };
    assert_eq!(mode("client"), Some((true, true)));
    assert_eq!(mode("both"), Some((true, true)));
    assert_eq!(mode("ptr-only"), Some((false, true)));
    assert_eq!(mode("never"), None);
    // No [ddns]: nothing.
    assert_eq!(
        intent_for_lease(&config(BASE), &lease("198.18.0.100", Some("pc"))),
        None
    );
}

#[test]
fn a_round_trip_through_the_lease_gives_the_same_intent() {
    let mut h = with_ddns(DDNS);
    let (_, ack) = dora_with(&mut h, 1, &[(code::CLIENT_FQDN, fqdn81(E | S, "pc"))]);
    let lease = ack.durable().next().unwrap().clone();
    let again = intent_for_lease(h.config(), &lease).unwrap();
    assert_eq!(Some(again), ack.dns);
    let _ = Ipv4Addr::UNSPECIFIED;
}
