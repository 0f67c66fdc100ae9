"""Run at start-up when this folder is on PYTHONPATH: XGBoost reads the CuPy stand-in's arrays as it reads CuPy's, and
`inplace_predict` returns one for one, as on a GPU. XGBoost finds no GPU and runs on the CPU (with its warning)."""
import importlib.abc, importlib.machinery, sys

def _on_host(x):
    if type(x).__module__.startswith('cupy._core'): return x._a
    if type(x).__module__.startswith('cupyx'): return x._m
    return x

def _patch(xgb):
    import cupy
    for cls in (xgb.DMatrix, xgb.QuantileDMatrix):
        def init(self, data=None, label=None, *a, _init=cls.__init__, **k):
            return _init(self, _on_host(data), _on_host(label), *map(_on_host, a), **{n: _on_host(v) for n, v in k.items()})
        cls.__init__ = init
    def inplace_predict(self, data, *a, _predict=xgb.Booster.inplace_predict, **k):
        out = _predict(self, _on_host(data), *a, **k)
        return cupy.ndarray(out) if isinstance(data, cupy.ndarray) else out
    xgb.Booster.inplace_predict = inplace_predict

class _PatchXGBoost(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != 'xgboost': return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        run = spec.loader.exec_module
        def exec_module(module): run(module); _patch(module)
        spec.loader.exec_module = exec_module
        return spec

sys.meta_path.insert(0, _PatchXGBoost())
