//! The snapshot decoder reads bytes that crossed a network: however they were made, decoding
//! them allocates at most a small constant times their length. Measured with a counting
//! allocator (per thread, so tests running beside each other do not disturb the count).

// A global allocator is an `unsafe` trait; this one only counts and hands every call to the
// system allocator unchanged. Test code only.
#![allow(unsafe_code)]
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use burgee_core::Snapshot;

struct Counting;

thread_local! {
    static NOW: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn add(n: usize) {
    let _ = NOW.try_with(|now| {
        let v = now.get() + n;
        now.set(v);
        let _ = PEAK.try_with(|p| p.set(p.get().max(v)));
    });
}

fn sub(n: usize) {
    let _ = NOW.try_with(|now| now.set(now.get().saturating_sub(n)));
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        sub(layout.size());
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        sub(layout.size());
        add(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The most bytes held at once while decoding `bytes`, the result dropped.
fn peak_of_decoding(bytes: &[u8]) -> usize {
    let base = NOW.with(Cell::get);
    PEAK.with(|p| p.set(base));
    drop(Snapshot::decode(bytes));
    PEAK.with(Cell::get) - base
}

/// At most this many bytes per input byte, plus a constant for the tiniest inputs.
const FACTOR: usize = 32;
const SLACK: usize = 64 * 1024;

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// The start of a snapshot: magic, version 1, environment "e".
fn header() -> Vec<u8> {
    let mut out = b"BRG1".to_vec();
    varint(&mut out, 1);
    varint(&mut out, 1);
    out.push(b'e');
    out
}

const BIG: usize = 4 << 20;

/// Hostile inputs, each about 4 MB: a list that declares as many items as the input has
/// bytes, and lists of the smallest items the format can encode.
fn hostile() -> Vec<(&'static str, Vec<u8>)> {
    let mut cases = Vec::new();
    // Counts as large as the bytes left, with nothing valid to back them: clauses, or flags.
    for (name, lists_before) in [
        ("a clause count the bytes cannot back", 0),
        ("a flag count the bytes cannot back", 2),
    ] {
        let mut lying = header();
        for _ in 0..=lists_before {
            varint(&mut lying, 0);
        }
        lying.pop();
        varint(&mut lying, (BIG - 64) as u64);
        lying.resize(BIG, 0xff);
        cases.push((name, lying));
    }
    // As many clauses as fit: each `slot 0, not negated, in {}` is six zero bytes.
    let n = BIG / 6;
    let mut clauses = header();
    varint(&mut clauses, 0);
    varint(&mut clauses, n as u64);
    clauses.resize(clauses.len() + n * 6, 0);
    varint(&mut clauses, 0); // segments
    varint(&mut clauses, 0); // flags
    cases.push(("the smallest clauses", clauses));
    // One segment with as many empty rules as bytes.
    let n = BIG - 16;
    let mut rules = header();
    varint(&mut rules, 0); // attributes
    varint(&mut rules, 0); // clauses
    varint(&mut rules, 1); // segments
    rules.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0]); // key "", not broken, two empty sets
    varint(&mut rules, n as u64);
    rules.resize(rules.len() + n, 0);
    varint(&mut rules, 0); // flags
    cases.push(("a segment of empty rules", rules));
    // As many flags as fit: a four-letter key, kind boolean, no variants, forced to variant 0.
    let n = BIG / 9;
    let mut flags = header();
    varint(&mut flags, 0);
    varint(&mut flags, 0);
    varint(&mut flags, 0);
    varint(&mut flags, n as u64);
    for i in 0..n {
        let key = [
            4,
            b'a' + (i / 17576 % 26) as u8,
            b'a' + (i / 676 % 26) as u8,
            b'a' + (i / 26 % 26) as u8,
            b'a' + (i % 26) as u8,
        ];
        flags.extend_from_slice(&key);
        flags.extend_from_slice(&[0, 0, 2, 0]);
    }
    cases.push(("the smallest flags", flags));
    // Rules of a live flag: each `no id, no clauses, serve variant 0` is four bytes.
    let n = BIG / 4;
    let mut live = header();
    varint(&mut live, 0);
    varint(&mut live, 0);
    varint(&mut live, 0);
    varint(&mut live, 1);
    live.extend_from_slice(&[1, b'f', 0, 0, 0, 1, 0, 0, 0]); // key, kind, no variants, live, on, off none, no prereqs, no targets
    varint(&mut live, n as u64);
    for _ in 0..n {
        live.extend_from_slice(&[0, 0, 0, 0]);
    }
    live.extend_from_slice(&[0, 0]); // no default, no schedule
    cases.push(("the smallest rules", live));
    cases
}

#[test]
fn decoding_hostile_bytes_allocates_a_small_constant_times_their_length() {
    for (name, bytes) in hostile() {
        let peak = peak_of_decoding(&bytes);
        println!(
            "{name}: {} bytes, peak {peak} bytes ({:.1}x)",
            bytes.len(),
            peak as f64 / bytes.len() as f64
        );
        assert!(
            peak <= FACTOR * bytes.len() + SLACK,
            "{name}: {} input bytes allocated {peak} at peak",
            bytes.len()
        );
    }
}

#[test]
fn real_snapshots_stay_well_inside_the_budget() {
    let doc = burgee_tests::benchmark_document(100);
    let loaded = burgee_core::load(&doc.to_string()).expect("loads");
    let bytes = loaded.compile("production").snapshot.encode();
    let peak = peak_of_decoding(&bytes);
    let ratio = peak as f64 / bytes.len() as f64;
    println!(
        "benchmark snapshot: {} bytes, peak {peak} bytes ({ratio:.1}x)",
        bytes.len()
    );
    assert!(Snapshot::decode(&bytes).is_ok());
    assert!(ratio < FACTOR as f64 / 2.0, "{ratio:.1}x");
}
