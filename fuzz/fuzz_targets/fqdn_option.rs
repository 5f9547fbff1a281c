//! Any option 81 value: the parser must not panic; a parsed option must encode and parse back to
//! itself; the name decision on it (every `update` and `replace_client_name` mode, with and
//! without a suffix, the same bytes also as option 12) must give a valid absolute name
//! (≤ 253 characters before the dot, labels of 1–63 of `a-z0-9-`, no edge `-`) or none, and a
//! reply option 81 that parses, says N only without S, and carries that name.
#![no_main]

use leasehold_engine::config::{DdnsPolicy, DdnsUpdate, ReplaceClientName};
use leasehold_engine::ddns::{self, NameRequest};
use leasehold_wire::fqdn::{ClientFqdn, FqdnName, MAX_LABEL, MAX_NAME};
use libfuzzer_sys::fuzz_target;
use std::net::Ipv4Addr;

const UPDATES: [DdnsUpdate; 4] = [
    DdnsUpdate::Client,
    DdnsUpdate::Both,
    DdnsUpdate::PtrOnly,
    DdnsUpdate::Never,
];
const REPLACES: [ReplaceClientName; 3] = [
    ReplaceClientName::WhenAbsent,
    ReplaceClientName::Always,
    ReplaceClientName::Never,
];

fn check_name(name: &str) {
    assert!(ddns::is_valid_name(name), "{name:?}");
    let wire = FqdnName::from_text(name);
    assert!(wire.fully_qualified);
    assert!(wire.wire_len() <= MAX_NAME, "{name:?}");
    assert!(wire.labels.iter().all(|l| l.len() <= MAX_LABEL));
}

fuzz_target!(|data: &[u8]| {
    let parsed = ClientFqdn::parse(data).ok();
    if let Some(f) = &parsed {
        assert!(f.name.wire_len() <= MAX_NAME);
        assert!(f
            .name
            .labels
            .iter()
            .all(|l| !l.is_empty() && l.len() <= MAX_LABEL));
        assert_eq!(ClientFqdn::parse(&f.encode()).as_ref(), Ok(f));
    }
    for s in [
        ddns::sanitise(data, Some("example.test.")),
        ddns::sanitise(data, None),
    ]
    .into_iter()
    .flatten()
    {
        check_name(&s);
    }
    let addr = Ipv4Addr::new(198, 18, 0, data.first().copied().unwrap_or(100));
    for suffix in [Some("example.test."), None] {
        for update in UPDATES {
            for replace in REPLACES {
                let policy = DdnsPolicy {
                    update,
                    qualifying_suffix: suffix,
                    generated_prefix: "dhcp",
                    replace_client_name: replace,
                    ttl: 0,
                };
                let d = ddns::decide(
                    &policy,
                    addr,
                    &NameRequest {
                        fqdn: parsed.as_ref(),
                        hostname: Some(data),
                        reserved: None,
                        previous: None,
                    },
                );
                if let Some(n) = &d.fqdn {
                    check_name(n);
                } else {
                    assert!(!d.forward && !d.reverse);
                }
                if update == DdnsUpdate::Never {
                    assert!(!d.forward && !d.reverse);
                }
                assert_eq!(d.reply.is_some(), parsed.is_some());
                if let (Some(r), Some(asked)) = (&d.reply, &parsed) {
                    let back = ClientFqdn::parse(&r.encode()).expect("our reply parses");
                    assert_eq!(&back, r);
                    assert_eq!(r.flags.e(), asked.flags.e());
                    assert_eq!((r.rcode1, r.rcode2), (255, 255));
                    assert_eq!(r.flags.s(), d.forward);
                    assert!(!(r.flags.n() && r.flags.s()));
                    assert_eq!(r.flags.n(), !d.forward && !d.reverse);
                    let want = d
                        .fqdn
                        .as_deref()
                        .map(FqdnName::from_text)
                        .unwrap_or_default();
                    assert_eq!(r.name, want);
                }
            }
        }
    }
});
