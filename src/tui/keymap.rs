//! Key bindings as data: one table of action, keys and description.
//!
//! The help overlay and the footer hints are generated from this table, so
//! they always show the keys that are actually bound.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

/// Everything a key can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Quit,
    Refresh,
    Retrain,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Details,
    Back,
    NextView,
    PreviousView,
    NextSort,
    ReverseSort,
    Filter,
    ToggleFavorite,
    Models,
    ChartRange,
    Help,
}

/// One row of the key table.
struct ActionInfo {
    action: Action,
    /// Name used in the `[keys]` config table.
    name: &'static str,
    description: &'static str,
    /// Short label for the footer; `None` keeps the action out of the footer.
    hint: Option<&'static str>,
    default_keys: &'static [&'static str],
}

const TABLE: &[ActionInfo] = &[
    ActionInfo {
        action: Action::Quit,
        name: "quit",
        description: "Quit coinlens",
        hint: Some("quit"),
        default_keys: &["q", "Ctrl-c"],
    },
    ActionInfo {
        action: Action::Refresh,
        name: "refresh",
        description: "Fetch new market data and score again",
        hint: Some("refresh"),
        default_keys: &["r"],
    },
    ActionInfo {
        action: Action::Retrain,
        name: "retrain",
        description: "Train the models again",
        hint: Some("retrain"),
        default_keys: &["t"],
    },
    ActionInfo {
        action: Action::Up,
        name: "up",
        description: "Select the previous row",
        hint: None,
        default_keys: &["Up", "k"],
    },
    ActionInfo {
        action: Action::Down,
        name: "down",
        description: "Select the next row",
        hint: None,
        default_keys: &["Down", "j"],
    },
    ActionInfo {
        action: Action::PageUp,
        name: "page_up",
        description: "Move one page up",
        hint: None,
        default_keys: &["PageUp"],
    },
    ActionInfo {
        action: Action::PageDown,
        name: "page_down",
        description: "Move one page down",
        hint: None,
        default_keys: &["PageDown"],
    },
    ActionInfo {
        action: Action::Top,
        name: "top",
        description: "Select the first row",
        hint: None,
        default_keys: &["g", "Home"],
    },
    ActionInfo {
        action: Action::Bottom,
        name: "bottom",
        description: "Select the last row",
        hint: None,
        default_keys: &["G", "End"],
    },
    ActionInfo {
        action: Action::Details,
        name: "details",
        description: "Open the chart and details of the selected coin",
        hint: Some("details"),
        default_keys: &["Enter"],
    },
    ActionInfo {
        action: Action::Back,
        name: "back",
        description: "Close the open panel or clear the filter",
        hint: None,
        default_keys: &["Esc"],
    },
    ActionInfo {
        action: Action::NextView,
        name: "next_view",
        description: "Switch to the next view",
        hint: Some("view"),
        default_keys: &["Tab"],
    },
    ActionInfo {
        action: Action::PreviousView,
        name: "previous_view",
        description: "Switch to the previous view",
        hint: None,
        default_keys: &["Shift-Tab"],
    },
    ActionInfo {
        action: Action::NextSort,
        name: "next_sort",
        description: "Sort by the next column",
        hint: Some("sort"),
        default_keys: &["s"],
    },
    ActionInfo {
        action: Action::ReverseSort,
        name: "reverse_sort",
        description: "Reverse the sort order",
        hint: None,
        default_keys: &["S"],
    },
    ActionInfo {
        action: Action::Filter,
        name: "filter",
        description: "Filter by name or symbol as you type",
        hint: Some("filter"),
        default_keys: &["/"],
    },
    ActionInfo {
        action: Action::ToggleFavorite,
        name: "toggle_favorite",
        description: "Add or remove the selected coin from favourites",
        hint: Some("favourite"),
        default_keys: &["f"],
    },
    ActionInfo {
        action: Action::Models,
        name: "models",
        description: "Show the models panel",
        hint: Some("models"),
        default_keys: &["m"],
    },
    ActionInfo {
        action: Action::ChartRange,
        name: "chart_range",
        description: "Switch the detail chart between 180, 90 and 30 days",
        hint: Some("chart days"),
        default_keys: &["c"],
    },
    ActionInfo {
        action: Action::Help,
        name: "help",
        description: "Show or hide this help",
        hint: Some("help"),
        default_keys: &["?"],
    },
];

impl Action {
    /// Returns every action in table order.
    pub fn all() -> impl Iterator<Item = Action> {
        TABLE.iter().map(|info| info.action)
    }

    fn info(self) -> &'static ActionInfo {
        // Every variant has exactly one row; `action_table_covers_every_variant` checks it.
        TABLE
            .iter()
            .find(|info| info.action == self)
            .unwrap_or(&TABLE[0])
    }

    /// Returns the name used in the `[keys]` config table, such as `next_view`.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    pub fn description(self) -> &'static str {
        self.info().description
    }

    /// Short footer label, or `None` for actions left out of the footer.
    pub fn hint(self) -> Option<&'static str> {
        self.info().hint
    }

    fn from_name(name: &str) -> Option<Action> {
        TABLE
            .iter()
            .find(|info| info.name == name)
            .map(|info| info.action)
    }
}

/// A key with its modifiers, as written in the config: `q`, `F5`, `Ctrl-c`,
/// `Shift-Tab`, `PageDown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

impl Key {
    /// Parses a key string; the error text lists the accepted forms.
    pub fn parse(text: &str) -> Result<Key, String> {
        const ACCEPTED: &str = "expected a single character, F1-F12, Up, Down, Left, Right, \
             PageUp, PageDown, Home, End, Enter, Esc, Tab, Backspace, Delete, Insert or Space, \
             optionally prefixed with Ctrl-, Alt- or Shift-";

        let mut modifiers = KeyModifiers::NONE;
        let mut rest = text;
        loop {
            if let Some(stripped) = strip_prefix_ignore_case(rest, "ctrl-") {
                modifiers |= KeyModifiers::CONTROL;
                rest = stripped;
            } else if let Some(stripped) = strip_prefix_ignore_case(rest, "alt-") {
                modifiers |= KeyModifiers::ALT;
                rest = stripped;
            } else if let Some(stripped) = strip_prefix_ignore_case(rest, "shift-") {
                modifiers |= KeyModifiers::SHIFT;
                rest = stripped;
            } else {
                break;
            }
        }

        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => named_key(rest).ok_or_else(|| ACCEPTED.to_string())?,
        };
        Ok(normalize(Key { code, modifiers }))
    }

    /// Returns true when a terminal key event is this key.
    pub fn matches(&self, event: &KeyEvent) -> bool {
        normalize(Key {
            code: event.code,
            modifiers: event.modifiers,
        }) == *self
    }
}

/// Shift is part of the character for printable keys (`G` arrives as `G`
/// with SHIFT), and Shift-Tab arrives as BackTab, so both are folded into
/// one form before comparing.
fn normalize(key: Key) -> Key {
    let mut modifiers =
        key.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
    let code = match key.code {
        KeyCode::Char(c) => {
            modifiers.remove(KeyModifiers::SHIFT);
            if modifiers.contains(KeyModifiers::CONTROL) {
                KeyCode::Char(c.to_ascii_lowercase())
            } else {
                KeyCode::Char(c)
            }
        }
        KeyCode::Tab if modifiers.contains(KeyModifiers::SHIFT) => {
            modifiers.remove(KeyModifiers::SHIFT);
            KeyCode::BackTab
        }
        KeyCode::BackTab => {
            modifiers.remove(KeyModifiers::SHIFT);
            KeyCode::BackTab
        }
        other => other,
    };
    Key { code, modifiers }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    // A lone "-" after the prefix is the minus key itself, as in "Ctrl--".
    if head.eq_ignore_ascii_case(prefix) && text.len() > prefix.len() {
        Some(&text[prefix.len()..])
    } else {
        None
    }
}

fn named_key(name: &str) -> Option<KeyCode> {
    let lower = name.to_ascii_lowercase();
    let code = match lower.as_str() {
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "pageup" | "pgup" => KeyCode::PageUp,
        "pagedown" | "pgdn" => KeyCode::PageDown,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "enter" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "backspace" => KeyCode::Backspace,
        "delete" | "del" => KeyCode::Delete,
        "insert" | "ins" => KeyCode::Insert,
        "space" => KeyCode::Char(' '),
        _ => {
            let number: u8 = lower.strip_prefix('f')?.parse().ok()?;
            if (1..=12).contains(&number) {
                KeyCode::F(number)
            } else {
                return None;
            }
        }
    };
    Some(code)
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            f.write_str("Ctrl-")?;
        }
        if self.modifiers.contains(KeyModifiers::ALT) {
            f.write_str("Alt-")?;
        }
        if self.modifiers.contains(KeyModifiers::SHIFT) {
            f.write_str("Shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "F{n}"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::BackTab => f.write_str("Shift-Tab"),
            KeyCode::Esc => f.write_str("Esc"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// Error in a `[keys]` table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyBindingError {
    #[error("unknown action {name:?} in [keys]; valid actions are: {valid}")]
    UnknownAction { name: String, valid: String },
    #[error("invalid key {key:?} for action {action:?} in [keys]: {reason}")]
    InvalidKey {
        action: String,
        key: String,
        reason: String,
    },
    #[error(
        "key {key:?} is bound to both {first:?} and {second:?} in [keys]; \
         bind one of them to another key"
    )]
    Conflict {
        key: String,
        first: String,
        second: String,
    },
}

/// One key string or a list of them, as the config may write either.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum KeyList {
    One(String),
    Many(Vec<String>),
}

/// The active key table: the defaults with any `[keys]` overrides applied.
///
/// Deserializes from a TOML table that maps action names to a key string or
/// a list of key strings, such as `refresh = "F5"`. An action that is listed
/// loses all its default keys.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "BTreeMap<String, KeyList>")]
pub struct KeyBindings {
    bindings: Vec<(Action, Vec<Key>)>,
}

impl Default for KeyBindings {
    fn default() -> Self {
        let bindings = TABLE
            .iter()
            .map(|info| {
                let keys = info
                    .default_keys
                    .iter()
                    .filter_map(|text| Key::parse(text).ok())
                    .collect();
                (info.action, keys)
            })
            .collect();
        Self { bindings }
    }
}

impl TryFrom<BTreeMap<String, KeyList>> for KeyBindings {
    type Error = KeyBindingError;

    fn try_from(overrides: BTreeMap<String, KeyList>) -> Result<Self, Self::Error> {
        let mut bindings = KeyBindings::default();

        for (name, list) in overrides {
            let action =
                Action::from_name(&name).ok_or_else(|| KeyBindingError::UnknownAction {
                    name: name.clone(),
                    valid: TABLE
                        .iter()
                        .map(|info| info.name)
                        .collect::<Vec<_>>()
                        .join(", "),
                })?;
            let texts = match list {
                KeyList::One(text) => vec![text],
                KeyList::Many(texts) => texts,
            };
            let keys = texts
                .iter()
                .map(|text| {
                    Key::parse(text).map_err(|reason| KeyBindingError::InvalidKey {
                        action: name.clone(),
                        key: text.clone(),
                        reason,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            if let Some(slot) = bindings.bindings.iter_mut().find(|(a, _)| *a == action) {
                slot.1 = keys;
            }
        }

        bindings.check_conflicts()?;
        Ok(bindings)
    }
}

impl KeyBindings {
    /// Parses a `[keys]` table body, as the config loader does.
    pub fn from_toml(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }

    /// Looks up the action bound to a key event.
    pub fn action_for(&self, event: &KeyEvent) -> Option<Action> {
        self.bindings
            .iter()
            .find(|(_, keys)| keys.iter().any(|key| key.matches(event)))
            .map(|(action, _)| *action)
    }

    /// Returns the keys bound to an action, in the order they were configured.
    pub fn keys_for(&self, action: Action) -> &[Key] {
        self.bindings
            .iter()
            .find(|(a, _)| *a == action)
            .map(|(_, keys)| keys.as_slice())
            .unwrap_or(&[])
    }

    /// Joins the keys of an action for display, such as `↑/k`.
    pub fn label(&self, action: Action) -> String {
        let keys = self.keys_for(action);
        if keys.is_empty() {
            return "unbound".to_string();
        }
        keys.iter()
            .map(Key::to_string)
            .collect::<Vec<_>>()
            .join("/")
    }

    /// Returns every action with its keys, in table order, for the help overlay.
    pub fn entries(&self) -> impl Iterator<Item = (Action, &[Key])> {
        self.bindings
            .iter()
            .map(|(action, keys)| (*action, keys.as_slice()))
    }

    fn check_conflicts(&self) -> Result<(), KeyBindingError> {
        for (index, (first, keys)) in self.bindings.iter().enumerate() {
            for (second, other_keys) in &self.bindings[index + 1..] {
                if let Some(key) = keys.iter().find(|key| other_keys.contains(key)) {
                    return Err(KeyBindingError::Conflict {
                        key: key.to_string(),
                        first: first.name().to_string(),
                        second: second.name().to_string(),
                    });
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn action_table_covers_every_variant() {
        let all: Vec<Action> = Action::all().collect();
        for action in &all {
            assert_eq!(
                all.iter().filter(|a| *a == action).count(),
                1,
                "{action:?} has more than one row"
            );
        }
        // Adding a variant without a row would make `info` fall back to the first row.
        assert_eq!(all.len(), 20);
    }

    #[test]
    fn default_keys_all_parse() {
        for info in TABLE {
            for text in info.default_keys {
                assert!(
                    Key::parse(text).is_ok(),
                    "default key {text:?} of {}",
                    info.name
                );
            }
        }
        assert!(KeyBindings::default().check_conflicts().is_ok());
    }

    #[test]
    fn default_lookup() {
        let keys = KeyBindings::default();
        let none = KeyModifiers::NONE;
        assert_eq!(
            keys.action_for(&event(KeyCode::Char('q'), none)),
            Some(Action::Quit)
        );
        assert_eq!(
            keys.action_for(&event(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
        assert_eq!(
            keys.action_for(&event(KeyCode::BackTab, KeyModifiers::SHIFT)),
            Some(Action::PreviousView)
        );
        assert_eq!(
            keys.action_for(&event(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(keys.action_for(&event(KeyCode::Char('x'), none)), None);
    }

    #[test]
    fn remap_replaces_defaults() {
        let keys = KeyBindings::from_toml("quit = \"x\"\nrefresh = [\"F5\", \"r\"]\n").unwrap();
        let none = KeyModifiers::NONE;
        assert_eq!(
            keys.action_for(&event(KeyCode::Char('x'), none)),
            Some(Action::Quit)
        );
        assert_eq!(keys.action_for(&event(KeyCode::Char('q'), none)), None);
        assert_eq!(
            keys.action_for(&event(KeyCode::F(5), none)),
            Some(Action::Refresh)
        );
        assert_eq!(keys.label(Action::Refresh), "F5/r");
    }

    #[test]
    fn remap_unknown_action_named() {
        let error = KeyBindings::from_toml("quiet = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("unknown action \"quiet\""), "{error}");
        assert!(error.contains("quit"), "{error}");
    }

    #[test]
    fn remap_invalid_key_named() {
        let error = KeyBindings::from_toml("refresh = \"F55\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("invalid key \"F55\""), "{error}");
        assert!(error.contains("\"refresh\""), "{error}");

        let error = KeyBindings::from_toml("help = \"Hyper-x\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("invalid key \"Hyper-x\""), "{error}");
    }

    #[test]
    fn remap_conflict_named() {
        let error = KeyBindings::from_toml("retrain = \"r\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("\"r\""), "{error}");
        assert!(
            error.contains("refresh") && error.contains("retrain"),
            "{error}"
        );
    }

    #[test]
    fn key_parse_forms() {
        assert_eq!(Key::parse("F5").unwrap().code, KeyCode::F(5));
        assert_eq!(Key::parse("pgdn").unwrap().code, KeyCode::PageDown);
        assert_eq!(Key::parse("Space").unwrap().code, KeyCode::Char(' '));
        let ctrl_minus = Key::parse("Ctrl--").unwrap();
        assert_eq!(ctrl_minus.code, KeyCode::Char('-'));
        assert_eq!(ctrl_minus.modifiers, KeyModifiers::CONTROL);
        assert!(Key::parse("").is_err());
        assert!(Key::parse("F0").is_err());
    }
}
