//! Dictionary values by name: the flags' value parser and the names tables print.
//!
//! Every dictionary of `ipv-types` gets names derived from its variants in kebab case
//! (`StaticResidentialAbroad` -> `static-residential-abroad`); the document's English
//! label in kebab case is accepted too (`whatsapp`, `static-residential-china`). A flag
//! also takes the wire number (`104`), including numbers this tool does not know yet.
//! Shell completions list the names (clap's possible values).

use std::ffi::OsStr;
use std::fmt;
use std::marker::PhantomData;

use clap::builder::{PossibleValue, TypedValueParser};
use clap::error::ErrorKind;
use ipv_types as t;

/// A dictionary of `ipv-types`, seen by name.
pub(crate) trait Named: Copy + Eq + fmt::Debug + Send + Sync + 'static {
    /// What the dictionary is, for messages (`proxy type`).
    const WHAT: &'static str;
    /// Every documented value.
    fn all() -> &'static [Self];
    /// The wire number.
    fn number(self) -> i64;
    /// The value for a wire number (unknown numbers are kept).
    fn from_number(n: i64) -> Self;
    /// The document's English label.
    fn label(self) -> &'static str;
}

macro_rules! named {
    ($($ty:ident => $what:literal,)*) => {
        $(
            impl Named for t::$ty {
                const WHAT: &'static str = $what;
                fn all() -> &'static [Self] {
                    t::$ty::ALL
                }
                fn number(self) -> i64 {
                    self.as_i64()
                }
                fn from_number(n: i64) -> Self {
                    t::$ty::from_i64(n)
                }
                fn label(self) -> &'static str {
                    t::$ty::label(self)
                }
            }
        )*
    };
}

named! {
    ProxyType => "proxy type",
    Protocol => "protocol",
    Unit => "unit",
    IspType => "ISP type",
    NetType => "network type",
    IpType => "IP type",
    UseType => "use type",
    UseLimit => "use limit",
    SellLimit => "sell limit",
    OrderType => "order type",
    OrderStatus => "order status",
    InstanceStatus => "instance status",
    AccountStatus => "account status",
    AuthType => "auth type",
    AppBridge => "bridge setting",
    BridgeChoice => "bridge choice",
    DrawType => "draw type",
    ResetStatus => "reset status",
    AppStatus => "app status",
    ListingStatus => "listing status",
    Toggle => "flag",
}

/// `text` in kebab case: lower case words joined by `-`, a word starting at each
/// capital that follows a lower-case letter or digit and at every non-alphanumeric run.
pub(crate) fn kebab(text: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    let mut pending_dash = false;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            if (pending_dash || (c.is_ascii_uppercase() && prev_lower)) && !out.is_empty() {
                out.push('-');
            }
            pending_dash = false;
            out.push(c.to_ascii_lowercase());
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        } else {
            pending_dash = true;
            prev_lower = false;
        }
    }
    out
}

/// Runs `$body` with `$ty` bound to the dictionary whose wire name is `$wire`. Two
/// wire names are shared (`useBridge`, `status`): requests mean the choice and the
/// account status by them, so those come first.
macro_rules! by_wire_name {
    ($wire:expr, |$ty:ident| $body:expr) => {{
        by_wire_name!(@each $wire, $ty, $body;
            BridgeChoice AccountStatus ProxyType Protocol Unit IspType NetType IpType UseType
            UseLimit SellLimit OrderType OrderStatus InstanceStatus AuthType AppBridge
            DrawType ResetStatus AppStatus ListingStatus Toggle)
    }};
    (@each $wire:expr, $ty:ident, $body:expr; $($name:ident)*) => {{
        let wire: &str = $wire;
        $(
            if wire == <t::$name as t::DictCode>::NAME {
                type $ty = t::$name;
                return Some($body);
            }
        )*
        None
    }};
}

/// The value of `text` in the dictionary with wire name `wire`, as its wire number;
/// `None` when no dictionary has that name.
pub(crate) fn parse_wire(wire: &str, text: &str) -> Option<Result<i64, String>> {
    by_wire_name!(wire, |D| parse::<D>(text).map(Named::number))
}

/// The names of the dictionary with wire name `wire`.
pub(crate) fn names_for_wire(wire: &str) -> Option<Vec<String>> {
    by_wire_name!(wire, |D| D::all().iter().filter_map(|v| name(*v)).collect())
}

/// The name of a documented value (from its variant), or `None` for an unknown one.
pub(crate) fn name<T: Named>(value: T) -> Option<String> {
    let value = T::from_number(value.number());
    T::all()
        .contains(&value)
        .then(|| kebab(&format!("{value:?}")))
}

/// The name to print for a value: its name, or its number when it has none.
pub(crate) fn display<T: Named>(value: T) -> String {
    name(value).unwrap_or_else(|| value.number().to_string())
}

/// The value for a name, a label in kebab case, or a wire number.
pub(crate) fn parse<T: Named>(text: &str) -> Result<T, String> {
    let text = text.trim();
    if let Ok(n) = text.parse::<i64>() {
        return Ok(T::from_number(n));
    }
    let wanted = text.to_ascii_lowercase();
    T::all()
        .iter()
        .copied()
        .find(|v| name(*v).as_deref() == Some(&wanted) || kebab(v.label()) == wanted)
        .ok_or_else(|| {
            let names: Vec<String> = T::all().iter().filter_map(|v| name(*v)).collect();
            format!(
                "`{text}` is not a {}: use one of {} or its number",
                T::WHAT,
                names.join(", ")
            )
        })
}

/// The clap value parser of a dictionary flag.
#[derive(Clone, Copy)]
pub(crate) struct DictParser<T>(PhantomData<T>);

impl<T> DictParser<T> {
    pub(crate) const fn new() -> Self {
        Self(PhantomData)
    }
}

impl<T: Named + Clone> TypedValueParser for DictParser<T> {
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<T, clap::Error> {
        let text = value.to_string_lossy();
        parse::<T>(&text).map_err(|why| {
            let flag = arg.map_or_else(|| "a value".to_owned(), |a| a.to_string());
            clap::Error::raw(ErrorKind::InvalidValue, format!("invalid {flag}: {why}\n"))
                .with_cmd(cmd)
        })
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(T::all().iter().filter_map(|v| {
            let name = name(*v)?;
            let label = kebab(v.label());
            let value =
                PossibleValue::new(name.clone()).help(format!("{} ({})", v.label(), v.number()));
            Some(if label == name {
                value
            } else {
                value.alias(label)
            })
        })))
    }
}

/// The name for the number `n` in the dictionary that wire field `key` holds, for
/// tables; `None` when the key holds no dictionary. `status` and `type` mean different
/// dictionaries in different lists: the caller names them (`status:instance`).
pub(crate) fn for_field(key: &str, n: i64) -> Option<String> {
    Some(match key {
        "proxyType" => display(t::ProxyType::from_i64(n)),
        "protocol" => display(t::Protocol::from_i64(n)),
        "unit" => display(t::Unit::from_i64(n)),
        "ispType" => display(t::IspType::from_i64(n)),
        "netType" => display(t::NetType::from_i64(n)),
        "ipType" => display(t::IpType::from_i64(n)),
        "useType" => display(t::UseType::from_i64(n)),
        "useLimit" => display(t::UseLimit::from_i64(n)),
        "sellLimit" => display(t::SellLimit::from_i64(n)),
        "authType" | "authStatus" => display(t::AuthType::from_i64(n)),
        "drawType" => display(t::DrawType::from_i64(n)),
        "enable" | "assignIp" | "cidrStatus" | "oneDay" => display(t::Toggle::from_i64(n)),
        "type:order" => display(t::OrderType::from_i64(n)),
        "status:order" => display(t::OrderStatus::from_i64(n)),
        "status:instance" => display(t::InstanceStatus::from_i64(n)),
        "status:account" => display(t::AccountStatus::from_i64(n)),
        "status:listing" => display(t::ListingStatus::from_i64(n)),
        "status:app" => display(t::AppStatus::from_i64(n)),
        "useBridge:app" => display(t::AppBridge::from_i64(n)),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_of<T: Named>() -> Vec<String> {
        T::all().iter().filter_map(|v| name(*v)).collect()
    }

    #[test]
    fn names_are_kebab_case_of_the_variants() {
        assert_eq!(
            names_of::<t::ProxyType>(),
            [
                "static-cloud",
                "static-residential-cn",
                "static-residential-abroad",
                "dynamic-abroad",
                "dynamic-cn",
                "whats-app"
            ]
        );
        assert_eq!(names_of::<t::BridgeChoice>(), ["follow-app", "no", "yes"]);
        assert_eq!(display(t::ProxyType::from_i64(999)), "999");
    }

    #[test]
    fn every_name_label_and_number_parses_back() {
        fn check<T: Named>() {
            let names = names_of::<T>();
            let mut unique = names.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), names.len(), "{}: {names:?}", T::WHAT);
            for v in T::all() {
                assert_eq!(parse::<T>(&name(*v).unwrap()), Ok(*v));
                assert_eq!(parse::<T>(&kebab(v.label())), Ok(*v), "{}", v.label());
                assert_eq!(parse::<T>(&v.number().to_string()), Ok(*v));
            }
        }
        check::<t::ProxyType>();
        check::<t::Protocol>();
        check::<t::Unit>();
        check::<t::IspType>();
        check::<t::NetType>();
        check::<t::IpType>();
        check::<t::UseType>();
        check::<t::UseLimit>();
        check::<t::SellLimit>();
        check::<t::OrderType>();
        check::<t::OrderStatus>();
        check::<t::InstanceStatus>();
        check::<t::AccountStatus>();
        check::<t::AuthType>();
        check::<t::AppBridge>();
        check::<t::BridgeChoice>();
        check::<t::DrawType>();
        check::<t::ResetStatus>();
        check::<t::AppStatus>();
        check::<t::ListingStatus>();
        check::<t::Toggle>();
    }

    #[test]
    fn unknown_names_are_refused_with_the_choices() {
        let err = parse::<t::ProxyType>("static-residential").unwrap_err();
        assert!(err.contains("static-residential-abroad"), "{err}");
        assert_eq!(parse::<t::ProxyType>("777"), Ok(t::ProxyType::Unknown(777)));
        assert_eq!(
            parse::<t::ProxyType>("WhatsApp"),
            Ok(t::ProxyType::WhatsApp)
        );
    }

    #[test]
    fn fields_print_names() {
        assert_eq!(
            for_field("proxyType", 103).as_deref(),
            Some("static-residential-abroad")
        );
        assert_eq!(for_field("status:instance", 3).as_deref(), Some("running"));
        assert_eq!(for_field("status", 3), None);
        assert_eq!(for_field("status:app", -1).as_deref(), Some("disabled"));
        assert_eq!(for_field("status:account", 2).as_deref(), Some("disabled"));
    }
}
