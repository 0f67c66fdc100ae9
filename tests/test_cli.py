"The `trainfer` console script, driven from outside in a subprocess as a user runs it."
import re, subprocess, sys
from pathlib import Path
import pytest

TRAINFER = str(Path(sys.executable).parent / 'trainfer')

def run(*args, timeout=600):
    return subprocess.run([TRAINFER, *args], capture_output=True, text=True, timeout=timeout)

def test_info_lists_versions_and_backends():
    r = run('info')
    assert r.returncode == 0, r.stderr
    assert re.search(r'^xgboost\s+\d+\.\d+', r.stdout, re.M)
    assert re.search(r'^backends\s+xgboost trains on cpu', r.stdout, re.M)
    assert re.search(r'^\s+lightgbm trains on cpu', r.stdout, re.M)

def _has_gpu():
    from trainfer_nb.core import cuda_gpus
    return bool(cuda_gpus())

@pytest.mark.skipif(_has_gpu(), reason='this machine has a GPU')
def test_info_says_no_gpu():
    r = run('info')
    assert re.search(r'^GPUs\s+none found$', r.stdout, re.M), r.stdout

def test_demo_prints_a_row_per_model():
    r = run('demo', '--rounds', '10')
    assert r.returncode == 0, r.stderr
    table, costs = r.stdout.rstrip('\n').split('\n\n')
    rows = {l.split()[0]: l.split() for l in table.splitlines()[2:]}
    assert set(rows) == {'xgboost', 'lightgbm'}, r.stdout
    assert [l.split(':')[0] for l in costs.splitlines()] == ['xgboost', 'lightgbm'], r.stdout
    assert all(re.search(r'training costs [\d,]+x scoring per row$', l) for l in costs.splitlines()), r.stdout
    header = r.stdout.splitlines()[0].split()
    for model, cells in rows.items():
        row = dict(zip(header, cells[1:]))
        assert row['rows'] == '229,142' and row['features'] == '11'
        assert 0.85 < float(row['test_auc']) < 1, row
        assert float(row['p50_us_per_row']) > 0 and float(row['rows_per_s'].replace(',', '')) > 0

@pytest.mark.parametrize('args, message', [
    (('demo', '--device', 'tpu'), "trainfer demo: error: device 'tpu' is not one of: 'auto', 'cpu', 'cuda'"),
    (('demo', '--backends', 'catboost'), "trainfer demo: error: backend 'catboost' is not one of: 'xgboost', 'lightgbm', 'sklearn'"),
    (('fit',), "trainfer: error: unknown command 'fit'; choose one of: info, demo, datasets, train, score"),
    (('score', 'no-model', 'in.csv', 'out.csv'), "trainfer score: error: no model at no-model"),
])
def test_bad_input_is_one_clear_line(args, message):
    r = run(*args)
    assert r.returncode == 2
    assert message in r.stderr and 'Traceback' not in r.stderr, r.stderr

@pytest.mark.skipif(_has_gpu(), reason='this machine has a GPU')
def test_cuda_without_gpu_says_why():
    r = run('demo', '--device', 'cuda')
    assert r.returncode == 2 and 'Traceback' not in r.stderr
    assert "device 'cuda' was asked for but no CUDA GPU is available" in r.stderr

def test_datasets_lists_every_builtin_set():
    r = run('datasets')
    assert r.returncode == 0, r.stderr
    rows = {l.split()[0]: l.split()[1:5] for l in r.stdout.splitlines()[2:]}
    assert rows['flights'] == ['327,346', '11', 'binary', 'auc']
    assert rows['tweets'] == ['8,614', '4099', 'binary', 'auc']
    assert set(rows) == {'flights', 'diamonds', 'movielens', 'tweets', 'speech', 'digits', 'breast_cancer'}

def test_score_writes_a_file_of_scores(tmp_path):
    from trainfer_nb.data import load_dataset
    from trainfer_nb.train import train
    from trainfer_nb.infer import Predictor
    import numpy as np, pandas as pd
    flights = load_dataset('flights')
    model = train(flights, 'xgboost', device='cpu', num_boost_round=10, verbose=False).save(tmp_path / 'model')
    rows = flights.test.X.iloc[:20_000].assign(flight=np.arange(20_000))
    rows.to_parquet(tmp_path / 'in.parquet')
    r = run('score', str(model), str(tmp_path / 'in.parquet'), str(tmp_path / 'out.csv'), '--id_columns', 'flight', '--batch_rows', '7000')
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith('20,000 rows scored in '), r.stdout
    out = pd.read_csv(tmp_path / 'out.csv')
    assert list(out.columns) == ['flight', 'score', 'label'] and out['flight'].tolist() == list(range(20_000))
    assert np.abs(out['score'].to_numpy() - Predictor.load(model).predict_score(rows.drop(columns='flight'))).max() < 1e-6

def test_score_with_the_file_a_library_wrote(tmp_path):
    "A model LightGBM saved itself (its text file, categories and all) scores from the shell as a saved folder does; a pickle does not."
    import lightgbm as lgb, numpy as np, pandas as pd
    from trainfer_nb.data import load_dataset
    d = load_dataset('diamonds')
    X, T = d.train.X.iloc[:5000], d.test.X.iloc[:3000]
    m = lgb.LGBMRegressor(n_estimators=20, verbose=-1).fit(X, d.train.y[:5000])
    m.booster_.save_model(tmp_path / 'price.txt')
    T.to_csv(tmp_path / 'in.csv', index=False)
    r = run('score', str(tmp_path / 'price.txt'), str(tmp_path / 'in.csv'), str(tmp_path / 'out.parquet'), '--quiet')
    assert r.returncode == 0 and r.stdout.startswith('3,000 rows scored'), r.stdout + r.stderr
    assert np.abs(pd.read_parquet(tmp_path / 'out.parquet')['score'].to_numpy() - m.predict(T)).max() < 1e-5
    (tmp_path / 'price.pkl').write_bytes(b'\x80\x04N.')
    r = run('score', str(tmp_path / 'price.pkl'), str(tmp_path / 'in.csv'), str(tmp_path / 'out.csv'))
    assert r.returncode == 2 and 'trainfer score: error: price.pkl: a model file is read by its suffix' in r.stderr, r.stderr
    assert not (tmp_path / 'out.csv').exists()
    (tmp_path / 'cut.txt').write_text((tmp_path / 'price.txt').read_text()[:40])   # a file cut short: LightGBM's own '[Fatal]' line is not printed too
    r = run('score', str(tmp_path / 'cut.txt'), str(tmp_path / 'in.csv'), str(tmp_path / 'out.csv'))
    assert r.returncode == 2 and r.stdout == '', r.stdout
    assert r.stderr.splitlines() == ["trainfer score: error: cut.txt is not a readable lightgbm model: Model file doesn't specify the label index"], r.stderr

def test_score_refuses_a_category_the_xgboost_model_never_saw(tmp_path):
    "An XGBoost estimator's file keeps its categories: a new one is refused by name, as XGBoost refuses it, and no output is written; --unseen missing scores it as missing."
    import xgboost as xgb, numpy as np, pandas as pd
    from trainfer_nb.data import load_dataset
    d = load_dataset('diamonds')
    X, T = d.train.X.iloc[:3000], d.test.X.iloc[:500].astype({'cut': object})
    m = xgb.XGBRegressor(n_estimators=10, enable_categorical=True).fit(X, d.train.y[:3000])
    m.save_model(tmp_path / 'price.ubj')
    T.iloc[[5, 9, 400], T.columns.get_loc('cut')] = 'Superb'
    T.to_csv(tmp_path / 'in.csv', index=False)
    r = run('score', str(tmp_path / 'price.ubj'), str(tmp_path / 'in.csv'), str(tmp_path / 'out.csv'), '--quiet')
    assert r.returncode == 2 and r.stderr.startswith("trainfer score: error: in.csv, rows 1-500: column 'cut': 'Superb' (3 rows) is not among the categories"), r.stderr
    assert not (tmp_path / 'out.csv').exists()
    r = run('score', str(tmp_path / 'price.ubj'), str(tmp_path / 'in.csv'), str(tmp_path / 'out.csv'), '--quiet', '--unseen', 'missing')
    assert r.returncode == 0, r.stderr
    want = m.predict(T.assign(cut=pd.Categorical(T.cut.where(T.cut != 'Superb'), categories=X.cut.cat.categories)))
    np.testing.assert_array_equal(pd.read_csv(tmp_path / 'out.csv')['score'].to_numpy(np.float32), want)

def test_train_then_score_from_the_shell(tmp_path):
    import pandas as pd
    from trainfer_nb.data import _rdata
    from trainfer_nb.train import load_model
    raw = _rdata('nycflights13', 'flights').drop(columns=['rownames']).dropna(subset=['arr_delay']).head(20_000)
    raw.assign(late=raw['arr_delay'] > 15).to_csv(tmp_path / 'flights.csv', index=False)
    r = run('train', str(tmp_path / 'flights.csv'), 'late', str(tmp_path / 'model'), '--backend', 'lightgbm', '--rounds', '20',
            '--exclude', 'arr_delay,arr_time', '--device', 'cpu', '--quiet')   # the columns that give the answer away
    assert r.returncode == 0, r.stderr
    m = load_model(tmp_path / 'model')
    assert (m.backend, m.task, m.num_boost_round) == ('lightgbm', 'binary', 20) and 0.85 < m.test_metric < 0.99, m
    assert 'arr_delay' not in m.feature_names and 'dep_delay' in m.feature_names
    assert f"test auc {m.test_metric:.4f}" in r.stdout
    r = run('score', str(tmp_path / 'model'), str(tmp_path / 'flights.csv'), str(tmp_path / 'scores.parquet'), '--quiet')
    assert r.returncode == 0 and r.stdout.startswith('20,000 rows scored'), r.stdout + r.stderr
    assert len(pd.read_parquet(tmp_path / 'scores.parquet')) == 20_000
    r = run('train', str(tmp_path / 'flights.csv'), 'late', str(tmp_path / 'model2'), '--backend', 'lightgbm', '--params', '{"num_leaves": 1}',
            '--exclude', 'arr_delay,arr_time', '--device', 'cpu')   # a parameter LightGBM refuses: its own '[Fatal] ... config_auto.cpp' line is not printed too
    assert r.returncode == 2 and r.stdout == '', r.stdout
    assert r.stderr.splitlines()[-1:] == ["trainfer train: error: Check failed: (num_leaves) > (1)"] and '[Fatal]' not in r.stderr, r.stderr

@pytest.mark.parametrize('how, status, line', [('SIGTERM', 143, 'stopped by SIGTERM'), ('SIGINT', 130, 'interrupted')])
def test_stopped_midway_leaves_nothing_half_written(tmp_path, how, status, line):
    "SIGTERM (`kill`, `docker stop`, a scheduler's time limit) or Ctrl-C stops `trainfer score`: one line, the shell's exit status, no output, no temporary file."
    import signal, time
    from trainfer_nb.data import load_dataset
    from trainfer_nb.train import train
    flights = load_dataset('flights')
    model = train(flights, 'xgboost', device='cpu', num_boost_round=10, verbose=False).save(tmp_path / 'model')
    flights.X.to_parquet(tmp_path / 'in.parquet')   # 327,346 rows
    out = tmp_path / 'out'; out.mkdir()
    p = subprocess.Popen([TRAINFER, 'score', str(model), str(tmp_path / 'in.parquet'), str(out / 'scores.csv.gz'), '--batch_rows', '500', '--quiet'],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))   # as a terminal's foreground job has it
    deadline = time.monotonic() + 120
    while not any(out.iterdir()) and p.poll() is None and time.monotonic() < deadline: time.sleep(0.02)   # writing has begun
    assert p.poll() is None, p.communicate()
    p.send_signal(getattr(signal, how))
    stdout, err = p.communicate(timeout=60)
    assert p.returncode == status, f'exit status {p.returncode}, stderr:\n{err}'   # in full: which library the stop met
    assert list(out.iterdir()) == []
    assert err.strip() == f'trainfer score: {line}; nothing half-written is left', err

STOPPED_IN_CALLBACK = '''
import signal, sys
started = False
def hook(frame, event, arg):   # sends the signal as llvmlite calls numba back for a function's cached code
    global started
    if event != 'call': return
    started = started or frame.f_code.co_name == '_stop_on_signals'
    if started and frame.f_code.co_name == '_raw_object_cache_getbuffer':
        sys.setprofile(None); signal.raise_signal(getattr(signal, sys.argv[1]))
sys.setprofile(hook)
from trainfer_nb.cli import main
sys.exit(main(sys.argv[2:]))
'''

@pytest.mark.parametrize('how, status, line', [('SIGTERM', 143, 'stopped by SIGTERM'), ('SIGINT', 130, 'interrupted')])
def test_stopped_inside_a_library_callback(tmp_path, how, status, line):
    "A stop that arrives while llvmlite calls back into Python for numba's cached code (a first prediction) waits until it returns: raised there, it was lost and the process crashed (segmentation fault)."
    import os, signal
    from trainfer_nb.data import load_dataset
    from trainfer_nb.train import train
    flights = load_dataset('flights')
    model = train(flights, 'xgboost', device='cpu', num_boost_round=10, verbose=False).save(tmp_path / 'model')
    flights.X[:5000].to_parquet(tmp_path / 'in.parquet')
    out = tmp_path / 'out'; out.mkdir()
    r = subprocess.run([sys.executable, '-c', STOPPED_IN_CALLBACK, how, 'score', str(model), str(tmp_path / 'in.parquet'), str(out / 'scores.csv'), '--quiet'],
                       capture_output=True, text=True, timeout=300, env=dict(os.environ, TRAINFER_CACHE=str(tmp_path / 'cache')),
                       preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert (r.returncode, r.stderr) == (status, f'trainfer score: {line}; nothing half-written is left\n'), f'exit status {r.returncode}, stderr:\n{r.stderr}'
    assert list(out.iterdir()) == []

LOADED = '''
import sys
from trainfer_nb.cli import main
main(['--version'])
try: main([sys.argv[1], '--help'])
except SystemExit: pass
print(sorted(m for m in ('numba', 'llvmlite', 'xgboost', 'lightgbm', 'sklearn', 'optuna', 'scipy') if m in sys.modules))
'''

@pytest.mark.parametrize('command', ['train', 'score', 'demo'])
def test_help_loads_no_library(command):
    "`trainfer --version` and a command's `--help` answer without loading numba or a library: they come at once, and the libraries load only once a command runs, after its signal handlers are set."
    r = subprocess.run([sys.executable, '-c', LOADED, command], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    import trainfer_nb
    assert r.stdout.splitlines()[0] == f'trainfer_nb {trainfer_nb.__version__}' and r.stdout.splitlines()[-1] == '[]', r.stdout

STOPPED_WHILE_LOADING = '''
import signal, sys
how, module, entry = getattr(signal, sys.argv[1]), sys.argv[2], sys.argv[3]
class Stopper:   # sends the signal as `module` begins to load
    def find_spec(self, name, path=None, target=None):
        if name == module: sys.meta_path.remove(self); signal.raise_signal(how)
sys.meta_path.insert(0, Stopper())
sys.argv = ['trainfer', *sys.argv[4:]]
if entry == 'launch':   # the console script's entry
    from trainfer_nb.launch import main
    sys.exit(main())
from trainfer_nb.cli import main
sys.exit(main(sys.argv[1:]))
'''

@pytest.mark.parametrize('module, entry', [('numba', 'cli'), ('pandas', 'launch')])
@pytest.mark.parametrize('how, status, line', [('SIGTERM', 143, 'stopped by SIGTERM'), ('SIGINT', 130, 'interrupted')])
def test_stopped_while_the_command_loads(tmp_path, module, entry, how, status, line):
    "Ctrl-C or SIGTERM in a command's first second ends it as later: one line and the shell's status. While numba and the libraries load (after `cli.main` set its handlers), and while the console script loads NumPy and pandas (`launch.main`'s handlers; 0.85 s). Before, Ctrl-C printed Python's traceback of the import and SIGTERM killed the process without a word."
    import signal
    r = subprocess.run([sys.executable, '-c', STOPPED_WHILE_LOADING, how, module, entry, 'score', str(tmp_path / 'model'), str(tmp_path / 'in.parquet'), str(tmp_path / 'scores.csv')],
                       capture_output=True, text=True, timeout=120, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert (r.returncode, r.stderr) == (status, f'trainfer score: {line}; nothing half-written is left\n'), f'exit status {r.returncode}, stderr:\n{r.stderr}'
    assert list(tmp_path.iterdir()) == []

def test_the_console_script_starts_in_launch():
    "The installed `trainfer` enters through `trainfer_nb.launch`, which loads nothing but Python's own modules before its handlers are set."
    import configparser, pathlib
    ini = configparser.ConfigParser(); ini.read(pathlib.Path(__file__).parents[1] / 'settings.ini')
    assert 'trainfer=trainfer_nb.launch:main' in ini['DEFAULT']['console_scripts'], ini['DEFAULT']['console_scripts']
    r = subprocess.run([sys.executable, '-c', 'import sys, trainfer_nb.launch; print(sorted(m for m in ("numpy", "pandas", "trainfer_nb.cli") if m in sys.modules))'],
                       capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == '[]', r.stdout + r.stderr
