"""The results as Markdown: machine and versions, each figure, each ratio against its target, and
where the time goes. Rendered from results.json only, so the file never disagrees with the data."""

from __future__ import annotations


def _rate(n: float) -> str:
    return f"{n:,.0f} rows/s"


def _verdict(ok: bool | None) -> str:
    """`met`, `**missed**`, or `–` for a figure without a target (None)."""
    return "–" if ok is None else "met" if ok else "**missed**"


def _table(header: list[str], rows: list[list[object]]) -> list[str]:
    """A Markdown table followed by an empty line."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return [*lines, ""]


def render(doc: dict) -> str:
    b = doc["benchmarks"]
    m, v = doc["machine"], doc["versions"]
    out = [
        "# Benchmark results",
        "",
        f"Measured {doc['measured']} by `make bench` in {doc['total_wall_s']:.0f} s on {m['cpu']}, "
        f"{m['cores']} cores, {m['memory_gib']} GiB, {m['os']}.",
        "Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()) + ".",
        f"The simulator runs in its own process on the same machine and shares its {m['cores']} cores with the "
        "side measured.",
        "",
        "| # | benchmark | figure | target | |",
        "|---|---|---|---|---|",
    ]
    rows = []
    if _ok(b, "ceiling"):
        c = b["ceiling"]
        rows.append(("1", "ceiling: pipeline vs raw httpx download", f"{c['pipeline_vs_raw']:.0%}",
                     f"≥ {c['target_pipeline_vs_raw']:.0%}", c["pipeline_vs_raw"] >= c["target_pipeline_vs_raw"]))
    if _ok(b, "peer"):
        p = b["peer"]
        rows.append(("2", "peer: pipeline vs dlt (fastest configuration)", f"{p['pipeline_vs_dlt_fastest']:.1f}×",
                     f"≥ {p['target_pipeline_vs_dlt_fastest']:.0f}×",
                     p["pipeline_vs_dlt_fastest"] >= p["target_pipeline_vs_dlt_fastest"]))
    if _ok(b, "latency"):
        lat = b["latency"]
        rows.append(("3", "latency-bound: wall time vs theoretical minimum", f"{lat['vs_minimum']:.2f}×",
                     f"≤ {lat['target_vs_minimum']}×", lat["vs_minimum"] <= lat["target_vs_minimum"]))
    if _ok(b, "memory"):
        mem = b["memory"]
        ok = mem["peak_mib_at_1m"] < mem["target_peak_mib_at_1m"] and mem["growth_peak_1m_vs_100k"] < mem["rows_ratio"]
        rows.append(("4", "memory: peak RSS at 1M rows (growth 100k→1M)",
                     f"{mem['peak_mib_at_1m']:.0f} MiB ({mem['growth_peak_1m_vs_100k']}× for 10× rows)",
                     f"< {mem['target_peak_mib_at_1m']} MiB, sublinear", ok))
    if _ok(b, "incremental"):
        inc = b["incremental"]
        rows.append(("5", "incremental: no-change tick calls / full reload calls",
                     f"{inc['no_change_share_of_full_calls']:.1%}", f"< {inc['target_no_change_share']:.0%}",
                     inc["no_change_share_of_full_calls"] < inc["target_no_change_share"]))
    if _ok(b, "dagster_overhead"):
        d = b["dagster_overhead"]
        target = d["target_overhead"]
        rows.append(("6", "Dagster overhead on a 3 × 24 backfill, Dagster on PostgreSQL, no latency",
                     f"+{d['overhead']:.0%} (SQLite instance: +{d['overhead_sqlite']:.0%})", f"< +{target:.0%}",
                     d["overhead"] < target))
        rows.append(("6b", "… the same with AFAS-like latency",
                     f"+{d['overhead_with_latency']:.0%} (SQLite instance: +{d['overhead_with_latency_sqlite']:.0%})",
                     f"< +{target:.0%}", d["overhead_with_latency"] < target))
    if _ok(b, "lake_writes"):
        w = b["lake_writes"]
        for n, catalog, label in (("7", "sqlite", "SQLite"), ("7b", "postgres", "PostgreSQL")):
            notes = w["stack_notes_ms"][catalog]
            rows.append((n, f"lake write: one 1,500 / 250,000-row slice replace, {label} catalog",
                         f"{w[catalog]['small_1500']['median_ms']:.0f} / "
                         f"{w[catalog]['large_250k']['median_ms']:.0f} ms",
                         f"for information (stack notes: {notes['small_1500']} / {notes['large_250k']} ms)", None))
    if _ok(b, "analysts_during_loads"):
        a = b["analysts_during_loads"]
        for n, catalog, label in (("8", "sqlite", "SQLite"), ("8b", "postgres", "PostgreSQL")):
            r = a[catalog]["during_loads"]
            rows.append((n, f"analyst queries during {a['writers']} loads, {label} catalog: failed / inconsistent",
                         f"{r['failures']} / {r['inconsistent']} of {r['queries']}",
                         f"{a['target_failures']} / {a['target_inconsistent']}",
                         r["failures"] <= a["target_failures"] and r["inconsistent"] <= a["target_inconsistent"]))
    if _ok(b, "scale"):
        sc = b["scale"]
        cs, parts = sc["change_sensor"], sc["partitions"]
        rows.append(("9", f"scale: longest change-sensor tick, {sc['environments']} environments at {sc['latency']}",
                     f"{cs['longest_tick_s']:.0f} s", f"≤ {sc['target_longest_tick_s']:.0f} s",
                     cs["longest_tick_s"] <= sc["target_longest_tick_s"]))
        seen = cs["seconds_until_all_seen"]
        rows.append(("9b", "… until every environment was looked at",
                     f"{seen:.0f} s ({cs['ticks_until_all_seen']} tick(s))" if seen is not None else "not all",
                     f"≤ {sc['target_all_seen_s']:.0f} s", seen is not None and seen <= sc["target_all_seen_s"]))
        rows.append(("9c", f"… partitions of a period asset ({parts['administrations']} administrations × "
                     f"{parts['periods']} periods)", f"{parts['partitions']:,}",
                     f"< {parts['dagster_documented_ceiling']:,}", parts["partitions"] < parts["dagster_documented_ceiling"]))
    if _ok(b, "scale_out"):
        so = b["scale_out"]
        rows.append(("10", f"scale-out: two Celery workers vs one, same load (AFAS cap {so['cap']})",
                     f"{so['speed_up']:.2f}× ({so['one_worker_s']:.1f} s → {so['two_workers_s']:.1f} s), "
                     f"most in flight {so['max_in_flight_seen']}",
                     f"≥ {so['target_speed_up']}×, ≤ {so['cap']} in flight", _scale_out_met(so)))
    out += [f"| {n} | {name} | {fig} | {target} | {_verdict(ok)} |" for n, name, fig, target, ok in rows]
    for name, result in b.items():
        if "error" in result:
            out += ["", f"**{name} failed:**", "", "```", result["error"], "```"]
    out += ["", "## Figures", ""]
    out += _details(b)
    if _ok(b, "profile"):
        out += ["", "## Where the time goes (1,000,000 rows, no latency)", ""] + _profile(b["profile"], b.get("ceiling"))
    out += ["", "## Why targets are missed, and what was done", ""] + _misses(b)
    out += ["", "Raw data: `benchmarks/results.json`. How each figure is measured: `benchmarks/README.md`.", ""]
    return "\n".join(out)


def _details(b: dict) -> list[str]:
    out: list[str] = []
    if _ok(b, "ceiling"):
        c = b["ceiling"]
        out += [
            f"**1. Ceiling** — {c['rows']:,} rows, {c['pages']} pages, {c['megabytes']} MB of JSON, median of "
            f"{len(c['pipeline']['runs'])} runs each:",
            "",
            *_table(["side", "seconds", "rows/s"], [
                [label, c[key]["seconds"], _rate(c[key]["rows_per_s"])]
                for label, key in (("pipeline (fetch → Polars → Pandera → DuckLake)", "pipeline"),
                                   ("raw httpx download, same pages, 5 in flight", "raw_httpx"),
                                   ("DuckDB `read_json` of those bytes (local files)", "duckdb_read_json"))
            ]),
            f"Pipeline phases: fetch {c['pipeline']['fetch_s']} s, validate {c['pipeline']['validate_s']} s, "
            f"write {c['pipeline']['write_s']} s.",
            "",
        ]
    if _ok(b, "peer"):
        p = b["peer"]
        out += [
            f"**2. Peer** — dlt {p['dlt_version']} `rest_api` source, offset paging on skip/take, ordered, into DuckDB; "
            f"{p['rows']:,} rows, same simulator run:",
            "",
            *_table(["side", "seconds", "rows/s", "amount column type"], [
                ["pipeline", p["pipeline"]["seconds"], _rate(p["pipeline"]["rows_per_s"]), "DECIMAL(38,2)"],
                *[[label, p[key]["seconds"], _rate(p[key]["rows_per_s"]), p[key]["column_types"].get("amt_debit", "?")]
                  for label, key in (("dlt default (insert-values files)", "dlt_default"),
                                     ("dlt parquet loader files", "dlt_parquet"))],
            ]),
        ]
    if _ok(b, "latency"):
        lat = b["latency"]
        out += [
            f"**3. Latency-bound** — {lat['administration_year']}, {lat['rows']:,} rows in {lat['afas_calls']} AFAS calls "
            f"({lat['latency']}; most in flight seen: {lat['max_in_flight_seen']}, errors: {lat['errors']}): "
            f"run {lat['seconds']} s, AFAS busy from first call to last answer {lat['afas_busy_span_s']} s, "
            f"theoretical minimum {lat['theoretical_minimum_s']} s → {lat['vs_minimum']}× "
            f"(AFAS span alone {lat['afas_busy_span_s'] / lat['theoretical_minimum_s']:.2f}×). "
            f"By the time the simulator actually spent per call the minimum is {lat['served_time_minimum_s']} s "
            f"(the span is {lat['afas_span_vs_served_minimum']}× that); "
            f"{lat['before_first_call_s']} s passed before the first call and {lat['after_last_answer_s']} s "
            "after the last answer.",
            "",
        ]
    if _ok(b, "memory"):
        out += [
            "**4. Memory** — one partition of transactions per fresh process:",
            "",
            *_table(["rows", "RSS after imports", "peak RSS", "load's share", "per row"], [
                [f"{size['rows']:,}", f"{size['baseline_mib']} MiB", f"{size['peak_mib']} MiB",
                 f"{size['load_mib']} MiB", f"{size['load_bytes_per_row']} B"]
                for size in b["memory"]["sizes"]
            ]),
        ]
    if _ok(b, "incremental"):
        inc = b["incremental"]
        changed = inc["one_changed_period"]
        out += [
            f"**5. Incremental** — {inc['administrations']} administrations, two years, {inc['latency']}:",
            "",
            *_table(["load", "AFAS calls", "seconds"], [
                ["full reload (`load_everything`)", inc["full_reload"]["afas_calls"], inc["full_reload"]["seconds"]],
                ["change-sensor tick, nothing changed", inc["no_change_tick"]["afas_calls"],
                 inc["no_change_tick"]["seconds"]],
                [f"one closed period changed (tick + {changed['runs']} runs)", changed["afas_calls"], changed["seconds"]],
            ]),
        ]
    if _ok(b, "dagster_overhead"):
        d = b["dagster_overhead"]
        out += [
            f"**6. Dagster overhead** — {d['slices']} slices × {d['connectors_per_slice']} connectors, {d['rows']:,} rows, "
            f"{d['runs']} runs of one administration each; directly the same slices in the same shape:",
            "",
            *_table(["side", "no latency", f"AFAS-like latency ({d['latency']})"], [
                ["directly (`load_together`, same slices at once)", f"{d['direct_s']} s", f"{d['direct_with_latency_s']} s"],
                ["through Dagster, runs and events in PostgreSQL (`deploy/dagster.yaml`)", f"{d['postgres_s']} s (+{d['overhead']:.0%})",
                 f"{d['postgres_with_latency_s']} s (+{d['overhead_with_latency']:.0%})"],
                ["… Dagster's PostgreSQL storage as it comes (a connection per statement)",
                 f"{d['postgres_unpooled_s']} s (+{d['overhead_postgres_unpooled']:.0%})", "–"],
                ["through Dagster, default SQLite instance", f"{d['sqlite_s']} s (+{d['overhead_sqlite']:.0%})",
                 f"{d['sqlite_with_latency_s']} s (+{d['overhead_with_latency_sqlite']:.0%})"],
            ]),
        ]
    if _ok(b, "lake_writes"):
        out += _lake_writes(b["lake_writes"])
    if _ok(b, "analysts_during_loads"):
        out += _analysts_during_loads(b["analysts_during_loads"])
    if _ok(b, "scale"):
        out += _scale(b["scale"])
    if _ok(b, "scale_out"):
        out += _scale_out(b["scale_out"])
    return out


def _scale(sc: dict) -> list[str]:
    cs, parts, page = sc["change_sensor"], sc["partitions"], sc["asset_page"]
    ticks = ", ".join(f"{t['seconds']:.0f} s ({t['environments_looked_at']} looked at)" for t in cs["ticks"])
    return [
        f"**9. Scale** — {sc['environments']} simulated environments × {sc['administrations_per_environment']} "
        f"administrations, {sc['broken_tokens']} with a broken token, {sc['latency']}. Change-sensor ticks "
        f"(budget {cs['tick_budget_s']:.0f} s, one tick every {cs['sensor_interval_s']} s): {ticks}. Every "
        f"environment was looked at in tick {cs['ticks_until_all_seen']}, "
        f"{cs['seconds_until_all_seen']:.0f} s after the first began; failing and reported: "
        f"{', '.join(cs['failing_reported'])}. Partitions of each period asset: {parts['partitions']:,} "
        f"({parts['administrations']} administrations × {parts['periods']} periods since the first year; "
        f"{parts['before_this_change']:,} with next year's periods as before), listed in {parts['listing_s']} s. "
        f"The asset page's partition query (keys, statuses, counts; {page['materialized_shown']} materialized): "
        f"{page['first_load_s']} s first, {page['warm_load_s']} s warm (GraphQL against `dagster-webserver`; "
        "a browser adds its rendering).",
        "",
    ]


def _scale_out_met(so: dict) -> bool:
    return so["speed_up"] >= so["target_speed_up"] and so["cap_respected"] and so["same_rows"]


def _step_line(run: dict) -> str:
    return "; ".join(f"{s['step']} on {s.get('worker', '?')} from {s.get('started_s', '?')} s for {s.get('seconds', '?')} s"
                     for s in run["steps"])


def _scale_out(so: dict) -> list[str]:
    rows = []
    for label, run in (("one worker", so["one_worker"]), ("two workers", so["two_workers"])):
        rows.append([label, run["seconds"], run["afas_calls"], run["afas_errors"], run["afas_floor_s"],
                     f"{run['machine_cpu_busy']:.0%}", " / ".join(str(n) for n in run["max_in_flight"].values()),
                     ", ".join(f"{w}: {n}" for w, n in run["steps_per_worker"].items())])
    return [
        f"**10. Scale-out** — `administration_assets_job` over {so['administrations']} administrations of "
        f"{so['environments']} environments ({so['rows']:,} rows, {so['steps']} steps), {so['latency']}, each time "
        f"in a fresh deployment (RabbitMQ, Dagster and the lake's catalog on PostgreSQL, `dagster-celery` workers "
        f"at `--concurrency={so['concurrency_per_worker']}`); wall time of `dagster job execute`. Speed-up "
        f"{so['speed_up']}×; AFAS cap respected: {'yes' if so['cap_respected'] else '**no**'}; the two lakes hold "
        f"the same rows: {'yes' if so['same_rows'] else '**no**'}.",
        "",
        *_table(["workers", "seconds", "AFAS calls", "errors", "AFAS floor (busiest environment's answer time / cap), s",
                 "machine CPU busy", "most in flight per environment", "steps per worker"], rows),
        f"Steps, one worker: {_step_line(so['one_worker'])}.",
        "",
        f"Steps, two workers: {_step_line(so['two_workers'])}.",
        "",
    ]


_CATALOGS = (("sqlite", "SQLite catalog"), ("postgres", "PostgreSQL catalog"))


def _ms_range(figures: dict) -> str:
    return f"{figures['median_ms']:.0f} ms ({figures['min_ms']:.0f}–{figures['max_ms']:.0f}), {_rate(figures['rows_per_s'])}"


def _lake_writes(w: dict) -> list[str]:
    labels = {"inlined_80": "80 rows", "small_1500": "1,500 rows", "large_250k": "250,000 rows"}
    rows = []
    for case in w["cases"]:
        name = case["name"]
        stored = "inlined in the catalog" if w["sqlite"][name]["inlined"] and w["postgres"][name]["inlined"] else (
            "a Parquet file" if not (w["sqlite"][name]["inlined"] or w["postgres"][name]["inlined"]) else "mixed")
        rows.append([f"{labels.get(name, name)} ({stored}), median of {case['replaces']}",
                     *[_ms_range(w[catalog][name]) for catalog, _ in _CATALOGS], _ms_range(w["plain_duckdb"][name]),
                     " / ".join(f"{w[catalog][name]['vs_plain_duckdb']}×" for catalog, _ in _CATALOGS)])
    notes = w["stack_notes_ms"]
    return [
        "**7. Lake writes** — one `replace_slice` of `transactions` (DELETE + INSERT, history row and commit "
        "message in one DuckLake transaction), each slice loaded once untimed and then replaced; median "
        f"(min–max) per replace. PostgreSQL {w['postgres_server_version']} on this machine; retries: SQLite "
        f"{w['sqlite']['retries']}, PostgreSQL {w['postgres']['retries']}:",
        "",
        *_table(["slice", "SQLite catalog", "PostgreSQL catalog", "plain DuckDB file, held open (old design)",
                 "lake vs plain (SQLite / PostgreSQL)"], rows),
        "For information, no target. The stack notes gave "
        f"{notes['sqlite']['small_1500']} / {notes['sqlite']['large_250k']} ms (SQLite) and "
        f"{notes['postgres']['small_1500']} / {notes['postgres']['large_250k']} ms (PostgreSQL) per 1,500 / "
        f"250,000-row slice; measured here {w['sqlite']['small_1500']['median_ms']:.0f} / "
        f"{w['sqlite']['large_250k']['median_ms']:.0f} ms and {w['postgres']['small_1500']['median_ms']:.0f} / "
        f"{w['postgres']['large_250k']['median_ms']:.0f} ms.",
        "",
    ]


def _p(q: dict) -> str:
    return f"{q['p50_ms']:.0f} / {q['p95_ms']:.0f} / {q['max_ms']:.0f}"


def _analysts_during_loads(a: dict) -> list[str]:
    readers, writers = [], []
    for catalog, label in _CATALOGS:
        c = a[catalog]
        for key, loads in (("baseline", "none (baseline)"), ("during_loads", f"{a['writers']} loads")):
            r = c[key]
            readers.append([label, loads, r["queries"], r["failures"], r["inconsistent"], _p(r["trial_balance"]),
                            _p(r["consistency"])])
        w, alone = c["writers"], c["one_writer_alone"]
        per_writer = " / ".join(str(n) for n in w["commits_per_writer"])
        writers.append([label, f"{w['commits']} in {w['seconds']} s ({per_writer})", w["commits_per_s"],
                        _p(w["commit"]),
                        w["retries"], w["errors"], f"{alone['commits_per_s']} ({alone['commit']['p50_ms']:.0f} ms)",
                        f"{c['final_state']['periods']}, {len(c['final_state']['inconsistencies'])} wrong"])
    lines = a["lines_per_period"]
    return [
        f"**8. Analysts during loads** — {a['writers']} writer processes (one administration each) replace their "
        f"{a['periods_per_writer']} periods' books over and over for {a['load_s']:.0f} s, one transaction per "
        f"period ({lines[0]:,}–{lines[-1]:,} booking lines, as many allocated lines, "
        f"{a['period_values_per_period']} period values); an analyst's read-only session queries every "
        f"{a['query_every_s'] * 1000:.0f} ms (or back to back when slower) the trial balance of one period and "
        "the concurrency tests' consistency query (every period's three tables from one whole, balanced commit). "
        f"Baseline: the same session for {a['baseline_s']:.0f} s with no loads. Query latency in ms:",
        "",
        *_table(["catalog", "loads running", "queries", "failures", "inconsistent",
                 "trial balance p50 / p95 / max", "consistency query p50 / p95 / max"], readers),
        "The writers:",
        "",
        *_table(["catalog", "commits (per writer)", "commits/s (all writers)",
                 "commit p50 / p95 / max (ms, retries included)", "retries", "errors",
                 "one writer alone, no reader (first loads of generation 0): commits/s (p50 ms)",
                 "periods at the end"], writers),
    ]


def _profile(p: dict, ceiling: dict | None) -> list[str]:
    out = [
        f"- Phases of one load: fetch {p['phases_s']['fetch']} s, validate {p['phases_s']['validate']} s, "
        f"write {p['phases_s']['write']} s.",
        f"- Parsing the {p['pages']} pages alone (Polars JSON reader, exact-amount check, Amsterdam times) takes "
        f"{p['parse_cpu_s_single_thread']} s of CPU, {p['parse_ms_per_page']} ms per page ({p['megabytes_per_s_parsed']} MB/s).",
    ]
    if ceiling and "error" not in ceiling:
        out.append(f"- The same pages downloaded raw take {ceiling['raw_httpx']['seconds']} s.")
    if "cpu_during_load" in p:
        load, raw = p["cpu_during_load"], p["cpu_during_raw_download"]
        out.append(
            f"- CPU seconds, client / simulator: the load {load['client_cpu_s']} / {load['simulator_cpu_s']} in "
            f"{load['wall_s']} s; the raw download {raw['client_cpu_s']} / {raw['simulator_cpu_s']} in {raw['wall_s']} s "
            f"({p['cores']} cores shared by both processes).")
    out += ["", "Validation and write of the whole slice at once, cProfile by own time:", "", "```", *p["validate_and_write_top_functions"], "```"]
    return out


def _ok(b: dict, name: str) -> bool:
    return name in b and "error" not in b[name]


def _misses(b: dict) -> list[str]:
    out: list[str] = []
    if _ok(b, "ceiling") and b["ceiling"]["pipeline_vs_raw"] < b["ceiling"]["target_pipeline_vs_raw"]:
        c = b["ceiling"]
        p = b["profile"] if _ok(b, "profile") else {}
        parse = p.get("parse_cpu_s_single_thread")
        text = (f"- **Ceiling ({c['pipeline_vs_raw']:.0%} of raw).** The raw side only moves bytes. The pipeline must "
                f"also turn {c['megabytes']} MB of JSON into typed, exact columns"
                + (f" — {parse} s of CPU for Polars' JSON reader alone, against a raw download of "
                   f"{c['raw_httpx']['seconds']} s" if parse else "")
                + f" — then validate and write the lake (what is left of them after the last page: validate "
                f"{c['pipeline']['validate_s']} s, write {c['pipeline']['write_s']} s).")
        if "cpu_during_load" in p:
            load, raw = p["cpu_during_load"], p["cpu_during_raw_download"]
            both = load["client_cpu_s"] + load["simulator_cpu_s"]
            text += (f" The load is bound by this machine's CPU, not by the download: client and simulator "
                     f"(which builds the JSON) together spend {both:.1f} CPU s on {p['cores']} cores, so no schedule "
                     f"finishes under {both / p['cores']:.1f} s (it took {load['wall_s']} s); the raw download needs "
                     f"{raw['client_cpu_s'] + raw['simulator_cpu_s']:.1f} CPU s in all. 60% of raw would need the "
                     "client's parsing to cost less than the simulator's rendering of the same JSON.")
        text += (" Done: a large slice is validated and staged window by window while AFAS answers the next "
                 "window (`assets.windowed`), so validation no longer follows the download; pages are parsed at "
                 "most one per core at once; earlier, the exact-money check became a vectorised check on the parsed "
                 "floats and datetimes parse with a fixed format first. Tried and no faster: orjson, pyarrow's "
                 "JSON reader and Polars' `read_ndjson` in place of `read_json`.")
        out.append(text)
    if _ok(b, "latency") and b["latency"]["vs_minimum"] > b["latency"]["target_vs_minimum"]:
        lat = b["latency"]
        out += [
            f"- **Latency-bound ({lat['vs_minimum']}×).** While AFAS works, the pipeline keeps it at "
            f"{lat['afas_busy_span_s'] / lat['theoretical_minimum_s']:.2f}× of the minimum: the call slots are "
            "busy in steady state, and at the end the last slices' chains (first page, then the rest, then the "
            "next connector) leave slots idle. The rest is not AFAS at all: "
            f"{lat['before_first_call_s']} s before the first call (Dagster creating the run: on its SQLite "
            "storage one planned event per asset and partition and per check) and "
            f"{lat['after_last_answer_s']} s after the last answer (the last slices' validation and write, "
            "storing their materializations and check evaluations — Dagster writes each as an event, on SQLite "
            "10–20 ms apiece — the last periods' reconciliation, the checks' step outputs and the end of the "
            "run). Done: soft checks are reported per slice as it lands instead of after the last one "
            "(4.4 → 2.1 s after the last answer), periods are reconciled in the background as they land "
            "instead of all at the end, windows are validated while the next downloads; earlier, 8 slices at "
            "once and page threads at twice the cap (1.42–1.58× before).",
        ]
    if _ok(b, "dagster_overhead") and b["dagster_overhead"]["overhead"] >= b["dagster_overhead"]["target_overhead"]:
        d = b["dagster_overhead"]
        per_run = (d["postgres_s"] - d["direct_s"]) / d["runs"]
        stored = d["events_stored_per_run"]
        total = sum(stored.values())
        kinds = ", ".join(f"{n} {kind.lower().replace('_', ' ')}" for kind, n in list(stored.items())[:3])
        out += [
            f"- **Dagster overhead (+{d['overhead']:.0%}; +{d['overhead_with_latency']:.0%} with latency).** "
            f"Dagster adds about {per_run:.1f} s per run of {d['slices'] // d['runs']} partitions × "
            f"{d['connectors_per_slice']} assets, and it is the events it stores: {total} per run ({kinds}, …), "
            "each a few SQL statements (the event, its index rows, a check's execution row) on the same 2 cores "
            "as the load. The per-partition materializations and check evaluations are what the UI's partition "
            "status, the controller's checks and the change sensor build on, so they stay. Done: Dagster's "
            "PostgreSQL storage keeps a connection per process (`pipelines.dagster_storage`, in "
            f"`deploy/dagster.yaml`) instead of opening one per statement: {d['postgres_unpooled_s']} s → "
            f"{d['postgres_s']} s (+{d['overhead_postgres_unpooled']:.0%} → +{d['overhead']:.0%}); earlier, one "
            "summary log line per step instead of one stored event per slice, reconciliation in two queries "
            "per run, and each slice's checks stored as it lands (so they overlap the waits for AFAS). Not "
            "Dagster's but counted in its figure: the asset also reconciles every period against AFAS's totals "
            "(two lake queries and a history row per batch), which the direct side does not. With latency the "
            "gap is wider and not explained in full: the events are stored by the step's one thread, in turn "
            "with handing out the slices' results, and each run's start (its planned events) and end come on "
            "top of AFAS's time instead of overlapping it.",
        ]
    if _ok(b, "analysts_during_loads"):
        a = b["analysts_during_loads"]
        for catalog, label in _CATALOGS:
            r = a[catalog]["during_loads"]
            if r["failures"] > a["target_failures"] or r["inconsistent"] > a["target_inconsistent"]:
                out += [f"- **Analysts during loads, {label} ({r['failures']} failed, {r['inconsistent']} "
                        f"inconsistent of {r['queries']}).** First messages: "
                        + "; ".join(f"`{m}`" for m in [*r["failure_messages"], *r["problems"]][:3])]
    if _ok(b, "scale_out") and not _scale_out_met(b["scale_out"]):
        so = b["scale_out"]
        one, two = so["one_worker"], so["two_workers"]
        ends = [st["started_s"] + st["seconds"] for st in one["steps"] if "seconds" in st]
        outside = one["seconds"] - (max(ends) - min(st["started_s"] for st in one["steps"])) if ends else 0.0
        firsts: dict[str, float] = {}
        for st in two["steps"]:
            firsts.setdefault(st.get("worker", "?"), st.get("started_s", 0))
        out += [
            f"- **Scale-out ({so['speed_up']}×; most in flight {so['max_in_flight_seen']}, cap respected: "
            f"{'yes' if so['cap_respected'] else 'no'}; same rows: {'yes' if so['same_rows'] else 'no'}).** "
            f"The load is not bound by AFAS on this machine: AFAS's own floor is {one['afas_floor_s']} s of a "
            f"{one['seconds']} s run, and the machine's cores were {one['machine_cpu_busy']:.0%} busy with one "
            f"worker ({two['machine_cpu_busy']:.0%} with two), and {outside:.1f} s of the one-worker run lie outside "
            "every step (the launcher's `dagster job execute` starting, creating the run, finishing it), which no "
            "worker shortens. A new worker's processes import the code on their first task: with two workers the "
            "first steps began at "
            + ", ".join(f"{w} {t} s" for w, t in firsts.items())
            + ". Both workers run on the same "
            f"{so.get('cores', 2)} cores as the simulator, PostgreSQL, RabbitMQ and the launcher, so a second worker "
            "adds step slots but no CPU: steps ran longer side by side (see the step lines above). The job has "
            f"{so['steps']} steps (one per administration-sliced connector, all partitions in each), so even with "
            "free CPU 4 slots finish in 2 rounds against 3 with 2 slots: at most 1.5×."
            + (" Tasks go to a worker with a free process (`deploy/celery.yaml` acknowledges a task when its step "
               "ends, so a busy worker reserves none); the tasks were received by "
               + ", ".join(f"{w} at {ts} s" for w, ts in two["tasks_received_s"].items()) + ".")
            + " A real speed-up needs workers on machines of their own.",
        ]
    return out or ["Every target is met."]
