"""One row, in each form a caller hands it over: the compiled forest's per-call time against the libraries' own.

A service or notebook rarely holds a float32 matrix: it holds a dict from JSON, a DataFrame's row (a Series), a
one-row DataFrame with its categories as text. (And a few rows: 64 JSON records, read one by one, against the
same rows as a DataFrame, read column by column.) Each form costs its conversion on top of the kernel; this measures
that cost, per call, for a model as `train` grows it on flights (carrier, origin and dest as categorical splits),
against XGBoost's and LightGBM's own predictors given the same one-row DataFrame (their `enable_categorical` path)
and the float32 row they also take. A predictor made with `unseen='error'` also checks each categorical value (in a
matrix, that its code is a category's): those lines measure that check, on one row and on a 65,536-row batch
against the same batch unchecked. (A lenient predictor looks at a matrix of 10 rows or more too, for a column none
of whose values is a category's code: the 64-row matrix lines.) All in one process, in 5 interleaved rounds (order rotated); medians kept.

    python bench/input_forms.py
    python bench/input_forms.py --quick --results DIR/name   # 20 boosting rounds, 2 measuring rounds of 30 calls: a smoke run
"""
import json, os, platform, time
from pathlib import Path
import numpy as np
from trainfer_nb.data import load_dataset, as_matrix
from trainfer_nb.train import train
from trainfer_nb.infer import Predictor
from _options import options

ROUNDS, CALLS, BATCH_CALLS, BATCH = 5, 300, 15, 65_536

def per_call_us(f, n:int) -> float:
    "Median microseconds a call of `f` over `n` calls (after 20 warm-up calls, or 2 for a batch's few)."
    for _ in range(20 if n >= 100 else 2): f()
    ts = np.empty(n)
    for i in range(n):
        t = time.perf_counter(); f(); ts[i] = time.perf_counter() - t
    return float(np.median(ts) * 1e6)

def cases(backend:str, d, trees:int=100) -> dict:
    "name -> zero-argument call scoring one flights test row, for a model `train` grows with `backend`."
    r = train(d, backend, device='cpu', params=dict(max_depth=6), num_boost_round=trees, verbose=False)
    p = Predictor.from_result(r, device='cpu', engine='cpu')
    strict = Predictor.from_result(r, device='cpu', engine='cpu', unseen='error')
    frame = d.test.X.iloc[[5]]
    row, series = frame.iloc[0].to_dict(), frame.iloc[0]
    x = as_matrix(frame, d.categories)
    frame64 = d.test.X.iloc[:64]; records = frame64.to_dict('records')
    columns = {k: [v] for k, v in row.items()}
    batch = np.ascontiguousarray(np.resize(as_matrix(d.test.X, d.categories), (BATCH, len(d.feature_names))))
    out = {'float32 (1, n) matrix: predict_score': lambda: p.predict_score(x),
           'float32 (1, n) matrix: predict_proba': lambda: p.predict_proba(x),
           'float32 (1, n) matrix: predict': lambda: p.predict(x),
           '1-D float32 row: predict_one': lambda: p.predict_one(x[0]),
           "float32 (1, n) matrix, unseen='error': predict_score": lambda: strict.predict_score(x),
           "1-D float32 row, unseen='error': predict_one": lambda: strict.predict_one(x[0]),
           "dict (JSON record), unseen='error': predict_one": lambda: strict.predict_one(row),
           f'{BATCH:,}-row float32 matrix: predict_score': lambda: p.predict_score(batch),
           f"{BATCH:,}-row float32 matrix, unseen='error': predict_score": lambda: strict.predict_score(batch),
           'dict (JSON record): predict_one': lambda: p.predict_one(row),
           'Series (df.iloc[i]): predict_one': lambda: p.predict_one(series),
           '[dict] (one JSON record): predict_score': lambda: p.predict_score([row]),
           '{feature: [value]} (JSON columns): predict_score': lambda: p.predict_score(columns),
           'one-row DataFrame: predict_score': lambda: p.predict_score(frame),
           '64-row float32 matrix: predict_score': lambda: p.predict_score(batch[:64]),
           "64-row float32 matrix, unseen='error': predict_score": lambda: strict.predict_score(batch[:64]),
           '64 JSON records: predict_score': lambda: p.predict_score(records),
           '64-row DataFrame: predict_score': lambda: p.predict_score(frame64)}
    lib = r.model
    if backend == 'xgboost':
        out['XGBoost inplace_predict, one-row DataFrame'] = lambda: lib.inplace_predict(frame)
        out['XGBoost inplace_predict, float32 (1, n) matrix'] = lambda: lib.inplace_predict(x)
    else:
        out['LightGBM predict, one-row DataFrame'] = lambda: lib.predict(frame)
        out['LightGBM predict, float32 (1, n) matrix'] = lambda: lib.predict(x)
    want = float(np.asarray(out[next(k for k in out if 'DataFrame' in k and k[0] in 'XL')]()).ravel()[0])
    assert abs(p.predict_one(row) - want) < 1e-5 and abs(p.predict_score(frame)[0] - want) < 1e-5, (backend, want)
    assert np.array_equal(p.predict_score(records), p.predict_score(frame64)), backend   # records a row at a time, the frame by columns
    assert np.array_equal(strict.predict_score(batch), p.predict_score(batch)), backend   # every code a category's: checked, then scored alike
    return out

def main():
    opts = options(__doc__, 'input_forms', '20 boosting rounds, 2 measuring rounds of 30 calls')
    global ROUNDS, CALLS, BATCH_CALLS
    if opts.quick: ROUNDS, CALLS, BATCH_CALLS = 2, 30, 3
    trees = 20 if opts.quick else 100
    d = load_dataset('flights')
    res = {}
    for backend in ('xgboost', 'lightgbm'):
        calls = cases(backend, d, trees)
        names, runs = list(calls), {k: [] for k in calls}
        for k in range(ROUNDS):
            for name in names[k % len(names):] + names[:k % len(names)]: runs[name].append(per_call_us(calls[name], BATCH_CALLS if name.startswith(f'{BATCH:,}') else CALLS))
        res[backend] = {name: dict(p50_us=float(np.median(v)), rounds=v) for name, v in runs.items()}
        for name, v in res[backend].items(): print(f"  {backend:8s} {name:48s} {v['p50_us']:9.1f} us", flush=True)
    out = dict(when=time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()), cpu=platform.processor() or platform.machine(),
               threads=os.cpu_count(), python=platform.python_version(), results=res)
    stem = opts.results
    Path(stem + '.json').write_text(json.dumps(out, indent=1))
    lines = ["# One row, in each form a caller holds\n",
             f"{out['when']}, {out['threads']} CPUs, Python {out['python']}; flights, {trees} rounds of depth 6 as `train` grows them "
             "(carrier, origin, dest as categorical splits); engine `cpu`. Median per-call time over "
             f"{ROUNDS} interleaved rounds of {CALLS} calls, one process. The library rows give the same one-row DataFrame "
             "(categories as pandas categoricals) or the float32 row to the library's own predictor. The 64-row lines time one call for all 64; "
             f"the {BATCH:,}-row lines one call for all of them ({BATCH_CALLS} calls a round). `unseen='error'`: the predictor checks every "
             "categorical value first.\n"]
    for backend, rows in res.items():
        lines += [f"\n## {backend}\n", "| input, call | per call (us) | rounds (us) |", "|---|---:|---|"]
        lines += [f"| {k} | {v['p50_us']:.1f} | {', '.join(f'{t:.0f}' for t in v['rounds'])} |" for k, v in rows.items()]
    Path(stem + '.md').write_text('\n'.join(lines) + '\n')
    print('\n'.join(lines))

if __name__ == '__main__': main()
