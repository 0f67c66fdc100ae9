"""What reading float64 input as LightGBM and scikit-learn read it costs, and what the rows float32 cannot read cost.

A model trained elsewhere on float64 data compares float64 values with float64 thresholds. `Predictor.from_model`
reads each such value as the float32 that goes its way at every split (`_snap`), and scores the rows that no
float32 reads so with the library itself (`_mend`): a value between two thresholds within one float32 step, or,
in LightGBM's linear trees, a value float32 does not hold that a leaf multiplies. This measures, in one process
and 5 interleaved rounds (order rotated, medians kept):

- the cost of the reading: one predictor with it (`float64=True`, as `from_model` makes it) against the same model
  and forest without it (every value cast to float32), on diamonds (LightGBM, 100 trees; 6 float64 columns beside
  3 categorical ones): the whole 53,940-row frame, 64 rows of it, one row as a dict;
- the rows the library scores: the flights epoch model of 04 (departures in seconds since 1970, some rows between
  thresholds a minute apart in 128-second float32 steps) and a linear-tree model of diabetes (every row goes to
  LightGBM), against LightGBM's own `predict` on the same frame.

    python bench/float64_reading.py
    python bench/float64_reading.py --quick --results DIR/name   # 2 measuring rounds of at least 0.05 s: a smoke run
"""
import json, os, platform, time
from pathlib import Path
import numpy as np, pandas as pd, lightgbm as lgb
from sklearn.datasets import load_diabetes
from trainfer_nb.data import load_dataset
from trainfer_nb.infer import Predictor
from _options import options

ROUNDS, SECONDS = 5, 0.3

def per_call_us(f) -> float:
    "Median microseconds a call of `f` over at least 20 calls and `SECONDS` (after 5 warm-up calls)."
    for _ in range(5): f()
    ts, start = [], time.perf_counter()
    while len(ts) < 20 or time.perf_counter() - start < SECONDS:
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return float(np.median(ts) * 1e6)

def float32_twin(p:Predictor) -> Predictor:
    "The same model and forest, read as float32 (no `_snap`, no rows to the library)."
    return Predictor(p.backend, p.model, p.task, p.feature_names, p.categories, p.best_iteration, p.classes, engine=p.engine, forest=p.forest)

def flights_epoch():
    "04's flights model: scheduled departures in seconds since 1970 (int64), delay and distance; and its frame."
    fl = load_dataset('flights')
    fx = fl.X.iloc[:10_000]
    planned = pd.to_datetime(pd.DataFrame({'year': 2013, 'month': fx.month, 'day': fx.day})) + pd.to_timedelta((fx.sched_dep_time // 100 * 60 + fx.sched_dep_time % 100).astype(int), unit='min')
    X = pd.DataFrame({'departed': (planned - pd.Timestamp('1970-01-01')).dt.total_seconds().astype('int64'),
                      'dep_delay': fx.dep_delay.astype(float), 'distance': fx.distance.astype(float)})
    return lgb.train({'objective': 'binary', 'verbose': -1, 'min_data_in_leaf': 5, 'max_bin': 1023}, lgb.Dataset(X, fl.y[:10_000]), 50), X

def cases() -> tuple[dict, dict]:
    "name -> zero-argument call; and facts checked before timing (rows to the library, largest difference from it)."
    d = load_dataset('diamonds')
    X = d.X.copy()
    num = X.select_dtypes('number').columns
    X[num] = X[num].astype(np.float64)
    m = lgb.LGBMRegressor(n_estimators=100, verbose=-1).fit(X, d.y)
    p = Predictor.from_model(m, engine='cpu'); q = float32_twin(p)
    few, row = X.iloc[:64], X.iloc[5].to_dict()
    lb, epoch = flights_epoch()
    lp = Predictor.from_model(lb, engine='cpu')
    db = load_diabetes(as_frame=True)
    lt = lgb.train({'objective': 'regression', 'linear_tree': True, 'verbose': -1, 'min_data_in_leaf': 10}, lgb.Dataset(db.data, db.target), 30)
    tp = Predictor.from_model(lt, engine='cpu')
    lq, tq = float32_twin(lp), float32_twin(tp)
    facts = {}
    for name, pred, model, frame in (('diamonds', p, m, X), ('flights epoch', lp, lb, epoch), ('diabetes linear', tp, lt, db.data)):
        ties = []
        pred.matrix(frame, ties)
        facts[name] = dict(rows=len(frame), rows_to_library=int(sum(len(r) for r, _ in ties)),
                           max_abs_diff=float(np.abs(pred.predict_score(frame) - model.predict(frame)).max()),
                           max_abs_diff_float32=float(np.abs(float32_twin(pred).predict_score(frame) - model.predict(frame)).max()))
        assert facts[name]['max_abs_diff'] < 1e-9, (name, facts[name])
    calls = {'diamonds 53,940 rows: float64 reading': lambda: p.predict_score(X),
             'diamonds 53,940 rows: float32 reading': lambda: q.predict_score(X),
             'diamonds 64-row frame: float64 reading': lambda: p.predict_score(few),
             'diamonds 64-row frame: float32 reading': lambda: q.predict_score(few),
             'diamonds dict row: float64 reading': lambda: p.predict_one(row),
             'diamonds dict row: float32 reading': lambda: q.predict_one(row),
             'flights epoch 10,000 rows: predictor': lambda: lp.predict_score(epoch),
             'flights epoch 10,000 rows: LightGBM predict': lambda: lb.predict(epoch),
             'diabetes linear 442 rows: predictor': lambda: tp.predict_score(db.data),
             'diabetes linear 442 rows: LightGBM predict': lambda: lt.predict(db.data),
             'flights epoch 10,000 rows: float32 reading': lambda: lq.predict_score(epoch),
             'diabetes linear 442 rows: float32 reading': lambda: tq.predict_score(db.data)}   # compared in pairs: 0 with 1, 2 with 3 ...
    return calls, facts

def main():
    opts = options(__doc__, 'float64_reading', '2 measuring rounds of at least 0.05 s')
    global ROUNDS, SECONDS
    if opts.quick: ROUNDS, SECONDS = 2, 0.05
    calls, facts = cases()
    names, runs = list(calls), {k: [] for k in calls}
    for k in range(ROUNDS):
        first = 2 * k % len(names)   # rotated two at a time: each pair compared stays side by side
        for name in names[first:] + names[:first]: runs[name].append(per_call_us(calls[name]))
    res = {name: dict(p50_us=float(np.median(v)), rounds=v) for name, v in runs.items()}
    for name, v in res.items(): print(f"  {name:48s} {v['p50_us']:10.1f} us", flush=True)
    out = dict(when=time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()), cpu=platform.processor() or platform.machine(),
               threads=os.cpu_count(), python=platform.python_version(), lightgbm=lgb.__version__, facts=facts, results=res)
    stem = opts.results
    us = lambda n: res[n]['p50_us']
    lines = ["# Reading float64 input as LightGBM and scikit-learn read it\n",
             f"{out['when']}, {out['threads']} CPUs, Python {out['python']}, LightGBM {out['lightgbm']}; engine `cpu`. Median per-call time over "
             f"{ROUNDS} interleaved rounds of at least {SECONDS} s each, one process. *float32 reading*: the same model and forest with every "
             "value cast to float32, as every engine read float64 input before (not exact). `bench/float64_reading.py`.\n",
             "| model | rows | rows the library scores | max abs diff from LightGBM | the same, read as float32 |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {n} | {f['rows']:,} | {f['rows_to_library']:,} | {f['max_abs_diff']:.1e} | {f['max_abs_diff_float32']:.1e} |" for n, f in facts.items()]
    lines += ["", "| call | per call (us) | rounds (us) |", "|---|---:|---|"]
    lines += [f"| {n} | {v['p50_us']:,.1f} | {', '.join(f'{x:,.0f}' for x in v['rounds'])} |" for n, v in res.items()]
    def paired(a, b):   # each round's ratio of two calls timed one after the other: the machine's drift between rounds cancels
        r = np.array(res[a]['rounds']) / np.array(res[b]['rounds'])
        return f"{np.median(r):.3f} (rounds {r.min():.3f} to {r.max():.3f})"
    out['paired'] = {k: paired(f'{k}: float64 reading', f'{k}: float32 reading') for k in ('diamonds 53,940 rows', 'diamonds 64-row frame', 'diamonds dict row')}
    out['paired'] |= {k: paired(f'{k}: predictor', f'{k}: LightGBM predict') for k in ('flights epoch 10,000 rows', 'diabetes linear 442 rows')}
    Path(stem + '.json').write_text(json.dumps(out, indent=1))
    lines += ["", "Each round's ratio of the two calls timed one after the other, their median and range (float64 reading over float32 reading; "
              "the predictor over LightGBM's `predict`):", "", "| calls | ratio |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in out['paired'].items()]
    lines += ["", f"On medians: the reading costs {us('diamonds 64-row frame: float64 reading') - us('diamonds 64-row frame: float32 reading'):.0f} us on 64 rows "
              f"and {us('diamonds dict row: float64 reading') - us('diamonds dict row: float32 reading'):.1f} us on a dict row.\n"]
    Path(stem + '.md').write_text('\n'.join(lines))
    print(Path(stem + '.md').read_text())

if __name__ == '__main__': main()
