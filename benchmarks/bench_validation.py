"""Validation targets: validating a 500-node pipeline costs at most 3x parsing the same file with
PyYAML's C loader; ``import tauro`` plus plugin discovery (no Spark) stays under 0.5 s."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

import yaml
from common import report

NODES = 500


def pipeline_yaml(nodes: int = NODES) -> str:
    lines = [
        "name: big",
        "type: streaming",
        "streaming:",
        "  trigger: {type: processing_time, interval: 30 seconds}",
        "  checkpoint_location: /data/checkpoints/big",
        "nodes:",
    ]
    for i in range(nodes):
        deps = f"[n{i - 1}]" if i % 10 else "[]"
        lines += [
            f"  - name: n{i}",
            f"    description: node number {i}",
            "    input:",
            "      format: memory",
            "      schema: 'id BIGINT, value STRING'",
            f"      options: {{stream: s{i}, maxFilesPerTrigger: 5}}",
            "      parse_json: true",
            "      json_schema: 'user STRING, amount DOUBLE, ts TIMESTAMP, tags ARRAY<STRING>'",
            "      watermark: {column: ts, delay: 10 minutes}",
            "    output:",
            "      format: console",
            "      options: {numRows: 5, truncate: false}",
            "    streaming:",
            "      output_mode: append",
            f"      query_name: q{i}",
            f"    depends_on: {deps}",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    from tauro.streaming.validators import StreamingValidator

    text = pipeline_yaml()
    loader = yaml.CSafeLoader
    raw = yaml.load(text, Loader=loader)
    validator = StreamingValidator()
    report_ = validator.check_pipeline(raw)
    assert not report_.problems, report_.problems[:3]
    ratios = []
    parse_times, validate_times = [], []
    for _ in range(9):
        start = time.perf_counter()
        yaml.load(text, Loader=loader)
        parse = time.perf_counter() - start
        start = time.perf_counter()
        validator.check_pipeline(raw)
        validate = time.perf_counter() - start
        parse_times.append(parse)
        validate_times.append(validate)
        ratios.append(validate / parse)
    print(
        f"500-node file: {len(text) / 1024:.0f} KiB; C-loader parse median {statistics.median(parse_times) * 1000:.1f} ms, "
        f"validation median {statistics.median(validate_times) * 1000:.1f} ms"
    )
    report("validation / C-parse (target <= 3)", ratios)

    code = (
        "import time; t = time.perf_counter(); import tauro; from tauro.plugins import get_plugin_manager; "
        "get_plugin_manager(); print(time.perf_counter() - t)"
    )
    imports = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
        for _ in range(7)
    ]
    print(
        f"import tauro + plugin discovery: median {statistics.median(imports):.3f} s "
        f"(min {min(imports):.3f}, max {max(imports):.3f}, n=7; target < 0.5 s)"
    )


if __name__ == "__main__":
    main()
