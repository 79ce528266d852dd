//! Marks the tests that need PostgreSQL ignored, with the reason, where it is not
//! installed (`ipv-test-probe`); `IPV_REQUIRE_SERVICES=1` makes them run, as `.ci/run` does.
fn main() {
    ipv_test_probe::declare(&[ipv_test_probe::Service::Postgres]);
}
