#!/usr/bin/env python3
"""Writes the scale benchmark's spec file (BENCHMARKS.md, "slo generate at scale"): N plain ratio
SLOs (default 10,000) in one file, SLO i being `svc{i%500}-slo{i}` of service `svc{i%500}` (so
500 products, one per service), good/total on `http_requests_total` with a `job` filter and a
status filter, 30d at 0.999, default alert tiers.

usage: scripts/scale-specs.py OUT.yaml [N]"""
import sys

out, count = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
with open(out, "w") as f:
    for i in range(count):
        service = f"svc{i % 500}"
        f.write(
            "---\n"
            "apiVersion: slo.dev/v1\n"
            "kind: ServiceLevelObjective\n"
            f"metadata: {{name: {service}-slo{i}}}\n"
            "spec:\n"
            f"  service: {service}\n"
            "  indicator:\n"
            "    type: ratio\n"
            "    ratio:\n"
            f"      good: {{metric: http_requests_total, filters: ['job=\"{service}\"', 'status_code!~\"5..\"']}}\n"
            f"      total: {{metric: http_requests_total, filters: ['job=\"{service}\"']}}\n"
            "  objectives: [{displayName: availability, window: 30d, target: 0.999}]\n"
        )
