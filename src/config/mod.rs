//! Settings: the TOML file, environment overrides and paths from `directories`.
