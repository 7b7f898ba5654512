//! OME-Zarr (NGFF) multiscale metadata: written in version 0.5 (Zarr v3,
//! under the group's `ome` attribute), read in 0.5 and 0.4 (Zarr v2,
//! `multiscales` in `.zattrs`).
//!
//! An image is a group whose arrays `0`, `1`, … are its resolution levels,
//! each with a `scale` (the voxel size at that level) and a `translation`
//! (where its first voxel's centre lies) in the units the axes name. Axes
//! carry a type — `time`, `channel`, `space` or a custom one — and NGFF
//! allows 2 to 5 of them, ordered time, then channel or custom, then 2 or 3
//! space axes. [`axes_for`] decides whether a dataset's axis labels fit
//! those rules; datasets that do not (`y x band`, 6-D) are written as a
//! plain Zarr array without OME metadata.
//!
//! Reference: Moore, J. et al., "OME-Zarr: a cloud-optimized bioimaging file
//! format with international community support", Histochemistry and Cell
//! Biology 160, 223–251 (2023); specification at
//! <https://ngff.openmicroscopy.org/0.5/>.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The NGFF version written.
pub(crate) const VERSION: &str = "0.5";

/// One axis of an image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Axis {
    pub name: String,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

impl Axis {
    /// Whether the pyramid halves this axis.
    pub(crate) fn is_space(&self) -> bool {
        self.kind.as_deref() == Some("space")
    }
}

/// A coordinate transformation of a level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub(crate) enum Transform {
    Scale { scale: Vec<f64> },
    Translation { translation: Vec<f64> },
    Identity,
}

/// One resolution level: the array's path in the group and its transforms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Dataset {
    pub path: String,
    #[serde(rename = "coordinateTransformations", default)]
    pub transforms: Vec<Transform>,
}

impl Dataset {
    /// The voxel size at this level, when a scale is given.
    pub(crate) fn scale(&self) -> Option<&[f64]> {
        self.transforms.iter().find_map(|t| match t {
            Transform::Scale { scale } => Some(scale.as_slice()),
            _ => None,
        })
    }
}

/// One multiscale image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Multiscale {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Version 0.4 puts the version here; 0.5 in the `ome` object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub axes: Vec<Axis>,
    pub datasets: Vec<Dataset>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
}

/// The multiscale images of a group's attributes, if it has any: the `ome`
/// object of version 0.5, or the top-level `multiscales` of 0.4.
pub(crate) fn parse(attributes: &Map<String, Value>) -> Option<Vec<Multiscale>> {
    let list = match attributes.get("ome") {
        Some(ome) => ome.get("multiscales")?,
        None => attributes.get("multiscales")?,
    };
    serde_json::from_value(list.clone()).ok()
}

/// The group attributes that describe `image` in version 0.5.
pub(crate) fn attributes(image: &Multiscale) -> Map<String, Value> {
    let mut ome = Map::new();
    ome.insert("version".into(), VERSION.into());
    ome.insert("multiscales".into(), serde_json::to_value([image]).unwrap_or(Value::Null));
    let mut attrs = Map::new();
    attrs.insert("ome".into(), Value::Object(ome));
    attrs
}

/// NGFF axes for axis labels (`z y x`, `t c z y x`, `angle row col`), with
/// `unit` on the space axes, or `None` when the labels do not fit NGFF's
/// rules (see the module docs).
pub(crate) fn axes_for(labels: &str, unit: Option<&str>) -> Option<Vec<Axis>> {
    let names: Vec<&str> = labels.split_whitespace().collect();
    if !(2..=5).contains(&names.len()) {
        return None;
    }
    fn kind(n: &str) -> &str {
        match n {
            "z" | "y" | "x" | "row" | "col" => "space",
            "t" | "time" => "time",
            "c" | "band" | "channel" => "channel",
            // A custom type: axes NGFF has no word for (angles of a scan,
            // items of a batch) keep their own name as type.
            other => other,
        }
    }
    // time, then at most one channel or custom axis, then 2 or 3 space.
    let rank = |k: &str| match k {
        "time" => 0,
        "space" => 2,
        _ => 1,
    };
    let kinds: Vec<&str> = names.iter().map(|n| kind(n)).collect();
    let ranks: Vec<u8> = kinds.iter().map(|k| rank(k)).collect();
    let space = ranks.iter().filter(|&&r| r == 2).count();
    let ordered = ranks.windows(2).all(|w| w[0] < w[1] || (w[0] == 2 && w[1] == 2));
    let unique = names.iter().enumerate().all(|(i, n)| !names[..i].contains(n));
    if !ordered || !unique || !(2..=3).contains(&space) {
        return None;
    }
    Some(
        names
            .iter()
            .zip(&kinds)
            .map(|(n, k)| Axis {
                name: n.to_string(),
                kind: Some(k.to_string()),
                unit: if *k == "space" { unit.map(str::to_string) } else { None },
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_labels_fit_ngff() {
        let names = |l: &str| {
            axes_for(l, Some("micrometer")).map(|a| a.iter().map(|x| x.kind.clone().unwrap()).collect::<Vec<_>>())
        };
        assert_eq!(names("z y x").unwrap(), ["space", "space", "space"]);
        assert_eq!(names("t c z y x").unwrap(), ["time", "channel", "space", "space", "space"]);
        assert_eq!(names("angle row col").unwrap(), ["angle", "space", "space"]);
        assert_eq!(names("y x").unwrap(), ["space", "space"]);
        assert_eq!(names("y x band"), None, "channel after space");
        assert_eq!(names("x"), None, "one axis");
        assert_eq!(names("d0 d1 d2 d3"), None, "no space axes");
        assert_eq!(names("c t y x"), None, "time after channel");
        let axes = axes_for("angle row col", Some("micrometer")).unwrap();
        assert_eq!((axes[0].unit.as_deref(), axes[1].unit.as_deref()), (None, Some("micrometer")));
    }

    #[test]
    fn round_trips_through_json_in_both_versions() {
        let image = Multiscale {
            name: Some("vol".into()),
            version: None,
            axes: axes_for("z y x", Some("micrometer")).unwrap(),
            datasets: vec![Dataset {
                path: "0".into(),
                transforms: vec![Transform::Scale { scale: vec![2.0, 0.5, 0.5] }],
            }],
            method: Some("mean".into()),
            metadata: None,
        };
        let attrs = attributes(&image);
        let text = serde_json::to_string(&attrs).unwrap();
        // Keys in the order written: zarrs turns on serde_json's `preserve_order`.
        assert!(
            text.starts_with(
                r#"{"ome":{"version":"0.5","multiscales":[{"name":"vol","axes":[{"name":"z","type":"space","unit":"micrometer"}"#
            ),
            "{text}"
        );
        assert!(text.contains(r#""coordinateTransformations":[{"type":"scale","scale":[2.0,0.5,0.5]}]"#), "{text}");
        assert_eq!(parse(&attrs).unwrap(), std::slice::from_ref(&image));
        // Version 0.4: `multiscales` at the top level, version inside.
        let v04: Map<String, Value> = serde_json::from_str(
            r#"{"multiscales": [{"version": "0.4", "axes": [{"name": "y", "type": "space"}, {"name": "x", "type": "space"}],
                "datasets": [{"path": "s0", "coordinateTransformations": [{"type": "scale", "scale": [1, 1]}]}]}]}"#,
        )
        .unwrap();
        let m = parse(&v04).unwrap();
        assert_eq!((m[0].datasets[0].path.as_str(), m[0].datasets[0].scale()), ("s0", Some(&[1.0, 1.0][..])));
    }
}
