//! Integration tests of the workflow rules working together, as the server applies them.

mod pipeline;
