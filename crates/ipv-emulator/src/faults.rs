//! Fault injection: added latency, HTTP 5xx answers, system errors, responses dropped
//! after the request was applied, duplicate callbacks and failing products.

use serde::{Deserialize, Serialize};

/// The faults the emulator injects, set through the control API.
///
/// Rates are probabilities in `0.0..=1.0`, drawn from a seeded generator so a run can be
/// repeated. Faults apply to the 30 API endpoints only, never to the control API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct FaultConfig {
    /// Added to every API answer, in milliseconds.
    pub latency_ms: u64,
    /// Rate of requests answered with HTTP 500 (envelope code 500) BEFORE being applied.
    pub http5xx_rate: f64,
    /// Rate of requests answered with HTTP 200 and code 500 BEFORE being applied.
    pub system_error_rate: f64,
    /// Rate of requests that are applied in full and then answered by closing the
    /// connection with no response.
    pub drop_after_apply_rate: f64,
    /// Every callback that was acknowledged is sent once more.
    pub duplicate_callbacks: bool,
    /// Orders for these productNos fail at delivery (and are refunded in full).
    pub fail_products: Vec<String>,
    /// Seed of the generator that draws the rates.
    pub seed: u64,
}

impl Default for FaultConfig {
    fn default() -> Self {
        Self {
            latency_ms: 0,
            http5xx_rate: 0.0,
            system_error_rate: 0.0,
            drop_after_apply_rate: 0.0,
            duplicate_callbacks: false,
            fail_products: Vec::new(),
            seed: 0x1f2e_3d4c_5b6a_7988,
        }
    }
}

impl FaultConfig {
    /// No faults at all.
    #[must_use]
    pub fn none() -> Self {
        Self::default()
    }

    /// Checks that every rate is a probability and the latency is sane.
    ///
    /// # Errors
    /// A message naming the bad field.
    pub fn validate(&self) -> Result<(), String> {
        for (name, rate) in [
            ("http5xxRate", self.http5xx_rate),
            ("systemErrorRate", self.system_error_rate),
            ("dropAfterApplyRate", self.drop_after_apply_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("{name}: must be between 0 and 1"));
            }
        }
        if self.latency_ms > 60_000 {
            return Err("latencyMs: must be at most 60000".to_owned());
        }
        Ok(())
    }
}

/// A small deterministic generator (SplitMix64) for fault draws: the same seed gives the
/// same sequence, which makes a failing fault run repeatable.
#[derive(Debug, Clone)]
pub(crate) struct FaultRng {
    state: u64,
}

impl FaultRng {
    pub(crate) fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// True with probability `rate`.
    pub(crate) fn chance(&mut self, rate: f64) -> bool {
        if rate <= 0.0 {
            return false;
        }
        if rate >= 1.0 {
            return true;
        }
        // 53 random bits give a uniform float in [0, 1).
        let unit = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        unit < rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_roughly_honoured_and_repeatable() {
        let mut a = FaultRng::new(7);
        let mut b = FaultRng::new(7);
        let hits_a = (0..10_000).filter(|_| a.chance(0.3)).count();
        let hits_b = (0..10_000).filter(|_| b.chance(0.3)).count();
        assert_eq!(hits_a, hits_b);
        assert!((2_700..3_300).contains(&hits_a), "{hits_a}");
        assert!(!FaultRng::new(1).chance(0.0));
        assert!(FaultRng::new(1).chance(1.0));
    }

    #[test]
    fn validation_names_the_field() {
        let bad = FaultConfig {
            drop_after_apply_rate: 1.5,
            ..FaultConfig::none()
        };
        assert!(bad.validate().unwrap_err().contains("dropAfterApplyRate"));
        assert!(FaultConfig::none().validate().is_ok());
    }
}
