//! One benchmark job as a whole process, for the peer comparison in
//! `benches/compare.py` (which also runs the Python peers on the same input
//! file and measures wall time and peak RSS of each process):
//!
//! ```text
//! cargo run --release -p plexus-quantify --example volume_job -- JOB INPUT.npy THREADS
//! ```
//!
//! Jobs: `otsu-label` (Otsu threshold of a u8 volume, then 26-connected
//! labels), `edt` (f32 Euclidean distance transform of a mask),
//! `surface-area` (marching cubes + area of a mask, open), `tortuosity`
//! (diffusive, axis 0). Prints one JSON line: the job, threads, the compute
//! time in seconds (input reading excluded) and the result.

use std::time::Instant;

use plexus_quantify::surface_area::{surface_area, SurfaceAreaParams};
use plexus_quantify::tortuosity::{tortuosity, TortuosityParams};
use plexus_segment::distance_transform::distance_transform;
use plexus_segment::label::label;
use plexus_segment::threshold::{apply, otsu, Histogram};
use plexus_segment::{Connectivity, Shape};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: volume_job otsu-label|edt|surface-area|tortuosity INPUT.npy THREADS");
        std::process::exit(2);
    }
    let (job, path) = (args[1].as_str(), &args[2]);
    let threads: usize = args[3].parse().expect("THREADS is a number");
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let npy = plexus_testkit::parse(&bytes).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert!(matches!(npy.descr.as_str(), "|u1" | "|b1"), "{path}: expected u8 or bool, got {}", npy.descr);
    let [z, y, x] = npy.shape[..] else { panic!("{path}: expected a 3-D array") };
    let shape = Shape::new(z, y, x);
    let data = npy.data;
    let t = Instant::now();
    let result = match job {
        "otsu-label" => {
            let th = otsu(&Histogram::of(&data, 256).unwrap()).unwrap();
            let mut mask = vec![0u8; data.len()];
            apply(&data, &[th], &mut mask);
            let l = label(&mask, shape, Connectivity::TwentySix, threads).unwrap();
            format!("{{\"threshold\": {th}, \"components\": {}}}", l.count())
        }
        "edt" => {
            let d: Vec<f32> = distance_transform(&data, shape, [1.0; 3], threads).unwrap();
            let max = d.iter().copied().fold(0f32, f32::max);
            format!("{{\"max_distance\": {max}}}")
        }
        "surface-area" => {
            let a = surface_area(&data, shape, &SurfaceAreaParams::default(), threads).unwrap();
            format!("{{\"area_um2\": {}}}", a.area_um2)
        }
        "tortuosity" => {
            let r = tortuosity(&data, shape, &TortuosityParams::default(), threads).unwrap();
            format!("{{\"tortuosity\": {}, \"iterations\": {}}}", r.tortuosity, r.iterations)
        }
        other => panic!("unknown job `{other}`"),
    };
    let secs = t.elapsed().as_secs_f64();
    println!("{{\"job\": \"{job}\", \"threads\": {threads}, \"compute_s\": {secs}, \"result\": {result}}}");
}
