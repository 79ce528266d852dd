//! The terms of a purchase, by the emulator's own reading of the vendor document: what
//! a line costs ([`pricing`]) and when an instance bought with it ends ([`expiry`]).
//! Used when an order is placed and again when it is delivered.

use ipv_types::{Money, OpenParam, Product};
use time::OffsetDateTime;

use crate::state::ApiFailure;
use crate::{expiry, pricing};

/// The bridge fee per instance and cycle, charged when a bridge is used abroad.
pub(crate) const BRIDGE_FEE: &str = "0.50";
/// The gateway address handed out with dynamic draws and bridges.
pub(crate) const GATEWAY_HOST: &str = "gate.emulator.invalid";

pub(crate) fn bridge_fee() -> Money {
    BRIDGE_FEE.parse().unwrap_or(Money::ZERO)
}

/// The charge for one open parameter on `product`, by the emulator's own reading of the
/// document's fee rules ([`pricing`]): a dynamic product is charged per MB (or IP) of
/// `flow`, a static one per instance and cycle. A charge that does not fit is a 10004
/// naming `field`.
pub(crate) fn cost_of(
    product: &Product,
    param: &OpenParam,
    bridge: bool,
    field: &str,
) -> Result<Money, ApiFailure> {
    let charge = if product.proxy_type.is_dynamic() {
        pricing::flow_charge(product.cost_price, param.flow.unwrap_or(0))
    } else {
        pricing::static_charge(
            product.cost_price,
            product.band_width_price,
            pricing::StaticTerms {
                count: param.count,
                cycles: param.cycle_times,
                extra_mbps: param.ext_band_width.unwrap_or(0),
                bridge_fee: bridge.then(bridge_fee),
            },
        )
    };
    charge.map_err(|e| ApiFailure::invalid(field, e))
}

/// When an instance bought at `start` for `cycles` cycles of its product expires, by the
/// emulator's own calendar ([`expiry`]).
pub(crate) fn expiry_of(
    start: OffsetDateTime,
    unit: ipv_types::Unit,
    duration: u32,
    cycles: u32,
    field: &str,
) -> Result<Option<OffsetDateTime>, ApiFailure> {
    expiry::end_of_term(start, unit.as_i64(), duration, cycles)
        .map_err(|e| ApiFailure::invalid(field, e))
}

/// A product's `duration` as a cycle length (0 when negative).
pub(crate) fn duration_u32(product: &Product) -> u32 {
    u32::try_from(product.duration.max(0)).unwrap_or(u32::MAX)
}
