"A strict CuPy stand-in on the host (see ../README.md): arrays that are not NumPy arrays, kernels built by the host compiler."
import ctypes as _ct, pathlib as _pl, re as _re, shutil as _sh, subprocess as _sp, tempfile as _tf
import numpy as _np
from . import cuda, _nvrtc

_LIVE = {'bytes': 0}   # what the stand-in arrays hold: the device's used memory

def _wrap(x):
    if isinstance(x, _np.ndarray): return ndarray(x)
    if isinstance(x, tuple): return tuple(_wrap(v) for v in x)
    return x

def _unwrap(x):
    "NumPy values of stand-in arrays; a NumPy array among them is refused, as CuPy refuses it."
    if isinstance(x, ndarray): return x._a
    if isinstance(x, _np.ndarray) and x.ndim > 0: raise TypeError("Unsupported type <class 'numpy.ndarray'>")
    if isinstance(x, (list, tuple)): return type(x)(_unwrap(v) for v in x)
    return x

def _unwrap_kw(k:dict) -> dict: return {n: _unwrap(v) for n, v in k.items()}

class ndarray:
    "A device array: a NumPy array inside, none outside."
    def __init__(self, a:_np.ndarray):
        self._a = a; _LIVE['bytes'] += a.nbytes
    def __del__(self):
        try: _LIVE['bytes'] -= self._a.nbytes
        except Exception: pass
    def get(self, stream=None): return self._a.copy()
    def __array__(self, *a, **k):
        raise TypeError("Implicit conversion to a NumPy array is not allowed. Please use `.get()` to construct a NumPy array explicitly.")
    shape = property(lambda s: s._a.shape); dtype = property(lambda s: s._a.dtype); ndim = property(lambda s: s._a.ndim)
    size = property(lambda s: s._a.size); nbytes = property(lambda s: s._a.nbytes); flags = property(lambda s: s._a.flags)
    strides = property(lambda s: s._a.strides); T = property(lambda s: ndarray(s._a.T))
    def __len__(self): return len(self._a)
    def __repr__(self): return 'stand-in cupy ' + repr(self._a)
    def __iter__(self): return (ndarray(_np.asarray(v)) for v in self._a)
    def __getitem__(self, k): return ndarray(_np.asarray(self._a[_unwrap(k)]))
    def __setitem__(self, k, v): self._a[_unwrap(k)] = _unwrap(v)
    def __bool__(self): return bool(self._a)
    def __float__(self): return float(self._a)
    def __int__(self): return int(self._a)
    def __index__(self): return self._a.__index__()
    def item(self): return self._a.item()
    def tolist(self): return self._a.tolist()
    def __array_ufunc__(self, ufunc, method, *inputs, **kw):
        if 'out' in kw: kw['out'] = tuple(_unwrap(o) for o in kw['out'])
        return _wrap(_np.asarray(getattr(ufunc, method)(*[_unwrap(i) for i in inputs], **kw)))
    def __array_function__(self, func, types, args, kwargs): return _wrap(func(*_unwrap(args), **_unwrap_kw(kwargs)))
    def __getattr__(self, name):   # astype, reshape, ravel, copy, sum, max, any, argmax, ...: NumPy's, results on the device
        if name.startswith('__') or name == '_a': raise AttributeError(name)
        f = getattr(self._a, name)
        if not callable(f): return _wrap(f)
        def method(*a, **k):
            r = f(*_unwrap(a), **_unwrap_kw(k))
            return ndarray(_np.asarray(r)) if _np.isscalar(r) else _wrap(r)
        return method

def _binary(op): return lambda s, o: _wrap(_np.asarray(getattr(s._a, op)(_unwrap(o))))
for _op in ('add', 'sub', 'mul', 'truediv', 'floordiv', 'mod', 'pow', 'matmul', 'gt', 'lt', 'ge', 'le', 'eq', 'ne', 'and', 'or',
            'xor', 'radd', 'rsub', 'rmul', 'rtruediv', 'rand', 'ror'):
    setattr(ndarray, f'__{_op}__', _binary(f'__{_op}__'))
for _op in ('neg', 'invert', 'abs'):
    setattr(ndarray, f'__{_op}__', (lambda op: lambda s: ndarray(getattr(s._a, op)()))(f'__{_op}__'))
ndarray.__module__ = 'cupy._core.core'   # CuPy's own

def asarray(x, dtype=None, order=None):
    if isinstance(x, ndarray): return x if dtype is None or x.dtype == dtype else ndarray(x._a.astype(dtype))
    if type(x).__module__.startswith('cupyx'): raise TypeError('cupy.asarray does not take a cupyx sparse matrix')
    return ndarray(_np.array(x, dtype=dtype, order=order or 'K', copy=True))   # host to device: a copy

array = asarray
def asnumpy(x, stream=None): return x.get() if isinstance(x, ndarray) else _np.asarray(x)
def get_array_module(*args): return __import__('cupy') if any(isinstance(a, ndarray) for a in args) else _np
def get_default_memory_pool(): return cuda.get_default_memory_pool()
def get_default_pinned_memory_pool(): return cuda.get_default_pinned_memory_pool()

def __getattr__(name):   # zeros, empty, concatenate, where, ...: NumPy's on stand-in arrays; dtypes and constants as they are
    g = getattr(_np, name)
    if not callable(g) or isinstance(g, type): return g
    return lambda *a, **k: _wrap(g(*_unwrap(a), **_unwrap_kw(k)))

_HOST = r'''
#include <cmath>
using std::isnan; using std::fabs; using std::fmin;
struct Dim3 { unsigned x, y, z; };
static Dim3 blockIdx, threadIdx, blockDim;
#define __global__
#define __device__
'''
_POINTEE = {'float': _np.float32, 'double': _np.float64, 'int': _np.int32, 'unsigned int': _np.uint32, 'long long': _np.int64}
_SCALAR = {'int': (_np.int32, _ct.c_int), 'long long': (_np.int64, _ct.c_longlong), 'double': (_np.float64, _ct.c_double),
           'float': (_np.float32, _ct.c_float), 'unsigned int': (_np.uint32, _ct.c_uint)}

def _c_type(param:str) -> str: return param.replace('const ', '').rsplit('*' if '*' in param else ' ', 1)[0].strip()

class RawKernel:
    "The kernel `name` of CUDA source `code`, built for the host; a call runs every thread of the grid in turn."
    def __init__(self, code:str, name:str, options=()):
        if '--fmad=false' not in options: raise ValueError(f"stand-in: options {options} let NVRTC fuse multiply-adds; the host build does not")
        m = _re.search(r'extern "C" __global__ void ' + name + r'\((.*?)\)\s*\{', code, _re.S)
        if not m: raise ValueError(f'stand-in: no extern "C" __global__ kernel {name!r} in the source')
        self.ptx = _nvrtc.ptx(code, options) if _nvrtc.library() else None   # what NVRTC makes of it, as CuPy would compile it
        self.params = [' '.join(p.split()) for p in m.group(1).split(',')]
        names = [p.split()[-1].lstrip('*') for p in self.params]
        src = (_HOST + code + f'\nextern "C" void launch(int grid, int block, {", ".join(self.params)}) {{\n  blockDim.x = block;\n'
               '  for (unsigned b = 0; b < (unsigned)grid; ++b) for (unsigned t = 0; t < (unsigned)block; ++t) {\n'
               f'    blockIdx.x = b; threadIdx.x = t; {name}({", ".join(names)});\n  }}\n}}\n')
        d = _pl.Path(_tf.mkdtemp()); (d / 'k.cpp').write_text(src)
        _sp.run([_sh.which('g++') or 'c++', '-O2', '-ffp-contract=off', '-shared', '-fPIC', '-o', str(d / 'k.so'), str(d / 'k.cpp')], check=True)
        self.fn = _ct.CDLL(str(d / 'k.so')).launch
        self.fn.argtypes = [_ct.c_int, _ct.c_int] + [_ct.c_void_p if '*' in p else _SCALAR[_c_type(p)][1] for p in self.params]
        self.grids = []

    def _arg(self, a, p:str):
        if '*' in p:
            if not isinstance(a, ndarray): raise TypeError(f'kernel argument {p!r}: {type(a).__name__}, not a CuPy array')
            if not a.flags['C_CONTIGUOUS'] or a.dtype != _POINTEE[_c_type(p)]: raise TypeError(f'kernel argument {p!r}: {a.dtype}, strides {a.strides}')
            return a._a.ctypes.data
        want = _SCALAR[_c_type(p)][0]
        if type(a) is not want: raise TypeError(f'kernel argument {p!r}: {type(a).__name__}, not {want.__name__} (CuPy would pass it with another size)')
        return a.item()

    def __call__(self, grid:tuple, block:tuple, args:tuple):
        if len(args) != len(self.params): raise TypeError(f'the kernel takes {len(self.params)} arguments, given {len(args)}')
        c = [self._arg(a, p) for a, p in zip(args, self.params)]
        self.grids.append((grid, block))
        self.fn(grid[0], block[0], *c)
