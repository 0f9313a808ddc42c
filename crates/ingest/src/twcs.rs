//! Kaggle "Customer Support on Twitter" (TWCS) CSV. Not built yet.

use crate::{Options, Records, Rejected, Source};

pub(crate) fn records(source: Source, _options: &Options) -> Records {
    let rejected = Rejected::new(source.name(), 0, None, "format twcs is not built yet");
    Records::new(std::iter::once(Err(rejected)))
}
