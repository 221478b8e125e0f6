//! Per-item lists in one flat array (compressed sparse rows): the directory's
//! "links of each facility" and "places of each service", read for tens of
//! thousands of results per national search. A `Vec<Vec<_>>` costs a pointer
//! chase (a cache miss) per item; here the lists of neighbouring items sit next
//! to each other and one offset lookup finds a list.

/// Lists of `T`, one per item `0..len`.
#[derive(Debug, Clone)]
pub struct Lists<T> {
    /// List `i` is `items[off[i]..off[i + 1]]`.
    off: Vec<u32>,
    items: Vec<T>,
}

impl<T> Default for Lists<T> {
    fn default() -> Self {
        Lists {
            off: vec![0],
            items: Vec::new(),
        }
    }
}

impl<T> Lists<T> {
    /// `n` lists from `(item, value)` pairs in any order; values keep their
    /// order within a list.
    pub fn from_pairs(n: usize, pairs: impl IntoIterator<Item = (usize, T)>) -> Lists<T> {
        let mut pairs: Vec<(usize, T)> = pairs.into_iter().filter(|p| p.0 < n).collect();
        pairs.sort_by_key(|p| p.0);
        let mut off = Vec::with_capacity(n + 1);
        let mut items = Vec::with_capacity(pairs.len());
        off.push(0u32);
        let mut next = 0;
        for (i, v) in pairs {
            while next < i {
                off.push(items.len() as u32);
                next += 1;
            }
            items.push(v);
        }
        while next < n {
            off.push(items.len() as u32);
            next += 1;
        }
        Lists { off, items }
    }

    /// List `i` (empty past the end).
    #[inline]
    pub fn get(&self, i: usize) -> &[T] {
        match (self.off.get(i), self.off.get(i + 1)) {
            (Some(&a), Some(&b)) => &self.items[a as usize..b as usize],
            _ => &[],
        }
    }

    /// For a reader at position `i` of a sequence of items (`item_at(j)` is the
    /// item at position `j`): asks for the offsets [`AHEAD`] items further on
    /// than the lists, so both are in cache when the reader gets there.
    #[inline]
    pub fn prefetch_for(&self, i: usize, item_at: impl Fn(usize) -> Option<usize>) {
        if let Some(a) = item_at(i + 2 * AHEAD) {
            self.prefetch_offset(a);
        }
        if let Some(a) = item_at(i + AHEAD) {
            self.prefetch_list(a);
        }
    }

    /// Asks the CPU to start loading where list `i` begins. A national search reads
    /// the lists of a few in ten services in ascending order: too sparse for the
    /// hardware to foresee, so each list is a cache miss unless the reader names it
    /// some items ahead. Reading list `i` soon after [`Lists::prefetch_list`]`(i)`,
    /// itself soon after [`Lists::prefetch_offset`]`(i)`, finds both in cache.
    #[inline]
    pub fn prefetch_offset(&self, i: usize) {
        if let Some(o) = self.off.get(i) {
            prefetch(o);
        }
    }

    /// See [`Lists::prefetch_offset`].
    #[inline]
    pub fn prefetch_list(&self, i: usize) {
        if let Some(v) = self.off.get(i).and_then(|&a| self.items.get(a as usize)) {
            prefetch(v);
        }
    }

    pub fn len(&self) -> usize {
        self.off.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How many items ahead [`Lists::prefetch_for`] asks: far enough to cover a
/// memory access, near enough that what it loads is still in cache.
pub const AHEAD: usize = 24;

/// A hint that `x` is read soon (no effect where the CPU has no such hint).
#[inline]
pub fn prefetch<T>(x: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE is part of every x86_64 CPU, and a prefetch never faults nor
    // changes memory; `x` is a live reference anyway.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
            (x as *const T).cast::<i8>(),
        )
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}

#[cfg(test)]
mod tests {
    use super::Lists;

    #[test]
    fn lists_keep_each_items_values_in_order() {
        let l = Lists::from_pairs(4, [(2, 'a'), (0, 'b'), (2, 'c'), (9, 'x')]);
        assert_eq!(l.len(), 4);
        assert_eq!(l.get(0), &['b']);
        assert!(l.get(1).is_empty());
        assert_eq!(l.get(2), &['a', 'c']);
        assert!(l.get(3).is_empty());
        assert!(l.get(4).is_empty(), "past the end");
    }
}
