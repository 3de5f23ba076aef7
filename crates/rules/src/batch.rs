//! Batch evaluation (in progress).
