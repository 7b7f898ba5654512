//! The operator's config file: plugin folders chosen once for every
//! command, beside `--plugins` and `$PLEXUS_PLUGIN_PATH`.
//!
//! It lives with the user's other configuration (`$PLEXUS_CONFIG`, else
//! `$XDG_CONFIG_HOME/plexus/config.toml`, else
//! `~/.config/plexus/config.toml`), never in the working directory: a
//! config found wherever the user `cd`s would be a way to choose plugin
//! folders for them.
//!
//! ```toml
//! [plugins]
//! path = ["/opt/plexus/plugins", "site-plugins"]   # relative: to this file's folder
//! ```

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    plugins: PluginsSection,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PluginsSection {
    /// Plugin folders, in priority order.
    #[serde(default)]
    path: Vec<PathBuf>,
}

/// Where the config file is looked for.
pub fn config_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PLEXUS_CONFIG").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").filter(|p| !p.is_empty()).map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("plexus/config.toml"))
}

/// The plugin folders the config file names (none when there is no file).
/// A file another user could write to is ignored with a warning, as ssh
/// ignores such a config; a file that is ours but wrong is an error.
pub fn plugin_folders() -> anyhow::Result<Vec<PathBuf>> {
    let Some(path) = config_path() else { return Ok(Vec::new()) };
    let Ok(md) = std::fs::metadata(&path) else { return Ok(Vec::new()) };
    if let Err(why) = plexus_registry::check_trusted_file(&path) {
        tracing::warn!("ignoring the config file `{}`: {why}", path.display());
        return Ok(Vec::new());
    }
    if !md.is_file() || md.len() > 1 << 20 {
        anyhow::bail!("config file `{}`: not a regular file of at most 1 MiB", path.display());
    }
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("cannot read config file `{}`", path.display()))?;
    let config: ConfigFile = toml::from_str(&text)
        .map_err(|e| anyhow::anyhow!("config file `{}`: {}", path.display(), e.message().trim()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    Ok(config.plugins.path.into_iter().map(|p| if p.is_absolute() { p } else { base.join(p) }).collect())
}
