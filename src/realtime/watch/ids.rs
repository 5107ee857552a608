//! `Ids`: a sorted, duplicate-free list of user ids, kept in 4 bytes an id while every id fits
//! a `u32` (as they do in practice) and in 8 bytes otherwise, with no spare capacity. A home
//! watcher's followee list is one of these.

/// A sorted, duplicate-free, exactly sized list of ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ids {
    /// Every id fits a `u32`.
    Narrow(Box<[u32]>),
    /// Some id does not (negative, or above `u32::MAX`).
    Wide(Box<[i64]>),
}

impl Ids {
    /// The ids of a sorted, duplicate-free list.
    pub fn from_sorted(sorted: Vec<i64>) -> Self {
        let mut narrow = Vec::with_capacity(sorted.len());
        for id in &sorted {
            match u32::try_from(*id) {
                Ok(n) => narrow.push(n),
                Err(_) => return Ids::Wide(sorted.into_boxed_slice()),
            }
        }
        Ids::Narrow(narrow.into_boxed_slice())
    }

    /// Whether `id` is in the list.
    pub fn contains(&self, id: i64) -> bool {
        match self {
            Ids::Narrow(ids) => u32::try_from(id).is_ok_and(|n| ids.binary_search(&n).is_ok()),
            Ids::Wide(ids) => ids.binary_search(&id).is_ok(),
        }
    }

    /// Add (`present`) or remove `id`; true if the list changed.
    pub fn set(&mut self, id: i64, present: bool) -> bool {
        if self.contains(id) == present {
            return false;
        }
        let mut list: Vec<i64> = self.iter().collect();
        match (list.binary_search(&id), present) {
            (Err(at), true) => list.insert(at, id),
            (Ok(at), false) => {
                list.remove(at);
            }
            _ => {}
        }
        *self = Ids::from_sorted(list);
        true
    }

    /// The ids, in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        let (narrow, wide): (&[u32], &[i64]) = match self {
            Ids::Narrow(ids) => (ids, &[]),
            Ids::Wide(ids) => (&[], ids),
        };
        narrow
            .iter()
            .map(|n| i64::from(*n))
            .chain(wide.iter().copied())
    }

    /// How many ids.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        match self {
            Ids::Narrow(ids) => ids.len(),
            Ids::Wide(ids) => ids.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_ids_take_four_bytes_and_any_other_id_still_works() {
        let mut ids = Ids::from_sorted(vec![1, 5, i64::from(u32::MAX)]);
        assert!(matches!(ids, Ids::Narrow(_)));
        assert!(ids.contains(5) && !ids.contains(6) && !ids.contains(-1));
        assert!(!ids.contains(i64::from(u32::MAX) + 1));
        // An id past u32 widens the list…
        assert!(ids.set(1 << 40, true));
        assert!(matches!(ids, Ids::Wide(_)));
        assert!(ids.contains(1 << 40) && ids.contains(5));
        assert_eq!(
            ids.iter().collect::<Vec<_>>(),
            vec![1, 5, i64::from(u32::MAX), 1 << 40]
        );
        // …and losing it narrows it again.
        assert!(ids.set(1 << 40, false));
        assert!(matches!(ids, Ids::Narrow(_)));
        assert!(!ids.set(1 << 40, false), "already gone");
        assert!(ids.set(-3, true));
        assert_eq!(ids.iter().collect::<Vec<_>>()[0], -3);
        assert_eq!(ids.len(), 4);
        assert!(!ids.set(5, true), "already there");
        assert!(ids.set(5, false) && !ids.contains(5));
    }
}
