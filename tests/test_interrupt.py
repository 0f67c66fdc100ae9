"Ctrl-C in a notebook or script while numba loads or makes code, or a library loads: in a fresh process, as a crash would end the test runner too, and a first import or compile happens only once."
import os, signal, subprocess, sys
import pytest

def run_fresh(script:str, *args, **env) -> list:
    "`script` run by a fresh Python with Ctrl-C as a terminal's job has it (a background job, such as `make test &`, ignores it): its lines of output, once it exited 0 and lost no exception."
    r = subprocess.run([sys.executable, '-c', script, *args], capture_output=True, text=True, timeout=300, env=dict(os.environ, **env),
                       preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert r.returncode == 0 and 'Exception ignored' not in r.stderr, f'exit status {r.returncode}, stderr:\n{r.stderr}'
    return r.stdout.splitlines()

INTERRUPTED = '''
import signal, sys
import pandas as pd
from trainfer_nb.infer import Predictor
X = pd.read_parquet(sys.argv[2])
def hook(frame, event, arg):   # Ctrl-C as llvmlite calls numba back for a function's cached code
    if event == 'call' and frame.f_code.co_name == '_raw_object_cache_getbuffer':
        sys.setprofile(None); signal.raise_signal(signal.SIGINT)
sys.setprofile(hook)
try: Predictor.load(sys.argv[1]).predict(X); print('not interrupted')
except KeyboardInterrupt: print('KeyboardInterrupt')
sys.setprofile(None)
print(Predictor.load(sys.argv[1]).predict_proba(X)[:3, 1].round(4).tolist())   # the cell run again
'''

def test_ctrl_c_while_numba_loads_code(tmp_path):
    "Ctrl-C as a first prediction loads numba's cached code comes out as KeyboardInterrupt, and the next prediction works: it crashed the process (segmentation fault)."
    from trainfer_nb.data import load_dataset
    from trainfer_nb.train import train
    flights = load_dataset('flights')
    result = train(flights, 'xgboost', device='cpu', num_boost_round=10, verbose=False)
    model = result.save(tmp_path / 'model')
    flights.X[:1000].to_parquet(tmp_path / 'in.parquet')
    lines = run_fresh(INTERRUPTED, str(model), str(tmp_path / 'in.parquet'), TRAINFER_CACHE=str(tmp_path / 'cache'))
    expected = [round(float(p), 4) for p in result.predict(flights.X[:3])]   # the probability of the positive class
    assert lines == ['KeyboardInterrupt', str(expected)]

FIRST_COMPILE = '''
import signal, sys, numba
import trainfer_nb.forest   # Ctrl-C waits while numba compiles (SafeInterrupts)
calls = 0
def hook(frame, event, arg):   # Ctrl-C halfway through loading numba.cpython.unicode, one of the modules of types a first compile loads
    global calls
    loading = frame.f_back is not None and frame.f_back.f_code.co_name == '<module>' and frame.f_back.f_globals.get('__name__') == 'numba.cpython.unicode'
    calls += event == 'call' and loading
    if calls == 100: sys.setprofile(None); signal.raise_signal(signal.SIGINT)
f = numba.njit(lambda x: x * 2)
sys.setprofile(hook)
try: f(21); print('not interrupted')
except KeyboardInterrupt: print('KeyboardInterrupt')
sys.setprofile(None)
print(f(21))   # the cell run again
'''

def test_ctrl_c_while_numba_loads_its_types():
    "Ctrl-C as a process's first compile loads numba's modules of types comes out as KeyboardInterrupt once they are loaded: raised halfway through one, it left that module's registrations behind, and every later compile in the process failed ('duplicate registration')."
    assert run_fresh(FIRST_COMPILE) == ['KeyboardInterrupt', '42']

FIRST_CALL = '''
import signal, sys
from trainfer_nb.data import load_dataset
from trainfer_nb.train import train
from trainfer_nb.tune import tune
diamonds = load_dataset('diamonds')
def hook(frame, event, arg):   # Ctrl-C halfway through the import of a library the call loads
    if event == 'call' and frame.f_code.co_name == '<module>' and frame.f_globals.get('__name__') == sys.argv[2]:
        sys.setprofile(None); signal.raise_signal(signal.SIGINT)
sys.setprofile(hook)
try: eval(sys.argv[1]); print('not interrupted')
except KeyboardInterrupt: print('KeyboardInterrupt')
sys.setprofile(None)
print(f"{eval(sys.argv[1]):.6f}")   # the cell run again
'''

@pytest.mark.parametrize('call, module', [
    ("train(diamonds, 'sklearn', num_boost_round=5, verbose=False).test_metric", 'scipy.ndimage.filters'),   # SciPy, which scikit-learn loads
    ("tune(diamonds, 'lightgbm', n_trials=2, num_boost_round=5, verbose=False).best_value", 'optuna.storages._rdb.storage')])
def test_ctrl_c_while_a_library_loads(call, module):
    "Ctrl-C as a process's first `train` or `tune` loads its library comes out as KeyboardInterrupt once the import is done, and the call again works: stopped halfway, SciPy's ndimage (under scikit-learn) failed every later import with NameError, and Optuna with ImportError or AttributeError."
    from trainfer_nb.data import load_dataset
    from trainfer_nb.train import train
    from trainfer_nb.tune import tune
    expected = eval(call, {'diamonds': load_dataset('diamonds'), 'train': train, 'tune': tune})
    assert run_fresh(FIRST_CALL, call, module) == ['KeyboardInterrupt', f'{expected:.6f}']

FIRST_IMPORT = '''
import signal, sys
def hook(frame, event, arg):   # Ctrl-C halfway through the import of numba, which trainfer_nb.infer loads
    if event == 'call' and frame.f_code.co_name == '<module>' and frame.f_globals.get('__name__') == 'numba.core.typing.context':
        sys.setprofile(None); signal.raise_signal(signal.SIGINT)
sys.setprofile(hook)
try: import trainfer_nb.infer; print('not interrupted')
except KeyboardInterrupt: print('KeyboardInterrupt')
sys.setprofile(None)
import trainfer_nb.infer, numba   # the cell run again
print(numba.njit(lambda x: x * 2)(21))
'''

def test_ctrl_c_while_numba_loads():
    "Ctrl-C as `import trainfer_nb.infer` loads numba comes out as KeyboardInterrupt once numba is loaded, and the import then works: stopped halfway, numba failed every later import ('module numba has no attribute core')."
    assert run_fresh(FIRST_IMPORT) == ['KeyboardInterrupt', '42']
