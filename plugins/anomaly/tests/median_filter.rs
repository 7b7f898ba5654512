//! The median filter behind `local` equals scipy.ndimage.median_filter(x,
//! size=s, mode='reflect') element for element (tolerance: none) on real
//! images: odd and even windows, u8/u16/f32, a channel axis, a window larger
//! than the image, a volume filtered slice by slice, and 1-D data.

mod common;

use common::load;
use plexus_anomaly::median::{median_filter, Planes};

#[test]
fn equals_scipy_median_filter_exactly() {
    // (case, window edge, channels)
    for (case, size, channels) in [
        ("grains_s3", 3, 1),
        ("camera_s4", 4, 1),
        ("coins16_s5", 5, 1),
        ("ihc_s3", 3, 3),
        ("camera_f32_s3", 3, 1),
        ("tiny_s7", 7, 1),
        ("volume_s3", 3, 1),
        ("row_s5", 5, 1),
    ] {
        let input = load(&format!("mf_{case}_in")).array();
        let expected = load(&format!("mf_{case}_out")).array();
        assert_eq!(expected.shape(), input.shape());
        let geom = Planes::of(input.shape(), channels);
        for threads in [1, 3] {
            let got = median_filter(&input.to_f64_vec(), geom, size, threads);
            let want = expected.to_f64_vec();
            let bad: Vec<usize> = (0..got.len()).filter(|&i| got[i].to_bits() != want[i].to_bits()).collect();
            assert!(bad.is_empty(), "{case}: {} of {} elements differ, first at {}", bad.len(), got.len(), bad[0]);
        }
    }
}
