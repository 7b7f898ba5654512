//! Packaging: put an artifact beside its manifest with the sha256 filled in,
//! ready to drop into a plugins folder.

use std::path::{Path, PathBuf};

use crate::error::RegistryError;
use crate::manifest::Manifest;
use crate::registry::sha256_file;

/// Copies `artifact` into `out_dir` under the manifest's artifact name and
/// writes the manifest there with its `sha256` set. Both files are written
/// under temporary names and renamed, artifact first, so a watching host
/// never sees a manifest vouching for a half-written artifact.
pub fn pack(manifest_path: &Path, artifact: &Path, out_dir: &Path) -> Result<PathBuf, RegistryError> {
    let io = RegistryError::io;
    let manifest = Manifest::load(manifest_path)?;
    let text = std::fs::read_to_string(manifest_path).map_err(|e| io("read", manifest_path, e))?;
    let sha = sha256_file(artifact).map_err(|e| io("read", artifact, e))?;
    std::fs::create_dir_all(out_dir).map_err(|e| io("create", out_dir, e))?;

    let dest = out_dir.join(&manifest.plugin.artifact);
    // Unique temporary names: two packers of the same plugin (two builds at
    // once) must not rename each other's half-written files.
    let tag = std::process::id();
    let tmp = out_dir.join(format!(".{}.{tag}.partial", manifest.plugin.artifact));
    std::fs::copy(artifact, &tmp).map_err(|e| io("write", &tmp, e))?;
    std::fs::rename(&tmp, &dest).map_err(|e| io("write", &dest, e))?;

    let text = set_sha(&text, &sha);
    let dest_manifest = out_dir.join("plugin.toml");
    let tmp = out_dir.join(format!(".plugin.toml.{tag}.partial"));
    std::fs::write(&tmp, text).map_err(|e| io("write", &tmp, e))?;
    std::fs::rename(&tmp, &dest_manifest).map_err(|e| io("write", &dest_manifest, e))?;
    Ok(dest_manifest)
}

/// Replaces (or adds) the `sha256` line of the `[plugin]` table.
fn set_sha(text: &str, sha: &str) -> String {
    let line = format!("sha256 = \"{sha}\"");
    let mut out: Vec<String> = Vec::new();
    let mut replaced = false;
    let mut in_plugin = false;
    for l in text.lines() {
        let t = l.trim_start();
        if t.starts_with('[') {
            if in_plugin && !replaced {
                out.push(line.clone());
                replaced = true;
            }
            in_plugin = t.starts_with("[plugin]");
        }
        if in_plugin && t.starts_with("sha256") && !replaced {
            out.push(line.clone());
            replaced = true;
            continue;
        }
        out.push(l.to_string());
    }
    if !replaced {
        out.push(line);
    }
    out.join("\n") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_or_adds_sha() {
        let a = "[plugin]\nname = \"x\"\nsha256 = \"\"\n\n[[operator]]\nname = \"y\"\n";
        assert_eq!(set_sha(a, "ab"), "[plugin]\nname = \"x\"\nsha256 = \"ab\"\n\n[[operator]]\nname = \"y\"\n");
        let b = "[plugin]\nname = \"x\"\n[[operator]]\nname = \"y\"\n";
        assert_eq!(set_sha(b, "ab"), "[plugin]\nname = \"x\"\nsha256 = \"ab\"\n[[operator]]\nname = \"y\"\n");
    }
}
