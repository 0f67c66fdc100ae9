"""LightGBM's linear trees (`linear_tree=True`): the compiled forest against LightGBM's own predictor.

A linear tree's leaf holds a linear model over the numeric features on its path, so a row's score reads feature
values again at every leaf it reaches. The forest keeps them in the deep layout (`_deep_linear_block`); this
measures it, engine `cpu`, against LightGBM's `predict` on flights: 100 rounds of 63 leaves at most depth 6 (nearly
every leaf with coefficients), a batch of 65,536 test rows and single rows, all threads. One process,
5 interleaved rounds (order swapped each round); medians kept, and every round's predictions checked against
LightGBM's.

    python bench/infer_linear.py
    python bench/infer_linear.py --quick --results DIR/name   # 20 rounds, 2 measuring rounds: a smoke run
"""
import json, os, platform, time
from pathlib import Path
import numpy as np, lightgbm as lgb
from trainfer_nb.data import load_dataset, as_matrix
from trainfer_nb.train import train
from trainfer_nb.infer import Predictor
from _options import options

ROUNDS, BATCH, CALLS, MIN_S = 5, 65_536, 300, 0.5

def rows_per_s(f, X) -> float:
    "Rows a second of `f(X)`, calling it for at least `MIN_S` seconds after one warm-up call."
    f(X); n, t0 = 0, time.perf_counter()
    while (t := time.perf_counter() - t0) < MIN_S: f(X); n += 1
    return n * len(X) / t

def one_row_us(f, X) -> tuple:
    "p50 and p99 microseconds of `f` on one row at a time, over `CALLS` rows."
    n = CALLS
    for i in range(20): f(X[i:i + 1])
    ts = np.empty(n)
    for i in range(n):
        t = time.perf_counter(); f(X[i:i + 1]); ts[i] = time.perf_counter() - t
    return float(np.median(ts) * 1e6), float(np.quantile(ts, 0.99) * 1e6)

def main():
    opts = options(__doc__, 'infer_linear', '20 boosting rounds, 2 measuring rounds')
    global ROUNDS, CALLS, MIN_S
    if opts.quick: ROUNDS, CALLS, MIN_S = 2, 50, 0.1
    trees = 20 if opts.quick else 100
    d = load_dataset('flights')
    r = train(d, 'lightgbm', device='cpu', params=dict(linear_tree=True, max_depth=6, num_leaves=63), num_boost_round=trees, verbose=False)
    X = as_matrix(d.test.X, d.categories)[:BATCH]
    ours = Predictor.from_result(r, device='cpu', engine='cpu')
    f = ours.forest
    peers = {'trainfer cpu': ours.predict_score, 'lightgbm predict': r.model.predict}
    want = r.model.predict(X)
    runs = {k: dict(rows_per_s=[], p50_us=[], p99_us=[]) for k in peers}
    for k in range(ROUNDS):
        for name in (list(peers) if k % 2 == 0 else list(peers)[::-1]):
            assert np.max(np.abs(peers[name](X) - want)) < 1e-5, name
            runs[name]['rows_per_s'].append(rows_per_s(peers[name], X))
            p50, p99 = one_row_us(peers[name], X)
            runs[name]['p50_us'].append(p50); runs[name]['p99_us'].append(p99)
    med = {name: {m: float(np.median(v)) for m, v in r_.items()} for name, r_ in runs.items()}
    out = dict(when=time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()), cpu=platform.processor() or platform.machine(),
               threads=os.cpu_count(), python=platform.python_version(), lightgbm=lgb.__version__,
               model=dict(trees=f.n_trees, nodes=f.n_nodes, linear_leaves=int((f.lin_len > 0).sum()), coefficients=len(f.lin_coeff)),
               medians=med, rounds=runs)
    stem = opts.results
    Path(stem + '.json').write_text(json.dumps(out, indent=1))
    a, b = med['trainfer cpu'], med['lightgbm predict']
    lines = ["# LightGBM linear trees: the compiled forest against LightGBM\n",
             f"{out['when']}, {out['threads']} CPUs, Python {out['python']}, LightGBM {out['lightgbm']}; flights, "
             f"`linear_tree=True`, {trees} rounds, at most 63 leaves of depth 6: {f.n_trees} trees, {out['model']['linear_leaves']:,} leaves "
             f"with coefficients ({out['model']['coefficients']:,} in all). Engine `cpu` (the deep layout) against LightGBM's `predict`, "
             f"all threads, one process, medians of {ROUNDS} interleaved rounds; every round's predictions within 1e-5 of LightGBM's.\n",
             "| predictor | rows/s (65,536-row batch) | one row p50 (us) | p99 (us) | rows/s, rounds |", "|---|---:|---:|---:|---|"]
    lines += [f"| {name} | {m['rows_per_s']:,.0f} | {m['p50_us']:.1f} | {m['p99_us']:.1f} | "
              f"{', '.join(f'{v:,.0f}' for v in runs[name]['rows_per_s'])} |" for name, m in med.items()]
    lines += ["", f"Ours over LightGBM: batch {a['rows_per_s'] / b['rows_per_s']:.2f}x the rows a second; one row {a['p50_us'] / b['p50_us']:.2f}x the p50 time."]
    Path(stem + '.md').write_text('\n'.join(lines) + '\n')
    print('\n'.join(lines))

if __name__ == '__main__': main()
