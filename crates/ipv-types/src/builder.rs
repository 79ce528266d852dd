//! `with_*` builder methods for request types, so a request is built through its
//! constructor and builders alone and a field the vendor adds later is not a breaking
//! change (request and response types are `#[non_exhaustive]`).

/// Writes one `with_*` method per listed field of a request type.
///
/// Each entry is `method(field): how Type;` where `how` is
/// - `into`: the field is `Type`, the method takes `impl Into<Type>`;
/// - `set`: the field is `Type`, the method takes `Type`;
/// - `some_into`: the field is `Option<Type>`, the method takes `impl Into<Type>`;
/// - `some`: the field is `Option<Type>`, the method takes `impl Into<Option<Type>>`
///   (a `Type` or an `Option<Type>`).
macro_rules! with_fields {
    ($ty:ident { $($method:ident($field:ident): $how:ident $arg:ty;)* }) => {
        impl $ty {
            $( with_fields!(@one $method $field $how $arg); )*
        }
    };
    (@one $method:ident $field:ident into $arg:ty) => {
        #[doc = concat!("Sets `", stringify!($field), "`.")]
        #[must_use]
        pub fn $method(mut self, value: impl Into<$arg>) -> Self {
            self.$field = value.into();
            self
        }
    };
    (@one $method:ident $field:ident set $arg:ty) => {
        #[doc = concat!("Sets `", stringify!($field), "`.")]
        #[must_use]
        pub fn $method(mut self, value: $arg) -> Self {
            self.$field = value;
            self
        }
    };
    (@one $method:ident $field:ident some_into $arg:ty) => {
        #[doc = concat!("Sets `", stringify!($field), "` (sent only when set).")]
        #[must_use]
        pub fn $method(mut self, value: impl Into<$arg>) -> Self {
            self.$field = Some(value.into());
            self
        }
    };
    (@one $method:ident $field:ident some $arg:ty) => {
        #[doc = concat!("Sets `", stringify!($field), "` (a value or an `Option`; `None` leaves it out).")]
        #[must_use]
        pub fn $method(mut self, value: impl Into<Option<$arg>>) -> Self {
            self.$field = value.into();
            self
        }
    };
}
