//! The web server under abuse: half-open connections, a slowloris client and a flood of wrong
//! transcript links each leave the server answering other clients and the bot answering
//! Discord. Clients are told apart by address: the abusers use 127.0.0.1, a normal reader
//! 127.0.0.2 (all of 127/8 is loopback).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use ticketbot_e2e::{Harness, WAIT};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

const READER: &str = "127.0.0.2";

fn limits(config: &mut ticketbot::config::Config) {
    config.web.limits.header_timeout = Duration::from_secs(1);
    config.web.limits.max_connections = 500;
    config.web.limits.max_connections_per_client = 50;
    config.web.limits.misses_per_minute = 30;
}

/// A connection from `from` to `to`.
async fn connect_from(from: &str, to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(from.parse().unwrap(), 0))?;
    socket.connect(to).await
}

/// A normal reader's GET of `path`: its status.
async fn read_as_reader(to: SocketAddr, path: &str) -> u16 {
    let client = reqwest::Client::builder()
        .local_address(READER.parse::<IpAddr>().unwrap())
        .timeout(WAIT)
        .build()
        .unwrap();
    client
        .get(format!("http://{to}{path}"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Waits until the server ends `stream` (EOF or reset); true if it did within `WAIT`.
async fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 256];
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            // A 408 or similar before the close is fine; keep reading to the end.
            Ok(Ok(_)) => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_open_and_slowloris_clients_are_cut_off_and_others_are_served() {
    let h = Harness::start_configured("en", |w| w.close_delay_seconds = 0, limits).await;
    let addr = h.bot().web_addr();
    let (channel, welcome) = h.open_ticket(h.world.player, "support").await;

    // A slowloris client dribbles a header byte every 100 ms and never finishes.
    let mut slow = connect_from("127.0.0.3", addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let dribble = tokio::spawn(async move {
        for _ in 0..100 {
            if slow.write_all(b"X").await.is_err() {
                return Some(slow);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Some(slow)
    });

    // 1,000 half-open connections from one address: it keeps at most its share of slots.
    let mut idle = Vec::new();
    for _ in 0..1000 {
        match connect_from("127.0.0.1", addr).await {
            Ok(stream) => idle.push(stream),
            Err(error) => panic!("connect: {error}"),
        }
    }
    // While they are open, others are served and the bot answers Discord.
    assert_eq!(read_as_reader(addr, "/healthz").await, 200);
    let staff = h.emu.user(h.world.staff);
    let claim = ticketbot_e2e::custom_ids(&welcome)
        .concat()
        .into_iter()
        .find(|id| id.starts_with("tb:claim:"))
        .unwrap();
    staff
        .click(ticketbot_e2e::id_of(&welcome), &claim)
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    // Every half-open connection ends: beyond the share at once, the rest at the header
    // timeout.
    for (i, stream) in idle.iter_mut().enumerate() {
        assert!(closed_by_server(stream).await, "connection {i} still open");
    }
    // The slowloris client was cut off although it kept sending.
    let mut slow = dribble.await.unwrap().unwrap();
    assert!(closed_by_server(&mut slow).await, "slowloris still open");
    assert_eq!(read_as_reader(addr, "/healthz").await, 200);
    assert!(h.ticket_in(channel).await.unwrap().claimed_by.is_some());
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_link_flood_is_slowed_and_real_links_and_the_bot_are_not() {
    let h = Harness::start_configured("en", |w| w.close_delay_seconds = 0, limits).await;
    let addr = h.bot().web_addr();
    let (channel, welcome) = h.open_ticket(h.world.player, "support").await;
    let ticket = h.close_by_staff(channel, &welcome, "done").await;
    let real = format!("/api/ticket/{}", h.token(&ticket));
    let (_, welcome) = h.open_ticket(h.world.player, "support").await;

    // 2,000 guesses from one address, 20 at a time.
    let started = std::time::Instant::now();
    let flood = tokio::spawn(async move {
        let client = reqwest::Client::new();
        let mut statuses = std::collections::HashMap::<u16, usize>::new();
        for round in 0..100 {
            let requests = (0..20).map(|i| {
                let client = client.clone();
                async move {
                    let guess = format!("{:032}", round * 20 + i);
                    client
                        .get(format!("http://{addr}/api/ticket/{guess}"))
                        .send()
                        .await
                        .map(|r| r.status().as_u16())
                        .unwrap_or(0)
                }
            });
            for status in futures::future::join_all(requests).await {
                *statuses.entry(status).or_default() += 1;
            }
        }
        statuses
    });
    // Meanwhile the real link is served to its reader, and the bot answers clicks.
    for _ in 0..5 {
        assert_eq!(read_as_reader(addr, &real).await, 200);
    }
    let poke = ticketbot_e2e::custom_ids(&welcome)
        .concat()
        .into_iter()
        .find(|id| id.starts_with("pl:poke:"))
        .unwrap();
    let answer = h
        .emu
        .user(h.world.staff)
        .click(ticketbot_e2e::id_of(&welcome), &poke)
        .unwrap();
    assert_eq!(
        ticketbot_e2e::answer_text(&answer).await,
        "The opener was poked by DM."
    );
    let statuses = flood.await.unwrap();
    // The budget allowed its burst of 30 misses, and half a miss a second after it; the rest
    // were told to wait.
    let refilled = (started.elapsed().as_secs_f64() / 2.0).ceil() as usize + 1;
    let (missed, limited) = (
        statuses.get(&404).copied().unwrap_or(0),
        statuses.get(&429).copied().unwrap_or(0),
    );
    assert!((30..=30 + refilled).contains(&missed), "{statuses:?}");
    assert_eq!(missed + limited, 2000, "{statuses:?}");
    // The guesser's own real link still works from the page cache (hits are never limited).
    let hit = reqwest::get(format!("http://{addr}{real}")).await.unwrap();
    assert_eq!(hit.status(), 200);
    h.finish().await;
}
