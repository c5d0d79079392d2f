//! The markdown renderer on hostile input: runs of every character that opens a construct,
//! and deeply nested lists, at 4 KB, 64 KB and 1 MB. Linear parsing shows as a flat time per
//! byte across the sizes. Also a whole ticket of 500 messages of 4,000 `[` (the acceptance
//! run's worst case).
//!
//! Run: `cargo bench -p ticketbot --bench markdown_pathological`.

use std::time::{Duration, Instant};

use serde_json::json;
use ticketbot::locale::{texts_for, Locale};
use ticketbot::transcript::markdown;
use ticketbot::transcript::model::Names;
use ticketbot::transcript::page;

/// Best wall time of `runs` runs of `work`.
fn best(runs: usize, mut work: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

/// `unit` repeated to `size` bytes (whole units).
fn fill(unit: &str, size: usize) -> String {
    unit.repeat(size / unit.len())
}

fn nested_list(size: usize) -> String {
    let mut text = String::new();
    let mut depth = 0;
    while text.len() < size {
        text.push_str(&"  ".repeat(depth % 40));
        text.push_str("- item\n");
        depth += 1;
    }
    text
}

/// Makes a text of about the given size.
type Maker = Box<dyn Fn(usize) -> String>;

fn main() {
    let names = Names::default();
    let cases: Vec<(&str, Maker)> = vec![
        ("[", Box::new(|n| fill("[", n))),
        ("<", Box::new(|n| fill("<", n))),
        ("[a](", Box::new(|n| fill("[a](", n))),
        ("[a](https://x", Box::new(|n| fill("[a](https://x", n))),
        ("|", Box::new(|n| fill("|", n))),
        ("*", Box::new(|n| fill("*", n))),
        ("~", Box::new(|n| fill("~", n))),
        ("_", Box::new(|n| fill("_", n))),
        ("`", Box::new(|n| fill("`", n))),
        ("<@1", Box::new(|n| fill("<@1", n))),
        ("**a", Box::new(|n| fill("**a", n))),
        ("\\Á*", Box::new(|n| fill("\\Á*", n))),
        ("nested lists", Box::new(nested_list)),
        (
            "pt-BR prose",
            Box::new(|n| fill("Olá, **ação** _não_ ~~é~~ ||só|| isso. ", n)),
        ),
    ];
    println!("markdown on pathological input: parse + render of one text, best of 3; ns per byte");
    println!(
        "{:<16} {:>12} {:>12} {:>12}",
        "run of", "4 KB", "64 KB", "1 MB"
    );
    for (name, make) in &cases {
        let mut row = format!("{name:<16}");
        for size in [4 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20] {
            let text = make(size);
            let runs = if size >= 1 << 20 { 3 } else { 10 };
            let time = best(runs, || {
                let html = page::blocks(&markdown::parse(&text), &names).into_string();
                std::hint::black_box(html);
            });
            row.push_str(&format!(
                " {:>9.1}",
                time.as_nanos() as f64 / text.len() as f64
            ));
        }
        println!("{row}");
    }

    let messages: Vec<_> = (0..500)
        .map(|i| {
            json!({"id": (1000 + i).to_string(), "type": 0,
                   "timestamp": "2026-11-20T10:00:00+00:00",
                   "author": {"id": "5", "username": "player"},
                   "content": "[".repeat(4000)})
        })
        .collect();
    let messages = serde_json::Value::Array(messages);
    let texts = texts_for(Locale::PtBr, &Default::default());
    let time = best(3, || {
        let page =
            ticketbot::transcript::render_offline(&messages, &names, "T", &texts, "pt-BR").unwrap();
        std::hint::black_box(page);
    });
    println!("a ticket of 500 messages of 4,000 '[': {time:.1?} (best of 3)");
}
