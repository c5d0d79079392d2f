//! A budget of transcript lookups that find nothing, per client address: link guessing is
//! slowed to a crawl while every real link (a hit) is served without limit.
//!
//! A token bucket per address (IPv6 by its /64, the block one subscriber usually holds). Hand
//! written rather than taken from a rate-limiting crate because the server must *ask* before
//! a lookup ("is this client still allowed to guess?") and *charge* only after it (the lookup
//! missed); keyed limiters such as governor's charge on every check.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// At most this many addresses are tracked; beyond it, addresses with a full budget (nothing
/// to remember) are forgotten first.
const MAX_CLIENTS: usize = 100_000;

/// The per-address budgets.
pub struct MissBudget {
    per_minute: f64,
    clients: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Clone, Copy)]
struct Bucket {
    left: f64,
    at: Instant,
}

/// The key of a client: its address, or the /64 block of an IPv6 one.
pub(super) fn key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(bits.into())
            }
        },
        v4 => v4,
    }
}

impl MissBudget {
    /// `per_minute` misses per address and minute, in a burst of as many.
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute: f64::from(per_minute.max(1)),
            clients: Mutex::default(),
        }
    }

    fn refilled(&self, bucket: Bucket, now: Instant) -> Bucket {
        let gained = now.duration_since(bucket.at).as_secs_f64() * self.per_minute / 60.0;
        Bucket {
            left: (bucket.left + gained).min(self.per_minute),
            at: now,
        }
    }

    /// Charges a miss to `ip` before its lookup, if it may still look one up (otherwise how
    /// long until it may): checked and charged at once, so however long lookups take,
    /// concurrent requests cannot pass the budget between a check and its charge. A lookup
    /// that finds something gives it back ([`MissBudget::refund`]).
    pub fn take(&self, ip: IpAddr) -> Result<(), Duration> {
        let now = Instant::now();
        // A poisoned lock means a panic mid-update of plain numbers: the map is still usable.
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if clients.len() >= MAX_CLIENTS {
            let full = self.per_minute;
            clients.retain(|_, b| self.refilled(*b, now).left < full);
        }
        let fresh = Bucket {
            left: self.per_minute,
            at: now,
        };
        let bucket = clients.entry(key(ip)).or_insert(fresh);
        *bucket = self.refilled(*bucket, now);
        if bucket.left < 1.0 {
            return Err(Duration::from_secs_f64(
                (1.0 - bucket.left) * 60.0 / self.per_minute,
            ));
        }
        bucket.left -= 1.0;
        Ok(())
    }

    /// Gives back a miss [`MissBudget::take`] charged: the lookup found a page (or could not
    /// be made).
    pub fn refund(&self, ip: IpAddr) {
        let now = Instant::now();
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(bucket) = clients.get_mut(&key(ip)) {
            *bucket = self.refilled(*bucket, now);
            bucket.left = (bucket.left + 1.0).min(self.per_minute);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_refill_rate() {
        let budget = MissBudget::new(3);
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        for _ in 0..3 {
            assert!(budget.take(ip).is_ok());
        }
        let wait = budget.take(ip).unwrap_err();
        assert!(wait > Duration::from_secs(15) && wait <= Duration::from_secs(20));
        // A lookup that found its page gives its charge back.
        budget.refund(ip);
        assert!(budget.take(ip).is_ok());
        assert!(budget.take(ip).is_err());
        // Others are not affected; one /64 is one client.
        assert!(budget.take("203.0.113.8".parse().unwrap()).is_ok());
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        for _ in 0..3 {
            budget.take(a).unwrap();
        }
        assert!(budget.take(b).is_err());
        assert!(budget.take("2001:db8:1:3::1".parse().unwrap()).is_ok());
    }
}
