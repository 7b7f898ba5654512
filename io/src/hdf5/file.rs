//! Opening an HDF5 file and finding its datasets: by absolute path (with a
//! message listing what the file holds when the path is wrong, and
//! [`read_hdf5`] to read one), or all of them in natural name order, for
//! `plexus inspect`.

use std::io::Read;
use std::path::Path;

use hdf5_metno as h5;
use plexus_plugin_api::Array;

use crate::error::IoError;
use crate::format::{check_magic, Format};
use crate::hdf5::elements::{describe, read_array, Stored};
use crate::hdf5::info::DatasetInfo;
use crate::natural::natural_cmp;

/// Nesting deeper than this is not followed when listing datasets (hard
/// links can make cycles).
const MAX_DEPTH: usize = 32;
/// Dataset names shown in a "not found" message.
const MAX_LISTED: usize = 8;

// ---------------------------------------------------------------- opening

/// Opens `path` for reading after checking its signature, so that a text
/// file named `.h5` is reported as such.
pub(crate) fn open(path: &Path) -> Result<h5::File, IoError> {
    let mut file = crate::format::open_regular(path)?;
    let mut head = Vec::with_capacity(16);
    (&mut file).take(16).read_to_end(&mut head).map_err(|e| IoError::os(path, "read", e))?;
    check_magic(path, Format::Hdf5, &head)?;
    drop(file);
    h5::File::open(path).map_err(|e| opening_error(path, &e.to_string()))
}

/// The error of a file HDF5 cannot open; a cut file is reported as a
/// truncation with the length its superblock declares (HDF5 says
/// `truncated file: eof = N, …, stored_eof = M`).
fn opening_error(path: &Path, why: &str) -> IoError {
    let number = |key: &str| -> Option<u64> {
        let at = why.find(key)? + key.len();
        why[at..].trim_start().split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
    };
    match (why.contains("truncated file"), number("eof ="), number("stored_eof =")) {
        (true, Some(eof), Some(stored)) if stored > eof => IoError::truncated(
            path,
            eof,
            format!("the HDF5 superblock declares {stored} bytes, {} are missing", stored - eof),
        ),
        _ => IoError::malformed(path, None, format!("cannot open as HDF5: {why}")),
    }
}

/// `name` as an absolute path: `exchange/data` → `/exchange/data`.
pub(crate) fn absolute(name: &str) -> String {
    let parts: Vec<&str> = name.split('/').filter(|p| !p.is_empty()).collect();
    format!("/{}", parts.join("/"))
}

/// The dataset at `name`, or an error saying what is there instead.
pub(crate) fn find(file: &h5::File, path: &Path, name: &str) -> Result<h5::Dataset, IoError> {
    let abs = absolute(name);
    let parts: Vec<&str> = abs.split('/').filter(|p| !p.is_empty()).collect();
    let Some((last, groups)) = parts.split_last() else {
        return Err(IoError::dataset(path, &abs, "is the root group, expected a dataset"));
    };
    let mut group: h5::Group = (**file).clone();
    let mut here = String::new();
    for part in groups {
        here = format!("{here}/{part}");
        if !group.link_exists(part) {
            return Err(not_found(file, path, &abs));
        }
        match group.loc_type_by_name(part) {
            Ok(h5::LocationType::Group) => {}
            Ok(_) => return Err(IoError::dataset(path, &abs, format!("not found: `{here}` is not a group"))),
            Err(e) => return Err(IoError::dataset(path, &abs, format!("cannot open `{here}`: {e}"))),
        }
        group = group.group(part).map_err(|e| IoError::dataset(path, &abs, format!("cannot open `{here}`: {e}")))?;
    }
    if !group.link_exists(last) {
        return Err(not_found(file, path, &abs));
    }
    match group.loc_type_by_name(last) {
        Ok(h5::LocationType::Dataset) => {
            group.dataset(last).map_err(|e| IoError::dataset(path, &abs, format!("cannot open: {e}")))
        }
        Ok(h5::LocationType::Group) => Err(IoError::dataset(path, &abs, "is a group, expected a dataset")),
        Ok(_) => Err(IoError::dataset(path, &abs, "is a named datatype, expected a dataset")),
        Err(e) => Err(IoError::dataset(path, &abs, format!("cannot open: {e}"))),
    }
}

fn not_found(file: &h5::File, path: &Path, abs: &str) -> IoError {
    let names: Vec<String> = list_datasets(file).into_iter().map(|(n, _)| n).collect();
    let holds = match names.len() {
        0 => "the file holds no datasets".to_string(),
        n => {
            let shown: Vec<String> = names.iter().take(MAX_LISTED).map(|n| format!("`{n}`")).collect();
            let more = if n > MAX_LISTED { format!(", … ({n} in all)") } else { String::new() };
            format!("the file holds {}{more}", shown.join(", "))
        }
    };
    IoError::dataset(path, abs, format!("not found; {holds}"))
}

/// Every dataset reachable from the root, by absolute path, in name order.
pub(crate) fn list_datasets(file: &h5::File) -> Vec<(String, h5::Dataset)> {
    fn walk(group: &h5::Group, prefix: &str, depth: usize, out: &mut Vec<(String, h5::Dataset)>) {
        let Ok(mut names) = group.member_names() else { return };
        names.sort_by(|a, b| natural_cmp(a, b));
        for name in names {
            let full = format!("{prefix}/{name}");
            match group.loc_type_by_name(&name) {
                Ok(h5::LocationType::Dataset) => {
                    if let Ok(ds) = group.dataset(&name) {
                        out.push((full, ds));
                    }
                }
                Ok(h5::LocationType::Group) if depth < MAX_DEPTH => {
                    if let Ok(g) = group.group(&name) {
                        walk(&g, &full, depth + 1, out);
                    }
                }
                _ => {}
            }
        }
    }
    let mut out = vec![];
    walk(file, "", 0, &mut out);
    out
}

/// Describes every dataset of an open file, for [`inspect`](crate::inspect).
pub(crate) fn describe_datasets(path: &Path) -> Result<Vec<DatasetInfo>, IoError> {
    let file = open(path)?;
    Ok(list_datasets(&file)
        .into_iter()
        .map(|(name, ds)| {
            let desc = describe(&ds).map(|d| d.to_string()).unwrap_or_else(|e| format!("unknown ({e})"));
            let dtype = describe(&ds).ok().as_ref().and_then(Stored::of).map(Stored::dtype);
            DatasetInfo {
                path: name,
                shape: ds.shape(),
                dtype,
                stored: desc,
                attributes: ds.attr_names().map(|n| n.len()).unwrap_or(0),
            }
        })
        .collect())
}

/// Reads the dataset `dataset` (`/exchange/data`, `exchange/data` or `0`)
/// of the HDF5 file `path`, whatever its extension.
///
/// Errors name the file and the dataset: a missing one lists what the file
/// holds, an unsupported element type says which types are read.
pub fn read_hdf5(path: &Path, dataset: &str) -> Result<Array, IoError> {
    let file = open(path)?;
    let name = absolute(dataset);
    let ds = find(&file, path, &name)?;
    read_array(path, &name, &ds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_paths() {
        assert_eq!(absolute("exchange/data"), "/exchange/data");
        assert_eq!(absolute("//exchange//data/"), "/exchange/data");
        assert_eq!(absolute("/"), "/");
    }
}
