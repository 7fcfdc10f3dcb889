//! What counting costs on the request path: `Aggregator::record` for keys already seen (the
//! steady state between flushes), over 100 flags with two variants each, with and without a
//! context hash for the unique-contexts sketch. Criterion reports the time for 10,000 records;
//! the line `ns per record` divides it out.

use std::hint::black_box;
use std::time::Instant;

use burgee_core::Reason;
use burgee_metrics::{Aggregator, ContextHasher};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const RECORDS: usize = 10_000;

fn flags() -> Vec<String> {
    (0..100).map(|i| format!("flag-{i:03}")).collect()
}

fn run(aggregator: &mut Aggregator, flags: &[String], contexts: &[u64], with_context: bool) {
    for i in 0..RECORDS {
        let flag = &flags[i % flags.len()];
        let variant = if i % 3 == 0 { "on" } else { "off" };
        let context = with_context.then(|| contexts[i % contexts.len()]);
        aggregator.record(
            black_box("production"),
            black_box(flag),
            Some(black_box(variant)),
            Reason::Split,
            context,
        );
    }
}

fn record(c: &mut Criterion) {
    let flags = flags();
    let hasher = ContextHasher::new([3; 16]);
    let contexts: Vec<u64> = (0..500)
        .map(|i| hasher.hash(&format!("user-{i}")))
        .collect();
    let mut group = c.benchmark_group("record");
    group.throughput(Throughput::Elements(RECORDS as u64));
    for (name, with_context) in [("10k-no-context", false), ("10k-with-context", true)] {
        let mut aggregator = Aggregator::new(0);
        run(&mut aggregator, &flags, &contexts, with_context);
        group.bench_function(name, |b| {
            b.iter(|| run(&mut aggregator, &flags, &contexts, with_context))
        });
        let rounds = 200;
        let started = Instant::now();
        for _ in 0..rounds {
            run(&mut aggregator, &flags, &contexts, with_context);
        }
        let ns = started.elapsed().as_nanos() as f64 / (rounds * RECORDS) as f64;
        println!("{name}: {ns:.1} ns per record");
    }
    group.finish();
    let hash_started = Instant::now();
    let mut sum = 0u64;
    for i in 0..RECORDS {
        sum = sum.wrapping_add(hasher.hash(black_box("user-1234567890")) ^ i as u64);
    }
    black_box(sum);
    let ns = hash_started.elapsed().as_nanos() as f64 / RECORDS as f64;
    println!("ContextHasher::hash: {ns:.1} ns per targeting key");
}

criterion_group!(benches, record);
criterion_main!(benches);
