//! The plain page: every message as escaped text, with no markdown, highlighting or grouping.
//! A close falls back to it when the full renderer fails or runs too long, so the ticket still
//! ends with every message kept (see [`super::render_bounded`]).

use maud::{html, PreEscaped, DOCTYPE};

use super::markdown::is_web_url;
use super::page::{self, Page, SCRIPT, STYLE};

/// Renders `page` as plain text: the same header, styles and script (the same CSP applies),
/// each message's author, time, text, embeds and files as they were written.
pub fn render(page: &Page, notice: &str) -> String {
    let doc = html! {
        (DOCTYPE)
        html lang=(page.lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                meta name="robots" content="noindex";
                link rel="icon" href="data:,";
                title { (page.title) " · " (page.guild) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    div.bar {
                        h1 { (page.title) }
                        div.tools {
                            input #search type="search" placeholder=(page.texts.search) aria-label=(page.texts.search);
                            span #hits {}
                            button #theme type="button" title=(page.texts.theme) { "◐" }
                        }
                    }
                    p.guild { (page.guild) }
                    p.tag { (notice) }
                    dl {
                        @for fact in &page.facts {
                            dt { (fact.label) }
                            dd { (fact.value) }
                        }
                    }
                    @if !page.notes.is_empty() {
                        h2 { (page.texts.notes) }
                        @for note in &page.notes {
                            div.note {
                                span.author { (note.title) }
                                div.content { p { (note.body) } }
                            }
                        }
                    }
                }
                main #messages {
                    h2 { (page.texts.messages) }
                    @if page.messages.is_empty() { p { (page.texts.empty) } }
                    @for m in &page.messages {
                        article id=(format!("m{}", m.id)) class=(if m.deleted { "msg deleted" } else { "msg" }) {
                            div.head {
                                span.author { (m.author.name) }
                                (page::time(&m.sent_at, 'f'))
                            }
                            div.body {
                                div.content { p { (m.content) } }
                                @if m.deleted { span.tag.del { (page.texts.deleted) } }
                                @for embed in &m.embeds {
                                    div.embed {
                                        @for text in [&embed.author, &embed.title, &embed.description, &embed.footer].into_iter().flatten() {
                                            div.content { p { (text) } }
                                        }
                                        @for (name, value, _) in &embed.fields {
                                            div.content { p { (name) ": " (value) } }
                                        }
                                    }
                                }
                                @for file in &m.attachments {
                                    div.file {
                                        span { "📎 " }
                                        @match file.local.as_deref().or(file.url.as_deref().filter(|u| is_web_url(u))) {
                                            Some(url) => a href=(url) rel="noopener noreferrer nofollow" target="_blank" { (file.filename) },
                                            None => span { (file.filename) },
                                        }
                                        span.size { " " (page::size(file.size)) }
                                    }
                                }
                            }
                        }
                    }
                }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    };
    doc.into_string()
}
