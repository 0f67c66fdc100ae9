"""GPU training: XGBoost and LightGBM on the GPU beside the CPU, in one process: time, GPU memory, test metric, and
whether two runs on the GPU give the same model.

Data: flights (229,142 training rows, 11 features) and 2,000,000 synthetic rows (28 features, 3 of them
categorical), 200 rounds each. Per data set and backend: two runs on the CPU, two on the GPU (the library's GPU
learner: XGBoost's CUDA one; LightGBM's OpenCL one as PyPI builds it, also with `gpu_use_dp=True`, its
double-precision histograms). Recorded: wall seconds, GPU memory the run took, test metric, and the largest
difference of the test predictions between the two runs of a kind (0: the same model) and from the CPU's.
`tools/gpu-check` runs it on a lent GPU and writes train_gpu.md and train_gpu.json to its output folder. Without a
GPU it runs the CPU rows only: a dry run of the script.

    python bench/train_gpu.py --out bench/out            # both data sets
    python bench/train_gpu.py --out bench/out --quick    # flights, 20 rounds
"""
import argparse, json, os, platform, time, warnings
from pathlib import Path
import numpy as np
from trainfer_nb.core import cuda_gpus, DeviceUnavailableError
from trainfer_nb.data import load_dataset, synthetic
from trainfer_nb.train import train, device_for, _lightgbm_gpu_type

def variants(backend:str, gpu:bool) -> list:
    "(device, extra params) to run, the GPU ones twice; or the reason the GPU is left out."
    runs = [('cpu', {}), ('cpu', {})]
    if not gpu: return runs
    try: device_for(backend, 'cuda')
    except DeviceUnavailableError as e: return runs + [('cuda', {'skipped': str(e)})]
    runs += [('cuda', {}), ('cuda', {})]
    if backend == 'lightgbm' and _lightgbm_gpu_type() == 'gpu': runs += [('cuda', {'gpu_use_dp': True})] * 2
    return runs

def bench_data(d, rounds:int, gpu:bool) -> list:
    rows = []
    for b in ('xgboost', 'lightgbm'):
        first, cpu = {}, None
        for device, params in variants(b, gpu):
            row = dict(data=d.name, backend=b, device=device, params=json.dumps(params))
            if 'skipped' in params: rows.append({**row, 'params': '{}', 'skipped': params['skipped']}); continue
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                r = train(d, b, device=device, params=params, num_boost_round=rounds, verbose=False)
            p = np.asarray(r.predict(d.test.X), dtype=np.float64)
            if cpu is None: cpu = p
            seen = first.setdefault((device, row['params']), p)
            rows.append({**row, 'train_s': r.resources['wall_s'], 'metric': r.metric, 'test_metric': r.test_metric,
                         'gpu_mib': None if device == 'cpu' else (r.resources['peak_gpu_mem'] - r.resources['start_gpu_mem']) / 2**20,
                         'max_diff_vs_first_run': float(np.abs(p - seen).max()), 'max_diff_vs_cpu': float(np.abs(p - cpu).max())})
            print(f"{d.name} {b} {device} {row['params']}: {rows[-1]['train_s']:.2f} s, test {r.metric} {r.test_metric:.4f}", flush=True)
    return rows

def report(out:dict) -> str:
    lines = ['# GPU training: XGBoost and LightGBM on the GPU beside the CPU', '',
             f"Measured {out['when']} on {out['gpu']}, {out['cpus']} CPU cores; XGBoost {out['xgboost']}, LightGBM {out['lightgbm']}; "
             f"{out['rounds']} rounds; one process. 'vs first run': the largest difference of the test predictions from the "
             "first run of the same kind (0: the same model); 'vs CPU': from the CPU's.", '',
             '| data | backend | device | params | train s | GPU MiB | test metric | vs first run | vs CPU |', '|---|---|---|---|---:|---:|---:|---:|---:|']
    for r in out['runs']:
        if 'skipped' in r: lines.append(f"| {r['data']} | {r['backend']} | {r['device']} | | not run: {r['skipped']} | | | | |"); continue
        gpu = '' if r['gpu_mib'] is None else f"{r['gpu_mib']:.0f}"
        lines.append(f"| {r['data']} | {r['backend']} | {r['device']} | {r['params'] if r['params'] != '{}' else ''} | {r['train_s']:.2f} | {gpu} "
                     f"| {r['metric']} {r['test_metric']:.4f} | {r['max_diff_vs_first_run']:.1e} | {r['max_diff_vs_cpu']:.1e} |")
    return '\n'.join(lines) + '\n'

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', default='bench/out'); ap.add_argument('--quick', action='store_true')
    a = ap.parse_args()
    import xgboost, lightgbm
    gpus = cuda_gpus()
    rounds = 20 if a.quick else 200
    sets = [load_dataset('flights')] + ([] if a.quick else [synthetic(2_000_000)])
    out = dict(when=time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()), gpu=gpus[0].name if gpus else 'no GPU (CPU rows only)',
               cpus=os.cpu_count(), python=platform.python_version(), xgboost=xgboost.__version__, lightgbm=lightgbm.__version__,
               rounds=rounds, runs=[r for d in sets for r in bench_data(d, rounds, bool(gpus))])
    folder = Path(a.out); folder.mkdir(parents=True, exist_ok=True)
    (folder / 'train_gpu.json').write_text(json.dumps(out, indent=1))
    (folder / 'train_gpu.md').write_text(report(out))
    print(report(out), flush=True)

if __name__ == '__main__': main()
