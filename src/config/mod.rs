//! Settings: the TOML file, environment overrides and paths from `directories`.
//!
//! Policy: an explicitly named file (`--config` or `COINLENS_CONFIG`) that is
//! missing or invalid is an error quoting the bad key and value. The default
//! file is written with comments on first run; if it later fails to parse,
//! coinlens warns and runs with the defaults. Environment variables override
//! the file.

mod paths;

pub use paths::Paths;

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The commented default config, written on first run.
pub const DEFAULT_CONFIG: &str = include_str!("../../assets/default_config.toml");

/// Everything the config file can set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Quote currency for prices, as CoinGecko names it (`usd`, `eur`, `btc`).
    pub vs_currency: String,
    /// How many coins to track, by market cap.
    pub coin_count: usize,
    /// Minutes between automatic refreshes while the app runs; 0 turns them off.
    pub refresh_interval_minutes: u64,
    /// Data older than this many minutes is marked stale.
    pub stale_after_minutes: u64,
    /// Saved models older than this many days are retrained on start.
    pub retrain_after_days: u64,
    pub api: ApiConfig,
    pub gem: GemConfig,
    pub training: TrainingConfig,
    /// Key remapping, `action = "key"`, read by the TUI.
    pub keys: toml::Table,
    /// Colour overrides, `role = "colour"`, read by the TUI.
    pub colors: toml::Table,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            vs_currency: "usd".to_string(),
            coin_count: 100,
            refresh_interval_minutes: 15,
            stale_after_minutes: 60,
            retrain_after_days: 7,
            api: ApiConfig::default(),
            gem: GemConfig::default(),
            training: TrainingConfig::default(),
            keys: toml::Table::new(),
            colors: toml::Table::new(),
        }
    }
}

/// API keys and endpoints. Keys set here are only read from the user's own file.
#[derive(Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// CoinGecko demo key (sent as `x-cg-demo-api-key` to the public host).
    pub coingecko_demo_key: Option<String>,
    /// CoinGecko pro key (sent as `x-cg-pro-api-key` to the pro host).
    pub coingecko_pro_key: Option<String>,
    /// CryptoCompare key; when set, daily OHLCV comes from CryptoCompare.
    pub cryptocompare_key: Option<String>,
    /// Base-URL overrides, for a mock server in tests.
    pub coingecko_url: Option<String>,
    pub cryptocompare_url: Option<String>,
}

impl std::fmt::Debug for ApiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redact = |key: &Option<String>| key.as_ref().map(|_| "***");
        f.debug_struct("ApiConfig")
            .field("coingecko_demo_key", &redact(&self.coingecko_demo_key))
            .field("coingecko_pro_key", &redact(&self.coingecko_pro_key))
            .field("cryptocompare_key", &redact(&self.cryptocompare_key))
            .field("coingecko_url", &self.coingecko_url)
            .field("cryptocompare_url", &self.cryptocompare_url)
            .finish()
    }
}

/// The gem rule and the lift over the base rate that flags a coin as a gem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GemConfig {
    pub top_n_excluded: usize,
    pub horizon_days: i64,
    /// Required lead over bitcoin's return, in percentage points.
    pub margin_percent: f64,
    /// Flags a coin when its gem probability is this multiple of the training gem rate.
    pub min_lift: f64,
    pub excluded_ids: Vec<String>,
}

impl Default for GemConfig {
    fn default() -> Self {
        let rule = crate::ml::GemRule::default();
        Self {
            top_n_excluded: rule.top_n_excluded,
            horizon_days: rule.horizon_days,
            margin_percent: rule.margin * 100.0,
            min_lift: 2.0,
            excluded_ids: rule.excluded_ids,
        }
    }
}

impl GemConfig {
    pub fn rule(&self) -> crate::ml::GemRule {
        crate::ml::GemRule {
            top_n_excluded: self.top_n_excluded,
            horizon_days: self.horizon_days,
            margin: self.margin_percent / 100.0,
            excluded_ids: self.excluded_ids.clone(),
        }
    }
}

/// Forest sizes and the test period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainingConfig {
    pub trees: usize,
    pub max_depth: u16,
    pub min_samples_leaf: usize,
    pub test_fraction: f64,
    pub max_fit_rows: usize,
    pub tune: bool,
}

impl Default for TrainingConfig {
    fn default() -> Self {
        let forest = crate::ml::ForestParams::default();
        Self {
            trees: forest.n_trees,
            max_depth: forest.max_depth,
            min_samples_leaf: forest.min_samples_leaf,
            test_fraction: 0.2,
            max_fit_rows: crate::ml::DEFAULT_MAX_FIT_ROWS,
            tune: true,
        }
    }
}

impl Config {
    /// Builds the training settings from this config.
    pub fn train_settings(&self) -> crate::ml::TrainSettings {
        let mut settings = crate::ml::TrainSettings::default();
        for forest in [&mut settings.price_forest, &mut settings.gem_forest] {
            forest.n_trees = self.training.trees;
            forest.max_depth = self.training.max_depth;
            forest.min_samples_leaf = self.training.min_samples_leaf;
        }
        settings.test_fraction = self.training.test_fraction;
        settings.max_fit_rows = self.training.max_fit_rows;
        settings.tune = self.training.tune;
        settings.gem_rule = self.gem.rule();
        settings
    }

    /// Checks values that parse but make no sense, quoting key and value.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, value: String, expected: &str| ConfigError::Invalid {
            key: key.to_string(),
            value,
            expected: expected.to_string(),
        };
        if self.vs_currency.trim().is_empty()
            || !self.vs_currency.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return Err(invalid(
                "vs_currency",
                format!("{:?}", self.vs_currency),
                "a currency code such as \"usd\"",
            ));
        }
        if !(1..=5000).contains(&self.coin_count) {
            return Err(invalid(
                "coin_count",
                self.coin_count.to_string(),
                "a number from 1 to 5000",
            ));
        }
        if !(1..=5000).contains(&self.training.trees) {
            return Err(invalid(
                "training.trees",
                self.training.trees.to_string(),
                "a number from 1 to 5000",
            ));
        }
        if !(1..=64).contains(&self.training.max_depth) {
            return Err(invalid(
                "training.max_depth",
                self.training.max_depth.to_string(),
                "a number from 1 to 64",
            ));
        }
        if !(0.05..=0.5).contains(&self.training.test_fraction) {
            return Err(invalid(
                "training.test_fraction",
                self.training.test_fraction.to_string(),
                "a fraction from 0.05 to 0.5",
            ));
        }
        if !(1_000..=100_000_000).contains(&self.training.max_fit_rows) {
            return Err(invalid(
                "training.max_fit_rows",
                self.training.max_fit_rows.to_string(),
                "a number from 1000 to 100000000",
            ));
        }
        if !(1.0..=100.0).contains(&self.gem.min_lift) {
            return Err(invalid(
                "gem.min_lift",
                self.gem.min_lift.to_string(),
                "a multiple from 1 to 100",
            ));
        }
        if self.gem.horizon_days < 1 {
            return Err(invalid(
                "gem.horizon_days",
                self.gem.horizon_days.to_string(),
                "at least 1 day",
            ));
        }
        Ok(())
    }

    /// Builds the key table with the `[keys]` remapping applied.
    pub fn key_bindings(&self) -> Result<crate::tui::KeyBindings, String> {
        toml::Value::Table(self.keys.clone())
            .try_into()
            .map_err(|error: toml::de::Error| error.to_string())
    }

    /// Builds the colours with the `[colors]` overrides applied.
    pub fn theme(&self) -> Result<crate::tui::Theme, String> {
        toml::Value::Table(self.colors.clone())
            .try_into()
            .map_err(|error: toml::de::Error| error.to_string())
    }

    /// Applies environment overrides: API keys and base URLs.
    pub fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) {
        let non_empty = |name: &str| env(name).filter(|value| !value.trim().is_empty());
        if let Some(key) = non_empty("COINGECKO_API_KEY") {
            self.api.coingecko_demo_key = Some(key);
        }
        if let Some(key) = non_empty("COINGECKO_PRO_API_KEY") {
            self.api.coingecko_pro_key = Some(key);
        }
        if let Some(key) = non_empty("CRYPTOCOMPARE_API_KEY") {
            self.api.cryptocompare_key = Some(key);
        }
        if let Some(url) = non_empty("COINLENS_COINGECKO_URL") {
            self.api.coingecko_url = Some(url);
        }
        if let Some(url) = non_empty("COINLENS_CRYPTOCOMPARE_URL") {
            self.api.cryptocompare_url = Some(url);
        }
    }
}

/// Error that makes a config unusable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {path} not found; create it, or drop --config and unset COINLENS_CONFIG to use the default file")]
    NotFound { path: PathBuf },
    #[error("could not read config file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid value {value} for `{key}`: expected {expected}")]
    Invalid {
        key: String,
        value: String,
        expected: String,
    },
}

/// A loaded config and the warnings to show the user about it.
#[derive(Debug)]
pub struct LoadedConfig {
    pub config: Config,
    pub path: PathBuf,
    pub warnings: Vec<String>,
}

/// Parses config text; errors name the file, the key and the value.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let parse_error = |message: String| ConfigError::Parse {
        path: path.to_path_buf(),
        message: message.trim_end().to_string(),
    };
    // The description quotes the offending line, which may be an API key line.
    let config: Config = toml::from_str(text).map_err(|error| {
        parse_error(redact_key_values(&describe_toml_error(&error, text), text))
    })?;
    config.validate()?;
    config
        .key_bindings()
        .map_err(|message| parse_error(format!("[keys]: {message}")))?;
    config
        .theme()
        .map_err(|message| parse_error(format!("[colors]: {message}")))?;
    Ok(config)
}

/// Describes a TOML error on one line: the line number, that line's text
/// and the message, in place of the multi-line excerpt `Display` adds.
fn describe_toml_error(error: &toml::de::Error, text: &str) -> String {
    let message = error.message().trim().replace('\n', " ");
    match error.span() {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            let source = text.lines().nth(line - 1).unwrap_or("").trim();
            format!("line {line} `{source}`: {message}")
        }
        None => message,
    }
}

/// Replaces in `message` every value assigned to a `*_key` setting in `text`,
/// quoted or not, with `***`.
fn redact_key_values(message: &str, text: &str) -> String {
    let mut redacted = message.to_string();
    for line in text.lines() {
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        if name.trim_start().starts_with('#') || !name.contains("_key") {
            continue;
        }
        let raw = value.trim();
        let inner =
            raw.trim_matches(|c: char| matches!(c, '"' | '\'' | '[' | ']') || c.is_whitespace());
        for secret in [raw, inner] {
            if secret.len() >= 4 {
                redacted = redacted.replace(secret, "***");
            }
        }
    }
    redacted
}

/// Loads the config. `explicit` is a path the user named; without one the
/// default path is used and created with the commented default if missing.
pub fn load(explicit: Option<&Path>, default_path: &Path) -> Result<LoadedConfig, ConfigError> {
    let mut warnings = Vec::new();
    let config = match explicit {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| {
                if source.kind() == std::io::ErrorKind::NotFound {
                    ConfigError::NotFound {
                        path: path.to_path_buf(),
                    }
                } else {
                    ConfigError::Read {
                        path: path.to_path_buf(),
                        source,
                    }
                }
            })?;
            warnings.extend(permission_warning(path));
            parse(&text, path)?
        }
        None => match std::fs::read_to_string(default_path) {
            Ok(text) => {
                warnings.extend(permission_warning(default_path));
                match parse(&text, default_path) {
                    Ok(config) => config,
                    Err(error) => {
                        warnings.push(format!("{error}; using the built-in defaults"));
                        Config::default()
                    }
                }
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                if let Err(error) =
                    crate::binfile::write_atomic(default_path, DEFAULT_CONFIG.as_bytes())
                {
                    warnings.push(format!(
                        "could not write the default config to {}: {error}",
                        default_path.display()
                    ));
                }
                Config::default()
            }
            Err(source) => {
                return Err(ConfigError::Read {
                    path: default_path.to_path_buf(),
                    source,
                })
            }
        },
    };
    let path = explicit.unwrap_or(default_path).to_path_buf();
    Ok(LoadedConfig {
        config,
        path,
        warnings,
    })
}

/// Warns when a config file that contains API keys is readable by other users.
fn permission_warning(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let text = std::fs::read_to_string(path).ok()?;
        let holds_key = text.lines().any(|line| {
            let line = line.trim_start();
            !line.starts_with('#') && line.contains("_key") && line.contains('=')
        });
        let mode = std::fs::metadata(path).ok()?.permissions().mode();
        if holds_key && mode & 0o044 != 0 {
            return Some(format!(
                "{} holds API keys and is readable by other users; run `chmod 600 {}`",
                path.display(),
                path.display()
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_default_parses_to_defaults() {
        let config = parse(DEFAULT_CONFIG, Path::new("default_config.toml")).unwrap();
        assert_eq!(config, Config::default());
    }

    #[test]
    fn unknown_key_is_named() {
        let error = parse(
            "vs_currency = \"usd\"\ncoin_cont = 5\n",
            Path::new("c.toml"),
        )
        .unwrap_err();
        let message = error.to_string();
        assert!(message.contains("coin_cont"), "{message}");
        assert!(message.contains("line 2"), "{message}");
        assert!(!message.contains('\n'), "{message}");
    }

    #[test]
    fn bad_value_is_quoted() {
        let error = parse("coin_count = 0\n", Path::new("c.toml")).unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("coin_count") && message.contains('0'),
            "{message}"
        );

        let error = parse("vs_currency = 5\n", Path::new("c.toml")).unwrap_err();
        assert!(error.to_string().contains("vs_currency"), "{error}");
    }

    #[test]
    fn bad_key_remap_is_named() {
        let error = parse("[keys]\nrefesh = \"F5\"\n", Path::new("c.toml")).unwrap_err();
        assert!(error.to_string().contains("refesh"), "{error}");

        let error = parse("[colors]\nup = \"not-a-colour\"\n", Path::new("c.toml")).unwrap_err();
        assert!(error.to_string().contains("not-a-colour"), "{error}");
    }

    #[test]
    fn environment_overrides_file() {
        let mut config = parse(
            "[api]\ncryptocompare_key = \"from-file\"\n",
            Path::new("c.toml"),
        )
        .unwrap();
        config.apply_env(|name| match name {
            "CRYPTOCOMPARE_API_KEY" => Some("from-env".to_string()),
            "COINGECKO_API_KEY" => Some("  ".to_string()),
            _ => None,
        });
        assert_eq!(config.api.cryptocompare_key.as_deref(), Some("from-env"));
        assert_eq!(config.api.coingecko_demo_key, None);
    }

    #[test]
    fn debug_output_hides_keys() {
        let mut config = Config::default();
        config.api.coingecko_pro_key = Some("CANARY-KEY-123".to_string());
        assert!(!format!("{config:?}").contains("CANARY-KEY-123"));
    }

    #[test]
    fn parse_error_hides_key_value() {
        let text = "[api]\ncoingecko_demo_key = CG-unquoted-secret\n";
        let message = parse(text, Path::new("c.toml")).unwrap_err().to_string();
        assert!(!message.contains("CG-unquoted-secret"), "{message}");
        assert!(message.contains("coingecko_demo_key = ***"), "{message}");
        assert!(message.contains("line 2"), "{message}");
    }

    #[test]
    fn explicit_missing_file_fails_and_default_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.toml");
        assert!(matches!(
            load(Some(&missing), &dir.path().join("unused.toml")),
            Err(ConfigError::NotFound { .. })
        ));

        let default_path = dir.path().join("config").join("config.toml");
        let loaded = load(None, &default_path).unwrap();
        assert_eq!(loaded.config, Config::default());
        assert_eq!(
            std::fs::read_to_string(&default_path).unwrap(),
            DEFAULT_CONFIG
        );
    }

    #[test]
    fn broken_default_file_warns_and_falls_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "coin_count = \"many\"\n").unwrap();
        let loaded = load(None, &path).unwrap();
        assert_eq!(loaded.config, Config::default());
        assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    }
}
