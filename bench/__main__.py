"""`make bench`: run every benchmark script in bench/ with its defaults, one after another."""
import importlib
import pkgutil
import sys
from pathlib import Path

SKIP = {"common", "voting_common", "prose", "__main__", "__init__"}  # shared helpers, not benchmarks


def main():
    only = sys.argv[1:]
    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name not in SKIP)
    for name in names:
        if only and name not in only:
            continue
        print(f"\n=== bench/{name}.py ===", flush=True)
        module = importlib.import_module(f"bench.{name}")
        sys.argv = [name]
        module.main()


if __name__ == "__main__":
    main()
