"""Run the notebooks' test cells with the `gpu` flag on, then bench/infer_gpu.py and bench/train_gpu.py, then the demo on the GPU beside the CPU.

The lent GPU machine has no nbdev, IPython or network, so this runs each notebook's code cells in order in one
namespace, as `nbdev_test` does: cells flagged with a `tst_flags` flag run only when that flag is asked for
(`--flags gpu` by default), lines that import nbdev are left out. Notebook cells here are plain Python. Unlike
`nbdev_test` it goes on past a failing cell, so the GPU cells after it are still run in the one call.
"""
import argparse, ast, json, linecache, re, subprocess, sys, time, traceback, types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TST_FLAGS = {'notest', 'slow', 'gpu'}
BENCHES = ('infer_gpu.py', 'train_gpu.py')   # under bench/: each writes its .md and .json to the output folder
NBDEV_LINE = re.compile(r'^\s*(from nbdev\b|import nbdev\b|show_doc\()')

def cell_flags(src:str) -> set:
    "The `#| word` flags of a cell (single-word directives such as gpu, slow, hide, export)."
    return {l[2:].strip() for l in src.splitlines() if l.startswith('#|') and len(l[2:].split()) == 1}

def has_gpu_cell(path:Path) -> bool:
    return any('gpu' in cell_flags(''.join(c['source'])) for c in json.loads(path.read_text())['cells'] if c['cell_type'] == 'code')

def run_cell(code:str, ns:dict, name:str):
    "Run `code` in `ns` as a notebook cell does: the value of a last bare expression is returned (else None)."
    linecache.cache[name] = (len(code), None, code.splitlines(True), name)   # `inspect.getsource` reads cells too (fastcore's docments)
    tree = ast.parse(code, name)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, name, 'exec'), ns)
    return None if last is None else eval(compile(ast.Expression(last.value), name, 'eval'), ns)

def run_notebook(path:Path, flags:set) -> dict:
    """Run the test cells of notebook `path`; cells flagged with a test flag not in `flags` are skipped. What the flagged
    cells show (their last expression) is printed and kept: those are the measurements of the GPU cells. A failing cell
    does not stop the run (unlike nbdev_test): a device call is scarce, and the GPU cells after a failure still say
    something; later failures may follow from the first, whose traceback is `error`."""
    cells = [''.join(c['source']) for c in json.loads(path.read_text())['cells'] if c['cell_type'] == 'code']
    main = types.ModuleType('__main__')   # the cells' namespace is a module, `__main__` while they run: pickle finds the classes they define
    ns, ran, flagged, shown, failed, t0 = main.__dict__, 0, 0, {}, {}, time.perf_counter()
    saved, sys.modules['__main__'] = sys.modules['__main__'], main
    try:
        for i, src in enumerate(cells):
            fl = cell_flags(src) & TST_FLAGS
            if fl - flags: continue
            code = '\n'.join(l for l in src.splitlines() if not NBDEV_LINE.match(l))
            try: value = run_cell(code, ns, f'{path.name}[cell {i}]')
            except Exception:
                failed[i] = traceback.format_exc(limit=-3)
                print(f"  {path.name} cell {i}{' (' + ', '.join(sorted(fl)) + ')' if fl else ''} FAILED: {failed[i].strip().splitlines()[-1][:300]}", flush=True)
                continue
            ran += 1; flagged += bool(fl)
            if fl and value is not None:
                shown[f'cell {i}'] = repr(value)[:4000]
                print(f"  {path.name} cell {i}: {shown[f'cell {i}']}", flush=True)
    finally: sys.modules['__main__'] = saved
    r = dict(notebook=path.name, ok=not failed, cells=ran, flagged=flagged, seconds=time.perf_counter() - t0, shown=shown,
             failed_cells=list(failed), failed_flagged=[i for i in failed if cell_flags(cells[i]) & TST_FLAGS],
             failures={i: tb.strip().splitlines()[-1] for i, tb in failed.items()})
    if failed: r['error'] = next(iter(failed.values()))
    return r

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--flags', default='gpu', help="test flags to run, space-separated ('' for none)")
    ap.add_argument('--nbs', default='', help='notebooks to run (glob under the repo); default: those with a `gpu` cell')
    ap.add_argument('--rounds', type=int, default=200, help='boosting rounds in the demo; 0 skips it')
    ap.add_argument('--bench', default='full', choices=('full', 'quick', 'none'), help='bench/infer_gpu.py (CUDA kernel against XGBoost on the GPU) and bench/train_gpu.py (training on the GPU beside the CPU)')
    ap.add_argument('--out', default='bench/out', help='folder for the JSON and Markdown results')
    a = ap.parse_args()
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))
    from trainfer_nb.cli import system_info, format_info, run_demo, format_demo
    results = []
    report = dict(info=system_info(), notebooks=results, demo={}, bench=None)
    print(format_info(report['info']), flush=True)
    def save():   # after each step, whole or not at all: a call cut off at its time limit keeps what ran before
        tmp = out / 'gpu-check.json.tmp'
        tmp.write_text(json.dumps(report, indent=1, default=str)); tmp.replace(out / 'gpu-check.json')
    nbs = sorted(ROOT.glob(a.nbs)) if a.nbs else [nb for nb in sorted(ROOT.glob('nbs/[0-9]*.ipynb')) if has_gpu_cell(nb)]
    for nb in nbs:
        r = run_notebook(nb, set(a.flags.split()))
        results.append(r)
        print(f"{'ok  ' if r['ok'] else 'FAIL'} {r['notebook']:<20} {r['cells']:>3} cells passed ({r['flagged']} flagged)"
              + (f", cells {r['failed_cells']} failed ({len(r['failed_flagged'])} flagged)" if not r['ok'] else '') + f" {r['seconds']:6.1f} s", flush=True)
        if not r['ok']: print(f"the first failure (cell {r['failed_cells'][0]}):\n{r['error']}", flush=True)
        save()
    if a.bench != 'none':   # each in its own process: a failure there leaves the other results standing
        report['bench'] = {}
        for script in BENCHES:
            cmd = [sys.executable, str(ROOT / 'bench' / script), '--out', str(out)] + (['--quick'] if a.bench == 'quick' else [])
            report['bench'][script] = subprocess.run(cmd, cwd=ROOT).returncode
            print(f"bench/{script}: exit {report['bench'][script]}", flush=True)
            save()
    if a.rounds:
        for dev in ('auto', 'cpu'):
            df = run_demo(rounds=a.rounds, device=dev)
            print(f"\ndemo, {a.rounds} rounds, device={dev!r}:\n{format_demo(df)}", flush=True)
            report['demo'][dev] = df.reset_index().to_dict(orient='records')
            (out/f'demo-{dev}.txt').write_text(format_demo(df) + '\n')
            save()
    save()
    benches = report['bench'] or {}
    failed = [r['notebook'] for r in results if not r['ok']] + [f'bench/{s}' for s, rc in benches.items() if rc]
    print(f"\n{len(results) + len(benches) - len(failed)} passed, {len(failed)} failed" + (f": {', '.join(failed)}" if failed else ''))
    return 1 if failed else 0

if __name__ == '__main__': sys.exit(main())
