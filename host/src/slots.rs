//! Places for runs, shared by the two front ends of `plexus serve`: the
//! folder watching ([`crate::daemon`]) takes one for each dataset it
//! processes, the HTTP job runner ([`crate::service`]) one for each job, so
//! that at most `--datasets` runs go at once however they arrived, each
//! within `--threads` and `--memory`: one scheduler, one bound on memory.

use std::sync::{Arc, Mutex};

/// A fixed number of places.
#[derive(Debug)]
pub struct Slots {
    free: Mutex<usize>,
    total: usize,
}

/// A place held; given back when dropped.
#[derive(Debug)]
pub struct Slot {
    slots: Arc<Slots>,
}

impl Slots {
    /// `total` places (at least one).
    pub fn new(total: usize) -> Arc<Slots> {
        let total = total.max(1);
        Arc::new(Slots { free: Mutex::new(total), total })
    }

    /// A place, if one is free now.
    pub fn try_take(self: &Arc<Slots>) -> Option<Slot> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        if *free == 0 {
            return None;
        }
        *free -= 1;
        Some(Slot { slots: self.clone() })
    }

    /// Places held now.
    pub fn busy(&self) -> usize {
        self.total - *self.free.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        *self.slots.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_taken_up_to_the_total_and_given_back_on_drop() {
        let s = Slots::new(2);
        let a = s.try_take().unwrap();
        let _b = s.try_take().unwrap();
        assert!(s.try_take().is_none());
        assert_eq!(s.busy(), 2);
        drop(a);
        assert!(s.try_take().is_some());
    }
}
