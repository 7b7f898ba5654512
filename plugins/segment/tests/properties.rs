//! Properties over seeded random volumes: shapes preserved, values in range,
//! labels are exactly the connected components (against a breadth-first
//! reference), morphology orders as it must, the EDT is thread-invariant and
//! agrees between f32 and f64, thresholds lie in the image range.

mod common;

use std::collections::VecDeque;

use plexus_segment::distance_transform::distance_transform;
use plexus_segment::label::label;
use plexus_segment::morphology::{morphology, MorphologyParams, Operation, Structure};
use plexus_segment::threshold::{apply, multi_otsu, otsu, Histogram};
use plexus_segment::watershed::{watershed, WatershedParams};
use plexus_segment::{Connectivity, Shape};

/// A seeded LCG.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn mask(&mut self, s: Shape, percent: u64) -> Vec<u8> {
        (0..s.len()).map(|_| (self.next() % 100 < percent) as u8).collect()
    }

    fn shape(&mut self) -> Shape {
        Shape::new(1 + self.below(9), 1 + self.below(12), 1 + self.below(14))
    }
}

/// Breadth-first components: the reference partition.
fn bfs_components(mask: &[u8], s: Shape, c: Connectivity) -> Vec<u32> {
    let offs = c.offsets();
    let mut out = vec![0u32; s.len()];
    let mut next = 0;
    for start in 0..s.len() {
        if mask[start] == 0 || out[start] != 0 {
            continue;
        }
        next += 1;
        out[start] = next;
        let mut q = VecDeque::from([start]);
        while let Some(i) = q.pop_front() {
            let p = [(i / s.slice_len()) as isize, (i / s.x % s.y) as isize, (i % s.x) as isize];
            for o in &offs {
                let n = [p[0] + o[0], p[1] + o[1], p[2] + o[2]];
                if n.iter().zip(s.dims()).any(|(v, d)| *v < 0 || *v >= d as isize) {
                    continue;
                }
                let j = ((n[0] as usize * s.y) + n[1] as usize) * s.x + n[2] as usize;
                if mask[j] != 0 && out[j] == 0 {
                    out[j] = next;
                    q.push_back(j);
                }
            }
        }
    }
    out
}

#[test]
fn labels_are_the_connected_components_in_raster_order() {
    let mut rng = Rng(11);
    for case in 0..60 {
        let s = rng.shape();
        let m = rng.mask(s, 30 + (case % 5) as u64 * 10);
        for c in [4u32, 8, 6, 18, 26] {
            let c = Connectivity::try_from(c).unwrap();
            let want = bfs_components(&m, s, c);
            for threads in [1, 2, 4] {
                let got = label(&m, s, c, threads).unwrap();
                // BFS from raster-order seeds numbers in raster order too.
                assert_eq!(got.labels, want, "case {case} {s:?} {c:?} threads {threads}");
                assert_eq!(got.sizes.iter().sum::<u64>(), m.iter().map(|&v| v as u64).sum::<u64>());
            }
        }
    }
}

#[test]
fn morphology_keeps_shape_and_order() {
    let mut rng = Rng(5);
    for case in 0..30 {
        let s = rng.shape();
        let m = rng.mask(s, 60);
        for st in [Structure::Cross, Structure::Cube, Structure::Ball] {
            let p = |operation| MorphologyParams {
                operation,
                structure: st,
                radius: 1 + case % 2,
                planar: case % 3 == 0,
                border_value: 0,
            };
            let run = |op| morphology(&m, s, &p(op), 1 + case % 3).unwrap();
            let (e, d, o, c) =
                (run(Operation::Erosion), run(Operation::Dilation), run(Operation::Opening), run(Operation::Closing));
            for v in [&e, &d, &o, &c] {
                assert_eq!(v.len(), s.len());
                assert!(v.iter().all(|&x| x <= 1));
            }
            for i in 0..s.len() {
                assert!(e[i] <= o[i] && o[i] <= m[i] && m[i] <= d[i], "case {case} {st:?} voxel {i}");
                assert!(c[i] <= d[i]);
            }
            // Opening is idempotent.
            assert_eq!(morphology(&o, s, &p(Operation::Opening), 1).unwrap(), o);
        }
    }
}

#[test]
fn edt_is_thread_invariant_and_f32_agrees_with_f64() {
    let mut rng = Rng(3);
    for _ in 0..30 {
        let s = rng.shape();
        let m = rng.mask(s, 85);
        if m.iter().all(|&v| v != 0) {
            continue;
        }
        let vs = [0.5 + rng.below(4) as f64 * 0.5, 1.0, 0.75 + rng.below(3) as f64 * 0.25];
        let a: Vec<f64> = distance_transform(&m, s, vs, 1).unwrap();
        let b: Vec<f64> = distance_transform(&m, s, vs, 3).unwrap();
        assert_eq!(a, b);
        let f: Vec<f32> = distance_transform(&m, s, vs, 2).unwrap();
        for i in 0..s.len() {
            assert_eq!(a[i] == 0.0, m[i] == 0);
            assert!((f[i] as f64 - a[i]).abs() <= 1e-6 * a[i].max(1.0));
        }
    }
}

#[test]
fn thresholds_lie_in_the_image_range() {
    let mut rng = Rng(9);
    for _ in 0..40 {
        let n = 50 + rng.below(500);
        let img: Vec<u16> = (0..n).map(|_| (rng.below(300) + rng.below(300)) as u16).collect();
        let h = Histogram::of(&img, 256).unwrap();
        let (lo, hi) = (*img.iter().min().unwrap() as f64, *img.iter().max().unwrap() as f64);
        let t = otsu(&h).unwrap();
        assert!(lo <= t && t < hi && t.fract() == 0.0, "{t} in [{lo}, {hi}]");
        let mo = multi_otsu(&h, 3).unwrap();
        assert!(mo[0] < mo[1] && lo <= mo[0] && mo[1] <= hi);
        let mut out = vec![9u8; n];
        apply(&img, &mo, &mut out);
        assert!(out.iter().all(|&c| c <= 2));
    }
}

#[test]
fn watershed_labels_stay_in_the_mask() {
    let mut rng = Rng(21);
    for case in 0..15 {
        let s = Shape::new(1 + rng.below(10), 8 + rng.below(20), 8 + rng.below(20));
        let m = rng.mask(s, 70);
        let p = WatershedParams { min_distance: 1 + case % 3, ..Default::default() };
        let w = watershed(&m, s, &p, 2).unwrap();
        assert_eq!(w.labels.labels.len(), s.len());
        for (&mi, &li) in m.iter().zip(&w.labels.labels) {
            assert!(mi != 0 || li == 0);
            assert!(li as usize <= w.labels.count());
        }
    }
}
