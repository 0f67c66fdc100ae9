"The GPU check's runner (tools/gpu_check.py), tested here where no GPU is: it runs on a lent machine once, and must work the first time."
import json, os, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'tools'))
from gpu_check import cell_flags, run_cell, run_notebook

def notebook(tmp_path, *cells):
    p = tmp_path / 'nb.ipynb'
    p.write_text(json.dumps({'cells': [{'cell_type': 'code', 'source': c.splitlines(keepends=True)} for c in cells]}))
    return p

def test_cell_value_is_its_last_expression():
    ns = {}
    assert run_cell("x = 2\nx * 3", ns, 'c') == 6
    assert run_cell("y = 1", ns, 'c') is None and ns['y'] == 1
    assert run_cell("def f(): return 4\nf()", ns, 'c') == 4
    assert run_cell("import inspect\ndef g(): return 5\ninspect.getsource(g)", ns, 'cell 3') == "def g(): return 5\n"   # as fastcore's docments needs

def test_flags():
    assert cell_flags("#| gpu\nx = 1") == {'gpu'}
    assert cell_flags("#| export\n#| slow\nx = 1") == {'export', 'slow'}
    assert cell_flags("#| default_exp core\nx = 1") == set()

def test_flagged_cells_run_only_when_asked_and_show_their_values(tmp_path, capsys):
    p = notebook(tmp_path, "a = 5", "#| gpu\nfrom nbdev.showdoc import show_doc\na + 1", "b = a * 2\nb")
    r = run_notebook(p, {'gpu'})
    assert r['ok'] and r['cells'] == 3 and r['flagged'] == 1, r
    assert r['shown'] == {'cell 1': '6'}                      # a GPU cell's measurement is kept; the nbdev line left out
    assert 'nb.ipynb cell 1: 6' in capsys.readouterr().out
    r = run_notebook(p, set())
    assert r['ok'] and r['cells'] == 2 and r['shown'] == {}

def test_a_failing_cell_is_reported_with_its_traceback_and_the_rest_still_run(tmp_path, capsys):
    r = run_notebook(notebook(tmp_path, "x = 1", "y = undefined_name", "z = x + 1", "#| gpu\nz * 10", "#| gpu\n1 / 0"), {'gpu'})
    assert not r['ok'] and r['cells'] == 3 and r['flagged'] == 1, r   # a device call is scarce: the GPU cells after a failure run too
    assert r['failed_cells'] == [1, 4] and r['failed_flagged'] == [4] and r['shown'] == {'cell 3': '20'}
    assert "NameError: name 'undefined_name' is not defined" in r['error']   # the first failure's traceback
    out = capsys.readouterr().out
    assert "nb.ipynb cell 1 FAILED: NameError: name 'undefined_name' is not defined" in out and "nb.ipynb cell 4 (gpu) FAILED: ZeroDivisionError" in out

def test_what_the_cells_define_pickles(tmp_path):
    "scikit-learn's check_estimator pickles the estimator a notebook's cells define (05_estimators): the cells run in a module that is `__main__` meanwhile, as in Jupyter."
    r = run_notebook(notebook(tmp_path, "class A:\n    x = 1", "#| gpu\nimport pickle\ntype(pickle.loads(pickle.dumps(A()))).__name__"), {'gpu'})
    assert r['ok'] and r['shown'] == {'cell 1': "'A'"}, r
    assert sys.modules['__main__'].__name__ == '__main__' and not hasattr(sys.modules['__main__'], 'A')   # put back after the run

def test_runs_a_real_notebook_and_writes_its_report(tmp_path):
    out = tmp_path / 'out'
    r = subprocess.run([sys.executable, str(ROOT / 'tools' / 'gpu_check.py'), '--nbs', 'nbs/00_core.ipynb', '--flags', '',
                        '--rounds', '0', '--bench', 'quick', '--out', str(out)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert '3 passed, 0 failed' in r.stdout   # the notebook, and the GPU benches' dry runs (their CPU rows)
    report = json.loads((out / 'gpu-check.json').read_text())
    assert report['notebooks'][0]['notebook'] == '00_core.ipynb' and report['notebooks'][0]['ok']
    assert report['bench'] == {'infer_gpu.py': 0, 'train_gpu.py': 0}
    trained = json.loads((out / 'train_gpu.json').read_text())['runs']
    assert [(t['backend'], t['device']) for t in trained] == [('xgboost', 'cpu')] * 2 + [('lightgbm', 'cpu')] * 2
    assert all(t['max_diff_vs_first_run'] == 0 and t['test_metric'] > 0.88 for t in trained), trained   # the CPU gives the same model twice
    assert '| flights | lightgbm | cpu |' in (out / 'train_gpu.md').read_text()
    bench = json.loads((out / 'infer_gpu.json').read_text())
    rates = {x['predictor']: x['rows_per_s'] for x in bench['models'][0]['rows_per_s']}
    assert set(rates) == {'trainfer cpu', 'xgboost inplace_predict, cpu'} and min(rates.values()) > 0, rates
    assert bench['models'][0]['max_abs_diff_vs_trainfer_cpu']['xgboost inplace_predict, cpu'] < 1e-5
    assert '| trainfer cpu | numpy | 65,536 |' in (out / 'infer_gpu.md').read_text()

def test_a_check_cut_off_keeps_the_steps_it_finished(tmp_path):
    "The device call's time limit may cut the check off in a bench: the notebooks' results are in gpu-check.json by then."
    import time
    p = subprocess.Popen([sys.executable, str(ROOT / 'tools' / 'gpu_check.py'), '--nbs', 'nbs/00_core.ipynb', '--flags', '',
                          '--rounds', '0', '--bench', 'full', '--out', str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)   # its group, the bench it runs with it
    try:
        for _ in range(600):
            if (tmp_path / 'gpu-check.json').exists() or p.poll() is not None: break
            time.sleep(0.5)
    finally: os.killpg(p.pid, 9); p.wait()
    report = json.loads((tmp_path / 'gpu-check.json').read_text())
    assert [nb['notebook'] for nb in report['notebooks']] == ['00_core.ipynb'] and report['notebooks'][0]['ok'], report
    assert report['bench'] in (None, {}), report['bench']   # killed in the first bench, which had not finished

# What the lent GPU machine has (its image's package list, /work/.library/device/KINDS.md) and what tools/gpu-wheels carries there
LENT_MACHINE = {'numpy', 'pandas', 'pyarrow', 'scipy', 'sklearn', 'psutil', 'tqdm', 'cupy', 'numba', 'hypothesis', 'matplotlib', 'yaml',
                'joblib', 'threadpoolctl', 'xgboost', 'lightgbm', 'skops', 'fastcore', 'trainfer_nb'}

def test_the_gpu_notebooks_import_only_what_the_lent_machine_has():
    import ast
    from gpu_check import has_gpu_cell, NBDEV_LINE
    missing = {}
    for nb in [p for p in sorted((ROOT / 'nbs').glob('[0-9]*.ipynb')) if has_gpu_cell(p)]:
        for c in json.loads(nb.read_text())['cells']:
            if c['cell_type'] != 'code': continue
            src = '\n'.join(l for l in ''.join(c['source']).splitlines() if not NBDEV_LINE.match(l) and not l.startswith(('%', '!')))
            for node in ast.walk(ast.parse(src)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
                for top in {n.split('.')[0] for n in names}:
                    if top not in sys.stdlib_module_names and top not in LENT_MACHINE: missing.setdefault(nb.name, set()).add(top)
    assert not missing, missing

def test_the_gpu_cells_walk_on_a_cupy_standin(tmp_path):
    """Every `#| gpu` cell, the GPU benches' device rows and the demo on the GPU run here on the CuPy stand-in
    (tools/cupy_standin: arrays that are not NumPy's, the CUDA kernel built by NVRTC and by the host compiler): what fails
    on it for a reason other than speed would fail on the lent GPU too, and waste its one call. Speed it cannot show: a
    cell that asks the GPU to beat the CPU may fail on that assertion alone."""
    env = {**os.environ, 'PYTHONPATH': os.pathsep.join([str(ROOT / 'tools' / 'cupy_standin'), str(ROOT)])}
    r = subprocess.run([sys.executable, str(ROOT / 'tools' / 'gpu_check.py'), '--rounds', '5', '--bench', 'quick', '--out', str(tmp_path)],
                       env=env, capture_output=True, text=True, timeout=900)
    report = json.loads((tmp_path / 'gpu-check.json').read_text())
    assert report['info']['GPUs'].startswith('0: CuPy stand-in (host)'), report['info']   # the stand-in, not CuPy
    gpu_cells, wrong = 0, {}
    for nb in report['notebooks']:
        cells = [''.join(c['source']) for c in json.loads((ROOT / 'nbs' / nb['notebook']).read_text())['cells'] if c['cell_type'] == 'code']
        gpu_cells += sum('gpu' in cell_flags(c) for c in cells)
        for i, last in nb['failures'].items():
            if not ('gpu' in cell_flags(cells[int(i)]) and 'throughput(' in cells[int(i)] and last.startswith('AssertionError')):
                wrong[f"{nb['notebook']} cell {i}"] = last
    assert not wrong, (wrong, r.stdout[-3000:])
    assert gpu_cells >= 9 and sum(nb['flagged'] for nb in report['notebooks']) >= gpu_cells - 1, report['notebooks']
    assert report['bench'] == {'infer_gpu.py': 0, 'train_gpu.py': 0}, r.stdout[-3000:]
    rates = {x['predictor'] + ', ' + x['input'] for x in json.loads((tmp_path / 'infer_gpu.json').read_text())['models'][0]['rows_per_s']}
    assert {'trainfer cuda, cupy', 'trainfer cuda, numpy', 'xgboost inplace_predict, cuda, cupy'} <= rates, rates
    demo = {dev: {m['model']: (m['device'], m['test_auc']) for m in rows} for dev, rows in report['demo'].items()}   # device, test AUC
    assert demo['auto']['xgboost'][0] == 'cuda' and demo['cpu']['xgboost'][0] == 'cpu', demo   # the demo on the 'GPU' and the CPU
    assert demo['auto']['xgboost'][1] == demo['cpu']['xgboost'][1] > 0.85, demo   # XGBoost ran on the CPU both times here

def test_the_cuda_kernel_compiles_with_nvrtc_and_fuses_no_multiply_adds():
    """NVRTC (the `nvidia-cuda-nvrtc` wheel; no GPU needed) compiles the kernel's source to PTX for Hopper with the options
    CuPy is given. Without `--fmad=false` it fuses a linear leaf's multiply-add (one `fma.rn` in the PTX), and the GPU's
    margins would part from the CPU's; with it, none."""
    import importlib.util   # the stand-in's NVRTC module alone: the stand-in must not become this process's `cupy`
    spec = importlib.util.spec_from_file_location('standin_nvrtc', ROOT / 'tools' / 'cupy_standin' / 'cupy' / '_nvrtc.py')
    _nvrtc = importlib.util.module_from_spec(spec); spec.loader.exec_module(_nvrtc)
    from trainfer_nb.forest import CUDA_SOURCE, CUDA_OPTIONS
    assert _nvrtc.library() is not None, 'NVRTC is a dev requirement: pip install nvidia-cuda-nvrtc'
    ptx = _nvrtc.ptx(CUDA_SOURCE, CUDA_OPTIONS)
    assert '.entry forest_margins(' in ptx and ptx.count('fma.rn') == 0, ptx.count('fma.rn')
    assert _nvrtc.ptx(CUDA_SOURCE).count('fma.rn') >= 1   # NVRTC's default, --fmad=true
    try: _nvrtc.ptx(CUDA_SOURCE.replace('isnan(', 'is_nan('), CUDA_OPTIONS)
    except _nvrtc.CompileException as e: assert 'identifier "is_nan" is undefined' in str(e)
    else: raise AssertionError('NVRTC took a source with an undefined name')
