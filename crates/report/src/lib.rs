//! Transparent figures: each metric has a written definition (docs/METRICS.md) and is
//! computed from per-conversation facts that anyone can export and recompute.
