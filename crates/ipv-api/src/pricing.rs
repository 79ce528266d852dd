//! A local estimate of what an open costs, by the spec's fee formula, in exact decimals.
//!
//! - static products: `price x cycleTimes x count + bandWidthPrice x extBandWidth x
//!   cycleTimes x count (+ bridge fee x cycleTimes x count)`;
//! - flow products (dynamic, sold by the MB): `price per MB x flow`; `count` is ignored.
//!
//! The emulator charges with the same function, so a local estimate and an emulated
//! charge always agree. Money never passes through a binary float.
//!
//! ```
//! use ipv_api::pricing::estimate_cost;
//! use ipv_types::{Money, OpenParam, Product};
//!
//! let product: Product = serde_json::from_str(
//!     r#"{"productNo":"p1","proxyType":103,"costPrice":"2.05","inventory":9,"bandWidthPrice":"0.20"}"#,
//! )?;
//! let mut param = OpenParam::by_product("p1", 3, 2);
//! param.ext_band_width = Some(10);
//! // 2.05 x 2 x 3 + 0.20 x 10 x 2 x 3
//! assert_eq!(estimate_cost(&product, &param, None)?, "24.30".parse::<Money>()?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use ipv_types::{BridgeChoice, Money, OpenParam, Product};

/// Why no estimate could be made.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EstimateError {
    /// The param names another product than the one given.
    ProductMismatch {
        /// The param's product number.
        param: String,
        /// The product's number.
        product: String,
    },
    /// `count` is 0 on a static open.
    ZeroCount,
    /// `cycleTimes` is 0.
    ZeroCycles,
    /// A flow product without a positive `flow` (MB) in the param or the product.
    MissingFlow,
    /// A price or quantity is negative.
    Negative(&'static str),
    /// The amount does not fit a decimal (about 7.9e28).
    Overflow,
}

impl fmt::Display for EstimateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ProductMismatch { param, product } => {
                write!(f, "the open param names product `{param}`, not `{product}`")
            }
            Self::ZeroCount => f.write_str("count must be at least 1"),
            Self::ZeroCycles => f.write_str("cycleTimes must be at least 1"),
            Self::MissingFlow => f.write_str("a flow product needs flow (MB) above 0"),
            Self::Negative(what) => write!(f, "{what} is negative"),
            Self::Overflow => f.write_str("the amount is too large to compute"),
        }
    }
}

impl std::error::Error for EstimateError {}

/// Whether `product` is sold by flow (MB) rather than by instance and period: a dynamic
/// proxy type, or a product with a flow package.
#[must_use]
pub fn is_flow_product(product: &Product) -> bool {
    product.proxy_type.is_dynamic() || product.flow > 0
}

/// The cost of opening `param` on `product`.
///
/// `bridge_fee` is the per-instance, per-cycle bridge price; it is charged when given,
/// unless the param explicitly declines the bridge (`useBridge` = 1). Flow products
/// are charged `costPrice x flow` where `flow` is the param's (or, when the param has
/// none, the product's package size); a `flow` on a static product's param is ignored.
///
/// # Errors
/// [`EstimateError`] for a param naming another product, zero count or cycles, a flow
/// product without flow, negative prices, or overflow.
pub fn estimate_cost(
    product: &Product,
    param: &OpenParam,
    bridge_fee: Option<&Money>,
) -> Result<Money, EstimateError> {
    if let Some(no) = &param.product_no
        && !no.is_empty()
        && *no != product.product_no
    {
        return Err(EstimateError::ProductMismatch {
            param: no.clone(),
            product: product.product_no.clone(),
        });
    }
    if product.cost_price.is_negative() {
        return Err(EstimateError::Negative("costPrice"));
    }
    // The product decides: the document gives `flow` no meaning on a static product
    // ("静态的字段无意义"), so a param's flow never makes a static open a flow purchase.
    if is_flow_product(product) {
        let flow = match param.flow.filter(|f| *f > 0) {
            Some(mb) => i64::try_from(mb).map_err(|_| EstimateError::Overflow)?,
            None if product.flow > 0 => product.flow,
            None => return Err(EstimateError::MissingFlow),
        };
        return product
            .cost_price
            .checked_mul_int(flow)
            .ok_or(EstimateError::Overflow);
    }

    if param.count == 0 {
        return Err(EstimateError::ZeroCount);
    }
    if param.cycle_times == 0 {
        return Err(EstimateError::ZeroCycles);
    }
    if product.band_width_price.is_negative() {
        return Err(EstimateError::Negative("bandWidthPrice"));
    }
    // Everything is charged per instance and per cycle.
    let units = i64::from(param.count) * i64::from(param.cycle_times);
    let mut per_unit = product.cost_price;
    if let Some(mbps) = param.ext_band_width.filter(|m| *m > 0) {
        let bandwidth = product
            .band_width_price
            .checked_mul_int(i64::from(mbps))
            .ok_or(EstimateError::Overflow)?;
        per_unit = per_unit
            .checked_add(bandwidth)
            .ok_or(EstimateError::Overflow)?;
    }
    if let Some(fee) = bridge_fee
        && param.use_bridge.map(|b| b.normalized()) != Some(BridgeChoice::No)
    {
        if fee.is_negative() {
            return Err(EstimateError::Negative("bridge fee"));
        }
        per_unit = per_unit.checked_add(*fee).ok_or(EstimateError::Overflow)?;
    }
    per_unit
        .checked_mul_int(units)
        .ok_or(EstimateError::Overflow)
}
