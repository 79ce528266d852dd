//! What a request type looks like on the wire, learnt from its own `Deserialize`.
//!
//! [`shape_of`] runs a type's derived `Deserialize` against a deserializer that
//! answers every question with a placeholder and writes down what was asked: a struct
//! hands over its wire field names (serde's `FIELDS`, after `rename_all`), an
//! `Option` says the field may be absent, a sequence says it is a list (whose one
//! element is traced in turn), and the visitors of `ipv-types` name what they accept
//! (`a proxyType code ...`, `an integer ...`, `a time like ...`) in their
//! `expecting` text, which tells a dictionary, a number, a time and text apart.
//!
//! The CLI builds its endpoint flags from these shapes, so a field added to a request
//! type becomes a flag with no second edit (see `commands::endpoints`).

use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, SeqAccess};
use serde::de::{IntoDeserializer as _, Visitor};

/// The deepest nesting traced (requests nest three levels; responses may recurse).
const MAX_DEPTH: usize = 8;

/// A placeholder time in the wire's layout, for types that parse their text.
const SAMPLE_TIME: &str = "2006-01-02 15:04:05";

/// What one value is on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Free text.
    Text,
    /// A whole number (sent as a JSON number).
    Int,
    /// A number with a fraction.
    Float,
    /// `true` / `false`.
    Bool,
    /// A dictionary code, by the dictionary's wire name (`proxyType`, `status`).
    Dict(String),
    /// A time in the wire's `YYYY-MM-DD hh:mm:ss` layout.
    Time,
    /// A list of values of one kind.
    List(Box<Kind>),
    /// An object with named fields.
    Struct(Vec<Field>),
    /// No value at all (a request without parameters).
    Unit,
    /// Anything else: given as JSON.
    Json,
}

impl Kind {
    /// The fields of a struct kind (none for other kinds).
    pub(crate) fn fields(&self) -> &[Field] {
        match self {
            Self::Struct(fields) => fields,
            _ => &[],
        }
    }

    /// Whether the value is one flag value (not a list or an object).
    pub(crate) fn is_scalar(&self) -> bool {
        !matches!(
            self,
            Self::List(_) | Self::Struct(_) | Self::Json | Self::Unit
        )
    }
}

/// One field of a struct, by its wire name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Field {
    /// The name on the wire (`appOrderNo`).
    pub(crate) wire: &'static str,
    /// What the field holds.
    pub(crate) kind: Kind,
    /// Whether the type reads it through an `Option` (it may be left out).
    pub(crate) optional: bool,
}

/// The wire shape of `T`.
///
/// # Errors
/// A message when `T` asks for something the tracer cannot answer (an enum, a tuple,
/// nesting deeper than eight levels); the endpoint table's tests trace all 30 requests.
pub(crate) fn shape_of<T: DeserializeOwned>() -> Result<Kind, String> {
    let mut slot = Slot::default();
    T::deserialize(Tracer {
        out: &mut slot,
        depth: 0,
    })
    .map_err(|err| format!("cannot trace {}: {err}", std::any::type_name::<T>()))?;
    Ok(slot.kind.unwrap_or(Kind::Json))
}

/// What was learnt about one value.
#[derive(Default)]
struct Slot {
    kind: Option<Kind>,
    optional: bool,
}

/// The tracing deserializer: records into `out`, answers with placeholders.
struct Tracer<'a> {
    out: &'a mut Slot,
    depth: usize,
}

type Error = de::value::Error;

/// A visitor's `expecting` text as a `Display`.
struct Expecting<'v, V>(&'v V);

impl<'de, V: Visitor<'de>> fmt::Display for Expecting<'_, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }
}

/// The kind a visitor of `ipv-types` asks for, by its `expecting` text.
fn kind_from_expecting(text: &str) -> Kind {
    if let Some(rest) = text.strip_prefix("a ")
        && let Some((name, _)) = rest.split_once(" code (")
    {
        return Kind::Dict(name.to_owned());
    }
    if text.starts_with("an integer")
        || text.contains("whole number")
        || text.starts_with("a status code")
    {
        Kind::Int
    } else if text.starts_with("a number") {
        Kind::Float
    } else if text.starts_with("a bool") || text.contains("flag") {
        Kind::Bool
    } else if text.contains("time like") {
        Kind::Time
    } else {
        Kind::Text
    }
}

impl Tracer<'_> {
    fn record(&mut self, kind: Kind) {
        self.out.kind = Some(kind);
    }

    fn deeper(&self) -> Result<usize, Error> {
        if self.depth >= MAX_DEPTH {
            return Err(de::Error::custom("nested too deeply"));
        }
        Ok(self.depth + 1)
    }
}

macro_rules! trace_ints {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
            self.record(Kind::Int);
            visitor.visit_u64(0)
        }
    )*};
}

impl<'de> Deserializer<'de> for Tracer<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        let kind = kind_from_expecting(&Expecting(&visitor).to_string());
        self.record(kind.clone());
        match kind {
            Kind::Dict(_) | Kind::Int => visitor.visit_u64(0),
            Kind::Float => visitor.visit_f64(0.0),
            Kind::Bool => visitor.visit_bool(false),
            Kind::Time => visitor.visit_str(SAMPLE_TIME),
            _ => visitor.visit_str(""),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        self.record(Kind::Bool);
        visitor.visit_bool(false)
    }

    trace_ints!(deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64);

    fn deserialize_f32<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        self.record(Kind::Float);
        visitor.visit_f64(0.0)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_f32(visitor)
    }

    fn deserialize_char<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        self.record(Kind::Text);
        visitor.visit_char('x')
    }

    fn deserialize_str<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        if kind_from_expecting(&Expecting(&visitor).to_string()) == Kind::Time {
            self.record(Kind::Time);
            return visitor.visit_str(SAMPLE_TIME);
        }
        self.record(Kind::Text);
        visitor.visit_str("")
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        self.record(Kind::Json);
        visitor.visit_bytes(&[])
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.out.optional = true;
        visitor.visit_some(self)
    }

    fn deserialize_unit<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        self.record(Kind::Unit);
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        let depth = self.deeper()?;
        let mut seq = OneElement {
            slot: Slot::default(),
            done: false,
            depth,
        };
        let value = visitor.visit_seq(&mut seq)?;
        let inner = seq.slot.kind.unwrap_or(Kind::Json);
        self.record(Kind::List(Box::new(inner)));
        Ok(value)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, _v: V) -> Result<V::Value, Error> {
        Err(de::Error::custom("tuples are not traced"))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        _v: V,
    ) -> Result<V::Value, Error> {
        Err(de::Error::custom("tuple structs are not traced"))
    }

    fn deserialize_map<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        self.record(Kind::Json);
        visitor.visit_map(de::value::MapDeserializer::new(std::iter::empty::<(
            String,
            String,
        )>()))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        mut self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let depth = self.deeper()?;
        // serde lists aliases among the fields; an alias differing only in case (the Go
        // SDK's `Instances`) would be a second flag of the same name.
        let mut names: Vec<&'static str> = Vec::with_capacity(fields.len());
        // Of two such names the camelCase one is the field's own (`rename_all`).
        for name in fields {
            match names.iter_mut().find(|n| n.eq_ignore_ascii_case(name)) {
                Some(kept) if name.starts_with(|c: char| c.is_ascii_lowercase()) => *kept = name,
                Some(_) => {}
                None => names.push(name),
            }
        }
        let mut access = AllFields {
            slots: names.iter().map(|_| Slot::default()).collect(),
            names,
            next: 0,
            depth,
        };
        let value = visitor.visit_map(&mut access)?;
        let traced = access
            .names
            .iter()
            .zip(access.slots)
            .map(|(wire, slot)| Field {
                wire,
                kind: slot.kind.unwrap_or(Kind::Json),
                optional: slot.optional,
            })
            .collect();
        self.record(Kind::Struct(traced));
        Ok(value)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        _v: V,
    ) -> Result<V::Value, Error> {
        Err(de::Error::custom("enums are not traced"))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }
}

/// A sequence of exactly one traced element.
struct OneElement {
    slot: Slot,
    done: bool,
    depth: usize,
}

impl<'de> SeqAccess<'de> for OneElement {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if self.done {
            return Ok(None);
        }
        self.done = true;
        seed.deserialize(Tracer {
            out: &mut self.slot,
            depth: self.depth,
        })
        .map(Some)
    }
}

/// A map holding every field of a struct once, each value traced.
struct AllFields {
    names: Vec<&'static str>,
    slots: Vec<Slot>,
    next: usize,
    depth: usize,
}

impl<'de> MapAccess<'de> for AllFields {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some(name) = self.names.get(self.next) else {
            return Ok(None);
        };
        self.next += 1;
        let key: de::value::StrDeserializer<'_, Error> = name.into_deserializer();
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let slot = self
            .slots
            .get_mut(self.next.saturating_sub(1))
            .ok_or_else(|| <Error as de::Error>::custom("a value before its key"))?;
        seed.deserialize(Tracer {
            out: slot,
            depth: self.depth,
        })
    }
}

#[cfg(test)]
mod tests {
    use ipv_types as t;

    use super::*;

    fn field<'a>(kind: &'a Kind, wire: &str) -> &'a Field {
        kind.fields()
            .iter()
            .find(|f| f.wire == wire)
            .unwrap_or_else(|| panic!("no field {wire} in {kind:?}"))
    }

    #[test]
    fn open_request_shows_its_nested_lists_dictionaries_and_options() {
        let shape = shape_of::<t::OpenInstancesRequest>().unwrap();
        assert_eq!(field(&shape, "appOrderNo").kind, Kind::Text);
        assert!(!field(&shape, "appOrderNo").optional);
        let Kind::List(item) = &field(&shape, "params").kind else {
            panic!("params is a list")
        };
        let proxy_type = field(item, "proxyType");
        assert_eq!(proxy_type.kind, Kind::Dict("proxyType".to_owned()));
        assert!(proxy_type.optional);
        assert_eq!(field(item, "count").kind, Kind::Int);
        assert_eq!(field(item, "renew").kind, Kind::Bool);
        let Kind::List(cidr) = &field(item, "cidrBlocks").kind else {
            panic!("cidrBlocks is a list")
        };
        assert_eq!(field(cidr, "cidr").kind, Kind::Text);
    }

    #[test]
    fn times_aliases_and_units_are_recognised() {
        let orders = shape_of::<t::OrdersRequest>().unwrap();
        assert_eq!(field(&orders, "startTime").kind, Kind::Time);
        let instances = shape_of::<t::InstancesRequest>().unwrap();
        assert_eq!(instances.fields().len(), 1, "{instances:?}");
        assert_eq!(
            field(&instances, "instances").kind,
            Kind::List(Box::new(Kind::Text))
        );
        assert!(shape_of::<t::AppInfoRequest>().unwrap().fields().is_empty());
    }
}
