//! The API's dictionaries: small integer codes with names.
//!
//! Every dictionary is an enum with one variant per documented value and an
//! `Unknown(i64)` variant for values the vendor adds later: decoding never fails on a new
//! number, and the number survives a round trip unchanged. On the wire every value is a
//! JSON number; decoding also accepts a numeric string (`"103"`) and treats `null` as the
//! Go zero value `0`.
//!
//! [`CodeList`] is the wire's comma-separated list of codes (`"1,2,3"`), used by the
//! product's and instance's `useType` and `protocol`.
//!
//! ```
//! use ipv_types::{CodeList, ProxyType, UseType};
//!
//! let t: ProxyType = serde_json::from_str("103").unwrap();
//! assert_eq!(t, ProxyType::StaticResidentialAbroad);
//! assert!(t.is_static());
//!
//! let new: ProxyType = serde_json::from_str("\"999\"").unwrap();
//! assert_eq!(new, ProxyType::Unknown(999));
//! assert_eq!(serde_json::to_string(&new).unwrap(), "999");
//!
//! let uses: CodeList<UseType> = serde_json::from_str("\"1,2\"").unwrap();
//! assert!(uses.contains(UseType::Whitelist));
//! assert_eq!(serde_json::to_string(&uses).unwrap(), "\"1,2\"");
//! ```

use core::fmt;
use core::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// What every dictionary enum offers; lets [`CodeList`] hold any of them.
pub trait DictCode: Copy + Eq + fmt::Debug {
    /// The dictionary's name on the wire, for error messages.
    const NAME: &'static str;
    /// The value's number on the wire.
    fn as_i64(self) -> i64;
    /// The variant for a wire number; unknown numbers are kept.
    fn from_i64(n: i64) -> Self;
}

macro_rules! dictionary {
    (
        $(#[$meta:meta])*
        $name:ident : $wire:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $num:literal => $label:literal, )*
        }
    ) => {
        $(#[$meta])*
        ///
        /// Serialises as a JSON number; decodes from a number, a numeric string or `null`
        /// (the Go zero value, `0`). Numbers without a variant are kept in `Unknown`.
        /// `Default` is the Go zero value `0` (a named variant only where `0` is one).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this SDK does not know yet; its number is kept.
            Unknown(i64),
        }

        impl $name {
            /// Every documented value, in the document's order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The value's number on the wire.
            #[must_use]
            pub const fn as_i64(self) -> i64 {
                match self {
                    $( $name::$variant => $num, )*
                    $name::Unknown(n) => n,
                }
            }

            /// The variant for a wire number; unknown numbers are kept in `Unknown`.
            #[must_use]
            pub const fn from_i64(n: i64) -> Self {
                match n {
                    $( $num => $name::$variant, )*
                    other => $name::Unknown(other),
                }
            }

            /// Whether the value is a documented one (not `Unknown`).
            #[must_use]
            pub const fn is_known(self) -> bool {
                !matches!(self.normalized(), $name::Unknown(_))
            }

            /// The same value with a documented number always as its named variant
            /// (`Unknown(103)` built by hand becomes the named variant).
            #[must_use]
            pub const fn normalized(self) -> Self {
                Self::from_i64(self.as_i64())
            }

            /// The document's meaning of the value, in English (`"unknown"` for others).
            #[must_use]
            pub const fn label(self) -> &'static str {
                match self.normalized() {
                    $( $name::$variant => $label, )*
                    $name::Unknown(_) => "unknown",
                }
            }
        }

        impl DictCode for $name {
            const NAME: &'static str = $wire;
            fn as_i64(self) -> i64 {
                $name::as_i64(self)
            }
            fn from_i64(n: i64) -> Self {
                $name::from_i64(n)
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::from_i64(0)
            }
        }

        impl fmt::Display for $name {
            /// The label, and the number for unknown values: `static cloud`, `unknown (999)`.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.normalized() {
                    $name::Unknown(n) => write!(f, "unknown ({n})"),
                    known => f.write_str(known.label()),
                }
            }
        }

        impl From<i64> for $name {
            fn from(n: i64) -> Self {
                Self::from_i64(n)
            }
        }

        impl From<$name> for i64 {
            fn from(v: $name) -> i64 {
                v.as_i64()
            }
        }

        impl PartialEq<i64> for $name {
            fn eq(&self, other: &i64) -> bool {
                self.as_i64() == *other
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_i64(self.as_i64())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(CodeVisitor::<$name>(core::marker::PhantomData))
            }
        }
    };
}

/// Decodes one dictionary code: a number, a numeric string, or `null` (= 0).
struct CodeVisitor<T>(core::marker::PhantomData<T>);

impl<T: DictCode> Visitor<'_> for CodeVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} code (an integer or a numeric string)", T::NAME)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        Ok(T::from_i64(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        i64::try_from(v)
            .map(T::from_i64)
            .map_err(|_| E::custom(format_args!("{} code {v} is out of range", T::NAME)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        if v.is_finite() && v.fract() == 0.0 && v.abs() <= 9.0e15 {
            #[allow(clippy::cast_possible_truncation)]
            Ok(T::from_i64(v as i64))
        } else {
            Err(E::custom(format_args!(
                "{} code {v} is not an integer",
                T::NAME
            )))
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        let t = v.trim();
        if t.is_empty() {
            return Ok(T::from_i64(0));
        }
        t.parse::<i64>().map(T::from_i64).map_err(|_| {
            E::custom(format_args!(
                "{} code {:?} is not a number",
                T::NAME,
                crate::de::clip(v)
            ))
        })
    }

    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        Ok(T::from_i64(0))
    }

    fn visit_none<E: de::Error>(self) -> Result<T, E> {
        Ok(T::from_i64(0))
    }
}

dictionary! {
    /// `proxyType`: the kind of proxy a product sells.
    ProxyType: "proxyType" {
        /// 101: static, cloud platform.
        StaticCloud = 101 => "static cloud",
        /// 102: static, residential, mainland China.
        StaticResidentialCn = 102 => "static residential (China)",
        /// 103: static, residential, outside China.
        StaticResidentialAbroad = 103 => "static residential (abroad)",
        /// 104: dynamic (rotating), outside China.
        DynamicAbroad = 104 => "dynamic (abroad)",
        /// 105: dynamic (rotating), mainland China.
        DynamicCn = 105 => "dynamic (China)",
        /// 201: WhatsApp.
        WhatsApp = 201 => "whatsapp",
    }
}

impl ProxyType {
    /// Whether this is a static proxy type (101, 102, 103): bought per instance and period.
    ///
    /// WhatsApp (201) and unknown types are neither static nor dynamic here.
    #[must_use]
    pub const fn is_static(self) -> bool {
        matches!(
            self.normalized(),
            ProxyType::StaticCloud
                | ProxyType::StaticResidentialCn
                | ProxyType::StaticResidentialAbroad
        )
    }

    /// Whether this is a dynamic proxy type (104, 105): bought by traffic or IP count.
    #[must_use]
    pub const fn is_dynamic(self) -> bool {
        matches!(
            self.normalized(),
            ProxyType::DynamicAbroad | ProxyType::DynamicCn
        )
    }
}

dictionary! {
    /// `protocol`: a proxy protocol (products and instances list several, see [`CodeList`]).
    Protocol: "protocol" {
        /// 1: SOCKS5.
        Socks5 = 1 => "socks5",
        /// 2: HTTP.
        Http = 2 => "http",
        /// 3: HTTPS.
        Https = 3 => "https",
        /// 4: SSH.
        Ssh = 4 => "ssh",
    }
}

dictionary! {
    /// `unit`: the unit of a product's `duration`.
    Unit: "unit" {
        /// 1: a day.
        Day = 1 => "day",
        /// 2: a week (7 days).
        Week = 2 => "week",
        /// 3: a calendar month (the month's own length).
        Month = 3 => "month",
        /// 4: a calendar year (365 or 366 days).
        Year = 4 => "year",
        /// 10: unlimited.
        Unlimited = 10 => "unlimited",
    }
}

dictionary! {
    /// `ispType`: how many ISPs stand behind an address.
    IspType: "ispType" {
        /// 0: not specified (the default).
        Unspecified = 0 => "unspecified",
        /// 1: a single ISP.
        Single = 1 => "single ISP",
        /// 2: two ISPs.
        Dual = 2 => "dual ISP",
        /// 3: a native ISP.
        Native = 3 => "native ISP",
        /// 4: a data centre.
        Datacenter = 4 => "datacenter",
    }
}

dictionary! {
    /// `netType`: the address's network type.
    NetType: "netType" {
        /// 0: not specified (the default).
        Unspecified = 0 => "unspecified",
        /// 1: native.
        Native = 1 => "native",
        /// 2: broadcast.
        Broadcast = 2 => "broadcast",
    }
}

dictionary! {
    /// `ipType`: the address family.
    IpType: "ipType" {
        /// 1: IPv4 (the default).
        Ipv4 = 1 => "IPv4",
        /// 2: IPv6.
        Ipv6 = 2 => "IPv6",
        /// 3: either, at random.
        Random = 3 => "random",
    }
}

dictionary! {
    /// `useType`: how a proxy authenticates its user (lists use [`CodeList`]).
    UseType: "useType" {
        /// 1: username and password.
        Password = 1 => "username/password",
        /// 2: IP whitelist.
        Whitelist = 2 => "IP whitelist",
        /// 3: a UUID (carried in the password field).
        Uuid = 3 => "uuid",
    }
}

dictionary! {
    /// `useLimit`: where the exit address may be.
    UseLimit: "useLimit" {
        /// 1: the exit address is outside China.
        ExitAbroad = 1 => "exit abroad",
        /// 2: the exit address is in China.
        ExitCn = 2 => "exit in China",
        /// 3: no limit.
        Unlimited = 3 => "unlimited",
    }
}

dictionary! {
    /// `sellLimit`: where a product may be sold.
    SellLimit: "sellLimit" {
        /// 1: mainland China only.
        Mainland = 1 => "mainland",
        /// 2: outside mainland China only.
        Overseas = 2 => "overseas",
        /// 3: no limit.
        Unlimited = 3 => "unlimited",
    }
}

dictionary! {
    /// An order's `type` (also a callback's `op`).
    OrderType: "order type" {
        /// 1: a purchase of new instances.
        New = 1 => "new",
        /// 2: a renewal.
        Renew = 2 => "renew",
        /// 3: a release.
        Release = 3 => "release",
    }
}

dictionary! {
    /// An order's `status`. Orders move pending -> processing -> a final status.
    OrderStatus: "order status" {
        /// 1: waiting to be processed.
        Pending = 1 => "pending",
        /// 2: being processed.
        Processing = 2 => "processing",
        /// 3: done, every item succeeded.
        Succeeded = 3 => "succeeded",
        /// 4: failed.
        Failed = 4 => "failed",
        /// 5: done, some items failed.
        PartlyDone = 5 => "partly done",
    }
}

impl OrderStatus {
    /// Whether the order will not change any more (succeeded, failed or partly done).
    #[must_use]
    pub const fn is_final(self) -> bool {
        matches!(
            self.normalized(),
            OrderStatus::Succeeded | OrderStatus::Failed | OrderStatus::PartlyDone
        )
    }
}

dictionary! {
    /// An instance's `status`.
    InstanceStatus: "instance status" {
        /// 1: waiting to be created.
        ToCreate = 1 => "to create",
        /// 2: being created.
        Creating = 2 => "creating",
        /// 3: running.
        Running = 3 => "running",
        /// 6: stopped.
        Stopped = 6 => "stopped",
        /// 10: closed.
        Closed = 10 => "closed",
        /// 11: released.
        Released = 11 => "released",
    }
}

dictionary! {
    /// A user's or proxy user's `status`.
    AccountStatus: "status" {
        /// 1: normal.
        Normal = 1 => "normal",
        /// 2: disabled.
        Disabled = 2 => "disabled",
    }
}

dictionary! {
    /// `authType` / `authStatus`: a user's real-name verification.
    AuthType: "authType" {
        /// 1: not verified.
        None = 1 => "not verified",
        /// 2: verified as a person.
        Person = 2 => "person",
        /// 3: verified as a company.
        Company = 3 => "company",
    }
}

dictionary! {
    /// The app's `useBridge` setting (in [`AppInfo`](crate::AppInfo)).
    AppBridge: "useBridge" {
        /// 1: do not use the bridge.
        No = 1 => "no bridge",
        /// 2: use the bridge.
        Yes = 2 => "bridge",
    }
}

dictionary! {
    /// A purchase's `useBridge` choice (in open requests).
    BridgeChoice: "useBridge" {
        /// 0: follow the app's setting (the default).
        FollowApp = 0 => "follow the app",
        /// 1: do not use the bridge.
        No = 1 => "no bridge",
        /// 2: use the bridge (companies with verified names only; costs extra).
        Yes = 2 => "bridge",
    }
}

dictionary! {
    /// A product's `drawType`: how its proxies are drawn.
    DrawType: "drawType" {
        /// 0: no drawing (static products).
        None = 0 => "none",
        /// 1: by whitelist (API URL).
        Whitelist = 1 => "whitelist (api)",
        /// 2: by username and password.
        Password = 2 => "password",
        /// 3: both.
        Both = 3 => "both",
    }
}

dictionary! {
    /// A password reset's `status`.
    ResetStatus: "reset status" {
        /// 1: waiting.
        Pending = 1 => "pending",
        /// 2: being processed.
        Processing = 2 => "processing",
        /// 3: done; the new password is set.
        Succeeded = 3 => "succeeded",
        /// 4: failed.
        Failed = 4 => "failed",
    }
}

impl ResetStatus {
    /// Whether the reset will not change any more (succeeded or failed).
    #[must_use]
    pub const fn is_final(self) -> bool {
        matches!(
            self.normalized(),
            ResetStatus::Succeeded | ResetStatus::Failed
        )
    }
}

dictionary! {
    /// The app's `status` (in [`AppInfo`](crate::AppInfo)).
    AppStatus: "app status" {
        /// 1: normal.
        Normal = 1 => "normal",
        /// -1: disabled.
        Disabled = -1 => "disabled",
    }
}

dictionary! {
    /// A listing's `status` (cities, product areas, projects).
    ListingStatus: "status" {
        /// 1: listed (on sale).
        Listed = 1 => "listed",
        /// -1: delisted.
        Delisted = -1 => "delisted",
    }
}

dictionary! {
    /// A yes/no flag the API spells `1` / `-1`: the product's `assignIp`, `cidrStatus`,
    /// `ipWhiteList`, `oneDay`, `enable` and its other capability flags.
    Toggle: "flag" {
        /// 1: yes.
        Yes = 1 => "yes",
        /// -1: no.
        No = -1 => "no",
    }
}

impl Toggle {
    /// Whether the flag is set (`1`). `-1`, `0` and any other number are "no".
    #[must_use]
    pub const fn is_yes(self) -> bool {
        self.as_i64() == 1
    }
}

impl From<bool> for Toggle {
    fn from(yes: bool) -> Self {
        if yes { Toggle::Yes } else { Toggle::No }
    }
}

/// The wire's comma-separated list of codes, such as a product's `useType` (`"1,2"`) or
/// `protocol` (`"1,2,3"`).
///
/// Decodes from the string (spaces around codes and empty segments are tolerated, `""` is
/// an empty list), and also from a JSON array of numbers or a single number. Unknown codes
/// are kept. Encodes as the codes joined by `,`, so a string the platform sends comes back
/// unchanged.
///
/// ```
/// use ipv_types::{CodeList, Protocol};
///
/// let p: CodeList<Protocol> = serde_json::from_str("\"1, 2,9\"").unwrap();
/// assert_eq!(p.as_slice(), &[Protocol::Socks5, Protocol::Http, Protocol::Unknown(9)]);
/// assert_eq!(p.to_string(), "1,2,9");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CodeList<T>(Vec<T>);

impl<T> Default for CodeList<T> {
    fn default() -> Self {
        CodeList(Vec::new())
    }
}

impl<T: DictCode> CodeList<T> {
    /// A list of the given codes.
    #[must_use]
    pub fn new(codes: Vec<T>) -> Self {
        CodeList(codes)
    }

    /// The codes, in wire order.
    #[must_use]
    pub fn as_slice(&self) -> &[T] {
        &self.0
    }

    /// An iterator over the codes.
    pub fn iter(&self) -> core::iter::Copied<core::slice::Iter<'_, T>> {
        self.0.iter().copied()
    }

    /// Whether `code` is in the list.
    #[must_use]
    pub fn contains(&self, code: T) -> bool {
        let n = code.as_i64();
        self.0.iter().any(|c| c.as_i64() == n)
    }

    /// The number of codes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the list is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The codes as a `Vec`.
    #[must_use]
    pub fn into_vec(self) -> Vec<T> {
        self.0
    }
}

impl<T: DictCode> From<Vec<T>> for CodeList<T> {
    fn from(v: Vec<T>) -> Self {
        CodeList(v)
    }
}

impl<T: DictCode, const N: usize> From<[T; N]> for CodeList<T> {
    fn from(v: [T; N]) -> Self {
        CodeList(v.to_vec())
    }
}

impl<T: DictCode> FromIterator<T> for CodeList<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        CodeList(iter.into_iter().collect())
    }
}

impl<'a, T: DictCode> IntoIterator for &'a CodeList<T> {
    type Item = T;
    type IntoIter = core::iter::Copied<core::slice::Iter<'a, T>>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<T: DictCode> fmt::Display for CodeList<T> {
    /// The wire form: codes joined by `,` (`1,2,3`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}", c.as_i64())?;
        }
        Ok(())
    }
}

/// The reason a code list did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeListError {
    dictionary: &'static str,
    segment: String,
}

impl fmt::Display for CodeListError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} list: {:?} is not a number",
            self.dictionary, self.segment
        )
    }
}

impl std::error::Error for CodeListError {}

impl<T: DictCode> FromStr for CodeList<T> {
    type Err = CodeListError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.split(',')
            .map(str::trim)
            .filter(|seg| !seg.is_empty())
            .map(|seg| {
                seg.parse::<i64>()
                    .map(T::from_i64)
                    .map_err(|_| CodeListError {
                        dictionary: T::NAME,
                        segment: crate::de::clip(seg).to_owned(),
                    })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(CodeList)
    }
}

impl<T: DictCode> Serialize for CodeList<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de, T: DictCode> Deserialize<'de> for CodeList<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ListVisitor<T>(core::marker::PhantomData<T>);

        impl<'de, T: DictCode> Visitor<'de> for ListVisitor<T> {
            type Value = CodeList<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a comma-separated list of {} codes", T::NAME)
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                v.parse().map_err(E::custom)
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(CodeList(vec![T::from_i64(v)]))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                CodeVisitor::<T>(core::marker::PhantomData)
                    .visit_u64(v)
                    .map(|c| CodeList(vec![c]))
            }

            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(CodeList(Vec::new()))
            }

            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(CodeList(Vec::new()))
            }

            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(16));
                while let Some(c) =
                    seq.next_element_seed(CodeSeed::<T>(core::marker::PhantomData))?
                {
                    out.push(c);
                }
                Ok(CodeList(out))
            }
        }

        struct CodeSeed<T>(core::marker::PhantomData<T>);
        impl<'de, T: DictCode> de::DeserializeSeed<'de> for CodeSeed<T> {
            type Value = T;
            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
                d.deserialize_any(CodeVisitor::<T>(core::marker::PhantomData))
            }
        }

        d.deserialize_any(ListVisitor(core::marker::PhantomData))
    }
}
