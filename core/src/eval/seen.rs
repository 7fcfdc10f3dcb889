//! What one evaluation has already decided about segments and prerequisite flags.
//!
//! Segments nest and flags require flags, so one flag can reach the same segment along many
//! paths: a graph shaped like a ladder of diamonds, two branches per level, has 2^depth paths
//! through only 2·depth nodes. Deciding each node once makes an evaluation cost the size of
//! the graph it reaches, not the number of paths through it.
//!
//! The table lives on the stack, and only evaluations that reach a segment or a prerequisite
//! have one (see [`Seen`]), so flags that use neither pay nothing. Validation bounds how many nodes one
//! flag may reach ([`crate::MAX_GRAPH`]), which is half the table: a probe meets a free slot
//! within a few steps, and a valid document never fills it. A snapshot built by hand that
//! does gets `GENERAL` (see [`Seen::remember`]), never an evaluation that runs for minutes.

use crate::MAX_GRAPH;

/// Slots in the table: twice [`MAX_GRAPH`], a power of two.
const SLOTS: usize = 2 * MAX_GRAPH;
const EMPTY: u32 = u32::MAX;

/// A node of the evaluation graph.
#[derive(Clone, Copy)]
pub(super) enum Node {
    Segment(u32),
    Flag(u32),
}

impl Node {
    #[inline]
    fn id(self) -> u32 {
        match self {
            Node::Segment(i) => i << 1,
            Node::Flag(i) => (i << 1) | 1,
        }
    }
}

/// An open-addressing table from nodes to what they decided (a segment: membership as 0/1; a
/// flag: its outcome packed as `super::pack` does).
pub(super) struct Table {
    keys: [u32; SLOTS],
    values: [u32; SLOTS],
    len: usize,
}

impl Table {
    pub(super) fn new() -> Table {
        Table {
            keys: [EMPTY; SLOTS],
            values: [0; SLOTS],
            len: 0,
        }
    }

    #[inline]
    fn slot(&self, id: u32) -> (usize, bool) {
        let mut at = (id.wrapping_mul(0x9e37_79b9) >> 24) as usize % SLOTS;
        loop {
            match self.keys.get(at).copied() {
                Some(k) if k == id => return (at, true),
                Some(EMPTY) | None => return (at, false),
                Some(_) => at = (at + 1) % SLOTS,
            }
        }
    }
}

/// What [`Seen::recall`] knows of a node.
pub(super) enum Recall {
    Known(u32),
    Unknown,
    /// This evaluation runs without a table (see [`Seen`]) and must start again with one.
    NoTable,
}

/// The memory of one evaluation. Most flags reach no segment and no prerequisite, and a
/// table of a few kilobytes in their stack frame measurably slows them, so an evaluation
/// starts without one. The first segment or prerequisite it meets answers [`Recall::NoTable`];
/// the evaluation stops there, and the caller runs it again with a table (see
/// `Snapshot::outcome_with`). Only what came before that point is done twice.
pub(super) struct Seen<'t> {
    table: Option<&'t mut Table>,
    needed: bool,
}

impl<'t> Seen<'t> {
    /// No table: the first segment or prerequisite stops the evaluation.
    pub(super) fn none() -> Seen<'t> {
        Seen {
            table: None,
            needed: false,
        }
    }

    pub(super) fn with(table: &'t mut Table) -> Seen<'t> {
        Seen {
            table: Some(table),
            needed: false,
        }
    }

    /// Whether the evaluation stopped for want of a table.
    pub(super) fn needed(&self) -> bool {
        self.needed
    }

    /// What `node` decided earlier in this evaluation, if it did.
    #[inline]
    pub(super) fn recall(&mut self, node: Node) -> Recall {
        let Some(table) = self.table.as_deref() else {
            self.needed = true;
            return Recall::NoTable;
        };
        match table.slot(node.id()) {
            (at, true) => table
                .values
                .get(at)
                .copied()
                .map_or(Recall::Unknown, Recall::Known),
            _ => Recall::Unknown,
        }
    }

    /// Remembers what `node` decided. `false` when the table already holds [`MAX_GRAPH`]
    /// nodes (the snapshot reaches more from one flag than validation allows), or there is
    /// no table.
    pub(super) fn remember(&mut self, node: Node, value: u32) -> bool {
        let Some(table) = self.table.as_deref_mut() else {
            self.needed = true;
            return false;
        };
        let (at, known) = table.slot(node.id());
        if !known {
            if table.len >= MAX_GRAPH {
                return false;
            }
            table.len += 1;
        }
        if let (Some(k), Some(v)) = (table.keys.get_mut(at), table.values.get_mut(at)) {
            *k = node.id();
            *v = value;
        }
        true
    }
}
