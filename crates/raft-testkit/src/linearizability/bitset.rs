//! A fixed-size bitset naming the operations linearized so far.

/// One bit per operation of a partition.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct BitSet {
    words: Box<[u64]>,
}

impl BitSet {
    /// `len` bits, all clear.
    pub(crate) fn new(len: usize) -> Self {
        Self {
            words: vec![0; len.div_ceil(64)].into_boxed_slice(),
        }
    }

    /// Sets bit `i` (ignored past the end).
    pub(crate) fn set(&mut self, i: usize) {
        if let Some(word) = self.words.get_mut(i / 64) {
            *word |= 1 << (i % 64);
        }
    }

    /// Clears bit `i` (ignored past the end).
    pub(crate) fn clear(&mut self, i: usize) {
        if let Some(word) = self.words.get_mut(i / 64) {
            *word &= !(1 << (i % 64));
        }
    }

    /// Whether every bit set in `self` is set in `other` (of the same size).
    pub(crate) fn is_subset(&self, other: &Self) -> bool {
        self.words.len() == other.words.len()
            && self
                .words
                .iter()
                .zip(other.words.iter())
                .all(|(mine, theirs)| mine & !theirs == 0)
    }

    /// Whether bit `i` is set.
    #[cfg(test)]
    pub(crate) fn contains(&self, i: usize) -> bool {
        self.words
            .get(i / 64)
            .is_some_and(|word| word & (1 << (i % 64)) != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::BitSet;

    #[test]
    fn set_and_clear_across_words() {
        let mut bits = BitSet::new(130);
        for i in [0, 63, 64, 129] {
            bits.set(i);
        }
        assert!(bits.contains(0) && bits.contains(63) && bits.contains(64) && bits.contains(129));
        assert!(!bits.contains(1) && !bits.contains(128));
        bits.clear(64);
        assert!(!bits.contains(64) && bits.contains(63));
        let mut superset = bits.clone();
        superset.set(1);
        assert!(bits.is_subset(&superset) && !superset.is_subset(&bits));
        assert!(bits.is_subset(&bits) && !BitSet::new(64).is_subset(&bits));
        bits.set(500); // past the end: ignored
        assert_eq!(bits, {
            let mut expected = BitSet::new(130);
            for i in [0, 63, 129] {
                expected.set(i);
            }
            expected
        });
    }
}
