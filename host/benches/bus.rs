//! Small frames through a Plexus bus edge against a raw tokio channel of
//! the same capacity, one producer thread and one consumer, in the same run.
//!
//! Run: `cargo bench --release -p plexus-host --bench bus`

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use plexus_host::bus::{edge, Envelope, Outlet};
use plexus_plugin_api::{Array, ChunkKey, Frame};

const N: u64 = 100_000;
const CAPACITY: usize = 64;

fn bench(c: &mut Criterion) {
    let frame = Arc::new(Frame::new("d", ChunkKey::stream(0)).with_array("x", Array::zeros::<f64>(vec![1, 1])));
    let mut g = c.benchmark_group("100k small frames");
    g.throughput(Throughput::Elements(N));
    g.sample_size(20);

    g.bench_function("plexus bus edge", |b| {
        b.iter(|| {
            let (tx, rx) = edge(CAPACITY);
            let outlet = Outlet::new(vec![tx]);
            let f = frame.clone();
            let producer = std::thread::spawn(move || {
                for seq in 0..N {
                    assert!(outlet.send(Envelope { seq, frame: f.clone(), permit: None }).is_ok());
                }
            });
            let mut sum = 0u64;
            for env in rx.iter() {
                sum += env.seq;
            }
            producer.join().unwrap();
            sum
        })
    });

    g.bench_function("raw tokio mpsc", |b| {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        b.iter(|| {
            let (tx, mut rx) = tokio::sync::mpsc::channel::<Envelope>(CAPACITY);
            let f = frame.clone();
            let producer = std::thread::spawn(move || {
                for seq in 0..N {
                    tx.blocking_send(Envelope { seq, frame: f.clone(), permit: None }).unwrap();
                }
            });
            let sum = rt.block_on(async {
                let mut sum = 0u64;
                while let Some(env) = rx.recv().await {
                    sum += env.seq;
                }
                sum
            });
            producer.join().unwrap();
            sum
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
