//! ARP cache insertion (`SIOCSARP`), the one place in Leasehold that needs `unsafe`.
//!
//! A client that has no address yet cannot answer ARP for the address it is being offered, so a
//! unicast reply to `yiaddr` would stall in the kernel waiting for an ARP reply. Inserting the
//! entry `yiaddr → chaddr` on the arrival interface first lets the kernel send the frame straight
//! to the client's MAC, which is what RFC 2131 §4.1 asks for when the broadcast bit is clear.
//! ISC dhcpd and dnsmasq do the same. It needs `CAP_NET_ADMIN`.
#![allow(unsafe_code)]

use std::io;
use std::net::Ipv4Addr;
use std::os::fd::AsRawFd;

/// Completed entry (`ATF_COM` from `<net/if_arp.h>`, missing from `libc`). Without `ATF_PERM`
/// the kernel makes a normal reachable entry that ages out as usual.
const ATF_COM: libc::c_int = 0x02;

// Generates `unsafe fn siocsarp(fd, *const arpreq)`: the plain `ioctl(fd, SIOCSARP, req)`.
nix::ioctl_write_ptr_bad!(siocsarp, libc::SIOCSARP, libc::arpreq);

/// Maximum interface name length including the trailing NUL (`IFNAMSIZ`).
const IFNAMSIZ: usize = 16;

/// Builds the request; split out so it can be tested without privileges.
fn request(ip: Ipv4Addr, mac: [u8; 6], iface: &str) -> io::Result<libc::arpreq> {
    let name = iface.as_bytes();
    if name.is_empty() || name.len() >= IFNAMSIZ || name.contains(&0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "bad interface name",
        ));
    }
    // struct sockaddr_in laid over struct sockaddr: family, then port (2 bytes), then address.
    let mut pa = [0 as libc::c_char; 14];
    for (d, s) in pa[2..6].iter_mut().zip(ip.octets()) {
        *d = s as libc::c_char;
    }
    let mut ha = [0 as libc::c_char; 14];
    for (d, s) in ha.iter_mut().zip(mac) {
        *d = s as libc::c_char;
    }
    let mut dev = [0 as libc::c_char; IFNAMSIZ];
    for (d, s) in dev.iter_mut().zip(name) {
        *d = *s as libc::c_char;
    }
    Ok(libc::arpreq {
        arp_pa: libc::sockaddr {
            sa_family: libc::AF_INET as libc::sa_family_t,
            sa_data: pa,
        },
        arp_ha: libc::sockaddr {
            sa_family: libc::ARPHRD_ETHER,
            sa_data: ha,
        },
        arp_flags: ATF_COM,
        arp_netmask: libc::sockaddr {
            sa_family: 0,
            sa_data: [0; 14],
        },
        arp_dev: dev,
    })
}

/// Inserts (or replaces) the ARP entry `ip → mac` on interface `iface`, using `sock` (any
/// AF_INET socket) for the ioctl. Fails with `EPERM` without `CAP_NET_ADMIN`.
pub(crate) fn set_entry(
    sock: &impl AsRawFd,
    ip: Ipv4Addr,
    mac: [u8; 6],
    iface: &str,
) -> io::Result<()> {
    let req = request(ip, mac, iface)?;
    // SAFETY: `sock` is an open socket for the duration of the call, `req` is a fully
    // initialised `struct arpreq` that lives on our stack across the call, and SIOCSARP only
    // reads from the pointer (it is an ioctl that *sets* an entry).
    unsafe { siocsarp(sock.as_raw_fd(), &req) }
        .map(drop)
        .map_err(io::Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_layout() {
        let r =
            request(Ipv4Addr::new(198, 18, 0, 100), [2, 0, 0, 0, 0, 1], "veth0").expect("valid");
        assert_eq!(r.arp_pa.sa_family, libc::AF_INET as libc::sa_family_t);
        assert_eq!(
            &r.arp_pa.sa_data[2..6],
            &[198u8 as libc::c_char, 18, 0, 100]
        );
        assert_eq!(r.arp_ha.sa_data[5], 1);
        assert_eq!(
            r.arp_dev[..6],
            [118, 101, 116, 104, 48, 0].map(|b| b as libc::c_char)
        );
        assert!(request(Ipv4Addr::LOCALHOST, [0; 6], "").is_err());
        assert!(request(Ipv4Addr::LOCALHOST, [0; 6], "a-very-long-name0").is_err());
    }
}
