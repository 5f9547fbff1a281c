//! Options 58 and 59 (T1, T2) as `renewal_time` / `rebinding_time`, within Leasehold's checks.

use super::*;

impl Builder {
    /// Options 58 and 59 (T1, T2) → `renewal_time` / `rebinding_time` of the server or a
    /// subnet, when Leasehold's checks (T1 < T2 < lease time) hold.
    pub(super) fn timer(&mut self, l: &OptLine) -> Result<(), String> {
        let what = if l.code == 58 {
            "T1 (renewal_time)"
        } else {
            "T2 (rebinding_time)"
        };
        let [arg] = l.args.as_slice() else {
            return Err(format!("{what}: expected one time in seconds"));
        };
        let secs =
            duration(&arg.text).ok_or_else(|| format!("{what}: {:?} is not a time", arg.text))?;
        let targets = self
            .tags
            .resolve(&l.tags, &l.origin, &mut self.plan.classes)?;
        let before = self.plan.clone();
        for t in targets {
            let slot = match t {
                Target::Server if l.code == 58 => &mut self.plan.server.renewal_time,
                Target::Server => &mut self.plan.server.rebinding_time,
                Target::Subnet(s) if l.code == 58 => &mut self.plan.subnets[s].renewal_time,
                Target::Subnet(s) => &mut self.plan.subnets[s].rebinding_time,
                _ => {
                    self.plan = before;
                    return Err(format!(
                        "{what} for a pool, host or class has no Leasehold form (the server and \
                         subnets have one)"
                    ));
                }
            };
            *slot = Some(secs);
            if t == Target::Server {
                // A subnet with its own lease time does not inherit the server's T1/T2 in
                // Leasehold (it would get half and 87.5 % of its lease): dnsmasq sends the
                // option to every client, so the subnets with a lease time get it too.
                for s in self
                    .plan
                    .subnets
                    .iter_mut()
                    .filter(|s| s.lease_time.is_some())
                {
                    let own = if l.code == 58 {
                        &mut s.renewal_time
                    } else {
                        &mut s.rebinding_time
                    };
                    own.get_or_insert(secs);
                }
            }
        }
        if let Err(why) = timers_valid(&self.plan) {
            self.plan = before;
            return Err(format!("{what} not carried over: {why}"));
        }
        Ok(())
    }
}

/// A time in seconds, with an optional `s`/`m`/`h`/`d`/`w` unit.
fn duration(t: &str) -> Option<u32> {
    let (digits, factor) = match t.char_indices().last()? {
        (i, 'w' | 'W') => (&t[..i], 604_800u64),
        (i, 'd' | 'D') => (&t[..i], 86_400),
        (i, 'h' | 'H') => (&t[..i], 3_600),
        (i, 'm' | 'M') => (&t[..i], 60),
        (i, 's' | 'S') => (&t[..i], 1),
        _ => (t, 1),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    u32::try_from(digits.parse::<u64>().ok()?.checked_mul(factor)?).ok()
}

/// Leasehold's checks of T1 and T2 (crates/engine/src/config/validate.rs, `policy`): both
/// below the lease time, T1 (default half the lease) below T2; a subnet inherits the server's
/// T1/T2 only when it inherits its lease time too.
fn timers_valid(plan: &ConfigPlan) -> Result<(), String> {
    pub(super) fn check(lease: u32, t1: Option<u32>, t2: Option<u32>) -> Result<(), String> {
        if let Some(t1) = t1 {
            if t1 >= lease {
                return Err(format!("T1 {t1} s is not below the lease time {lease} s"));
            }
        }
        if let Some(t2) = t2 {
            if t2 >= lease {
                return Err(format!("T2 {t2} s is not below the lease time {lease} s"));
            }
            let t1 = t1.unwrap_or(lease / 2);
            if t1 >= t2 {
                return Err(format!("T1 {t1} s is not below T2 {t2} s"));
            }
        }
        Ok(())
    }
    let server = &plan.server;
    let lease = server.lease_time.unwrap_or(3600);
    check(lease, server.renewal_time, server.rebinding_time)?;
    for s in &plan.subnets {
        let (lease, t1, t2) = match s.lease_time {
            Some(l) => (l, s.renewal_time, s.rebinding_time),
            None => (
                lease,
                s.renewal_time.or(server.renewal_time),
                s.rebinding_time.or(server.rebinding_time),
            ),
        };
        check(lease, t1, t2).map_err(|e| format!("in subnet {}: {e}", s.net))?;
    }
    Ok(())
}
