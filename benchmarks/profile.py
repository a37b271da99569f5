"""Profile one library's calls against the benchmark server with pyinstrument.

    python benchmarks/profile.py lc_ours chat            # 2,000 non-streaming calls
    python benchmarks/profile.py li_ours reasoner -n 20  # 20 reasoner streams of 2,000 chunks
    python benchmarks/profile.py core plain --html out.html

KEY is a driver key from ``_libs.py`` (httpx, openai, core, lc_peer, lc_ours, li_peer,
li_ours); WHAT is ``chat``, ``plain`` (stream) or ``reasoner`` (stream). Needs pyinstrument
(in the ``bench`` extra).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _libs import CHAT, DRIVERS, REASONER  # noqa: E402
from run import Server  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    from pyinstrument import Profiler

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("key", choices=sorted(DRIVERS))
    parser.add_argument("what", choices=("chat", "plain", "reasoner"))
    parser.add_argument("-n", type=int, default=None, help="calls or streams to profile")
    parser.add_argument("--html", type=Path, default=None, help="write an HTML report here")
    parser.add_argument("--interval", type=float, default=0.0001, help="sampling interval (s)")
    args = parser.parse_args(argv)
    count = args.n or (2000 if args.what == "chat" else 20)
    server = Server(2000)
    try:
        driver = DRIVERS[args.key]()
        driver.setup(server.base_url)
        model = REASONER if args.what == "reasoner" else CHAT

        def work() -> None:
            if args.what == "chat":
                driver.chat()
            else:
                for _ in driver.stream(model):
                    pass

        for _ in range(max(count // 10, 3)):
            work()
        profiler = Profiler(interval=args.interval)
        with profiler:
            for _ in range(count):
                work()
        if args.html:
            args.html.write_text(profiler.output_html())
            print(f"wrote {args.html}")
        else:
            print(profiler.output_text(unicode=True, show_all=False))
        driver.close()
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
