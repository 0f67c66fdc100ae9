"What every CPU benchmark takes: `--quick`, a smoke run (tests/test_bench.py runs each so), and `--results`, where its files go."
import argparse
from pathlib import Path

def options(doc:str, # the script's docstring: its first line describes it
            name:str, # the results' name in bench/results
            quick:str, # what --quick runs
            ap:argparse.ArgumentParser|None=None, # a parser with the script's own options
           ) -> argparse.Namespace:
    "The parsed options, `results` the path of the results' files without their suffix, its folder made."
    ap = ap or argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument('--quick', action='store_true', help=f'{quick}: a smoke run')
    ap.add_argument('--results', help=f"the results' path without its suffix (default: bench/results/{name}, or {name}-quick)")
    opts = ap.parse_args()
    opts.results = str(opts.results or Path(__file__).parent / 'results' / (f'{name}-quick' if opts.quick else name))
    Path(opts.results).parent.mkdir(parents=True, exist_ok=True)
    return opts
