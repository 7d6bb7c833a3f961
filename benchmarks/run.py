"""`make bench`: generate (or reuse) the data, take every measurement at each size, print the tables.

    python -m benchmarks.run                  # county, city, province (1×, 10×, 100×)
    python -m benchmarks.run --sizes 1,10     # chosen sizes
    python -m benchmarks.run --quick          # 1× and 10×, fewer runs, no full calendar export
    python -m benchmarks.run --only reports,calendar

Figures are medians; "ratio" is against the baseline measured in the same run (minimal Textual app,
hand-written SQL, bare icalendar loop). Targets are judged at city size (start-up, reports, per-cadre
export, memory) or at every size (attendance, full-export ratio).

Start-up is measured as an installed program starts: from bytecode. The project's modules are compiled
first (as `make venv` and pip do), so an edited source is not compiled anew in every measured start.
"""

from __future__ import annotations

import argparse
import compileall
import gc
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import generate, measure
from benchmarks.measure import Figure

PARTS = ("startup", "attendance", "reports", "hours", "calendar", "roster", "memory")
# the full export builds every session of ten years: at province size that is 200,000 events and minutes
# of icalendar work per run, so it is measured up to city size unless asked for (--full-export-all)
FULL_EXPORT_MAX_SCALE = 10.0
# the same for publish: its baseline is a first publish of every feed (107 s and 4,971 files at city size; about
# twenty minutes at province size), so "publish after one mark" is measured up to city size unless asked for
PUBLISH_MAX_SCALE = 10.0


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "MB":
        return f"{value:.0f} MB"
    if value < 1:
        return f"{value * 1000:.1f} ms"
    return f"{value:.2f} s"


def _verdict(f: Figure) -> str:
    return "" if f.ok is None else ("PASS" if f.ok else "MISS")


def table(size: generate.Size, figures: list[Figure]) -> str:
    head = f"{'figure':<46} {'median':>10} {'runs':>4} {'baseline':>10} {'ratio':>7}  {'target':<22} {'':4}"
    lines = [f"== {size.label} ({size.scale:g}×) ==", head, "-" * len(head)]
    for f in figures:
        ratio = f"{f.ratio:.2f}×" if f.ratio is not None else ""
        base = _fmt(f.baseline, f.unit) if f.baseline is not None else ""
        line = (
            f"{f.label:<46} {_fmt(f.value, f.unit):>10} {f.runs or '':>4} {base:>10} {ratio:>7}  "
            f"{f.target:<22} {_verdict(f):4}"
        )
        lines.append(line.rstrip() + (f"  ({f.note})" if f.note else ""))
    return "\n".join(lines)


def growth(results: dict[float, list[Figure]]) -> str:
    scales = sorted(results)
    base_scale = scales[0]
    head = f"{'figure':<46} " + " ".join(f"{f'{s:g}×':>10}" for s in scales)
    head += " " + " ".join(f"{f'{s:g}×/{base_scale:g}×':>9}" for s in scales[1:])
    lines = ["== growth with size (per-session work must stay flat) ==", head, "-" * len(head)]
    first = {f.key: f for f in results[base_scale]}
    for key, f0 in first.items():
        row = [next((f for f in results[s] if f.key == key), None) for s in scales]
        cells = " ".join(f"{_fmt(f.value if f else None, f0.unit):>10}" for f in row)
        grow = []
        for f in row[1:]:
            if f is None or f.value is None or not f0.value:
                grow.append(f"{'—':>9}")
            else:
                grow.append(f"{f.value / f0.value:>8.1f}×")
        lines.append(f"{f0.label[:46]:<46} {cells} {' '.join(grow)}")
    return "\n".join(lines)


def run_size(
    size: generate.Size,
    parts: tuple[str, ...],
    runs: int,
    full_export: bool,
    workdir: Path,
    roster_rows: int,
    publish: bool = True,
) -> list[Figure]:
    g = generate.ensure(size)
    city = size.scale == 10
    figures: list[Figure] = []
    c = g.counts
    print(
        f"\n{size.label}: {c['unit']:,} units, {c['cadre']:,} cadres, {c['session']:,} sessions, "
        f"{c['participant']:,} participants, {c['audit']:,} audit rows, {size.years} years"
        + (f" ({g.note})" if g.note else ""),
        flush=True,
    )
    steps = {
        "startup": lambda: measure.startup(g, runs, city),
        "attendance": lambda: measure.attendance(g, runs),
        "reports": lambda: measure.reports(g, runs, city),
        "hours": lambda: measure.hours_ledger(g, runs, city),
        "calendar": lambda: measure.calendars(g, runs, city, full=full_export, publish=publish),
        "roster": lambda: measure.roster_import(g, runs, workdir, roster_rows),
        "memory": lambda: measure.memory(g, city),
    }
    for part in parts:
        # each part starts from a collected heap, as a fresh app would: the previous parts' garbage (a 20,000-
        # event calendar, finished Textual apps) must not be walked by this part's collections
        gc.collect()
        t0 = time.perf_counter()
        try:
            got = steps[part]()
        except Exception as exc:  # one broken part must not hide the others' figures
            got = [
                Figure(f"{part}.error", f"{part}: FAILED", None, note=f"{type(exc).__name__}: {exc}"[:300])
            ]
        figures.extend(got)
        print(f"  {part}: {time.perf_counter() - t0:.1f} s", flush=True)
    return figures


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default=None, help="comma-separated scales, e.g. 1,10 (default 1,10,100)")
    ap.add_argument("--quick", action="store_true", help="1× and 10×, 3 runs, no full calendar export")
    ap.add_argument("--runs", type=int, default=None, help="runs per figure (default 5, 3 with --quick)")
    ap.add_argument("--only", default=",".join(PARTS), help="parts to run: " + ",".join(PARTS))
    ap.add_argument("--full-export-all", action="store_true", help="full calendar export at every size")
    ap.add_argument(
        "--publish-all", action="store_true", help="publish (every feed, then after a mark) at every size"
    )
    ap.add_argument("--roster-rows", type=int, default=6000, help=argparse.SUPPRESS)  # smoke test
    args = ap.parse_args(argv)
    scales = [float(s) for s in (args.sizes or ("1,10" if args.quick else "1,10,100")).split(",")]
    runs = args.runs or (3 if args.quick else 5)
    parts = tuple(p.strip() for p in args.only.split(",") if p.strip())
    unknown = set(parts) - set(PARTS)
    if unknown:
        ap.error(f"unknown part(s): {', '.join(sorted(unknown))}")
    root = Path(__file__).resolve().parent.parent
    for package in ("zhijin_training", "benchmarks"):
        compileall.compile_dir(root / package, quiet=1)
    t0 = time.perf_counter()
    results: dict[float, list[Figure]] = {}
    tables: list[str] = []
    with tempfile.TemporaryDirectory(prefix="zt-bench-") as tmp:
        for scale in scales:
            size = generate.size_for(scale)
            full = not args.quick and (args.full_export_all or scale <= FULL_EXPORT_MAX_SCALE)
            publish = args.publish_all or scale <= PUBLISH_MAX_SCALE
            results[scale] = run_size(size, parts, runs, full, Path(tmp), args.roster_rows, publish)
            tables.append(table(size, results[scale]))
    print()
    print("\n\n".join(tables))
    if len(scales) > 1:
        print()
        print(growth(results))
    misses = [
        f"{generate.size_for(s).label}: {f.label}" for s, fs in results.items() for f in fs if f.ok is False
    ]
    print(f"\n{len(misses)} target(s) missed" + (": " + "; ".join(misses) if misses else ""))
    print(f"total {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
