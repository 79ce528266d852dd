//! Marks the dashboard's browser test ignored, with the reason, where Chromium or
//! chromedriver is missing (`ipv-test-probe`); `IPV_REQUIRE_SERVICES=1` makes it run, as
//! `.ci/run` does.
fn main() {
    ipv_test_probe::declare(&[ipv_test_probe::Service::Chromium]);
}
