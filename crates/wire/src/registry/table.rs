//! The static option table (RFC 2132 §3–§9 plus later RFCs), sorted by code.

use super::OptionDef;
use super::OptionFormat::{self, *};

/// Shorthand for one table row.
const fn def(code: u8, name: &'static str, format: OptionFormat) -> OptionDef {
    OptionDef { code, name, format }
}

/// Every known option, sorted by code.
pub(super) static OPTIONS: &[OptionDef] = &[
    // RFC 2132 §3: vendor extensions of RFC 1497.
    def(1, "subnet-mask", Ip),
    def(2, "time-offset", I32),
    def(3, "router", IpList),
    def(4, "time-servers", IpList),
    def(5, "name-servers", IpList),
    def(6, "domain-name-servers", IpList),
    def(7, "log-servers", IpList),
    def(8, "cookie-servers", IpList),
    def(9, "lpr-servers", IpList),
    def(10, "impress-servers", IpList),
    def(11, "resource-location-servers", IpList),
    def(12, "host-name", Text),
    def(13, "boot-file-size", U16),
    def(14, "merit-dump", Text),
    def(15, "domain-name", Text),
    def(16, "swap-server", Ip),
    def(17, "root-path", Text),
    def(18, "extensions-path", Text),
    // §4: IP layer parameters per host.
    def(19, "ip-forwarding", Bool),
    def(20, "non-local-source-routing", Bool),
    def(21, "policy-filter", IpPairs),
    def(22, "max-dgram-reassembly", U16),
    def(23, "default-ip-ttl", U8),
    def(24, "path-mtu-aging-timeout", U32),
    def(25, "path-mtu-plateau-table", U16List),
    // §5: IP layer parameters per interface.
    def(26, "interface-mtu", U16),
    def(27, "all-subnets-local", Bool),
    def(28, "broadcast-address", Ip),
    def(29, "perform-mask-discovery", Bool),
    def(30, "mask-supplier", Bool),
    def(31, "router-discovery", Bool),
    def(32, "router-solicitation-address", Ip),
    def(33, "static-routes", IpPairs),
    // §6: link layer parameters per interface.
    def(34, "trailer-encapsulation", Bool),
    def(35, "arp-cache-timeout", U32),
    def(36, "ieee802-3-encapsulation", Bool),
    // §7: TCP parameters.
    def(37, "default-tcp-ttl", U8),
    def(38, "tcp-keepalive-interval", U32),
    def(39, "tcp-keepalive-garbage", Bool),
    // §8: application and service parameters.
    def(40, "nis-domain", Text),
    def(41, "nis-servers", IpList),
    def(42, "ntp-servers", IpList),
    def(43, "vendor-encapsulated-options", Bytes),
    def(44, "netbios-name-servers", IpList),
    def(45, "netbios-dd-server", IpList),
    def(46, "netbios-node-type", U8),
    def(47, "netbios-scope", Text),
    def(48, "font-servers", IpList),
    def(49, "x-display-manager", IpList),
    // §9: DHCP extensions.
    def(50, "requested-address", Ip),
    def(51, "lease-time", U32),
    def(52, "option-overload", U8),
    def(53, "message-type", U8),
    def(54, "server-identifier", Ip),
    def(55, "parameter-request-list", Bytes),
    def(56, "message", Text),
    def(57, "max-message-size", U16),
    def(58, "renewal-time", U32),
    def(59, "rebinding-time", U32),
    def(60, "vendor-class-identifier", Text),
    def(61, "client-identifier", Bytes),
    // RFC 2242 (NetWare/IP); not in RFC 2132 but sit inside its numbering.
    def(62, "nwip-domain-name", Text),
    def(63, "nwip-suboptions", Bytes),
    // RFC 2132 §8.11 onwards.
    def(64, "nisplus-domain", Text),
    def(65, "nisplus-servers", IpList),
    def(66, "tftp-server-name", Text),
    def(67, "bootfile-name", Text),
    def(68, "mobile-ip-home-agent", IpList),
    def(69, "smtp-server", IpList),
    def(70, "pop-server", IpList),
    def(71, "nntp-server", IpList),
    def(72, "www-server", IpList),
    def(73, "finger-server", IpList),
    def(74, "irc-server", IpList),
    def(75, "streettalk-server", IpList),
    def(76, "streettalk-directory-assistance-server", IpList),
    // Later RFCs.
    def(77, "user-class", Bytes),                        // RFC 3004
    def(81, "client-fqdn", Bytes),                       // RFC 4702
    def(82, "relay-agent-information", SubOptions),      // RFC 3046
    def(93, "client-arch", U16List),                     // RFC 4578
    def(94, "client-ndi", Bytes),                        // RFC 4578
    def(97, "client-uuid", Bytes),                       // RFC 4578
    def(108, "ipv6-only-preferred", U32),                // RFC 8925
    def(118, "subnet-selection", Ip),                    // RFC 3011
    def(119, "domain-search", DomainList),               // RFC 3397
    def(121, "classless-static-route", ClasslessRoutes), // RFC 3442
    def(150, "tftp-server-address", IpList),             // RFC 5859
];

/// Alternative names (other servers' spellings, singular/plural) → code.
pub(super) static ALIASES: &[(&str, u8)] = &[
    ("routers", 3),
    ("time-server", 4),
    ("dns-servers", 6),
    ("domain-name-server", 6),
    ("hostname", 12),
    ("broadcast-addr", 28),
    ("ntp-server", 42),
    ("vendor-specific", 43),
    ("dhcp-requested-address", 50),
    ("dhcp-lease-time", 51),
    ("dhcp-option-overload", 52),
    ("dhcp-message-type", 53),
    ("dhcp-server-identifier", 54),
    ("dhcp-parameter-request-list", 55),
    ("dhcp-message", 56),
    ("dhcp-max-message-size", 57),
    ("dhcp-renewal-time", 58),
    ("dhcp-rebinding-time", 59),
    ("client-id", 61),
    ("bootfile", 67),
    ("relay-agent-info", 82),
    ("client-system-architecture", 93),
    ("client-network-interface", 94),
    ("uuid-guid", 97),
    ("classless-static-routes", 121),
    ("tftp-server-addresses", 150),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_unique_and_kebab_case() {
        for w in OPTIONS.windows(2) {
            assert!(w[0].code < w[1].code, "{} before {}", w[0].code, w[1].code);
        }
        let mut names: Vec<&str> = OPTIONS.iter().map(|d| d.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), OPTIONS.len());
        for d in OPTIONS {
            assert!(d
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
        }
    }

    #[test]
    fn covers_rfc2132_and_the_extra_codes() {
        let mut wanted: Vec<u8> = (1..=76).collect();
        wanted.extend([61, 77, 81, 82, 93, 94, 97, 108, 118, 119, 121, 150]);
        for c in wanted {
            assert!(OPTIONS.iter().any(|d| d.code == c), "missing option {c}");
        }
    }

    #[test]
    fn aliases_do_not_shadow_canonical_names() {
        for (a, code) in ALIASES {
            assert!(
                OPTIONS.iter().all(|d| d.name != *a),
                "alias {a} is a canonical name"
            );
            assert!(OPTIONS.iter().any(|d| d.code == *code));
        }
    }
}
