//! Outbound HTTP for plugins against a real server on loopback: an allowed host answers; an
//! unlisted host or port, a name that resolves to a private address, a redirect off the list,
//! an oversized or slow response, another method or scheme are refused with a clear reason.

use std::time::Duration;

use ticketbot::config::AllowedHost;
use ticketbot::plugins::contract::HttpRequest;
use ticketbot::plugins::http::{fetch, HttpError, Limits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A small HTTP/1.1 server: `/ok` answers, `/big` sends a large body (declared), `/stream`
/// a large one without a length, `/slow` waits, `/to-other` redirects to `other` (another
/// port), `/to-ok` redirects to `/ok`.
async fn server(other: u16) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 4096];
                let n = socket.read(&mut buffer).await.unwrap_or(0);
                let request = String::from_utf8_lossy(&buffer[..n]).into_owned();
                let path = request.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let reply = match path.as_str() {
                    "/ok" => "HTTP/1.1 200 OK\r\ncontent-length: 20\r\nconnection: close\r\n\r\n{\"players\":[\"vic\"]}\n".to_owned(),
                    "/big" => format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}", 300_000, "x".repeat(300_000)),
                    "/stream" => format!("HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n{}", "y".repeat(300_000)),
                    "/slow" => {
                        tokio::time::sleep(Duration::from_secs(3)).await;
                        "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok".to_owned()
                    }
                    "/to-other" => format!("HTTP/1.1 302 Found\r\nlocation: http://127.0.0.1:{other}/ok\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"),
                    "/to-ok" => "HTTP/1.1 301 Moved\r\nlocation: /ok\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_owned(),
                    _ => "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_owned(),
                };
                let _ = socket.write_all(reply.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    port
}

fn get(url: String) -> HttpRequest {
    HttpRequest {
        method: "GET".into(),
        url,
        headers: vec![],
        body: None,
    }
}

fn allow(entries: &[String]) -> Vec<AllowedHost> {
    entries
        .iter()
        .map(|e| AllowedHost::parse(e).unwrap())
        .collect()
}

#[tokio::test]
async fn only_the_allow_list_is_reached_within_the_limits() {
    let other = server(0).await;
    let port = server(other).await;
    let listed = allow(&[format!("127.0.0.1:{port}")]);
    let limits = Limits::default();

    let answer = fetch(
        &listed,
        &get(format!("http://127.0.0.1:{port}/ok")),
        &limits,
    )
    .await
    .unwrap();
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (200, "{\"players\":[\"vic\"]}\n")
    );

    // A redirect within the list is followed; one off it is refused.
    let answer = fetch(
        &listed,
        &get(format!("http://127.0.0.1:{port}/to-ok")),
        &limits,
    )
    .await
    .unwrap();
    assert_eq!(answer.status, 200);
    let off = fetch(
        &listed,
        &get(format!("http://127.0.0.1:{port}/to-other")),
        &limits,
    )
    .await;
    assert!(
        matches!(&off, Err(HttpError::NotAllowed(h)) if *h == format!("127.0.0.1:{other}")),
        "{off:?}"
    );

    // Another port, another address, another scheme, another method.
    for (request, expected) in [
        (
            get(format!("http://127.0.0.1:{other}/ok")),
            "not on this guild's http_allow list",
        ),
        (
            get(format!("http://127.0.0.2:{port}/ok")),
            "not on this guild's http_allow list",
        ),
        (
            get(format!("ftp://127.0.0.1:{port}/ok")),
            "only http:// and https://",
        ),
        (
            HttpRequest {
                method: "DELETE".into(),
                ..get(format!("http://127.0.0.1:{port}/ok"))
            },
            "use GET or POST",
        ),
        (get("not a url".into()), "not a URL"),
    ] {
        let refused = fetch(&listed, &request, &limits).await.unwrap_err();
        assert!(refused.to_string().contains(expected), "{refused}");
    }

    // A name that resolves to loopback is refused even when listed: list the address.
    let by_name = allow(&[format!("localhost:{port}")]);
    let refused = fetch(
        &by_name,
        &get(format!("http://localhost:{port}/ok")),
        &limits,
    )
    .await
    .unwrap_err();
    assert!(matches!(refused, HttpError::NotPublic { .. }), "{refused}");
    assert!(refused.to_string().contains("list the address itself"));

    // Too large, declared or not; too slow.
    for path in ["big", "stream"] {
        let refused = fetch(
            &listed,
            &get(format!("http://127.0.0.1:{port}/{path}")),
            &limits,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(refused, HttpError::TooLarge(_)),
            "{path}: {refused}"
        );
    }
    let quick = Limits {
        timeout: Duration::from_millis(500),
        ..Limits::default()
    };
    let refused = fetch(
        &listed,
        &get(format!("http://127.0.0.1:{port}/slow")),
        &quick,
    )
    .await
    .unwrap_err();
    assert!(matches!(refused, HttpError::Timeout(_)), "{refused}");
}
