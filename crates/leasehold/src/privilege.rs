//! Least privilege: start as root only to bind, then run as an ordinary user with just the
//! network capabilities.
//!
//! Called from `main` **before** the async runtime starts, so every thread the server creates
//! inherits the reduced credentials (capabilities are per thread on Linux; setting them after
//! worker threads exist would leave those threads with none). Steps, when running as root with
//! `[server] user` set:
//!
//! 1. `PR_SET_KEEPCAPS` so the permitted set survives the change of user;
//! 2. `setgroups([gid])`, `setgid(gid)`, `setuid(uid)` (the user's primary group);
//! 3. permitted = effective = [`KEPT`], inheritable and ambient emptied; keep-caps cleared.
//!
//! The lease database is opened afterwards, so it must be writable by that user (systemd's
//! `StateDirectory=` does this). Running without root at all works too: give the binary the
//! capabilities with `setcap cap_net_bind_service,cap_net_admin,cap_net_raw+ep` (see
//! `docs/security.md`).

use anyhow::{bail, Context};
use caps::{CapSet, Capability, CapsHashSet};
use nix::unistd::{Gid, Uid, User};
use tracing::{info, warn};

/// Capabilities kept after the switch: port 67/68 (`CAP_NET_BIND_SERVICE`), `SO_BINDTODEVICE`
/// for probes (`CAP_NET_RAW`), ARP entries for unicast to address-less clients
/// (`CAP_NET_ADMIN`).
pub const KEPT: [Capability; 3] = [
    Capability::CAP_NET_BIND_SERVICE,
    Capability::CAP_NET_RAW,
    Capability::CAP_NET_ADMIN,
];

/// Switches to `user` keeping only [`KEPT`] when running as root; logs what it did. Not root:
/// nothing to drop (a configured user is ignored with a notice). Root without `user`: a
/// warning.
pub fn drop_privileges(user: Option<&str>) -> anyhow::Result<()> {
    if !Uid::effective().is_root() {
        if let Some(u) = user {
            info!(user = u, "not started as root: running as the current user");
        }
        return Ok(());
    }
    let Some(name) = user else {
        warn!(
            "running as root: set [server] user = \"leasehold\" to drop privileges after binding"
        );
        return Ok(());
    };
    let u = User::from_name(name)
        .with_context(|| format!("looking up user {name:?}"))?
        .with_context(|| format!("[server] user {name:?} does not exist"))?;
    if u.uid.is_root() {
        bail!("[server] user {name:?} is root; name an unprivileged user");
    }
    caps::securebits::set_keepcaps(true).context("PR_SET_KEEPCAPS")?;
    nix::unistd::setgroups(&[u.gid]).context("setgroups")?;
    nix::unistd::setgid(u.gid).context("setgid")?;
    nix::unistd::setuid(u.uid).context("setuid")?;
    let kept: CapsHashSet = KEPT.into_iter().collect();
    caps::set(None, CapSet::Permitted, &kept).context("capset (permitted)")?;
    caps::set(None, CapSet::Effective, &kept).context("capset (effective)")?;
    caps::clear(None, CapSet::Inheritable).context("capset (inheritable)")?;
    caps::clear(None, CapSet::Ambient).ok();
    caps::securebits::set_keepcaps(false).context("clearing PR_SET_KEEPCAPS")?;
    // Check that root cannot be regained.
    if nix::unistd::setuid(Uid::from_raw(0)).is_ok()
        || nix::unistd::setgid(Gid::from_raw(0)).is_ok()
    {
        bail!("privileges were not dropped: could switch back to root");
    }
    let effective = caps::read(None, CapSet::Effective).context("reading capabilities")?;
    let mut names: Vec<String> = effective.iter().map(|c| c.to_string()).collect();
    names.sort();
    info!(
        user = name,
        uid = u.uid.as_raw(),
        gid = u.gid.as_raw(),
        capabilities = %names.join(","),
        "dropped root privileges"
    );
    Ok(())
}
