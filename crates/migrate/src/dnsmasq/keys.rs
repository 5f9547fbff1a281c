//! Why a dnsmasq option that the importer does not translate is not carried over: one reason
//! per kind of option (DNS, TFTP details, DHCPv6 and router advertisements, process settings...).

/// Options of dnsmasq's DNS service (and its DNS-only sources of names).
const DNS: &[&str] = &[
    "add-cpe-id",
    "add-mac",
    "add-subnet",
    "addn-hosts",
    "address",
    "alias",
    "all-servers",
    "auth-peer",
    "auth-sec-servers",
    "auth-server",
    "auth-soa",
    "auth-ttl",
    "auth-zone",
    "bogus-nxdomain",
    "bogus-priv",
    "cache-rr",
    "cache-size",
    "caa-record",
    "clear-on-reload",
    "cname",
    "conntrack",
    "connmark-allowlist",
    "connmark-allowlist-enable",
    "dns-forward-max",
    "dns-loop-detect",
    "dns-rr",
    "dnssec",
    "dnssec-check-unsigned",
    "dnssec-debug",
    "dnssec-limits",
    "dnssec-no-timecheck",
    "dnssec-timestamp",
    "do-0x20-encode",
    "domain-needed",
    "dynamic-host",
    "edns-packet-max",
    "expand-hosts",
    "fast-dns-retry",
    "filter-A",
    "filter-AAAA",
    "filter-rr",
    "filterwin2k",
    "host-record",
    "hostsdir",
    "ignore-address",
    "interface-name",
    "ipset",
    "local",
    "local-ttl",
    "localise-queries",
    "localmx",
    "max-cache-ttl",
    "max-port",
    "max-ttl",
    "min-cache-ttl",
    "min-port",
    "mx-host",
    "mx-target",
    "naptr-record",
    "neg-ttl",
    "negttl",
    "nftset",
    "no-0x20-encode",
    "no-hosts",
    "no-negcache",
    "no-poll",
    "no-resolv",
    "no-round-robin",
    "port-limit",
    "proxy-dnssec",
    "ptr-record",
    "query-port",
    "rebind-domain-ok",
    "rebind-localhost-ok",
    "resolv-file",
    "rev-server",
    "selfmx",
    "server",
    "servers-file",
    "srv-host",
    "stop-dns-rebind",
    "strict-order",
    "strip-mac",
    "strip-subnet",
    "synth-domain",
    "port",
    "trust-anchor",
    "txt-record",
    "umbrella",
    "use-stale-cache",
    "dhcp-ttl",
    "max-tcp-connections",
    "no-ident",
    "log-queries",
    "dumpfile",
    "dumpmask",
];

/// DHCPv6 and router advertisement options.
const V6: &[&str] = &[
    "enable-ra",
    "ra-param",
    "dhcp-duid",
    "dhcp-luascript",
    "quiet-dhcp6",
    "quiet-ra",
    "dhcp-relay6",
];

/// TFTP options beyond `enable-tftp` and `tftp-root`.
const TFTP: &[&str] = &[
    "tftp-secure",
    "tftp-no-fail",
    "tftp-unique-root",
    "tftp-lowercase",
    "tftp-max",
    "tftp-mtu",
    "tftp-no-blocksize",
    "tftp-port-range",
    "tftp-single-port",
    "quiet-tftp",
];

/// Why `key` is not carried over, for options the importer has no translation for.
pub fn why_not(key: &str) -> String {
    if DNS.contains(&key) {
        return format!("`{key}` not carried over: DNS service is not Leasehold's job");
    }
    if V6.contains(&key) {
        return format!("`{key}` not carried over: Leasehold serves DHCPv4 only (no DHCPv6 or router advertisements)");
    }
    if TFTP.contains(&key) {
        return format!("`{key}` not carried over: Leasehold's [tftp] has its own settings (docs/configuration.md, [tftp])");
    }
    let why = match key {
        "user" | "group" | "pid-file" | "keep-in-foreground" | "no-daemon" | "log-async"
        | "log-facility" | "log-debug" | "log-dhcp" | "quiet-dhcp" | "enable-dbus"
        | "enable-ubus" | "test" => {
            "a process or logging setting: the Leasehold service sets its own user, logging and \
             metrics (docs/metrics.md)"
        }
        "except-interface" | "no-dhcp-interface" | "no-dhcpv4-interface" => {
            "Leasehold lists the interfaces it serves (`[server] interfaces`), not those it skips"
        }
        "listen-address" => {
            "Leasehold listens on all addresses of its `interfaces` (its address was used for \
             the defaults dnsmasq takes from it, where it lies in a subnet)"
        }
        "local-service" => "Leasehold answers only the interfaces and relays it is configured for",
        "dhcp-lease-max" => {
            "Leasehold has no lease count limit; its `[security]` rate limits guard against \
             address exhaustion (docs/security.md)"
        }
        "dhcp-leasefile" | "leasefile-ro" => {
            "Leasehold keeps leases in its database: pass this file to `leasehold import \
             dnsmasq --leases`"
        }
        "dhcp-script" | "dhcp-scriptuser" | "script-arp" | "script-on-renewal" | "dhcp-luascript" => {
            "lease scripts: Leasehold reports lease changes in its lease history and metrics \
             instead (`leasehold leases history`)"
        }
        "dhcp-relay" | "dhcp-split-relay" | "dhcp-proxy" => {
            "relaying: run `leasehold relay` (docs/relay.md)"
        }
        "dhcp-broadcast" => "Leasehold replies by broadcast when the client asks (flags bit), per RFC 2131",
        "dhcp-sequential-ip" => "Leasehold chooses addresses its own way (sticky per client)",
        "no-ping" => "Leasehold does not ping before offering; clients DECLINE addresses in use",
        "dhcp-rapid-commit" => "Leasehold does not do rapid commit (RFC 4039)",
        "dhcp-alternate-port" => "set `[server] server_port` and `client_port` by hand",
        "dhcp-fqdn" | "dhcp-client-update" | "dhcp-ignore-names" | "dhcp-generate-names"
        | "dhcp-name-match" => "DNS names for DHCP clients: DNS service is not Leasehold's job",
        "read-ethers" => "/etc/ethers is not read: add its hosts as `dhcp-host` lines first, or as reservations",
        "tag-if" => "tag logic (`tag-if`) has no Leasehold form: write the classes by hand",
        "dhcp-subscrid" => "option 82 subscriber-id matches have no Leasehold class key",
        "dhcp-reply-delay" => "Leasehold does not delay replies",
        "dhcp-pxe-vendor" => "Leasehold's proxy answers vendor class PXEClient only",
        "pxe-prompt" => "PXE boot menus are not Leasehold's: a class gives each architecture one boot file",
        "leasequery" => "Leasehold does not answer LEASEQUERY (RFC 4388)",
        "dhcp-option-pxe" => "PXE-only options have no Leasehold form: use a class with vendor_class = \"PXEClient\"",
        "conf-script" => "configuration from a script's output is not read",
        "shared-network" => "dnsmasq's shared-network (DHCPv4 relay subnets) is not carried over: group the subnets with `shared_network` by hand",
        "dhcp-ignore-clid" => {
            "Leasehold identifies clients by client id when they send one (RFC 2131); leases \
             recorded under the hardware address are still renewed"
        }
        _ => return format!("`{key}` not carried over: not a DHCPv4 setting the importer knows"),
    };
    format!("`{key}` not carried over: {why}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_name_the_option() {
        assert!(why_not("server").contains("DNS service is not Leasehold's job"));
        assert!(why_not("enable-ra").contains("DHCPv4 only"));
        assert!(why_not("dhcp-leasefile").contains("--leases"));
        assert!(why_not("frobnicate").starts_with("`frobnicate` not carried over"));
    }
}
