//! Fuzzes rendering: every input the loader accepts, in any format, must render rules, promtool
//! tests and dashboards that re-parse (each `expr` with promql-parser), the same way every time.
//! Seeded with valid specs only, so most mutations stay valid long enough to reach the renderer.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(loaded) = slokit_fuzz::load(data) {
        slokit_fuzz::check_render(&loaded);
    }
});
