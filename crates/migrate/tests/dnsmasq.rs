//! The dnsmasq importer end to end: configurations as dnsmasq's man page writes them, imported
//! and checked with Leasehold's own configuration parser; the lease file; bad input; and the
//! round trip through the dnsmasq lease exporter.

use leasehold_engine::{ClientKey, Config, Lease, LeaseState, INFINITE};
use leasehold_migrate::export::dnsmasq as export;
use leasehold_migrate::{dnsmasq, ImportError, Imported, MemFiles};
use leasehold_wire::HwAddr;
use std::net::Ipv4Addr;
use std::path::Path;

const NOW: u64 = 1_800_000_000;

fn import(conf: &str, leases: Option<&str>) -> Result<Imported, ImportError> {
    let mut files = MemFiles::new().with("dnsmasq.conf", conf);
    if let Some(l) = leases {
        files = files.with("dnsmasq.leases", l);
    }
    dnsmasq::import(
        &files,
        Path::new("dnsmasq.conf"),
        leases.map(|_| Path::new("dnsmasq.leases")),
        NOW,
    )
}

/// Imports, and checks the written file with the parser `check-config` uses.
fn checked(conf: &str) -> (Imported, Config, String) {
    let imported = import(conf, None).unwrap_or_else(|e| panic!("import: {e}"));
    let text = imported.config.to_toml();
    let cfg = Config::from_toml(&text, Path::new("imported.toml"))
        .unwrap_or_else(|e| panic!("check-config: {e}\n{text}"));
    (imported, cfg, text)
}

fn findings_at(i: &Imported, line: u32) -> Vec<String> {
    i.report
        .findings
        .iter()
        .filter(|f| f.line == line)
        .map(|f| f.what.clone())
        .collect()
}

#[test]
fn a_network_boot_site() {
    let conf = "\
interface=eth1
listen-address=198.18.0.1
dhcp-authoritative
domain=lab.test
dhcp-range=set:lab,198.18.0.100,198.18.0.199,255.255.255.0,12h
dhcp-range=198.18.0.0,static
dhcp-host=52:54:00:00:00:01,printer,198.18.0.10
dhcp-host=id:01:52:54:00:00:00:02,198.18.0.11,set:special
dhcp-host=52:54:00:00:00:03,ignore
dhcp-option=option:ntp-server,198.18.0.123
dhcp-option=tag:lab,option:router,198.18.0.254
dhcp-option=tag:special,option:domain-name,special.test
dhcp-match=set:ipxe,175
dhcp-match=set:bios,option:client-arch,0
dhcp-match=set:efi64,option:client-arch,7
dhcp-boot=tag:bios,tag:!ipxe,undionly.kpxe
dhcp-boot=tag:efi64,tag:!ipxe,ipxe.efi
dhcp-boot=tag:ipxe,http://198.18.0.1/boot.ipxe
dhcp-vendorclass=set:printers,Hewlett-Packard JetDirect
dhcp-option=tag:printers,option:lpr-server,198.18.0.9
dhcp-ignore=tag:!known
enable-tftp
tftp-root=/srv/tftp
server=9.9.9.9
";
    let (i, cfg, text) = checked(conf);
    assert_eq!(cfg.subnets.len(), 1, "{text}");
    let s = &i.config.subnets[0];
    assert_eq!(s.net.to_string(), "198.18.0.0/24");
    assert_eq!(s.lease_time, Some(43_200));
    assert_eq!(s.pools.len(), 1);
    assert_eq!(s.reservations.len(), 2);
    assert_eq!(
        s.reservations[0].hw_address.as_deref(),
        Some("52:54:00:00:00:01")
    );
    assert_eq!(s.reservations[0].hostname.as_deref(), Some("printer"));
    assert_eq!(
        s.reservations[1].client_id.as_deref(),
        Some("01:52:54:00:00:00:02")
    );
    assert!(s.reservations[1]
        .options
        .iter()
        .any(|o| o.name == "domain-name"));
    // tag:lab is the tag of one of the subnet's two ranges: options of its pool.
    assert!(
        s.pools[0].options.iter().any(|o| o.name == "router"),
        "{text}"
    );
    // dnsmasq's defaults: DNS server = itself (listen-address in the subnet).
    assert!(
        s.options.iter().any(|o| o.name == "domain-name-servers"),
        "{text}"
    );
    assert_eq!(i.config.server.authoritative, Some(true));
    assert_eq!(i.config.server.interfaces, vec!["eth1".to_string()]);
    assert!(text.contains("ntp-servers = [\"198.18.0.123\"]"), "{text}");
    assert!(text.contains("domain-name = \"lab.test\""), "{text}");
    assert_eq!(
        i.config.tftp.as_ref().map(|t| t.root.as_str()),
        Some("/srv/tftp")
    );
    // Classes: latest used first, so the iPXE one (its dhcp-boot is the last one) comes
    // before the combined ones (iPXE on a BIOS machine matches both).
    let names: Vec<&str> = i.config.classes.iter().map(|c| c.name.as_str()).collect();
    let at = |n: &str| names.iter().position(|x| *x == n);
    assert!(
        at("ipxe") < at("bios-not-ipxe") && at("bios-not-ipxe").is_some(),
        "{names:?}"
    );
    let bios = i
        .config
        .classes
        .iter()
        .find(|c| c.name == "bios-not-ipxe")
        .expect("combined class");
    assert_eq!((bios.arch.clone(), bios.ipxe), (vec![0], Some(false)));
    assert_eq!(bios.boot_file.as_deref(), Some("undionly.kpxe"));
    assert_eq!(bios.next_server, Some(Ipv4Addr::new(198, 18, 0, 1)));
    let unknown = i
        .config
        .classes
        .iter()
        .find(|c| c.known == Some(false))
        .expect("dhcp-ignore=tag:!known");
    assert!(unknown.deny);
    let ignored = i
        .config
        .classes
        .iter()
        .find(|c| c.hw_address_prefix.as_deref() == Some("52:54:00:00:00:03"))
        .expect("ignore host");
    assert!(ignored.deny);
    let printers = i
        .config
        .classes
        .iter()
        .find(|c| c.name == "printers")
        .expect("vendor class");
    assert_eq!(
        printers.vendor_class.as_deref(),
        Some("Hewlett-Packard JetDirect")
    );
    assert_eq!(printers.options[0].name, "lpr-servers");
    // The one line not carried over is the DNS one.
    let lines: Vec<u32> = i.report.findings.iter().map(|f| f.line).collect();
    assert_eq!(lines, vec![24], "{:#?}", i.report.findings);
    assert!(findings_at(&i, 24)[0].contains("DNS service is not Leasehold's job"));
}

#[test]
fn what_cannot_be_carried_is_reported_line_by_line() {
    let conf = "\
dhcp-range=10.1.0.50,10.1.0.150
dhcp-range=1234::2,1234::500,64,12h
dhcp-host=lap,10.1.0.199
dhcp-host=00:20:e0:3b:13:*,10.1.0.7
dhcp-option=vendor:PXEClient,1,0.0.0.0
dhcp-option=option:T1,2h
dhcp-option=tag:eth0,option:router,10.1.0.1
dhcp-match=set:odd,option:user-class
tag-if=set:a,tag:b
pxe-prompt=\"Press F8\",60
dhcp-boot=pxelinux.0
frobnicate=yes
";
    let (i, _cfg, text) = checked(conf);
    for line in 1..=12 {
        assert!(
            !findings_at(&i, line).is_empty(),
            "line {line} has no finding: {:#?}\n{text}",
            i.report.findings
        );
    }
    let l1 = findings_at(&i, 1).join("\n");
    assert!(l1.contains("netmask not given"), "{l1}");
    assert!(l1.contains("assumed subnet 10.1.0.0/24"), "{l1}");
    assert!(l1.contains("router (option 3)"), "{l1}");
    assert!(findings_at(&i, 2)[0].contains("DHCPv4 only"));
    assert!(findings_at(&i, 7)[0].contains("\"eth0\""));
    assert!(findings_at(&i, 11)[0].contains("no TFTP server address"));
    // The pool is still there, and the boot file went to the subnet.
    assert_eq!(i.config.subnets[0].boot_file.as_deref(), Some("pxelinux.0"));
}

#[test]
fn proxy_dhcp_site() {
    let conf = "\
dhcp-range=198.18.80.0,proxy,255.255.255.0
pxe-service=x86PC,\"Network boot\",undionly
pxe-service=x86-64_EFI,\"Network boot\",ipxe.efi
pxe-service=x86PC,\"Local disk\"
dhcp-userclass=set:ipxe,iPXE
dhcp-boot=tag:ipxe,http://198.18.80.2/boot.ipxe
";
    let (i, cfg, text) = checked(conf);
    assert!(cfg.subnets[0].proxy, "{text}");
    let archs: Vec<Vec<u16>> = i.config.classes.iter().map(|c| c.arch.clone()).collect();
    assert!(
        archs.contains(&vec![0]) && archs.contains(&vec![7]),
        "{text}"
    );
    let bios = i
        .config
        .classes
        .iter()
        .find(|c| c.arch == [0])
        .expect("bios");
    assert_eq!(bios.boot_file.as_deref(), Some("undionly.0"));
    assert_eq!(bios.vendor_class.as_deref(), Some("PXEClient"));
    let ipxe = i
        .config
        .classes
        .iter()
        .find(|c| c.name == "ipxe")
        .expect("ipxe");
    assert_eq!(ipxe.user_class.as_deref(), Some("iPXE"));
    assert_eq!(
        i.config.classes[0].name, "ipxe",
        "the dhcp-boot class comes first"
    );
    assert_eq!(i.config.server.authoritative, None, "nothing is assigned");
    let lines: Vec<u32> = i.report.findings.iter().map(|f| f.line).collect();
    assert_eq!(lines, vec![4], "{:#?}", i.report.findings);
}

#[test]
fn conf_dir_and_hostsfile_are_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().join("dnsmasq.d");
    std::fs::create_dir(&d).expect("mkdir");
    std::fs::write(
        d.join("10-range.conf"),
        "dhcp-range=198.18.1.10,198.18.1.20,255.255.255.0\n",
    )
    .expect("write");
    std::fs::write(
        d.join("20-hosts.conf.dpkg-old"),
        "dhcp-range=10.0.0.1,10.0.0.2\n",
    )
    .expect("write");
    let hosts = dir.path().join("hosts");
    std::fs::write(&hosts, "# comment\n52:54:00:00:01:01,198.18.1.5,alpha\n").expect("write");
    let opts = dir.path().join("opts.d");
    std::fs::create_dir(&opts).expect("mkdir");
    std::fs::write(opts.join("ntp"), "option:ntp-server,198.18.1.123\n").expect("write");
    let main = dir.path().join("dnsmasq.conf");
    std::fs::write(
        &main,
        format!(
            "conf-dir={},*.conf\ndhcp-hostsfile={}\ndhcp-optsdir={}\ndhcp-option=3,198.18.1.1\nport=0\n",
            d.display(),
            hosts.display(),
            opts.display()
        ),
    )
    .expect("write");
    let i = dnsmasq::import(&leasehold_migrate::FsFiles, &main, None, NOW).expect("imports");
    assert_eq!(i.config.subnets.len(), 1, "{:#?}", i.report.findings);
    assert_eq!(
        i.config.subnets[0].reservations[0].hostname.as_deref(),
        Some("alpha")
    );
    assert!(i.report.findings.is_empty(), "{:#?}", i.report.findings);
    assert_eq!(i.config.server.options[0].name, "ntp-servers");
    assert_eq!(i.report.total_lines(), 5 + 1 + 1 + 1);
}

#[test]
fn bad_configuration_is_an_error_at_its_line() {
    let e = import(
        "dhcp-range=198.18.0.10,198.18.0.20\ndhcp-boot=\"pxelinux.0\n",
        None,
    )
    .expect_err("unterminated quote");
    assert_eq!(e.to_string(), "dnsmasq.conf:2: missing closing \"");
    let e = import("\u{7f}ELF\u{2}\u{1}\u{1}\n", None).expect_err("binary");
    assert!(e.to_string().starts_with("dnsmasq.conf:1: "), "{e}");
}

#[test]
fn leases_are_imported_and_garbage_is_refused() {
    let conf =
        "dhcp-range=198.18.0.100,198.18.0.199,255.255.255.0\ndhcp-option=3,198.18.0.1\nport=0\n";
    let leases = format!(
        "{} 52:54:00:00:00:01 198.18.0.100 alpha 01:52:54:00:00:00:01\n\
         0 52:54:00:00:00:02 198.18.0.101 * *\n\
         {} 52:54:00:00:00:03 198.18.0.102 gone *\n\
         {} 52:54:00:00:00:04 10.0.0.4 elsewhere *\n",
        NOW + 600,
        NOW - 600,
        NOW + 600
    );
    let i = import(conf, Some(&leases)).expect("imports");
    assert_eq!(i.leases.len(), 3);
    assert_eq!(i.leases[0].state, LeaseState::Bound);
    assert_eq!(i.leases[1].expires, INFINITE);
    assert_eq!(i.leases[2].state, LeaseState::Expired);
    let f = &i.report.findings;
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(
        (f[0].file.as_path(), f[0].line),
        (Path::new("dnsmasq.leases"), 4)
    );

    let e = import(
        conf,
        Some("1800000600 52:54:00:00:00:01 198.18.0.100 alpha\n"),
    )
    .expect_err("truncated line");
    assert!(e.to_string().starts_with("dnsmasq.leases:1: "), "{e}");
}

fn lease(last: u8, client: ClientKey, expires: u64, hostname: Option<&str>) -> Lease {
    Lease {
        addr: Ipv4Addr::new(198, 18, 0, 100 + last),
        client: Some(client),
        hwaddr: Some(HwAddr::ethernet([0x52, 0x54, 0, 0, 0, last])),
        state: LeaseState::Bound,
        starts: NOW - 100,
        expires,
        hostname: hostname.map(str::to_string),
    }
}

/// Export → import gives back the bound leases (dnsmasq records no start time: the import
/// starts them at its own time), and leaves out what dnsmasq does not keep.
#[test]
fn exported_leases_import_back_the_same() {
    let hw = |last: u8| HwAddr::ethernet([0x52, 0x54, 0, 0, 0, last]);
    let bound = vec![
        lease(1, ClientKey::HwAddr(hw(1)), NOW + 3600, Some("alpha")),
        lease(
            2,
            ClientKey::ClientId(vec![1, 0x52, 0x54, 0, 0, 0, 2]),
            NOW + 60,
            None,
        ),
        lease(
            3,
            ClientKey::ClientId(b"text-id".to_vec()),
            INFINITE,
            Some("gamma.lab"),
        ),
    ];
    let mut all = bound.clone();
    let mut expired = lease(4, ClientKey::HwAddr(hw(4)), NOW - 1, None);
    expired.state = LeaseState::Expired;
    all.push(expired);
    let mut declined = lease(5, ClientKey::HwAddr(hw(5)), NOW + 3600, None);
    declined.state = LeaseState::Declined;
    all.push(declined);
    all.push(lease(6, ClientKey::HwAddr(hw(6)), NOW, None)); // ends now: expired

    let text = export::dnsmasq(&all, NOW);
    assert_eq!(text.lines().count(), 3, "{text}");
    let conf =
        "dhcp-range=198.18.0.100,198.18.0.199,255.255.255.0\ndhcp-option=3,198.18.0.1\nport=0\n";
    let back = import(conf, Some(&text)).expect("imports").leases;
    let norm = |mut l: Lease| {
        l.starts = 0;
        l
    };
    assert_eq!(
        back.into_iter().map(norm).collect::<Vec<_>>(),
        bound.into_iter().map(norm).collect::<Vec<_>>(),
        "{text}"
    );
}

/// matchbox's proxy setup: `tag:!ipxe` (a user class: no class key negates it) is carried by
/// class order — the iPXE classes come first, so only clients without the tag reach the
/// others.
#[test]
fn negated_tags_by_class_order() {
    let conf = "\
port=0
dhcp-range=198.18.100.254,proxy,255.255.255.0
dhcp-userclass=set:ipxe,iPXE
pxe-service=tag:#ipxe,x86PC,\"PXE chainload to iPXE\",undionly.kpxe
pxe-service=tag:ipxe,x86PC,\"iPXE\",http://198.18.100.254:8080/boot.ipxe
pxe-service=tag:#ipxe,X86-64_EFI,\"PXE chainload to iPXE UEFI\",ipxe.efi
pxe-service=tag:ipxe,X86-64_EFI,\"iPXE UEFI\",http://198.18.100.254:8080/boot.ipxe
";
    let (i, _cfg, text) = checked(conf);
    assert!(i.report.findings.is_empty(), "{:#?}", i.report.findings);
    let names: Vec<&str> = i.config.classes.iter().map(|c| c.name.as_str()).collect();
    let at = |n: &str| names.iter().position(|x| *x == n).expect(n);
    assert!(at("pxe-arch-0-ipxe") < at("pxe-arch-0"), "{text}");
    assert!(at("pxe-arch-7-ipxe") < at("pxe-arch-7"), "{text}");
    let plain = &i.config.classes[at("pxe-arch-0")];
    assert_eq!(plain.user_class, None);
    assert_eq!(plain.boot_file.as_deref(), Some("undionly.kpxe"));

    // dhcp-boot=tag:!ipxe without a class for the tag's own boot file: reported.
    let (i, _, _) = checked(
        "dhcp-range=198.18.0.10,198.18.0.20,255.255.255.0\ndhcp-option=3,198.18.0.1\nport=0\n\
         dhcp-userclass=set:ipxe,iPXE\ndhcp-boot=tag:!ipxe,undionly.kpxe,,198.18.0.1\n",
    );
    let f: Vec<u32> = i.report.findings.iter().map(|f| f.line).collect();
    assert_eq!(f, vec![5], "{:#?}", i.report.findings);
}

/// `dhcp-option-force`: a class option is always sent anyway; elsewhere the option goes into
/// `[server] always_send`.
#[test]
fn forced_options_are_always_sent() {
    let (i, cfg, text) = checked(
        "dhcp-range=198.18.0.10,198.18.0.20,255.255.255.0\ndhcp-option=3,198.18.0.1\nport=0\n\
         dhcp-option-force=208,f1:00:74:7e\n\
         dhcp-option-force=option:root-path,/srv/root\n\
         dhcp-userclass=set:ipxe,iPXE\n\
         dhcp-option-force=tag:ipxe,209,boot.cfg\n",
    );
    assert!(i.report.findings.is_empty(), "{:#?}", i.report.findings);
    assert_eq!(
        i.config.server.always_send,
        vec!["208".to_string(), "root-path".to_string()]
    );
    assert_eq!(cfg.server.always_send, vec![208, 17], "{text}");
    assert_eq!(i.config.classes[0].options[0].name, "209");
}

/// Options 58/59 become `renewal_time`/`rebinding_time` where Leasehold's checks hold.
#[test]
fn t1_and_t2_become_renewal_and_rebinding_times() {
    let (i, cfg, text) = checked(
        "dhcp-range=set:a,198.18.0.10,198.18.0.20,255.255.255.0,2h\ndhcp-option=3,198.18.0.1\nport=0\n\
         dhcp-option=tag:a,58,30m\n\
         dhcp-option=tag:a,option:T2,1h\n\
         dhcp-option=option:T1,3h\n",
    );
    assert_eq!(i.config.subnets[0].renewal_time, Some(1800), "{text}");
    assert_eq!(i.config.subnets[0].rebinding_time, Some(3600));
    assert_eq!(cfg.subnets.len(), 1);
    let f: Vec<u32> = i.report.findings.iter().map(|f| f.line).collect();
    assert_eq!(
        f,
        vec![6],
        "server T1 3 h is not below the 1 h default lease: {:#?}",
        i.report.findings
    );
}

/// Untagged T1/T2 reach a subnet with its own lease time: dnsmasq sends them to every client,
/// and a Leasehold subnet with a lease time of its own does not inherit the server's timers
/// (the switch-over test saw T1 move from 20 s to 60 s before this).
#[test]
fn server_timers_reach_subnets_with_their_own_lease_time() {
    let (i, cfg, text) = checked(
        "dhcp-range=198.18.98.100,198.18.98.105,255.255.255.0,120\nport=0\n\
         dhcp-option=3,198.18.98.1\ndhcp-option=6,198.18.98.1\n\
         dhcp-option=option:T1,20\ndhcp-option=option:T2,90\n",
    );
    assert!(i.report.findings.is_empty(), "{:#?}", i.report.findings);
    assert_eq!(i.config.subnets[0].lease_time, Some(120), "{text}");
    assert_eq!(i.config.subnets[0].renewal_time, Some(20), "{text}");
    assert_eq!(i.config.subnets[0].rebinding_time, Some(90), "{text}");
    assert_eq!(cfg.subnets[0].lease.renewal_time, Some(20));
    assert_eq!(cfg.subnets[0].lease.rebinding_time, Some(90));
}
