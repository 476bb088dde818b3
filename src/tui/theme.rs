//! Colours used by the views, configurable through a `[colors]` TOML table.

use ratatui::style::{Color, Modifier, Style};
use serde::{Deserialize, Deserializer};
use std::str::FromStr;

/// The colours of every view. Each field accepts a colour name (`green`,
/// `light-red`), a hex value (`#00ff88`) or a 256-colour index (`208`);
/// missing fields keep their defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Theme {
    /// Rising prices and positive returns.
    #[serde(deserialize_with = "color")]
    pub up: Color,
    /// Falling prices and negative returns.
    #[serde(deserialize_with = "color")]
    pub down: Color,
    /// Titles, the active tab and chart lines.
    #[serde(deserialize_with = "color")]
    pub accent: Color,
    /// Secondary text such as column headers and hints.
    #[serde(deserialize_with = "color")]
    pub muted: Color,
    #[serde(deserialize_with = "color")]
    pub error: Color,
    /// Stale data and out-of-range predictions.
    #[serde(deserialize_with = "color")]
    pub warning: Color,
    /// Background of the selected row.
    #[serde(deserialize_with = "color")]
    pub selection: Color,
    /// Gem markers and favourite stars.
    #[serde(deserialize_with = "color")]
    pub highlight: Color,
}

impl Default for Theme {
    fn default() -> Self {
        Self {
            up: Color::Green,
            down: Color::Red,
            accent: Color::Cyan,
            muted: Color::DarkGray,
            error: Color::LightRed,
            warning: Color::Yellow,
            selection: Color::Indexed(236),
            highlight: Color::Magenta,
        }
    }
}

impl Theme {
    /// Style for a signed change: green when up, red when down, plain at zero or unknown.
    pub fn change(&self, value: Option<f64>) -> Style {
        match value {
            Some(v) if v > 0.0 => Style::new().fg(self.up),
            Some(v) if v < 0.0 => Style::new().fg(self.down),
            _ => Style::new(),
        }
    }

    pub fn title(&self) -> Style {
        Style::new().fg(self.accent).add_modifier(Modifier::BOLD)
    }

    pub fn muted(&self) -> Style {
        Style::new().fg(self.muted)
    }
}

fn color<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Color, D::Error> {
    let text = String::deserialize(deserializer)?;
    Color::from_str(&text).map_err(|_| {
        serde::de::Error::custom(format!(
            "invalid colour {text:?}: expected a name such as \"green\", a hex value such as \
             \"#00ff88\" or a 256-colour index such as \"208\""
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_table_keeps_defaults() {
        let theme: Theme = toml::from_str("up = \"#00ff88\"\ndown = \"208\"\n").unwrap();
        assert_eq!(theme.up, Color::Rgb(0, 0xff, 0x88));
        assert_eq!(theme.down, Color::Indexed(208));
        assert_eq!(theme.accent, Theme::default().accent);
    }

    #[test]
    fn bad_colour_quoted() {
        let error = toml::from_str::<Theme>("up = \"greenish\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("invalid colour \"greenish\""), "{error}");
    }

    #[test]
    fn unknown_field_rejected() {
        let error = toml::from_str::<Theme>("upp = \"green\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("upp"), "{error}");
    }
}
