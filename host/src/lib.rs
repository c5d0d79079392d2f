//! ticketbot: a Discord ticket-support bot for FiveM communities.
//!
//! The host is one process. Data flows from Discord through the edge into the lifecycle and
//! back:
//!
//! - [`discord`]: the only module that knows serenity; converts gateway events into [`event`]
//!   types (handed to the [`event::Lifecycle`]) and implements [`rest::DiscordApi`], sending the
//!   lifecycle's [`ui`] messages, retrying what is transient.
//! - [`tickets`]: the ticket lifecycle (panel, open, close, ...), in the bot's own types; it
//!   implements [`event::Lifecycle`] and calls Discord only through [`rest::DiscordApi`].
//! - [`store`]: the DuckDB file, on its own thread; the only module that knows SQL.
//! - [`web`]: the transcript web server.
//! - [`trial`]: `ticketbot plugin try`, a plugin run through a script without Discord;
//!   [`scaffold`]: `ticketbot plugin new`, a plugin crate of an author's own.
//! - [`self_service`]: a guild's own plugin choices (dashboard and `/plugins`), applied live.
//! - [`config`] and [`locale`]: the checked `config.toml` and the texts in each language;
//!   [`check`]: `ticketbot check`, the config and its plugins checked with file and line.
//! - [`app`] wires these together; `demo` (the default feature `demo`) runs them against the
//!   built-in Discord emulator.
//!
//! See `ARCHITECTURE.md` at the repository root for the full map.

pub mod app;
pub mod capability;
pub mod check;
pub mod config;
#[cfg(feature = "demo")]
pub mod demo;
pub mod discord;
pub mod event;
pub mod guild_settings;
pub mod legacy;
pub mod locale;
pub mod metrics;
pub mod plugins;
pub mod rest;
pub mod scaffold;
pub mod self_service;
pub mod stats;
pub mod store;
pub mod tickets;
pub mod transcript;
pub mod trial;
pub mod ui;
pub mod web;
