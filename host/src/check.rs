//! `ticketbot check`: a config file and every plugin it enables, checked as the bot would load
//! them (the component, its imports, the guild's settings and grants), each finding placed at
//! the file, line and key it is about.

use std::path::Path;

use crate::config::{Config, DashboardSettings};
use crate::plugins::{ComponentCache, LoadProblem, PluginHost};

/// What a check found.
#[derive(Debug)]
pub struct CheckReport {
    /// What keeps the bot (or a plugin in a guild) from running as configured.
    pub problems: Vec<String>,
    /// What runs, but probably not as meant (a capability asked for and not granted).
    pub warnings: Vec<String>,
    /// What was checked, for the line a clean check prints.
    pub summary: String,
    /// What is on or off and why (the dashboard), printed after the findings.
    pub notes: Vec<String>,
}

impl CheckReport {
    /// Whether the file may be used as it is (warnings allowed).
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks the config file at `path` and the plugins it enables. Writes nothing (no plugin
/// cache).
pub fn check(path: &Path) -> CheckReport {
    let config = match Config::load(path) {
        Ok(config) => config,
        Err(error) => {
            return CheckReport {
                problems: error.problems.iter().map(|p| p.to_string()).collect(),
                warnings: Vec::new(),
                summary: path.display().to_string(),
                notes: Vec::new(),
            }
        }
    };
    let locate = |p: &LoadProblem| {
        (p.guild != 0)
            .then(|| {
                config.locate_plugin_problem(
                    path,
                    p.guild,
                    &p.plugin,
                    p.setting.as_deref(),
                    format!("plugin {}: {}", p.plugin, p.message),
                )
            })
            .flatten()
            .map_or_else(|| format!("{}: {p}", path.display()), |l| l.to_string())
    };
    let (problems, warnings) = match PluginHost::load(&config, &ComponentCache::new(None)) {
        Ok((host, problems)) => (
            problems.iter().map(locate).collect(),
            host.warnings().iter().map(locate).collect(),
        ),
        Err(error) => (
            vec![format!(
                "{}: the plugin engine did not start: {error:#}",
                path.display()
            )],
            Vec::new(),
        ),
    };
    let plugins: usize = config.guilds.iter().map(|g| g.plugins.len()).sum();
    let redirect = format!("{}/dashboard/callback", config.web.public_url);
    let notes = vec![match DashboardSettings::from_env() {
        Ok(_) => format!(
            "dashboard: on with `ticketbot run`, at {}/dashboard; the Discord application must list {redirect} as an OAuth2 redirect",
            config.web.public_url
        ),
        Err(missing) => format!(
            "dashboard: off ({missing}); to turn it on, set both from the Discord application's OAuth2 page and add {redirect} as its redirect"
        ),
    }];
    CheckReport {
        notes,
        problems,
        warnings,
        summary: format!(
            "{} guild(s), {plugins} plugin(s) enabled",
            config.guilds.len()
        ),
    }
}
