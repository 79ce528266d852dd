//! Endpoints 2, 3, 6 and 7: regions, cities, the regions of a dynamic product, projects.

use serde::{Deserialize, Serialize};

use crate::dict::{ListingStatus, ProxyType};

/// The request of `area` (endpoint 2): the regions with these codes, or all of them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AreasRequest {
    /// Region codes to fetch; `None` fetches every region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codes: Option<Vec<String>>,
}

impl AreasRequest {
    /// Every region.
    #[must_use]
    pub fn all() -> Self {
        Self { codes: None }
    }

    /// The regions with these codes.
    #[must_use]
    pub fn of<I: IntoIterator<Item = S>, S: Into<String>>(codes: I) -> Self {
        Self {
            codes: Some(codes.into_iter().map(Into::into).collect()),
        }
    }
}

/// A region: a continent, a country, a state or a city, with the regions inside it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Area {
    /// The region's code.
    pub code: String,
    /// Its English name.
    #[serde(default)]
    pub name: String,
    /// Its Chinese name.
    pub cname: String,
    /// The regions inside it (left out of the JSON when empty, as the Go server does).
    #[serde(
        default,
        deserialize_with = "crate::de::vec",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub children: Vec<Area>,
}

/// The request of `city/list` (endpoint 3): the cities with these codes, or all of them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CitiesRequest {
    /// City codes to fetch; `None` fetches every city.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codes: Option<Vec<String>>,
}

impl CitiesRequest {
    /// Every city.
    #[must_use]
    pub fn all() -> Self {
        Self { codes: None }
    }

    /// The cities with these codes.
    #[must_use]
    pub fn of<I: IntoIterator<Item = S>, S: Into<String>>(codes: I) -> Self {
        Self {
            codes: Some(codes.into_iter().map(Into::into).collect()),
        }
    }
}

/// A city, with its state, country and continent (endpoint 3).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct City {
    /// The city's code.
    pub city_code: String,
    /// The city's Chinese name.
    #[serde(default)]
    pub city_name: String,
    /// The city's English name.
    #[serde(default)]
    pub city_en_name: String,
    /// The state's or province's code.
    pub state_code: String,
    /// The state's Chinese name.
    #[serde(default)]
    pub state_name: String,
    /// The state's English name.
    #[serde(default)]
    pub state_en_name: String,
    /// The country's code (ISO 3166 alpha-3).
    pub country_code: String,
    /// The country's Chinese name.
    #[serde(default)]
    pub country_name: String,
    /// The country's English name.
    #[serde(default)]
    pub country_en_name: String,
    /// The continent's code.
    pub area_code: String,
    /// The continent's Chinese name.
    #[serde(default)]
    pub area_name: String,
    /// The continent's English name.
    #[serde(default)]
    pub area_en_name: String,
    /// Whether the city is listed (1) or not (-1).
    #[serde(default)]
    pub status: ListingStatus,
}

/// The request of `product/area` (endpoint 6): where a dynamic product can exit.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ProductAreasRequest {
    /// The product.
    pub product_no: String,
    /// Its proxy type (104 or 105).
    pub proxy_type: ProxyType,
}

impl ProductAreasRequest {
    /// The regions of `product_no`, a product of type `proxy_type`.
    #[must_use]
    pub fn new(product_no: impl Into<String>, proxy_type: ProxyType) -> Self {
        Self {
            product_no: product_no.into(),
            proxy_type,
        }
    }
}

/// A region a dynamic product can exit in (endpoint 6).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ProductArea {
    /// The product; empty when the list is shared by every product of the supplier.
    #[serde(default)]
    pub product_no: String,
    /// The proxy type.
    pub proxy_type: ProxyType,
    /// The continent's code.
    pub area_code: String,
    /// The country's code.
    pub country_code: String,
    /// The state's code; empty or ending in `000` means "anywhere in the country".
    pub state_code: String,
    /// The city's code; empty or ending in `000` means "anywhere in the state".
    pub city_code: String,
    /// Whether the region is listed (1) or not (-1).
    pub status: ListingStatus,
    /// The supplier's name for the region.
    pub region: String,
    /// The supplier's code.
    pub supplier_code: String,
}

/// The request of `project/list` (endpoint 7): the projects with these codes, or all.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ProjectsRequest {
    /// Project codes to fetch; `None` fetches every project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codes: Option<Vec<String>>,
}

impl ProjectsRequest {
    /// Every project.
    #[must_use]
    pub fn all() -> Self {
        Self { codes: None }
    }

    /// The projects with these codes.
    #[must_use]
    pub fn of<I: IntoIterator<Item = S>, S: Into<String>>(codes: I) -> Self {
        Self {
            codes: Some(codes.into_iter().map(Into::into).collect()),
        }
    }
}

/// A project: a target site whose stock some products track separately (endpoint 7).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct Project {
    /// The project's code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Whether it is listed (1) or not (-1).
    pub status: ListingStatus,
}
