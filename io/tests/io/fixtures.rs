//! Files written by tifffile, numpy, OpenCV and Pillow decode to exactly
//! what those libraries decode (`expected.txt`, `expected_chunks.txt`), and
//! the two real images give their known values. Palette TIFFs give their
//! indices, WhiteIsZero and CMYK their stored samples, as tifffile does.

use plexus_plugin_api::DType;

use super::{fixture, sha256};

struct Expected {
    file: String,
    reader: String,
    shape: Vec<usize>,
    dtype: DType,
    sha256: String,
    min: f64,
    max: f64,
    mean: f64,
    samples: Vec<(Vec<usize>, f64)>,
}

fn expected() -> Vec<Expected> {
    // `expected.txt` from make_fixtures.py, `expected_chunks.txt` from
    // make_chunk_fixtures.py.
    let text = std::fs::read_to_string(fixture("expected.txt")).unwrap()
        + &std::fs::read_to_string(fixture("expected_chunks.txt")).unwrap();
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('|').collect();
            assert_eq!(f.len(), 9, "{l}");
            let num = |s: &str| -> f64 {
                match s {
                    "nan" => f64::NAN,
                    "inf" => f64::INFINITY,
                    "-inf" => f64::NEG_INFINITY,
                    s => s.parse().unwrap(),
                }
            };
            Expected {
                file: f[0].to_string(),
                reader: f[1].to_string(),
                shape: if f[2].is_empty() { vec![] } else { f[2].split(',').map(|d| d.parse().unwrap()).collect() },
                dtype: DType::parse(f[3]).unwrap(),
                sha256: f[4].to_string(),
                min: num(f[5]),
                max: num(f[6]),
                mean: num(f[7]),
                samples: f[8]
                    .split(';')
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        let (idx, v) = s.split_once('=').unwrap();
                        let idx =
                            if idx.is_empty() { vec![] } else { idx.split(',').map(|i| i.parse().unwrap()).collect() };
                        (idx, num(v))
                    })
                    .collect(),
            }
        })
        .collect()
}

fn flat_index(shape: &[usize], idx: &[usize]) -> usize {
    idx.iter().zip(shape).fold(0, |acc, (i, d)| acc * d + i)
}

/// Compares one decoded file with what the reference library decoded;
/// returns the differences.
fn check(e: &Expected) -> Vec<String> {
    let path = fixture(&e.file);
    let a = match plexus_io::read(&path) {
        Ok(a) => a,
        Err(err) => return vec![format!("read failed: {err}")],
    };
    let mut bad = vec![];
    if a.shape() != e.shape.as_slice() {
        bad.push(format!("shape {:?}, {} gives {:?}", a.shape(), e.reader, e.shape));
    }
    if a.dtype() != e.dtype {
        bad.push(format!("dtype {}, {} gives {}", a.dtype(), e.reader, e.dtype));
    }
    if !bad.is_empty() {
        return bad;
    }
    if sha256(&a) != e.sha256 {
        bad.push("sha256 of the elements differs".into());
    }
    let v = a.to_f64_vec();
    if !v.is_empty() {
        let min = v.iter().copied().fold(f64::INFINITY, f64::min);
        let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        if min != e.min || max != e.max {
            bad.push(format!("min/max {min}/{max}, expected {}/{}", e.min, e.max));
        }
        if (mean - e.mean).abs() > 1e-9 * e.mean.abs().max(1.0) {
            bad.push(format!("mean {mean}, expected {}", e.mean));
        }
    }
    for (idx, want) in &e.samples {
        let got = v[flat_index(a.shape(), idx)];
        if got != *want && !(got.is_nan() && want.is_nan()) {
            bad.push(format!("element {idx:?} is {got}, expected {want}"));
        }
    }
    bad
}

fn check_all(prefix: &str) {
    let all = expected();
    let chosen: Vec<&Expected> = all.iter().filter(|e| e.file.starts_with(prefix)).collect();
    assert!(!chosen.is_empty());
    let failures: Vec<String> =
        chosen.iter().flat_map(|e| check(e).into_iter().map(move |m| format!("{}: {m}", e.file))).collect();
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn tiff_fixtures_match_tifffile() {
    check_all("t_");
}

#[test]
fn chunk_layout_tiff_fixtures_match_tifffile() {
    check_all("c_");
}

#[test]
fn npy_fixtures_match_numpy() {
    check_all("n_");
}

#[test]
fn png_fixtures_match_opencv_and_imageio() {
    check_all("p_");
}

#[test]
fn real_images_match_reference_readers() {
    check_all("../data/");
}

#[test]
fn grains_tif() {
    let a = plexus_io::read(&fixture("../data/grains.tif")).unwrap();
    assert_eq!((a.shape(), a.dtype(), a.axes()), (&[256, 256][..], DType::U8, "y x"));
    let v = a.as_slice::<u8>().unwrap();
    // Values from tifffile.imread.
    let e = expected().into_iter().find(|e| e.file.ends_with("grains.tif")).unwrap();
    for (idx, want) in &e.samples {
        assert_eq!(v[idx[0] * 256 + idx[1]] as f64, *want);
    }
    assert_eq!(sha256(&a), e.sha256);
}

#[test]
fn ihc_png() {
    let a = plexus_io::read(&fixture("../data/ihc.png")).unwrap();
    assert_eq!((a.shape(), a.dtype(), a.axes()), (&[512, 512, 3][..], DType::U8, "y x band"));
    let e = expected().into_iter().find(|e| e.file.ends_with("ihc.png")).unwrap();
    assert_eq!(sha256(&a), e.sha256);
}

#[test]
fn axes_follow_the_conventions() {
    let axes = |f: &str| plexus_io::read(&fixture(f)).unwrap().axes().to_string();
    assert_eq!(axes("t_u8_2d.tif"), "y x");
    assert_eq!(axes("t_u16_stack.tif"), "z y x");
    assert_eq!(axes("t_u16_stack_nometa.tif"), "z y x");
    assert_eq!(axes("t_rgb_u8.tif"), "y x band");
    assert_eq!(axes("t_rgb_planar_u16.tif"), "y x band");
    assert_eq!(axes("t_4d_shaped.tif"), "d0 d1 d2 d3");
    assert_eq!(axes("p_u8_ga.png"), "y x band");
    assert_eq!(axes("p_u16_gray.png"), "y x");
    assert_eq!(axes("n_f4.npy"), "z y x");
}
