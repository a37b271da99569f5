"""Benchmarks against the peer libraries, as ratios measured in one interleaved run.

    python benchmarks/run.py            # the full run (a few minutes on 2 cores)
    python benchmarks/run.py --quick    # a short run (about a minute)

Needs ``pip install -e ".[all,bench]"`` (the ``bench`` extra installs the peers: the openai SDK,
langchain-deepseek and llama-index-llms-deepseek). A loopback server (``_server.py``, another
process, ``127.0.0.1`` only) serves canned replies in the service's wire format; every library
talks to it through its own public API. Phases, each interleaved round-robin across libraries
(the order rotates every round):

* per call: median wall time of a non-streaming chat; overhead = the library's median minus raw
  httpx's median in the same round, then the median over rounds;
* streaming: a 2,000-chunk stream (plain, and reasoner: reasoning deltas then content) consumed
  through each library's streaming API: chunks/s and time to the first item yielded;
* concurrency: 1,000 concurrent async calls (``asyncio.gather``, at most 100 in flight by default,
  each library's own connection pool), in a fresh process per library and round (so each has its
  own heap), wall time and the worst lateness of a 1 ms ticker task (the event-loop stall);
* import: in fresh interpreters, the framework's own import, then what the library adds on top;
* memory: peak RSS of a fresh process that imports a library and makes one call.

Results: a table on stdout (each target's ratio with PASS/MISS), ``benchmarks/results/latest.json``
and ``benchmarks/results/latest.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

# Never trace to a remote service while benchmarking.
for _name in ("LANGCHAIN_TRACING_V2", "LANGSMITH_TRACING", "LANGCHAIN_TRACING"):
    os.environ[_name] = "false"

from _libs import CHAT, DRIVERS, REASONER, Driver, Unavailable  # noqa: E402

PACKAGES = (
    "deepseekapi-integrations",
    "httpx",
    "httpcore",
    "h11",
    "pydantic",
    "pydantic-core",
    "openai",
    "langchain-core",
    "langchain-openai",
    "langchain-deepseek",
    "llama-index-core",
    "llama-index-llms-openai",
    "llama-index-llms-openai-like",
    "llama-index-llms-deepseek",
)

CALL_DRIVERS = (
    "socket",
    "httpx",
    "openai",
    "core",
    "lc_floor",
    "lc_peer",
    "lc_ours",
    "li_floor",
    "li_peer",
    "li_ours",
)
STREAM_DRIVERS = (
    "socket",
    "httpx_bytes",
    "httpx",
    "openai",
    "core",
    "lc_floor",
    "lc_peer",
    "lc_ours",
    "li_floor",
    "li_peer",
    "li_ours",
)
ASYNC_DRIVERS = ("httpx", "openai", "core", "lc_peer", "lc_ours", "li_peer", "li_ours")
MEMORY_DRIVERS = ("python", "httpx", "openai", "core", "lc_peer", "lc_ours", "li_peer", "li_ours")

LC_FRAMEWORK = "langchain_core.language_models"
LI_FRAMEWORK = "llama_index.core.llms"
IMPORT_PROBES: dict[str, tuple[str, str, str, str]] = {
    # key: (framework module, its base class, library module, library class)
    "httpx": ("-", "-", "httpx", "Client"),
    "openai": ("-", "-", "openai", "OpenAI"),
    "core": ("-", "-", "deepseekapi_core", "DeepSeekClient"),
    "lc_peer": (LC_FRAMEWORK, "BaseChatModel", "langchain_deepseek", "ChatDeepSeek"),
    "lc_ours": (LC_FRAMEWORK, "BaseChatModel", "langchain_deepseekapi", "ChatDeepSeekAPI"),
    "li_peer": (LI_FRAMEWORK, "LLM", "llama_index.llms.deepseek", "DeepSeek"),
    "li_ours": (LI_FRAMEWORK, "LLM", "llama_index_deepseekapi", "DeepSeekAPI"),
}


@dataclass
class Settings:
    rounds: int
    calls: int
    streams: int
    chunks: int
    concurrency: int
    concurrency_limit: int
    concurrency_rounds: int
    import_runs: int
    memory_runs: int
    warmup: int


FULL = Settings(
    rounds=7,
    calls=200,
    streams=2,
    chunks=2000,
    concurrency=1000,
    concurrency_limit=100,
    concurrency_rounds=5,
    import_runs=9,
    memory_runs=3,
    warmup=30,
)
QUICK = Settings(
    rounds=3,
    calls=60,
    streams=1,
    chunks=2000,
    concurrency=1000,
    concurrency_limit=100,
    concurrency_rounds=1,
    import_runs=3,
    memory_runs=1,
    warmup=10,
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def rotated(items: list[str], by: int) -> list[str]:
    if not items:
        return items
    by %= len(items)
    return items[by:] + items[:by]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# --------------------------------------------------------------------------------------------
# The server


class Server:
    """``_server.py`` in its own process; ``cpu()`` reads its CPU seconds from /proc."""

    def __init__(self, chunks: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "_server.py"), "--port", "0", "--chunks", str(chunks)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            self.process.kill()
            raise RuntimeError(f"the benchmark server did not start: {line!r}")
        self.port = int(line.split()[1])
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self._ticks = os.sysconf("SC_CLK_TCK")

    def cpu(self) -> float:
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / self._ticks

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()


@contextlib.contextmanager
def server_busy(server: Server, into: dict[str, float]) -> Iterator[None]:
    """Record the server's CPU seconds over the wall seconds of the block."""
    cpu, wall = server.cpu(), time.perf_counter()
    yield
    into["server_cpu_s"] = into.get("server_cpu_s", 0.0) + server.cpu() - cpu
    into["wall_s"] = into.get("wall_s", 0.0) + time.perf_counter() - wall


# --------------------------------------------------------------------------------------------
# Phases


def build_drivers(
    keys: tuple[str, ...], base_url: str, skipped: dict[str, str]
) -> dict[str, Driver]:
    drivers: dict[str, Driver] = {}
    for key in keys:
        if key in skipped:
            continue
        driver = DRIVERS[key]()
        try:
            driver.setup(base_url)
        except Unavailable as exc:
            skipped[key] = str(exc)
            log(f"  skip {key}: {exc}")
            continue
        drivers[key] = driver
    return drivers


def check_drivers(drivers: dict[str, Driver], answer: str, chunks: int) -> None:
    """Every driver must get the canned answer, and the stream's text, or it measures nothing."""
    middle = chunks - 2
    plain = "".join(f" word{i % 10}" for i in range(middle))
    thinking = "".join(f" think{i % 10}" for i in range(middle // 2))
    reasoned = "".join(f" word{i % 10}" for i in range(middle - middle // 2))
    for key, driver in drivers.items():
        if key in ("socket", "httpx_bytes"):
            continue
        got = driver.chat()
        if got != answer:
            raise AssertionError(f"{key}: chat answered {got[:60]!r}")
        if key in STREAM_DRIVERS:
            reasoning, text = driver.stream_text(CHAT)
            if text != plain:
                raise AssertionError(f"{key}: plain stream text differs ({len(text)} chars)")
            reasoning, text = driver.stream_text(REASONER)
            if text != reasoned or reasoning != thinking:
                raise AssertionError(
                    f"{key}: reasoner stream differs (answer {text == reasoned}, "
                    f"reasoning {reasoning == thinking}: {len(reasoning)} chars)"
                )


def time_calls(call: Callable[[], object], count: int) -> list[float]:
    clock = time.perf_counter_ns
    out = []
    for _ in range(count):
        start = clock()
        call()
        out.append((clock() - start) / 1000.0)
    return out


def phase_calls(drivers: dict[str, Driver], settings: Settings, server: Server) -> dict[str, Any]:
    keys = [key for key in CALL_DRIVERS if key in drivers]
    for key in keys:
        time_calls(drivers[key].chat, settings.warmup)
    samples: dict[str, list[float]] = {key: [] for key in keys}
    round_medians: dict[str, list[float]] = {key: [] for key in keys}
    busy: dict[str, float] = {}
    for round_no in range(settings.rounds):
        for key in rotated(keys, round_no):
            gc.collect()
            with server_busy(server, busy):
                times = time_calls(drivers[key].chat, settings.calls)
            samples[key].extend(times)
            round_medians[key].append(median(times))
    base = round_medians.get("httpx")
    result: dict[str, Any] = {"server_busy": busy, "libraries": {}}
    for key in keys:
        rounds = round_medians[key]
        overheads = [ours - floor for ours, floor in zip(rounds, base, strict=True)] if base else []
        result["libraries"][key] = {
            "median_us": median(samples[key]),
            "p90_us": statistics.quantiles(samples[key], n=10)[-1],
            "round_medians_us": rounds,
            "overhead_us": median(overheads) if base else None,
            "calls": len(samples[key]),
        }
    return result


def time_stream(driver: Driver, model: str) -> tuple[float, float, int]:
    clock = time.perf_counter
    start = clock()
    first = 0.0
    items = 0
    for _ in driver.stream(model):
        if not items:
            first = clock()
        items += 1
    return clock() - start, first - start, items


def phase_streams(drivers: dict[str, Driver], settings: Settings, server: Server) -> dict[str, Any]:
    keys = [key for key in STREAM_DRIVERS if key in drivers]
    for key in keys:
        for model in (CHAT, REASONER):
            time_stream(drivers[key], model)
    raw: dict[tuple[str, str], list[tuple[float, float, int]]] = {
        (key, model): [] for key in keys for model in (CHAT, REASONER)
    }
    busy: dict[str, float] = {}
    for round_no in range(settings.rounds):
        for key in rotated(keys, round_no):
            for model in (CHAT, REASONER):
                for _ in range(settings.streams):
                    gc.collect()
                    with server_busy(server, busy):
                        raw[(key, model)].append(time_stream(drivers[key], model))
    result: dict[str, Any] = {"server_busy": busy, "chunks": settings.chunks, "libraries": {}}
    for key in keys:
        entry = {}
        for model, name in ((CHAT, "plain"), (REASONER, "reasoner")):
            runs = raw[(key, model)]
            seconds = median([run[0] for run in runs])
            entry[name] = {
                "seconds": seconds,
                "chunks_per_s": settings.chunks / seconds,
                "ttft_ms": median([run[1] for run in runs]) * 1000,
                "items": runs[0][2],
                "streams": len(runs),
            }
        result["libraries"][key] = entry
    return result


def phase_concurrency(
    keys: list[str], base_url: str, settings: Settings, server: Server
) -> dict[str, Any]:
    walls: dict[str, list[float]] = {key: [] for key in keys}
    stalls: dict[str, list[float]] = {key: [] for key in keys}
    busy: dict[str, float] = {}
    limit = settings.concurrency_limit
    warmup = max(limit, 200) if limit else settings.concurrency
    args = [base_url, str(settings.concurrency), str(limit), str(warmup)]
    for round_no in range(settings.concurrency_rounds):
        for key in rotated(keys, round_no):
            with server_busy(server, busy):
                wall, stall = _probe(["concurrency", key, *args])
            walls[key].append(wall)
            stalls[key].append(stall)
    return {
        "calls": settings.concurrency,
        "in_flight_limit": settings.concurrency_limit,
        "server_busy": busy,
        "libraries": {
            key: {
                "wall_s": median(walls[key]),
                "walls_s": walls[key],
                "calls_per_s": settings.concurrency / median(walls[key]),
                "stall_ms": median(stalls[key]) * 1000,
                "stall_max_ms": max(stalls[key]) * 1000,
            }
            for key in keys
        },
    }


def _probe(args: list[str]) -> Any:
    completed = subprocess.run(
        [sys.executable, "-I", str(HERE / "_probe.py"), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd="/",
    )
    if completed.returncode != 0:
        raise RuntimeError(f"probe {args} failed: {completed.stderr.strip()[-400:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def phase_imports(keys: list[str], settings: Settings) -> dict[str, Any]:
    for key in keys:  # the first run of each compiles bytecode: not counted
        _probe(["import", *IMPORT_PROBES[key]])
    runs: dict[str, list[list[float]]] = {key: [] for key in keys}
    for run in range(settings.import_runs):
        for key in rotated(keys, run):
            runs[key].append(_probe(["import", *IMPORT_PROBES[key]]))
    libraries = {}
    for key in keys:
        module, base, added = ([run[i] for run in runs[key]] for i in range(3))
        framework, base_class = IMPORT_PROBES[key][:2]
        libraries[key] = {
            "framework": framework if framework == "-" else f"{framework}.{base_class}",
            "module_s": median(module),
            "base_class_s": median(base),
            "framework_s": median([a + b for a, b in zip(module, base, strict=True)]),
            # what the library adds over the framework module alone (lazy: no base class yet)
            "added_over_module_s": median([b + c for b, c in zip(base, added, strict=True)]),
            # what the library adds once the framework's base class is loaded
            "added_s": median(added),
            "total_s": median([sum(run) for run in runs[key]]),
        }
    return {"runs": settings.import_runs, "libraries": libraries}


def phase_memory(keys: list[str], base_url: str, settings: Settings) -> dict[str, Any]:
    peaks: dict[str, list[int]] = {key: [] for key in keys}
    for run in range(settings.memory_runs):
        for key in rotated(keys, run):
            peaks[key].append(_probe(["memory", key, base_url]))
    return {
        "runs": settings.memory_runs,
        "libraries": {key: {"peak_rss_mib": median(peaks[key]) / 1024} for key in keys},
    }


# --------------------------------------------------------------------------------------------
# Targets and reporting


def _get(results: dict[str, Any], *path: str) -> float | None:
    node: Any = results
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return float(node) if isinstance(node, (int, float)) else None


def evaluate_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target: the two numbers, their ratio, the limit, PASS/MISS (or n/a if unmeasured)."""
    targets: list[dict[str, Any]] = []

    def add(name: str, ours: float | None, peer: float | None, limit: float, at_most: bool) -> None:
        ratio = ours / peer if ours is not None and peer else None
        if ratio is None:
            verdict = "n/a"
        else:
            verdict = "PASS" if (ratio <= limit if at_most else ratio >= limit) else "MISS"
        targets.append(
            {
                "target": name,
                "ours": ours,
                "peer": peer,
                "ratio": ratio,
                "limit": f"{'<=' if at_most else '>='} {limit:g}",
                "verdict": verdict,
            }
        )

    calls = ("calls", "libraries")
    for family, ours, peer in (
        ("LangChain", "lc_ours", "lc_peer"),
        ("LlamaIndex", "li_ours", "li_peer"),
    ):
        add(
            f"{family}: per-call overhead above httpx (us), ours/peer",
            _get(results, *calls, ours, "overhead_us"),
            _get(results, *calls, peer, "overhead_us"),
            0.5,
            True,
        )
    for family, ours, peer in (
        ("LangChain", "lc_ours", "lc_peer"),
        ("LlamaIndex", "li_ours", "li_peer"),
    ):
        for kind in ("plain", "reasoner"):
            add(
                f"{family}: {kind} stream chunks/s, ours/peer",
                _get(results, "streams", "libraries", ours, kind, "chunks_per_s"),
                _get(results, "streams", "libraries", peer, kind, "chunks_per_s"),
                2.0,
                False,
            )
    for family, ours, floor in (
        ("LangChain", "lc_ours", "lc_floor"),
        ("LlamaIndex", "li_ours", "li_floor"),
    ):
        add(
            f"{family}: plain stream chunks/s, ours/composed floor (framework + raw httpx)",
            _get(results, "streams", "libraries", ours, "plain", "chunks_per_s"),
            _get(results, "streams", "libraries", floor, "plain", "chunks_per_s"),
            0.67,
            False,
        )
    for family, ours, peer in (
        ("LangChain", "lc_ours", "lc_peer"),
        ("LlamaIndex", "li_ours", "li_peer"),
    ):
        add(
            f"{family}: import added over the framework's base class (s), ours/peer",
            _get(results, "imports", "libraries", ours, "added_s"),
            _get(results, "imports", "libraries", peer, "added_s"),
            0.25,
            True,
        )
        add(
            f"{family}: import added over the bare framework module (s), ours/peer",
            _get(results, "imports", "libraries", ours, "added_over_module_s"),
            _get(results, "imports", "libraries", peer, "added_over_module_s"),
            0.25,
            True,
        )
    for key, label in (
        ("core", "core"),
        ("lc_ours", "ChatDeepSeekAPI"),
        ("li_ours", "DeepSeekAPI"),
    ):
        add(
            f"1,000 concurrent calls, wall time (s): {label}/openai SDK",
            _get(results, "concurrency", "libraries", key, "wall_s"),
            _get(results, "concurrency", "libraries", "openai", "wall_s"),
            1.0,
            True,
        )
    return targets


def _fmt(value: float | None, digits: int = 0) -> str:
    if value is None or value != value:
        return "-"
    return f"{value:,.{digits}f}"


def _label(key: str) -> str:
    return "python (nothing imported)" if key == "python" else DRIVERS[key].label


def render_markdown(results: dict[str, Any]) -> str:
    lines: list[str] = []
    env = results["environment"]
    lines.append(
        f"Run `{results['command']}` ({results['mode']}), {env['date']}: {env['cpu']}, "
        f"{env['nproc']} CPUs, Python {env['python']}, {env['platform']}."
    )
    lines.append("")
    lines.append("| target | ours | peer | ratio | limit | verdict |")
    lines.append("|---|--:|--:|--:|--:|---|")
    for target in results["targets"]:
        digits = 3 if "(s)" in target["target"] else 0
        lines.append(
            f"| {target['target']} | {_fmt(target['ours'], digits)} | "
            f"{_fmt(target['peer'], digits)} | {_fmt(target['ratio'], 2)} | {target['limit']} | "
            f"**{target['verdict']}** |"
        )
    calls = results.get("calls")
    if calls:
        lines += [
            "",
            "Per call, non-streaming chat (median over all calls; overhead = median over rounds "
            "of the library's median minus raw httpx's in the same round):",
            "",
            "| library | median (us) | p90 (us) | above raw httpx (us) |",
            "|---|--:|--:|--:|",
        ]
        for key, entry in calls["libraries"].items():
            lines.append(
                f"| {_label(key)} | {_fmt(entry['median_us'])} | {_fmt(entry['p90_us'])} | "
                f"{_fmt(entry['overhead_us'])} |"
            )
    streams = results.get("streams")
    if streams:
        lines += [
            "",
            f"Streaming, {streams['chunks']:,} chunks (chunks/s = {streams['chunks']:,} / median "
            "wall time of the whole stream; TTFT = time to the first item the API yields):",
            "",
            "| library | plain chunks/s | plain TTFT (ms) | reasoner chunks/s | "
            "reasoner TTFT (ms) | items yielded |",
            "|---|--:|--:|--:|--:|--:|",
        ]
        for key, entry in streams["libraries"].items():
            plain, reasoner = entry["plain"], entry["reasoner"]
            lines.append(
                f"| {_label(key)} | {_fmt(plain['chunks_per_s'])} | {_fmt(plain['ttft_ms'], 2)} | "
                f"{_fmt(reasoner['chunks_per_s'])} | {_fmt(reasoner['ttft_ms'], 2)} | "
                f"{plain['items']} |"
            )
    concurrency = results.get("concurrency")
    if concurrency:
        lines += [
            "",
            f"{concurrency['calls']:,} concurrent async calls, "
            + (
                f"at most {concurrency['in_flight_limit']} in flight"
                if concurrency["in_flight_limit"]
                else "all in flight at once"
            )
            + " (median wall over rounds; stall = worst lateness of a 1 ms ticker task, "
            "median over rounds / max):",
            "",
            "| library | wall (s) | calls/s | stall (ms) | stall max (ms) |",
            "|---|--:|--:|--:|--:|",
        ]
        for key, entry in concurrency["libraries"].items():
            lines.append(
                f"| {_label(key)} | {_fmt(entry['wall_s'], 3)} | {_fmt(entry['calls_per_s'])} | "
                f"{_fmt(entry['stall_ms'], 1)} | {_fmt(entry['stall_max_ms'], 1)} |"
            )
    imports = results.get("imports")
    if imports:
        lines += [
            "",
            f"Cold import in fresh interpreters (median of {imports['runs']}):",
            "",
            "| library | framework imported first | module (s) | + base class (s) | "
            "library adds (s) | adds over bare module (s) | total (s) |",
            "|---|---|--:|--:|--:|--:|--:|",
        ]
        for key, entry in imports["libraries"].items():
            framework = entry["framework"] if entry["framework"] != "-" else "none"
            lines.append(
                f"| {_label(key)} | `{framework}` | {_fmt(entry['module_s'], 3)} | "
                f"{_fmt(entry['base_class_s'], 3)} | {_fmt(entry['added_s'], 3)} | "
                f"{_fmt(entry['added_over_module_s'], 3)} | {_fmt(entry['total_s'], 3)} |"
            )
    memory = results.get("memory")
    if memory:
        lines += [
            "",
            "Peak RSS of a fresh process that imports the library and makes one call:",
            "",
            "| library | peak RSS, VmHWM (MiB) |",
            "|---|--:|",
        ]
        for key, entry in memory["libraries"].items():
            lines.append(f"| {_label(key)} | {_fmt(entry['peak_rss_mib'], 1)} |")
    busy = []
    for phase in ("calls", "streams", "concurrency"):
        entry = results.get(phase, {}).get("server_busy")
        if entry and entry.get("wall_s"):
            busy.append(f"{phase} {entry['server_cpu_s'] / entry['wall_s']:.0%}")
    if busy:
        lines += [
            "",
            f"Server CPU busy over the timed parts: {', '.join(busy)} (concurrency: over each "
            "probe process's whole life, start-up included).",
        ]
    if results.get("skipped"):
        lines += [
            "",
            "Not measured: " + "; ".join(f"{k} ({v})" for k, v in results["skipped"].items()),
        ]
    return "\n".join(lines) + "\n"


def environment() -> dict[str, Any]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    commit = None
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": cpu,
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "commit": commit,
        "versions": versions,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmarks against the peer libraries.")
    parser.add_argument("--quick", action="store_true", help="a short run (about a minute)")
    parser.add_argument(
        "--phases",
        default="calls,streams,concurrency,imports,memory",
        help="comma-separated subset of: calls,streams,concurrency,imports,memory",
    )
    parser.add_argument("--only", default="", help="comma-separated driver keys to keep")
    parser.add_argument(
        "--concurrency-limit",
        type=int,
        default=None,
        help="calls in flight at once in the concurrency phase (default 100; 0: all at once)",
    )
    parser.add_argument("--out", type=Path, default=HERE / "results", help="results directory")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    if args.concurrency_limit is not None:
        settings.concurrency_limit = args.concurrency_limit
    phases = {phase.strip() for phase in args.phases.split(",") if phase.strip()}
    only = {key.strip() for key in args.only.split(",") if key.strip()}

    def keep(keys: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(key for key in keys if not only or key in only)

    command = "python benchmarks/run.py" + (" --quick" if args.quick else "")
    if args.concurrency_limit is not None:
        command += f" --concurrency-limit {args.concurrency_limit}"
    results: dict[str, Any] = {
        "command": command,
        "mode": "quick" if args.quick else "full",
        "settings": settings.__dict__,
        "environment": environment(),
        "skipped": {},
    }
    started = time.perf_counter()
    server = Server(settings.chunks)
    try:
        log(f"server on {server.base_url} (pid {server.process.pid})")
        skipped: dict[str, str] = results["skipped"]
        keys = tuple(dict.fromkeys(keep(CALL_DRIVERS) + keep(STREAM_DRIVERS)))
        drivers = build_drivers(keys, server.base_url, skipped)
        answer = json.loads(__import__("_server").completion_body(reasoner=False))["choices"][0][
            "message"
        ]["content"]
        check_drivers(drivers, answer, settings.chunks)
        if "calls" in phases:
            log("per-call phase ...")
            results["calls"] = phase_calls(drivers, settings, server)
        if "streams" in phases:
            log("streaming phase ...")
            results["streams"] = phase_streams(drivers, settings, server)
        for driver in drivers.values():
            driver.close()
        available = [key for key in keep(ASYNC_DRIVERS) if key not in skipped]
        if "concurrency" in phases:
            log("concurrency phase ...")
            results["concurrency"] = phase_concurrency(available, server.base_url, settings, server)
        if "imports" in phases:
            log("import phase ...")
            import_keys = [key for key in IMPORT_PROBES if key in available]
            results["imports"] = phase_imports(import_keys, settings)
        if "memory" in phases:
            log("memory phase ...")
            memory_keys = [k for k in keep(MEMORY_DRIVERS) if k == "python" or k in available]
            results["memory"] = phase_memory(memory_keys, server.base_url, settings)
    finally:
        server.close()
    results["elapsed_s"] = time.perf_counter() - started
    results["targets"] = evaluate_targets(results)
    markdown = render_markdown(results)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "latest.md").write_text(markdown)
    print(markdown)
    verdicts = [target["verdict"] for target in results["targets"]]
    log(
        f"{verdicts.count('PASS')} PASS, {verdicts.count('MISS')} MISS, "
        f"{verdicts.count('n/a')} n/a in {results['elapsed_s']:.0f} s; "
        f"results in {args.out / 'latest.json'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
