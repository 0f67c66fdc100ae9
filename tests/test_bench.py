"""The CPU benchmarks under bench/, each run small: a script that no longer runs (an API it uses changed) fails here,
not at the next `make bench`. The GPU ones run in tests/test_gpu_check.py. Their figures are not checked (timings on a
shared machine); what each run asserts of its predictions, and what it records, is."""
import json, subprocess, sys
from pathlib import Path
import numpy as np, pytest

ROOT = Path(__file__).resolve().parent.parent
GPU_BENCHES = {'infer_gpu.py', 'train_gpu.py'}

def check_infer(r):
    (run,) = r['runs']
    ours = {k: v for k, v in run['results'].items() if k.startswith('trainfer')}
    assert len(ours) == 6 and all(v['max_abs_diff'] <= 1e-5 and v['rows_per_s'] > 0 for v in ours.values()), ours
    assert sorted(run['first_predict']) == sorted(f'{b} {e}' for b in ('xgboost', 'lightgbm', 'sklearn') for e in ('cpu', 'auto'))
    assert all(0 < v['total_s'] < v['cold']['total_s'] + 1 for v in run['first_predict'].values()), run['first_predict']
    assert [t['backend'] for t in r['trained']] == ['lightgbm', 'xgboost', 'lightgbm', 'sklearn']
    assert all(v['max_abs_diff'] <= 1e-5 for t in r['trained'] for v in t['results'].values())

def check_infer_linear(r):
    assert r['model']['trees'] == 20 and r['model']['linear_leaves'] > 0, r['model']
    assert sorted(r['medians']) == ['lightgbm predict', 'trainfer cpu'] and all(len(v['rows_per_s']) == 2 for v in r['rounds'].values())

def check_input_forms(r):
    assert sorted(r['results']) == ['lightgbm', 'xgboost']
    assert all(len(rows) == 20 and all(v['p50_us'] > 0 for v in rows.values()) for rows in r['results'].values())

def check_float64_reading(r):
    assert all(f['max_abs_diff'] < 1e-9 for f in r['facts'].values()), r['facts']
    assert r['facts']['diabetes linear']['rows_to_library'] == 442   # every row of a linear-tree model on float64 input
    assert r['facts']['flights epoch']['rows_to_library'] > 0 and len(r['paired']) == 5

def check_expf_rounding(r):
    low, edge = np.float32([64, 88.7]).view(np.uint32)
    assert r['arguments'] == 2 * (int(edge) + 1 - int(low))
    assert 0 < r['parted'] < r['arguments'] and r['most_steps'] == 1 and r['sigmoid_most_steps'] <= 4, r   # as 03 and the README say

def check_train_overhead(r):
    assert [row['backend'] for row in r['rows']] == ['xgboost', 'lightgbm', 'sklearn']
    assert all(0 < row['own_s'] < row['train_s'] and row['direct_peak_rss_mib'] > 0 for row in r['rows']), r['rows']

def check_data_shards(r):
    assert (r['rows'], r['shards']) == (200_000, 4) and r['read']['peak_rss_mib'] > 0 and 0 < r['positive_rate'] < 1, r

SMOKE = {'infer.py': (['--quick'], check_infer),
         'infer_linear.py': (['--quick'], check_infer_linear),
         'input_forms.py': (['--quick'], check_input_forms),
         'float64_reading.py': (['--quick'], check_float64_reading),
         'expf_rounding.py': (['--quick'], check_expf_rounding),
         'train_overhead.py': (['--rounds', '10', '--repeats', '1', '--rss_runs', '1'], check_train_overhead),
         'data_shards.py': (['--rows', '200000', '--rows-per-shard', '50000'], check_data_shards)}

def test_every_cpu_benchmark_is_run_here():
    cpu_benches = sorted(p.name for p in (ROOT / 'bench').glob('*.py') if p.name not in GPU_BENCHES and not p.name.startswith('_'))
    assert cpu_benches == sorted(SMOKE), 'a benchmark with no small run here'

@pytest.mark.parametrize('script', SMOKE)
def test_benchmark_runs_small(script, tmp_path):
    args, check = SMOKE[script]
    stem = tmp_path / Path(script).stem
    extra = ['--dir', str(tmp_path / 'shards')] if script == 'data_shards.py' else []
    recorded = {p: p.stat().st_mtime_ns for p in (ROOT / 'bench' / 'results').iterdir()}
    r = subprocess.run([sys.executable, str(ROOT / 'bench' / script), *args, '--results', str(stem), *extra], cwd=ROOT,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert Path(f'{stem}.md').read_text().startswith('# ')
    check(json.loads(Path(f'{stem}.json').read_text()))
    assert {p: p.stat().st_mtime_ns for p in (ROOT / 'bench' / 'results').iterdir()} == recorded   # the recorded results left as they are
