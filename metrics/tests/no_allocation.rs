//! Counting an evaluation whose key was seen before must not allocate: it runs on every
//! request. A counting global allocator checks it, per thread so other tests do not interfere.

#![allow(unsafe_code, clippy::unwrap_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use burgee_core::Reason;
use burgee_metrics::{Aggregator, ContextHasher};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded to the system allocator unchanged; only a thread-local
// counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|a| a.set(a.get() + 1));
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|a| a.set(a.get() + 1));
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

#[test]
fn recording_a_seen_key_does_not_allocate() {
    let hasher = ContextHasher::new([5; 16]);
    let flags: Vec<String> = (0..100).map(|i| format!("flag-{i}")).collect();
    let contexts: Vec<u64> = (0..50).map(|i| hasher.hash(&format!("user-{i}"))).collect();
    let mut a = Aggregator::new(0);
    let round = |a: &mut Aggregator| {
        for (i, flag) in flags.iter().enumerate() {
            for context in &contexts {
                let variant = if i % 2 == 0 { "on" } else { "off" };
                a.record(
                    "production",
                    flag,
                    Some(variant),
                    Reason::Split,
                    Some(*context),
                );
                a.record("production", flag, None, Reason::Error, None);
            }
        }
    };
    // The first round sees every key and context (and the counter sees it allocate); the
    // drain zeroes and keeps the tallies.
    let before = allocations();
    round(&mut a);
    assert!(allocations() > before);
    let batch = a.drain(10_000);
    assert_eq!(batch.counts.len(), 200);
    round(&mut a);
    let before = allocations();
    round(&mut a);
    assert_eq!(allocations(), before, "recording seen keys allocated");
    // After a drain the same keys are still free to count.
    a.drain(20_000);
    let before = allocations();
    round(&mut a);
    assert_eq!(allocations(), before, "recording after a drain allocated");
}
