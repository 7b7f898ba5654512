//! Properties over seeded random volumes: fractions in range, reductions
//! independent of how the volume is chunked, closed surfaces larger than
//! open ones, SSIM at most 1, tortuosity at least 1.

use plexus_kernels::volume::{Connectivity, Shape};
use plexus_quantify::chunk::ChunkPos;
use plexus_quantify::euler_number::{euler_number, EulerCounts, EulerParams};
use plexus_quantify::metrics::{metrics, MetricsParams};
use plexus_quantify::porosity::{porosity, PorosityParams};
use plexus_quantify::surface_area::{surface_area, Boundary, SurfaceAreaParams};
use plexus_quantify::tortuosity::{tortuosity, TortuosityParams};

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
}

#[test]
fn euler_counts_add_over_any_cut() {
    let mut rng = Rng(4);
    for _ in 0..40 {
        let s = Shape::new(2 + rng.below(12), 1 + rng.below(9), 1 + rng.below(9));
        let m = rng.mask(s, 50);
        for c in [Connectivity::Six, Connectivity::TwentySix] {
            let whole = euler_number(&m, s, &EulerParams { connectivity: c.count() }).unwrap();
            let cut = 1 + rng.below(s.z - 1);
            let mut a = EulerCounts::default();
            a.add(&m[..cut * s.slice_len()], s.with_z(cut), ChunkPos::with_low_halo(0, s.z)).unwrap();
            let mut b = EulerCounts::default();
            let pos = ChunkPos::with_low_halo(cut, s.z);
            b.add(&m[(cut - 1) * s.slice_len()..], s.with_z(s.z - cut + 1), pos).unwrap();
            a.merge(&b);
            assert_eq!(a.finish(c).unwrap(), whole);
        }
        let p = porosity(&m, &PorosityParams::default()).porosity;
        assert!((0.0..=1.0).contains(&p));
    }
}

#[test]
fn closed_surfaces_are_at_least_open_ones() {
    let mut rng = Rng(6);
    for _ in 0..20 {
        let s = Shape::new(2 + rng.below(8), 2 + rng.below(8), 2 + rng.below(8));
        let m = rng.mask(s, 50);
        let open = surface_area(&m, s, &SurfaceAreaParams::default(), 1).unwrap().area_um2;
        let p = SurfaceAreaParams { boundary: Boundary::Closed, ..Default::default() };
        let closed = surface_area(&m, s, &p, 2).unwrap().area_um2;
        assert!(open >= 0.0 && closed >= open, "{open} {closed}");
    }
}

#[test]
fn ssim_is_at_most_one_and_psnr_finite_for_different_images() {
    let mut rng = Rng(8);
    for _ in 0..10 {
        let s = Shape::plane(8 + rng.below(20), 8 + rng.below(20));
        let a: Vec<u8> = (0..s.len()).map(|_| rng.below(256) as u8).collect();
        let b: Vec<u8> = a.iter().map(|&v| v.saturating_add(rng.below(40) as u8)).collect();
        let m = metrics(&a, &b, s, &MetricsParams::default()).unwrap();
        assert!(m.ssim <= 1.0 + 1e-12 && m.ssim >= -1.0);
        assert!(m.psnr_db.is_finite() || a == b);
    }
}

#[test]
fn diffusive_tortuosity_is_at_least_one() {
    let mut rng = Rng(10);
    let mut done = 0;
    while done < 6 {
        let s = Shape::new(6 + rng.below(8), 4 + rng.below(6), 4 + rng.below(6));
        let m = rng.mask(s, 75);
        let Ok(t) = tortuosity(&m, s, &TortuosityParams::default(), 1) else { continue };
        assert!(t.tortuosity >= 1.0 - 1e-9, "{}", t.tortuosity);
        assert!(t.effective_porosity <= t.porosity);
        done += 1;
    }
}
