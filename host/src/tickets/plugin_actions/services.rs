//! What a plugin may ask of the host while it runs (storage, member roles, HTTP), answered from
//! the store, Discord and the network on the plugin's (blocking) thread, each within its time.

use std::sync::Arc;
use std::time::Duration;

use crate::plugins::contract::{HttpRequest, HttpResponse};
use crate::plugins::{http, HostServices};
use crate::rest::DiscordApi;
use crate::store::Store;

/// The host's answers for one plugin call.
pub struct Services {
    pub store: Store,
    pub discord: Arc<dyn DiscordApi>,
    pub runtime: tokio::runtime::Handle,
    /// Where the plugin's HTTP requests may go in this guild.
    pub http_allow: Arc<[crate::config::AllowedHost]>,
}

impl HostServices for Services {
    fn get(
        &self,
        guild: u64,
        plugin: &str,
        key: &str,
        within: Duration,
    ) -> Result<Option<String>, String> {
        let read = tokio::time::timeout(within, self.store.plugin_get(guild, plugin, key));
        match self.runtime.block_on(read) {
            Ok(found) => found.map_err(|e| e.to_string()),
            Err(_) => Err(format!(
                "the database did not answer within {} ms",
                within.as_millis()
            )),
        }
    }

    fn member_roles(
        &self,
        guild: u64,
        user: u64,
        within: Duration,
    ) -> Result<Option<Vec<u64>>, String> {
        let read = tokio::time::timeout(within, self.discord.member_roles(guild, user));
        match self.runtime.block_on(read) {
            Ok(found) => found.map_err(|e| e.to_string()),
            Err(_) => Err(format!(
                "Discord did not answer within {} ms",
                within.as_millis()
            )),
        }
    }

    fn http(
        &self,
        guild: u64,
        plugin: &str,
        request: &HttpRequest,
    ) -> Result<HttpResponse, String> {
        let answer = self.runtime.block_on(http::fetch(
            &self.http_allow,
            request,
            &http::Limits::default(),
        ));
        if let Err(error) = &answer {
            tracing::info!(guild, plugin, url = %request.url, %error, "a plugin's HTTP request was refused or failed");
        }
        answer.map_err(|e| e.to_string())
    }
}
