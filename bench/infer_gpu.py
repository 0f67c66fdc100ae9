"""GPU inference: the compiled forest's CUDA kernel (`Predictor(engine='cuda')`) against XGBoost's own GPU predictor.

Models: XGBoost on flights, 100 trees of depth 6 and 500 of depth 8 (as in bench/infer.py), trained on the GPU.
Measured on batches of 65,536 and 1,048,576 rows (the test rows repeated), in interleaved rounds (medians kept):
rows/s of XGBoost's own `inplace_predict` on the GPU (called directly, as a user would) and of our kernel, each with the batch already on the GPU (CuPy) and
with a NumPy batch (copied there on each call), with the CPU predictors (ours and XGBoost's, every core) beside
them on the smaller batch; the largest difference between our kernel and our CPU predictor.
`tools/gpu-check` runs it on a lent GPU and writes infer_gpu.md and infer_gpu.json to its output folder. Without a
GPU it runs the CPU rows only: a dry run of the script.

    python bench/infer_gpu.py --out bench/out            # both sizes
    python bench/infer_gpu.py --out bench/out --quick    # 30 trees of depth 4, one round
"""
import argparse, json, os, platform, time
from pathlib import Path
import numpy as np
from trainfer_nb.core import cuda_gpus, to_host
from trainfer_nb.data import load_dataset, as_matrix
from trainfer_nb.train import train
from trainfer_nb.infer import Predictor, throughput

BATCHES = (65_536, 1_048_576)

def xgboost_on(booster, device:str):
    """XGBoost's own `inplace_predict` on `device`, called as a user would: a NumPy batch is copied to the GPU first
    (given host rows, a CUDA booster falls back to a DMatrix, with a warning), the output comes back where the input was."""
    b = booster.copy(); b.set_param({'device': device})
    if device == 'cpu': return b.inplace_predict
    import cupy as cp
    return lambda X: b.inplace_predict(X) if isinstance(X, cp.ndarray) else cp.asnumpy(b.inplace_predict(cp.asarray(X)))

def predictors(result, gpu:bool) -> dict:
    "name -> (scoring function, batch sizes it runs, input kinds it takes)."
    p = {'trainfer cpu': (Predictor.from_result(result, device='cpu', engine='cpu').predict_score, BATCHES[:1], ('numpy',)),
         'xgboost inplace_predict, cpu': (xgboost_on(result.model, 'cpu'), BATCHES[:1], ('numpy',))}
    if gpu:
        p['trainfer cuda'] = (Predictor.from_result(result, device='cuda', engine='cuda').predict_score, BATCHES, ('cupy', 'numpy'))
        p['xgboost inplace_predict, cuda'] = (xgboost_on(result.model, 'cuda'), BATCHES, ('cupy', 'numpy'))
    return p

def bench_model(d, X, trees:int, depth:int, rounds:int, gpu:bool) -> dict:
    t0 = time.perf_counter()
    r = train(d, 'xgboost', device='cuda' if gpu else 'cpu', params=dict(max_depth=depth), num_boost_round=trees, verbose=False)
    train_s = time.perf_counter() - t0
    preds = predictors(r, gpu)
    inputs = {}
    for n in BATCHES:
        Xn = np.ascontiguousarray(np.resize(X, (n, X.shape[1])))
        inputs[n] = {'numpy': Xn}
        if gpu:
            import cupy as cp
            inputs[n]['cupy'] = cp.asarray(Xn)
    seen = {}
    for _ in range(rounds):   # interleaved: the machine's drift reaches every predictor alike
        for name, (p, sizes, kinds) in preds.items():
            for n in sizes:
                for kind in kinds:
                    t = throughput(p, inputs[n][kind], min_seconds=0.3)
                    seen.setdefault((name, kind, n), []).append(t['rows_per_s'])
    cpu = preds['trainfer cpu'][0](inputs[BATCHES[0]]['numpy'])
    diff = {name: float(np.abs(to_host(p(inputs[BATCHES[0]]['numpy'])) - cpu).max()) for name, (p, _, _) in preds.items()}
    return dict(model=f'{trees} trees, depth {depth}', device=r.device, train_s=train_s,
                rows_per_s=[dict(predictor=k[0], input=k[1], batch=k[2], rows_per_s=float(np.median(v)), rounds=len(v)) for k, v in seen.items()],
                max_abs_diff_vs_trainfer_cpu=diff)

def report(out:dict) -> str:
    lines = [f"# GPU inference: the compiled forest's CUDA kernel against XGBoost's GPU predictor", '',
             f"Measured {out['when']} on {out['gpu']}, {out['cpus']} CPU cores; XGBoost {out['xgboost']}; flights test rows repeated; "
             f"medians of {out['rounds']} interleaved rounds.", '']
    for m in out['models']:
        lines += [f"## {m['model']} (trained on {m['device']} in {m['train_s']:.1f} s)", '',
                  '| predictor | input | batch rows | rows/s |', '|---|---|---:|---:|']
        rates = {(x['predictor'], x['input'], x['batch']): x['rows_per_s'] for x in m['rows_per_s']}
        for (name, kind, n), v in sorted(rates.items(), key=lambda kv: (kv[0][2], -kv[1])):
            lines.append(f'| {name} | {kind} | {n:,} | {v:,.0f} |')
        ratios = [f"{kind} {n:,} rows: **{rates[('trainfer cuda', kind, n)] / rates[('xgboost inplace_predict, cuda', kind, n)]:.2f}x**"
                  for n in BATCHES for kind in ('cupy', 'numpy') if ('trainfer cuda', kind, n) in rates]
        if ratios: lines += ['', 'trainfer cuda / XGBoost cuda: ' + '; '.join(ratios)]
        lines += ['', 'Largest difference from trainfer cpu (65,536 rows): ' +
                  ', '.join(f'{k} {v:.1e}' for k, v in m['max_abs_diff_vs_trainfer_cpu'].items()), '']
    return '\n'.join(lines)

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', default='bench/out'); ap.add_argument('--quick', action='store_true')
    a = ap.parse_args()
    import xgboost
    gpus = cuda_gpus()
    d = load_dataset('flights')
    X = as_matrix(d.test.X, d.categories)
    sizes, rounds = ([(30, 4)], 1) if a.quick else ([(100, 6), (500, 8)], 3)
    out = dict(when=time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()), gpu=gpus[0].name if gpus else 'no GPU (CPU rows only)',
               cpus=os.cpu_count(), python=platform.python_version(), xgboost=xgboost.__version__, rounds=rounds,
               models=[bench_model(d, X, t, dep, rounds, bool(gpus)) for t, dep in sizes])
    folder = Path(a.out); folder.mkdir(parents=True, exist_ok=True)
    (folder / 'infer_gpu.json').write_text(json.dumps(out, indent=1))
    (folder / 'infer_gpu.md').write_text(report(out))
    print(report(out), flush=True)

if __name__ == '__main__': main()
