"""The compiled forest (`Predictor` engines) against every peer predictor, side by side in one process.

Models: trained on flights (categoricals as their integer codes, so every peer can read the model), two sizes:
100 trees of depth 6 and 500 trees of depth 8, one model per library. Peers, all with the same thread count:
XGBoost `predict` (DMatrix) and `inplace_predict`, LightGBM `predict`, scikit-learn `predict_proba`,
ONNX Runtime on the XGBoost model converted by onnxmltools, Treelite + TL2cgen compiled to a shared library.
Ours: `Predictor(engine='cpu')` and `engine='auto'` on each library's model. Then models as `train` grows them, with
flights' categoricals as categorical splits (LightGBM's defaults, leaf-wise and too deep for perfect trees: the deep
layout; 500 rounds of depth 8 in each library), each against its library's own predictor.

Measured, in 5 interleaved rounds (medians kept): single-row latency (p50, p99 over 400 calls of a (1, n_features) float32 array), throughput on a
65,536-row batch, a latency sweep over batch sizes for the plot, and the first prediction after loading a saved
model in fresh processes (JIT cache warm; trainfer cache empty, then warm). `auto` calibrates in the run (a temporary
trainfer cache, no plan from an earlier run). Writes bench/results/infer.md, infer.json and infer.png.

    python bench/infer.py              # both sizes
    python bench/infer.py --quick      # 30 trees depth 4, 2 rounds: a smoke run (bench/results/infer-quick.*, git-ignored)
    python bench/infer.py --results DIR/name   # the .md, .json and .png there
"""
import argparse, json, os, platform, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np
from trainfer_nb.data import load_dataset, as_matrix
from trainfer_nb.infer import Predictor, latency, throughput
from trainfer_nb.forest import Deep
from _options import options

THREADS = os.cpu_count()
SIZES = (1, 16, 256, 4096, 65536)
ROUNDS = 5

def train_models(X, y, trees, depth):
    import xgboost as xgb, lightgbm as lgb
    from sklearn.ensemble import HistGradientBoostingClassifier
    t = time.perf_counter()
    xb = xgb.train(dict(objective='binary:logistic', max_depth=depth, learning_rate=0.1, nthread=THREADS, tree_method='hist'),
                   xgb.DMatrix(X, y), trees)
    lb = lgb.train(dict(objective='binary', num_leaves=2 ** depth, max_depth=depth, learning_rate=0.1, num_threads=THREADS,
                        verbose=-1, min_data_in_leaf=20), lgb.Dataset(X, y), trees)
    sk = HistGradientBoostingClassifier(max_iter=trees, max_depth=depth, max_leaf_nodes=2 ** depth, learning_rate=0.1,
                                        early_stopping=False, random_state=0).fit(X, y)
    print(f'  trained in {time.perf_counter() - t:.0f} s', flush=True)
    return dict(xgboost=xb, lightgbm=lb, sklearn=sk)

def n_trees(model):
    "Boosting rounds of an XGBoost, LightGBM or scikit-learn model."
    if hasattr(model, 'num_boosted_rounds'): return model.num_boosted_rounds()
    if hasattr(model, 'current_iteration'): return model.current_iteration()
    return model.n_iter_

def ours(backend, model, names, engine):
    return Predictor(backend, model, "binary", names, {}, n_trees(model) - 1,
                     [0, 1], device='cpu', engine=engine)

def peers(models, n_features, work):
    "name -> predict callable on a float32 matrix (or the reason it could not be built)."
    import xgboost as xgb
    xb, lb, sk = models['xgboost'], models['lightgbm'], models['sklearn']
    out = {'xgboost predict': lambda X: xb.predict(xgb.DMatrix(X, nthread=THREADS)),
           'xgboost inplace_predict': lambda X: xb.inplace_predict(X),
           'lightgbm predict': lambda X: lb.predict(X, num_threads=THREADS),
           'sklearn predict_proba': lambda X: sk.predict_proba(X)}
    try:
        import onnxmltools, onnxruntime as ort
        from onnxmltools.convert.common.data_types import FloatTensorType
        onx = onnxmltools.convert_xgboost(xb, initial_types=[('input', FloatTensorType([None, n_features]))], target_opset=15)
        so = ort.SessionOptions(); so.intra_op_num_threads = THREADS; so.inter_op_num_threads = 1
        sess = ort.InferenceSession(onx.SerializeToString(), so, providers=['CPUExecutionProvider'])
        name, outs = sess.get_inputs()[0].name, [o.name for o in sess.get_outputs()]
        out['onnxruntime (xgboost model)'] = lambda X: sess.run(outs[1:], {name: X})[0]
    except Exception as e: out['onnxruntime (xgboost model)'] = f'{type(e).__name__}: {e}'.splitlines()[0][:120]
    try:
        import treelite, tl2cgen
        tm = treelite.frontend.from_xgboost(xb)
        lib = work / 'tl2cgen.so'
        t = time.perf_counter()
        tl2cgen.export_lib(tm, toolchain='gcc', libpath=str(lib), params=dict(parallel_comp=THREADS))
        print(f'  tl2cgen compiled in {time.perf_counter() - t:.0f} s', flush=True)
        pr = tl2cgen.Predictor(str(lib), nthread=THREADS)
        out['treelite+tl2cgen (xgboost model)'] = lambda X: pr.predict(tl2cgen.DMatrix(X))
    except Exception as e: out['treelite+tl2cgen (xgboost model)'] = f'{type(e).__name__}: {e}'.splitlines()[0][:120]
    return out

def sweep(predict, X):
    "Seconds per call at each batch size (best of a few)."
    res = {}
    for n in SIZES:
        Xn = np.ascontiguousarray(X[:n]); predict(Xn)
        reps = max(3, min(200, int(20_000 / n)))
        ts = []
        for _ in range(reps):
            t = time.perf_counter(); predict(Xn); ts.append(time.perf_counter() - t)
        res[n] = float(np.median(ts))
    return res

FIRST = '''
import sys, time, json
t0 = time.perf_counter()
import numpy as np
from trainfer_nb.infer import Predictor
t1 = time.perf_counter()
p = Predictor.load(sys.argv[1], device='cpu', engine=sys.argv[2])
t2 = time.perf_counter()
p.predict_score(np.zeros((1, p.n_features), np.float32))
t3 = time.perf_counter()
p.predict_score(np.zeros((1000, p.n_features), np.float32))
t4 = time.perf_counter()
print(json.dumps(dict(import_s=t1 - t0, load_s=t2 - t1, first_s=t3 - t2, total_s=t3 - t1, next_batch_s=t4 - t3)))
'''

def first_predict(backend, model, names, work, engine):
    "Load a saved model in two fresh processes in turn and time the first prediction of each: the first finds trainfer's cache empty, the second finds the forest and the plan there."
    from trainfer_nb.train import TrainResult
    import dataclasses
    fields = {f.name: None for f in dataclasses.fields(TrainResult) if f.init}
    r = TrainResult(**{**fields, 'backend': backend, 'model': model, 'task': 'binary', 'feature_names': names,
                       'feature_types': ['q'] * len(names), 'categories': {}, 'classes': [0, 1], 'history': {},
                       'best_iteration': n_trees(model) - 1, 'params': {}, 'test_metrics': {}, 'device': 'cpu',
                       'resources': {}, 'fingerprint': ''})
    path = r.save(work / f'{backend}-model')
    env = {**os.environ, 'TRAINFER_CACHE': str(work / f'cache-{backend}-{engine}')}   # empty: the first run reads the model
    runs = [json.loads(subprocess.run([sys.executable, '-c', FIRST, str(path), engine], capture_output=True, text=True, check=True,
                                      env=env).stdout.strip().splitlines()[-1]) for _ in range(2)]
    return dict(cold=runs[0], **runs[1])

def calibration(predict) -> dict:
    "What an `auto` predictor's calibration chose and measured, and how busy the machine was meanwhile (nothing for others)."
    p = getattr(predict, '__self__', None)
    if not isinstance(p, Predictor) or p.plan is None: return {}
    return dict(plan=p.plan, timings=p.timings, others_cores=p.others_cores)

def measure_rounds(predicts:dict, Xb) -> dict:
    "name -> [(p50 us, p99 us, rows/s) per round]."
    # the machine is shared: its speed drifts over minutes, so every predictor is measured in each of ROUNDS
    # interleaved rounds (order rotated) and the medians are kept; no predictor gets the quiet minute alone. Single
    # rows are timed 400 in a row, as a service calls: taking turns call by call, each predictor would run beside the
    # last one's spinning threads (OpenMP, ONNX Runtime's pool) and cold caches, and all measured 1.2-1.6x slower
    per, names_ = {name: [] for name in predicts}, list(predicts)
    for k in range(ROUNDS):
        for name in names_[k % len(names_):] + names_[:k % len(names_)]:
            lat = latency(predicts[name], Xb, n_calls=400, warmup=20)
            thr = throughput(predicts[name], Xb, min_seconds=0.3, min_calls=2)
            per[name].append((lat['p50_us'], lat['p99_us'], thr['rows_per_s']))
    return per

def bench_size(X, y, Xb, trees, depth, names, work):
    print(f'{trees} trees, depth {depth}', flush=True)
    models = train_models(X, y, trees, depth)
    preds = peers(models, X.shape[1], work)
    for b, m in models.items():
        for e in ('cpu', 'auto'): preds[f'trainfer {e} ({b} model)'] = ours(b, m, names, e).predict_score
    ref = {b: (models['xgboost'].inplace_predict(Xb) if b == 'xgboost' else models['lightgbm'].predict(Xb) if b == 'lightgbm'
               else models['sklearn'].predict_proba(Xb)[:, 1]) for b in models}
    rows, live = {}, {}
    for name, p in preds.items():
        if isinstance(p, str): rows[name] = dict(error=p); print(f'  {name}: {p}'); continue
        model = next((b for b in ('xgboost', 'lightgbm', 'sklearn') if f'({b} model)' in name or name.startswith(b)), None)
        out = np.asarray(p(Xb[:4096]))
        out = out[:, 1] if out.ndim == 2 else out
        rows[name] = dict(model=model, max_abs_diff=float(np.abs(out.ravel() - ref[model][:4096]).max()), sweep=sweep(p, Xb))
        live[name] = p
    per = measure_rounds(live, Xb)
    for name, ms in per.items():
        p50, p99, rps = (float(np.median([m[i] for m in ms])) for i in range(3))
        rows[name].update(p50_us=p50, p99_us=p99, rows_per_s=rps, rounds=ms, **calibration(live[name]))
        print(f"  {name:40s} p50 {p50:8.1f} us  p99 {p99:8.1f} us  {rps:12,.0f} rows/s  diff {rows[name]['max_abs_diff']:.1e}", flush=True)
    first = {f'{b} {e}': first_predict(b, models[b], names, work, e) for b in ('xgboost', 'lightgbm', 'sklearn') for e in ('cpu', 'auto')}
    return dict(trees=trees, depth=depth, results=rows, first_predict=first)

def bench_trained(d, Xb, backend, rounds, params):
    "A model as `train` grows it (flights' categoricals as categorical splits): the compiled forest against its library's predictor."
    from trainfer_nb.train import train
    r = train(d, backend, device='cpu', params=params, num_boost_round=rounds, verbose=False)
    preds = {'trainfer cpu': Predictor.from_result(r, device='cpu', engine='cpu'), 'trainfer auto': Predictor.from_result(r, device='cpu'),
             f'{backend} (library)': Predictor.from_result(r, device='cpu', engine='native')}
    packed = preds['trainfer cpu'].packed
    layout = ('deep' if isinstance(packed, Deep) else 'perfect trees') + (', binned' if packed.bins is not None else '')
    ref = preds[f'{backend} (library)'].predict_score(Xb[:4096])
    res = {k: dict(max_abs_diff=float(np.abs(p.predict_score(Xb[:4096]) - ref).max()), rounds=[]) for k, p in preds.items()}
    for name, ms in measure_rounds({k: p.predict_score for k, p in preds.items()}, Xb).items(): res[name]['rounds'] = ms
    for name, v in res.items():
        v['p50_us'], v['p99_us'], v['rows_per_s'] = (float(np.median([m[i] for m in v['rounds']])) for i in range(3))
        v.update(calibration(preds[name].predict_score))
        print(f"  {backend} {name:20s} p50 {v['p50_us']:8.1f} us  {v['rows_per_s']:12,.0f} rows/s  diff {v['max_abs_diff']:.1e}", flush=True)
    return dict(backend=backend, trees=rounds, params=params, layout=layout, depth=int(np.max(packed.depth)), results=res)

PACKAGES = ('xgboost', 'lightgbm', 'scikit-learn', 'onnxruntime', 'onnxmltools', 'treelite', 'tl2cgen', 'numba', 'numpy')

def versions() -> dict:
    "The version of each predictor's package (a peer's speed changes between its releases)."
    from importlib.metadata import version, PackageNotFoundError
    def v(p):
        try: return version(p)
        except PackageNotFoundError: return 'not installed'
    return {'python': platform.python_version(), **{p: v(p) for p in PACKAGES}}

def cpu() -> str:
    "The CPU as the compiler sees it: the kernels' code (and the peers' speed) depends on it, not only on `x86_64`."
    import llvmlite.binding as ll
    info = Path('/proc/cpuinfo').read_text() if Path('/proc/cpuinfo').exists() else ''
    name = next((l.split(':', 1)[1].strip() for l in info.splitlines() if l.startswith('model name')), platform.processor() or platform.machine())
    flags = next((l.split(':', 1)[1].split() for l in info.splitlines() if l.startswith('flags')), [])
    return f"{name} (LLVM: {ll.get_host_cpu_name()}; {', '.join(f for f in ('avx2', 'avx512f') if f in flags) or 'no AVX2'})"

def report(out, runs):
    lines = [f"# Inference: the compiled forest against the peers\n",
             f"Machine: {out.get('cpu', platform.machine())}, {THREADS} threads for every predictor; {out['when']}; "
             f"flights test rows, batch {SIZES[-1]:,} rows. Every figure is the median of {ROUNDS} interleaved rounds (each: 400 single-row "
             f"calls, then batches for at least 0.3 s), so that the machine's drift reaches every predictor alike. Ratios are ours "
             f"over the best peer in the same run.\n",
             "Versions: " + ', '.join(f"{k} {v}" for k, v in out.get('versions', {}).items()) + ".\n"]
    for r in runs:
        res = {k: v for k, v in r['results'].items() if 'error' not in v}
        peers_ = {k: v for k, v in res.items() if not k.startswith('trainfer')}
        mine = {k: v for k, v in res.items() if k.startswith('trainfer')}
        best_lat = min(peers_.items(), key=lambda kv: kv[1]['p50_us'])
        best_thr = max(peers_.items(), key=lambda kv: kv[1]['rows_per_s'])
        lines += [f"\n## {r['trees']} trees, depth {r['depth']}\n",
                  "| predictor | single row p50 (us) | p99 (us) | rows/s (65,536-row batch) | max abs diff vs its library |",
                  "|---|---:|---:|---:|---:|"]
        for k, v in sorted(res.items(), key=lambda kv: kv[1]['p50_us']):
            lines.append(f"| {k} | {v['p50_us']:.1f} | {v['p99_us']:.1f} | {v['rows_per_s']:,.0f} | {v['max_abs_diff']:.1e} |")
        for k, v in r['results'].items():
            if 'error' in v: lines.append(f"| {k} | failed: {v['error']} | | | |")
        lines.append(f"\nBest peer single row: {best_lat[0]} ({best_lat[1]['p50_us']:.1f} us); best peer batch: {best_thr[0]} "
                     f"({best_thr[1]['rows_per_s']:,.0f} rows/s).\n")
        top = lambda v: max(m[2] for m in v['rounds'])   # each predictor's least disturbed round (timeit's convention)
        best_top = max(top(v) for v in peers_.values())
        lines += ["| ours | p50 / best peer p50 (target <= 0.5) | the same, round by round | rows/s / best peer rows/s (target >= 1.5) | best round / best peer's best round |",
                  "|---|---:|---:|---:|---:|"]
        for k, v in mine.items():
            lines.append(f"| {k} | {v['p50_us'] / best_lat[1]['p50_us']:.2f} | {paired_p50(v, peers_)} | {v['rows_per_s'] / best_thr[1]['rows_per_s']:.2f} | {top(v) / best_top:.2f} |")
        lines.append("\nThe targets are read on the medians. *Round by round*: in each round, our p50 over the best peer's p50 "
                     "of that round (measured some seconds apart, not minutes): the lowest, median and highest of the rounds. The last column compares each predictor's fastest batch round, which the machine's other work "
                     "disturbed least.\n")
        lines += ["\nFirst prediction after loading a saved model, in a fresh process (numba's JIT cache warm). *Total* is from the "
                  "start of `Predictor.load` to the first row's score (target < 0.5 s). The first process finds trainfer's cache "
                  "empty: it imports the library (XGBoost and LightGBM each import scikit-learn), reads its model file and the forest from it, "
                  "packs it, and for `auto` calibrates (about a second); the next process finds the forest and the plan cached and "
                  "imports and reads the library's model only if `native` is called. Importing `trainfer_nb.infer` (pandas, numba "
                  "and its compiler context; no training library) is paid once per process before it and shown apart:\n",
                  "| model, engine | import (s) | first process: total (s) | next process: `Predictor.load` (s) | first row (s) | **total** (s) | next 1,000 rows (s) |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for k, v in r['first_predict'].items():
            lines.append(f"| {k} | {v['import_s']:.2f} | {v['cold']['total_s']:.3f} | {v['load_s']:.3f} | {v['first_s']:.3f} | **{v['total_s']:.3f}** | {v['next_batch_s']:.3f} |")
    if out.get('trained'):
        lines += ["\n## Models as `train` grows them\n",
                  "`train(flights, backend, params)`: carrier, origin and dest as categorical splits, which only the libraries' "
                  "own predictors read (the peers above take the integer-coded models). LightGBM's defaults grow leaf-wise "
                  "trees too deep for perfect trees: the compiled forest's deep layout. Each against its library's predictor, "
                  "in the same interleaved rounds:\n",
                  "| model | layout | predictor | single row p50 (us) | p99 (us) | rows/s | p50 / library | rows/s / library | max abs diff |",
                  "|---|---|---|---:|---:|---:|---:|---:|---:|"]
        for t in out['trained']:
            lib = t['results'][f"{t['backend']} (library)"]
            model = f"{t['backend']}, {t['trees']} rounds, {', '.join(f'{k}={v}' for k, v in t['params'].items()) or 'defaults'}"
            for k, v in t['results'].items():
                lines.append(f"| {model} | {t['layout']}, depth {t['depth']} | {k} | {v['p50_us']:.1f} | {v['p99_us']:.1f} | {v['rows_per_s']:,.0f} | "
                             f"{v['p50_us'] / lib['p50_us']:.2f} | {v['rows_per_s'] / lib['rows_per_s']:.2f} | {v['max_abs_diff']:.1e} |")
    lines.append("\n![latency per call against batch size](infer.png)\n")
    return '\n'.join(lines)

def paired_p50(v, peers_) -> str:
    "Our single-row p50 over the best peer's in each round: lowest, median, highest."
    r = [m[0] / min(p['rounds'][k][0] for p in peers_.values()) for k, m in enumerate(v['rounds'])]
    return f"{min(r):.2f}, {np.median(r):.2f}, {max(r):.2f}"

def plot(runs, path):
    import matplotlib; matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(runs), figsize=(7 * len(runs), 5), squeeze=False)
    for ax, r in zip(axes[0], runs):
        for k, v in r['results'].items():
            if 'error' in v: continue
            s = v['sweep']
            ax.plot(list(map(int, s)), [t * 1e6 for t in s.values()], marker='o', lw=2.5 if k.startswith('trainfer') else 1,
                    ls='-' if k.startswith('trainfer') else '--', label=k)
        ax.set(xscale='log', yscale='log', xlabel='rows per call', ylabel='microseconds per call',
               title=f"{r['trees']} trees, depth {r['depth']}")
        ax.grid(True, which='both', alpha=0.3); ax.legend(fontsize=7)
    fig.tight_layout(); fig.savefig(path, dpi=110)
    return fig

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--train-rows', type=int, default=100_000)
    a = options(__doc__, 'infer', '30 trees of depth 4, 2 rounds', ap)
    global ROUNDS
    if a.quick: ROUNDS = 2
    d = load_dataset('flights')
    names = d.feature_names
    X = as_matrix(d.train.X, d.categories)[:a.train_rows]; y = d.train.y[:a.train_rows].astype(np.float32)
    Xt = as_matrix(d.test.X, d.categories)
    Xb = np.ascontiguousarray(np.resize(Xt, (SIZES[-1], Xt.shape[1])))
    sizes = [(30, 4)] if a.quick else [(100, 6), (500, 8)]
    q = a.quick
    with tempfile.TemporaryDirectory() as tmp:
        os.environ['TRAINFER_CACHE'] = str(Path(tmp) / 'cache')   # 'auto' calibrates in this run, not from an earlier run's plan
        runs = [bench_size(X, y, Xb, t, dep, names, Path(tmp)) for t, dep in sizes]
        trained = [bench_trained(d, Xb, 'lightgbm', 20 if q else 100, {})] + [
            bench_trained(d, Xb, b, 30 if q else 500, dict(max_depth=4 if q else 8)) for b in ('xgboost', 'lightgbm', 'sklearn')]
    out = dict(when=time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()), threads=THREADS, cpu=cpu(), versions=versions(), runs=runs, trained=trained)
    stem = a.results
    Path(stem + '.json').write_text(json.dumps(out, indent=1))
    plot(runs, stem + '.png')
    Path(stem + '.md').write_text(report(out, runs).replace('infer.png', Path(stem).name + '.png'))
    print(Path(stem + '.md').read_text())

if __name__ == '__main__': main()
