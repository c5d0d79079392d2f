//! Outbound HTTP for plugins (the `http` capability): one request to a host on the guild's
//! allow-list, through the host, never straight from the sandbox.
//!
//! What is refused: a scheme other than http(s); a host and port not on the list; a name that
//! resolves to a loopback, private, link-local or otherwise non-public address (an operator
//! who means the FiveM server on the same machine lists its address, e.g. `127.0.0.1:30120`;
//! the resolved address is pinned for the connection, so DNS cannot change it in between); a
//! redirect to anywhere not on the list; a response larger than the cap; anything slower than
//! the timeout, redirects included.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::config::{AllowedHost, HostName};
use crate::plugins::contract::{HttpRequest, HttpResponse};

/// The bounds of one request.
#[derive(Clone, Debug)]
pub struct Limits {
    /// The whole exchange, redirects included.
    pub timeout: Duration,
    /// The largest response body.
    pub max_bytes: usize,
    /// Redirects followed (each checked against the list).
    pub max_redirects: u8,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
            max_bytes: 256 * 1024,
            max_redirects: 3,
        }
    }
}

/// Why a request was refused or failed; the plugin gets the sentence.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// Not a URL we could read.
    #[error("not a URL: {0}")]
    BadUrl(String),
    /// Only GET and POST.
    #[error("the method {0:?} is not allowed; use GET or POST")]
    Method(String),
    /// Only http and https.
    #[error("only http:// and https:// URLs")]
    Scheme,
    /// The host and port are not on the list.
    #[error("{0} is not on this guild's http_allow list")]
    NotAllowed(String),
    /// A name resolved to an address that is not public.
    #[error("{host} resolves to {address}, which is not a public address; list the address itself in http_allow to allow it")]
    NotPublic {
        /// The name.
        host: String,
        /// What it resolved to.
        address: IpAddr,
    },
    /// The name did not resolve.
    #[error("cannot resolve {0}")]
    Resolve(String),
    /// Too many redirects.
    #[error("more than {0} redirects")]
    Redirects(u8),
    /// Slower than the timeout.
    #[error("no complete answer within {} s", .0.as_secs_f32())]
    Timeout(Duration),
    /// The body is over the cap.
    #[error("the response is larger than {} KiB", .0 / 1024)]
    TooLarge(usize),
    /// Anything else on the way (connection refused, TLS, a bad header).
    #[error("{0}")]
    Failed(String),
}

/// Makes `request` within `limits`, if `allow` allows it and every redirect.
pub async fn fetch(
    allow: &[AllowedHost],
    request: &HttpRequest,
    limits: &Limits,
) -> Result<HttpResponse, HttpError> {
    match tokio::time::timeout(limits.timeout, exchange(allow, request, limits)).await {
        Ok(answer) => answer,
        Err(_) => Err(HttpError::Timeout(limits.timeout)),
    }
}

async fn exchange(
    allow: &[AllowedHost],
    request: &HttpRequest,
    limits: &Limits,
) -> Result<HttpResponse, HttpError> {
    let mut method = match request.method.to_ascii_uppercase().as_str() {
        "GET" => reqwest::Method::GET,
        "POST" => reqwest::Method::POST,
        other => return Err(HttpError::Method(other.to_owned())),
    };
    let mut body = request.body.clone();
    let mut url =
        reqwest::Url::parse(&request.url).map_err(|e| HttpError::BadUrl(e.to_string()))?;
    let mut redirects = 0u8;
    loop {
        let (host, address) = permitted(allow, &url).await?;
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("ticketbot/", env!("CARGO_PKG_VERSION")));
        if let Some(name) = host {
            // The checked address is the one connected to.
            builder = builder.resolve(&name, address);
        }
        let client = builder
            .build()
            .map_err(|e| HttpError::Failed(e.to_string()))?;
        let mut call = client.request(method.clone(), url.clone());
        for (name, value) in request.headers.iter().take(20) {
            call = call.header(name.as_str(), value.as_str());
        }
        if let Some(body) = &body {
            call = call.body(body.clone());
        }
        let mut response = call
            .send()
            .await
            .map_err(|e| HttpError::Failed(without_url(&e)))?;
        let status = response.status();
        if status.is_redirection() {
            if let Some(location) = response.headers().get(reqwest::header::LOCATION) {
                if redirects == limits.max_redirects {
                    return Err(HttpError::Redirects(limits.max_redirects));
                }
                redirects += 1;
                let location = location
                    .to_str()
                    .map_err(|_| HttpError::BadUrl("an unreadable Location".into()))?;
                url = url
                    .join(location)
                    .map_err(|e| HttpError::BadUrl(e.to_string()))?;
                // As browsers do: after 303 (and 301/302 of a POST) the next request is a GET.
                if status == reqwest::StatusCode::SEE_OTHER
                    || (method == reqwest::Method::POST && matches!(status.as_u16(), 301 | 302))
                {
                    method = reqwest::Method::GET;
                    body = None;
                }
                continue;
            }
        }
        let headers = response
            .headers()
            .iter()
            .take(50)
            .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect();
        if response
            .content_length()
            .is_some_and(|n| n > limits.max_bytes as u64)
        {
            return Err(HttpError::TooLarge(limits.max_bytes));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| HttpError::Failed(without_url(&e)))?
        {
            if bytes.len() + chunk.len() > limits.max_bytes {
                return Err(HttpError::TooLarge(limits.max_bytes));
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok(HttpResponse {
            status: status.as_u16(),
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        });
    }
}

/// Checks `url` against the list; the host name to pin (none for an address) and the address
/// to connect to.
async fn permitted(
    allow: &[AllowedHost],
    url: &reqwest::Url,
) -> Result<(Option<String>, SocketAddr), HttpError> {
    let default = match url.scheme() {
        "http" => 80,
        "https" => 443,
        _ => return Err(HttpError::Scheme),
    };
    let host = url
        .host_str()
        .ok_or_else(|| HttpError::BadUrl("no host".into()))?
        .to_ascii_lowercase();
    let port = url.port().unwrap_or(default);
    let entry = allow
        .iter()
        .find(|entry| entry.allows(&host, port, default))
        .ok_or_else(|| {
            HttpError::NotAllowed(if port == default {
                host.clone()
            } else {
                format!("{host}:{port}")
            })
        })?;
    match &entry.host {
        // Listed by address: allowed whatever range it is in.
        HostName::Address(address) => Ok((None, SocketAddr::new(*address, port))),
        HostName::Name(_) => {
            let found = tokio::net::lookup_host((host.as_str(), port))
                .await
                .map_err(|_| HttpError::Resolve(host.clone()))?;
            let mut first = None;
            for address in found {
                if !is_public(address.ip()) {
                    return Err(HttpError::NotPublic {
                        host: host.clone(),
                        address: address.ip(),
                    });
                }
                first.get_or_insert(address);
            }
            let address = first.ok_or_else(|| HttpError::Resolve(host.clone()))?;
            Ok((Some(host), address))
        }
    }
}

/// Whether `address` is a public, routable one: not loopback, private, link-local, shared,
/// documentation, multicast or unspecified.
pub fn is_public(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8)
        }
    }
}

/// reqwest's error in a few words, without the URL (which may carry a secret in its query).
fn without_url(error: &reqwest::Error) -> String {
    if error.is_connect() {
        return "cannot connect to the server".into();
    }
    if error.is_timeout() {
        return "the server took too long".into();
    }
    let mut text = error.to_string();
    if let Some(url) = error.url() {
        text = text.replace(url.as_str(), "the URL");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::is_public;

    #[test]
    fn public_addresses() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fc00::1",
            "::ffff:127.0.0.1",
            "224.0.0.1",
            "::",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["1.1.1.1", "8.8.8.8", "2606:4700::1111"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }
}
