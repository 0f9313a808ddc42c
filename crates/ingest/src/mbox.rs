//! Email archives in mbox format. Not built yet.

use crate::{Options, Records, Rejected, Source};

pub(crate) fn records(source: Source, _options: &Options) -> Records {
    let rejected = Rejected::new(source.name(), 0, None, "format mbox is not built yet");
    Records::new(std::iter::once(Err(rejected)))
}
