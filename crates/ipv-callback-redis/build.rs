//! Marks the tests that need a server missing here as ignored, with the reason
//! (`ipv-test-probe`); `IPV_REQUIRE_SERVICES=1` makes them run, as `.ci/run` does.
fn main() {
    ipv_test_probe::declare(&[ipv_test_probe::Service::Redis]);
}
