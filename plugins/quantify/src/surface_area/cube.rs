//! One cube of the Lewiner marching cubes: its case, the face and interior
//! tests that resolve the ambiguous cases, and the triangles it contributes,
//! reduced to their area.
//!
//! This follows scikit-image's `_marching_cubes_lewiner_cy.pyx` (Almar
//! Klein's port of Lewiner's C++) decision for decision, so the triangles
//! are the same; vertex positions are computed the same way (inverse-value
//! weighting along an edge, the weighted centre for vertex 12) and rounded
//! to f32 as scikit-image stores them. A vertex on an edge depends only on
//! the edge's two corners, so computing it per cube (instead of sharing it
//! between the cubes of that edge) gives the same position. Positions are
//! kept relative to the cube's origin (scikit-image rounds absolute
//! positions to f32, which loses up to 3e-5 voxel at coordinate 256): a
//! cube's area then depends on its corner values only, which makes chunked
//! sums exact and lets two-valued volumes use a table ([`super`]).

use super::lewiner_luts as t;
use super::lut::Lut;

/// `np.spacing(1.0)`, scikit-image's `FLT_EPSILON` (a double epsilon).
const EPS: f64 = f64::EPSILON;

/// A cube with its corner values (level subtracted) in scikit-image's
/// order: `v0 = (z, y, x)`, `v1 = (z, y, x+1)`, `v2 = (z, y+1, x+1)`,
/// `v3 = (z, y+1, x)`, `v4..v7` the same at `z + 1`.
pub struct Cube {
    /// Corner values minus the level.
    pub v: [f64; 8],
}

/// The case index: bit `i` set when corner `i` is above the level.
#[inline]
pub fn case_index(v: &[f64; 8]) -> usize {
    (0..8).map(|i| ((v[i] > 0.0) as usize) << i).sum()
}

/// Whether a cube of this index holds any triangle.
#[inline]
pub fn has_surface(index: usize) -> bool {
    t::CASES.get2(index, 0) > 0
}

impl Cube {
    /// Sum of the areas of this cube's triangles, with `spacing` `(x, y, z)`
    /// scaling the vertex coordinates (µm per voxel).
    pub fn area(&self, spacing: [f64; 3]) -> f64 {
        let index = case_index(&self.v);
        let case = t::CASES.get2(index, 0);
        if case <= 0 {
            return 0.0;
        }
        let config = t::CASES.get2(index, 1) as usize;
        let mut acc = Triangles { cube: self, spacing, area: 0.0, cache: [None; 13] };
        self.big_switch(case, config, &mut acc);
        acc.area
    }

    /// scikit-image's `the_big_switch`.
    fn big_switch(&self, case: i32, config: usize, out: &mut Triangles) {
        let mut sub = 0usize;
        match case {
            1 => out.add(&t::TILING1, config, 1),
            2 => out.add(&t::TILING2, config, 2),
            3 => {
                if self.test_face(t::TEST3.get1(config)) {
                    out.add(&t::TILING3_2, config, 4)
                } else {
                    out.add(&t::TILING3_1, config, 2)
                }
            }
            4 => {
                if self.test_internal(case, config, 0, t::TEST4.get1(config)) {
                    out.add(&t::TILING4_1, config, 2)
                } else {
                    out.add(&t::TILING4_2, config, 6)
                }
            }
            5 => out.add(&t::TILING5, config, 3),
            6 => {
                if self.test_face(t::TEST6.get2(config, 0)) {
                    out.add(&t::TILING6_2, config, 5)
                } else if self.test_internal(case, config, 0, t::TEST6.get2(config, 1)) {
                    out.add(&t::TILING6_1_1, config, 3)
                } else {
                    out.add(&t::TILING6_1_2, config, 9)
                }
            }
            7 => {
                for k in 0..3 {
                    if self.test_face(t::TEST7.get2(config, k)) {
                        sub += 1 << k;
                    }
                }
                match sub {
                    0 => out.add(&t::TILING7_1, config, 3),
                    1 => out.add2(&t::TILING7_2, config, 0, 5),
                    2 => out.add2(&t::TILING7_2, config, 1, 5),
                    3 => out.add2(&t::TILING7_3, config, 0, 9),
                    4 => out.add2(&t::TILING7_2, config, 2, 5),
                    5 => out.add2(&t::TILING7_3, config, 1, 9),
                    6 => out.add2(&t::TILING7_3, config, 2, 9),
                    _ => {
                        if self.test_internal(case, config, sub, t::TEST7.get2(config, 3)) {
                            out.add(&t::TILING7_4_2, config, 9)
                        } else {
                            out.add(&t::TILING7_4_1, config, 5)
                        }
                    }
                }
            }
            8 => out.add(&t::TILING8, config, 2),
            9 => out.add(&t::TILING9, config, 4),
            10 => self.case_10_12(
                case,
                config,
                &t::TEST10,
                [&t::TILING10_1_1_, &t::TILING10_2, &t::TILING10_2_, &t::TILING10_1_1, &t::TILING10_1_2],
                out,
            ),
            11 => out.add(&t::TILING11, config, 4),
            12 => self.case_10_12(
                case,
                config,
                &t::TEST12,
                [&t::TILING12_1_1_, &t::TILING12_2, &t::TILING12_2_, &t::TILING12_1_1, &t::TILING12_1_2],
                out,
            ),
            13 => self.case_13(config, out),
            14 => out.add(&t::TILING14, config, 4),
            _ => {}
        }
    }

    /// Cases 10 and 12 share one decision tree.
    fn case_10_12(&self, case: i32, config: usize, test: &Lut, tiles: [&Lut; 5], out: &mut Triangles) {
        let [t11_, t2, t2_, t11, t12] = tiles;
        if self.test_face(test.get2(config, 0)) {
            if self.test_face(test.get2(config, 1)) {
                out.add(t11_, config, 4)
            } else {
                out.add(t2, config, 8)
            }
        } else if self.test_face(test.get2(config, 1)) {
            out.add(t2_, config, 8)
        } else if self.test_internal(case, config, 0, test.get2(config, 2)) {
            out.add(t11, config, 4)
        } else {
            out.add(t12, config, 8)
        }
    }

    fn case_13(&self, config: usize, out: &mut Triangles) {
        let mut sub = 0usize;
        for k in 0..6 {
            if self.test_face(t::TEST13.get2(config, k)) {
                sub += 1 << k;
            }
        }
        let sub = t::SUBCONFIG13.get1(sub);
        match sub {
            0 => out.add(&t::TILING13_1, config, 4),
            1..=6 => out.add2(&t::TILING13_2, config, (sub - 1) as usize, 6),
            7..=18 => out.add2(&t::TILING13_3, config, (sub - 7) as usize, 10),
            19..=22 => out.add2(&t::TILING13_4, config, (sub - 19) as usize, 12),
            23..=26 => {
                let s = (sub - 23) as usize;
                if self.test_internal(13, config, s, t::TEST13.get2(config, 6)) {
                    out.add2(&t::TILING13_5_1, config, s, 6)
                } else {
                    out.add2(&t::TILING13_5_2, config, s, 10)
                }
            }
            27..=38 => out.add2(&t::TILING13_3_, config, (sub - 27) as usize, 10),
            39..=44 => out.add2(&t::TILING13_2_, config, (sub - 39) as usize, 6),
            45 => out.add(&t::TILING13_1_, config, 4),
            // scikit-image prints "impossible case 13" and adds nothing.
            _ => {}
        }
    }

    /// scikit-image's `test_face`.
    fn test_face(&self, face: i32) -> bool {
        let v = &self.v;
        let (a, b, c, d) = match face.abs() {
            1 => (v[0], v[4], v[5], v[1]),
            2 => (v[1], v[5], v[6], v[2]),
            3 => (v[2], v[6], v[7], v[3]),
            4 => (v[3], v[7], v[4], v[0]),
            5 => (v[0], v[3], v[2], v[1]),
            6 => (v[4], v[7], v[6], v[5]),
            _ => (0.0, 0.0, 0.0, 0.0),
        };
        let ac_bd = a * c - b * d;
        if ac_bd > -EPS && ac_bd < EPS {
            face >= 0
        } else {
            face as f64 * a * ac_bd >= 0.0
        }
    }

    /// scikit-image's `test_internal`.
    fn test_internal(&self, case: i32, config: usize, sub: usize, s: i32) -> bool {
        let v = &self.v;
        let (at, bt, ct, dt);
        if case == 4 || case == 10 {
            let a = (v[4] - v[0]) * (v[6] - v[2]) - (v[7] - v[3]) * (v[5] - v[1]);
            let b = v[2] * (v[4] - v[0]) + v[0] * (v[6] - v[2]) - v[1] * (v[7] - v[3]) - v[3] * (v[5] - v[1]);
            let tt = -b / (2.0 * a + EPS);
            if !(0.0..=1.0).contains(&tt) {
                return s > 0;
            }
            at = v[0] + (v[4] - v[0]) * tt;
            bt = v[3] + (v[7] - v[3]) * tt;
            ct = v[2] + (v[6] - v[2]) * tt;
            dt = v[1] + (v[5] - v[1]) * tt;
        } else {
            let edge = match case {
                6 => t::TEST6.get2(config, 2),
                7 => t::TEST7.get2(config, 4),
                12 => t::TEST12.get2(config, 3),
                _ => t::TILING13_5_1.get3(config, sub, 0),
            };
            // (p, q): the edge's corners; then the three parallel edges.
            let (p, q, e) = match edge {
                0 => (0, 1, [(3, 2), (7, 6), (4, 5)]),
                1 => (1, 2, [(0, 3), (4, 7), (5, 6)]),
                2 => (2, 3, [(1, 0), (5, 4), (6, 7)]),
                3 => (3, 0, [(2, 1), (6, 5), (7, 4)]),
                4 => (4, 5, [(7, 6), (3, 2), (0, 1)]),
                5 => (5, 6, [(4, 7), (0, 3), (1, 2)]),
                6 => (6, 7, [(5, 4), (1, 0), (2, 3)]),
                7 => (7, 4, [(6, 5), (2, 1), (3, 0)]),
                8 => (0, 4, [(3, 7), (2, 6), (1, 5)]),
                9 => (1, 5, [(0, 4), (3, 7), (2, 6)]),
                10 => (2, 6, [(1, 5), (0, 4), (3, 7)]),
                11 => (3, 7, [(2, 6), (1, 5), (0, 4)]),
                // scikit-image prints "invalid edge" and tests zeros.
                _ => return s > 0,
            };
            let tt = v[p] / (v[p] - v[q] + EPS);
            at = 0.0;
            bt = v[e[0].0] + (v[e[0].1] - v[e[0].0]) * tt;
            ct = v[e[1].0] + (v[e[1].1] - v[e[1].0]) * tt;
            dt = v[e[2].0] + (v[e[2].1] - v[e[2].0]) * tt;
        }
        let test = (at >= 0.0) as u32 + 2 * (bt >= 0.0) as u32 + 4 * (ct >= 0.0) as u32 + 8 * (dt >= 0.0) as u32;
        match test {
            5 => {
                if at * ct - bt * dt < EPS {
                    s > 0
                } else {
                    // Falls off the end in scikit-image: a C int 0.
                    false
                }
            }
            10 => {
                if at * ct - bt * dt >= EPS {
                    s > 0
                } else {
                    false
                }
            }
            7 | 11 | 13 | 14 | 15 => s < 0,
            _ => s > 0,
        }
    }
}

/// Accumulates the area of the triangles a cube adds.
struct Triangles<'a> {
    cube: &'a Cube,
    spacing: [f64; 3],
    area: f64,
    /// Vertices 0–12 once computed (scaled to µm), reused by the triangles
    /// that share them.
    cache: [Option<[f64; 3]>; 13],
}

impl Triangles<'_> {
    fn add(&mut self, lut: &Lut, config: usize, nt: usize) {
        for i in 0..nt {
            let tri = [0, 1, 2].map(|j| lut.get2(config, i * 3 + j));
            self.triangle(tri);
        }
    }

    fn add2(&mut self, lut: &Lut, config: usize, sub: usize, nt: usize) {
        for i in 0..nt {
            let tri = [0, 1, 2].map(|j| lut.get3(config, sub, i * 3 + j));
            self.triangle(tri);
        }
    }

    fn triangle(&mut self, tri: [i32; 3]) {
        let p = tri.map(|vi| {
            if let Some(q) = self.cache[vi as usize] {
                return q;
            }
            let q = self.vertex(vi);
            let q = [q[0] as f64 * self.spacing[0], q[1] as f64 * self.spacing[1], q[2] as f64 * self.spacing[2]];
            self.cache[vi as usize] = Some(q);
            q
        });
        let a = [p[0][0] - p[1][0], p[0][1] - p[1][1], p[0][2] - p[1][2]];
        let b = [p[0][0] - p[2][0], p[0][1] - p[2][1], p[0][2] - p[2][2]];
        let c = [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
        self.area += (c[0] * c[0] + c[1] * c[1] + c[2] * c[2]).sqrt() / 2.0;
    }

    /// Vertex `vi` (0–11 on an edge, 12 the centre) as `(x, y, z)` in f32.
    fn vertex(&mut self, vi: i32) -> [f32; 3] {
        let v = &self.cube.v;
        if vi == 12 {
            let w: [f64; 8] = v.map(|x| 1.0 / (EPS + x.abs()));
            const POS: [[f64; 3]; 8] = [
                [0.0, 0.0, 0.0],
                [1.0, 0.0, 0.0],
                [1.0, 1.0, 0.0],
                [0.0, 1.0, 0.0],
                [0.0, 0.0, 1.0],
                [1.0, 0.0, 1.0],
                [1.0, 1.0, 1.0],
                [0.0, 1.0, 1.0],
            ];
            let (mut f, mut ff) = ([0.0f64; 3], 0.0f64);
            for k in 0..8 {
                for a in 0..3 {
                    f[a] += POS[k][a] * w[k];
                }
                ff += w[k];
            }
            return [0, 1, 2].map(|a| (f[a] / ff) as f32);
        }
        let vi = vi as usize;
        let (dx1, dx2) = (t::EDGESRELX.get2(vi, 0), t::EDGESRELX.get2(vi, 1));
        let (dy1, dy2) = (t::EDGESRELY.get2(vi, 0), t::EDGESRELY.get2(vi, 1));
        let (dz1, dz2) = (t::EDGESRELZ.get2(vi, 0), t::EDGESRELZ.get2(vi, 1));
        // scikit-image's `vv`: corners indexed by dz*4 + dy*2 + dx.
        const VV: [usize; 8] = [0, 1, 3, 2, 4, 5, 7, 6];
        let i1 = VV[(dz1 * 4 + dy1 * 2 + dx1) as usize];
        let i2 = VV[(dz2 * 4 + dy2 * 2 + dx2) as usize];
        let t1 = 1.0 / (EPS + v[i1].abs());
        let t2 = 1.0 / (EPS + v[i2].abs());
        let ff = 0.0 + t1 + t2;
        let f = [(dx1, dx2), (dy1, dy2), (dz1, dz2)].map(|(d1, d2)| 0.0 + d1 as f64 * t1 + d2 as f64 * t2);
        [0, 1, 2].map(|a| (f[a] / ff) as f32)
    }
}
