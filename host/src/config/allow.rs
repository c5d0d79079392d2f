//! Hosts a plugin's HTTP requests may go to (`[[guild.plugin]] http_allow`): a name or an IP
//! address, with an optional port. Listing an address is how an operator allows a loopback or
//! private one (e.g. the FiveM server on the same machine); a name never reaches one.

use std::fmt;
use std::net::IpAddr;

/// One entry of `http_allow`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AllowedHost {
    /// The host.
    pub host: HostName,
    /// The port; none means the scheme's default (80 or 443).
    pub port: Option<u16>,
}

/// A host by name or by address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum HostName {
    /// A DNS name, lowercase.
    Name(String),
    /// An address, listed explicitly.
    Address(IpAddr),
}

impl AllowedHost {
    /// Parses `api.example.com`, `example.com:8080`, `127.0.0.1:30120` or `[::1]:8080`.
    pub fn parse(entry: &str) -> Result<Self, String> {
        let entry = entry.trim();
        if entry.contains("://") || entry.contains('/') {
            return Err(format!(
                "{entry:?}: give a host and an optional port (e.g. \"127.0.0.1:30120\"), not a URL"
            ));
        }
        let (host, port) = if let Some(rest) = entry.strip_prefix('[') {
            let (address, after) = rest
                .split_once(']')
                .ok_or_else(|| format!("{entry:?}: an IPv6 address closes with ']'"))?;
            let port = match after {
                "" => None,
                p => Some(
                    p.strip_prefix(':')
                        .ok_or_else(|| format!("{entry:?}: ':' before the port"))?,
                ),
            };
            (address, port)
        } else if entry.matches(':').count() > 1 {
            (entry, None) // a bare IPv6 address
        } else {
            match entry.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (entry, None),
            }
        };
        let port = port
            .map(|p| {
                p.parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| format!("{entry:?}: the port must be 1-65535"))
            })
            .transpose()?;
        let host = match host.parse::<IpAddr>() {
            Ok(address) => HostName::Address(address),
            Err(_) => {
                let name = host.to_ascii_lowercase();
                let valid = !name.is_empty()
                    && name.len() <= 253
                    && name.split('.').all(|label| {
                        !label.is_empty()
                            && label.len() <= 63
                            && label
                                .bytes()
                                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    });
                if !valid {
                    return Err(format!("{entry:?} is not a host name or an IP address"));
                }
                HostName::Name(name)
            }
        };
        Ok(Self { host, port })
    }

    /// Whether a request to `host` (as in the URL, lowercase) on `port` (`default` being the
    /// scheme's) is allowed by this entry.
    pub fn allows(&self, host: &str, port: u16, default: u16) -> bool {
        let host_matches = match &self.host {
            HostName::Name(name) => name.eq_ignore_ascii_case(host),
            HostName::Address(address) => host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .is_ok_and(|a| a == *address),
        };
        host_matches && self.port.unwrap_or(default) == port
    }
}

impl fmt::Display for AllowedHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.host, self.port) {
            (HostName::Name(n), None) => write!(f, "{n}"),
            (HostName::Name(n), Some(p)) => write!(f, "{n}:{p}"),
            (HostName::Address(IpAddr::V6(a)), None) => write!(f, "[{a}]"),
            (HostName::Address(IpAddr::V6(a)), Some(p)) => write!(f, "[{a}]:{p}"),
            (HostName::Address(a), None) => write!(f, "{a}"),
            (HostName::Address(a), Some(p)) => write!(f, "{a}:{p}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries() {
        for (entry, shown) in [
            ("API.example.com", "api.example.com"),
            ("example.com:8080", "example.com:8080"),
            ("127.0.0.1:30120", "127.0.0.1:30120"),
            ("[::1]:8080", "[::1]:8080"),
            ("::1", "[::1]"),
        ] {
            assert_eq!(AllowedHost::parse(entry).unwrap().to_string(), shown);
        }
        for bad in [
            "http://x.com",
            "x.com/path",
            "x.com:0",
            "x.com:99999",
            "",
            "a..b",
            "under_score.com",
            "[::1",
            "[::1]8080",
        ] {
            assert!(AllowedHost::parse(bad).is_err(), "{bad}");
        }
        let fivem = AllowedHost::parse("127.0.0.1:30120").unwrap();
        assert!(fivem.allows("127.0.0.1", 30120, 80));
        assert!(!fivem.allows("127.0.0.1", 80, 80));
        let site = AllowedHost::parse("example.com").unwrap();
        assert!(site.allows("example.com", 443, 443));
        assert!(!site.allows("example.com", 8443, 443));
        assert!(!site.allows("evil-example.com", 443, 443));
    }
}
