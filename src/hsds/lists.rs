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

    pub fn len(&self) -> usize {
        self.off.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
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
