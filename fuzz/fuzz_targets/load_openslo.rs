//! Fuzzes loading and diagnostics, starting from OpenSLO specs (`openslo/v1` and
//! `v1alpha`) from the reference anchors. Whatever the bytes, loading must not panic, hang or blow
//! up; the seeds only steer the fuzzer towards this format's decoder, as the loader itself
//! routes on `apiVersion`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = slokit_fuzz::load(data);
});
