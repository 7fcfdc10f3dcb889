//! A loop for profilers (`perf record`, `valgrind --tool=callgrind`): evaluates the benchmark
//! document's flags `ROUNDS` times, or compiles it (`compile`), or evaluates one split (`split`).
#![allow(clippy::expect_used)]
use burgee_core::load;
use burgee_tests::{benchmark_context, benchmark_document};

fn main() {
    let text = benchmark_document(100).to_string();
    let snapshot = load(&text).expect("loads").compile("production").snapshot;
    let context = snapshot.context(&benchmark_context());
    let mode = std::env::args().nth(1).unwrap_or_default();
    let mut on = 0u64;
    let rounds: u32 = std::env::var("ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    for _ in 0..rounds {
        if mode == "split" {
            for _ in 0..100 {
                on += u64::from(
                    snapshot
                        .evaluate(std::hint::black_box("split"), &context, 0, None)
                        .variant_name()
                        == Some("a"),
                );
            }
            continue;
        }
        if mode == "compile" {
            on += load(&text)
                .expect("loads")
                .compile("production")
                .snapshot
                .len() as u64;
            continue;
        }
        for (_, d) in snapshot.evaluate_all(&context, 0) {
            on += u64::from(d.variant_name() == Some("on"));
        }
    }
    println!("{on}");
}
