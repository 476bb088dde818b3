//! The on-disk history cache: one file per coin in the user data dir.
