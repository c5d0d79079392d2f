//! Rendering transcripts of 1k, 10k and 100k synthetic messages of a realistic mix (markdown,
//! mentions, embeds, attachments, replies, code): CPU time, peak heap and output size, raw and
//! gzip-compressed as stored.
//!
//! Run: `cargo bench -p ticketbot --bench transcript_render`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{json, Value};
use ticketbot::locale::{texts_for, Locale};
use ticketbot::transcript::model::Names;

/// Counts live heap bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        ptr
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// CPU time of this thread.
fn cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid clock id and a valid out pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

const TEXTS: &[&str] = &[
    "Hello, I lost my **car** and two weapons after the server crashed at <t:1763633000:t>.",
    "Can you check the logs? My id is `4711` and I was near *Legion Square*.",
    "<@100> please send a screenshot of your inventory ||and the bank||.",
    "Rules are in <#300>; ask <@&400> if you need an admin.",
    "> I was driving to the garage\nand then it froze",
    "- 1x Sultan RS\n- 2x pistol\n  - with ammo\n- 500 cash",
    "```lua\nlocal veh = GetVehiclePedIsIn(PlayerPedId(), false) -- current car\nprint(veh)\n```",
    "See https://docs.fivem.net/docs/ and [the wiki](https://wiki.example.org/page).",
    "ok",
    "__Approved__ by staff, thanks for waiting ~~forever~~ :)",
];

fn message(i: usize) -> Value {
    let author = [100u64, 200, 201, 900][i % 4];
    let mut m = json!({
        "id": (10_000 + i).to_string(),
        "type": 0,
        "timestamp": format!("2026-11-20T{:02}:{:02}:{:02}+00:00", (i / 3600) % 24, (i / 60) % 60, i % 60),
        "author": {"id": author.to_string(), "username": format!("user{author}"), "bot": author == 900},
        "content": TEXTS[i % TEXTS.len()],
    });
    if i.is_multiple_of(7) {
        m["embeds"] = json!([{"title": format!("Item return #{i}"), "description": "• 2x **pistol**\n• 1x phone", "color": 15774258,
            "fields": [{"name": "Recipient", "value": "4711", "inline": true}, {"name": "Ticket", "value": "#7", "inline": true}]}]);
    }
    if i.is_multiple_of(11) {
        m["attachments"] = json!([{"id": "1", "filename": format!("screenshot-{i}.png"), "size": 204_800 + i, "content_type": "image/png",
            "url": format!("https://cdn.discordapp.com/attachments/1/{i}/screenshot.png")}]);
    }
    if i.is_multiple_of(5) && i > 0 {
        m["type"] = json!(19);
        m["message_reference"] = json!({"message_id": (10_000 + i - 1).to_string()});
    }
    m
}

fn main() {
    let names = Names::from_json(
        &json!({"users": {"100": "Vic", "200": "Officer", "201": "Lucia", "900": "ticketbot"},
        "roles": {"400": "Administração"}, "channels": {"300": "regras"}}),
    );
    let texts = texts_for(Locale::En, &Default::default());
    println!(
        "transcript render benchmark (one thread; peak = heap during the render, input excluded)"
    );
    for count in [1_000usize, 10_000, 100_000] {
        let messages = Value::Array((0..count).map(message).collect());
        let mut best = Duration::MAX;
        let mut peak = 0;
        let mut sizes = (0, 0);
        let runs = if count >= 100_000 { 2 } else { 5 };
        for _ in 0..runs {
            let before = LIVE.load(Ordering::Relaxed);
            PEAK.store(before, Ordering::Relaxed);
            let start = cpu_time();
            let page =
                ticketbot::transcript::render_offline(&messages, &names, "Ticket #7", &texts, "en")
                    .unwrap();
            let elapsed = cpu_time() - start;
            peak = PEAK.load(Ordering::Relaxed) - before;
            best = best.min(elapsed);
            sizes = (page.len(), ticketbot::transcript::compress(&page).len());
        }
        println!(
            "{count:>7} messages: CPU {:>9.1?} (best of {runs}), peak heap {:>7.1} MB, page {:>7.1} MB, gzip {:>7.0} KB",
            best,
            peak as f64 / 1e6,
            sizes.0 as f64 / 1e6,
            sizes.1 as f64 / 1e3
        );
    }
}
