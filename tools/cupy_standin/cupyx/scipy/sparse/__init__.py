"The stand-in's `cupyx.scipy.sparse`: a CSR matrix on the 'device' is a SciPy one inside."
import scipy.sparse as _sp

class csr_matrix:
    def __init__(self, m): self._m = _sp.csr_matrix(m, copy=True)
    shape = property(lambda s: s._m.shape); nnz = property(lambda s: s._m.nnz); dtype = property(lambda s: s._m.dtype)
    def get(self): return self._m.copy()
    def __array__(self, *a, **k): raise TypeError('no implicit conversion of a CuPy sparse matrix; use .get()')

csr_matrix.__module__ = 'cupyx.scipy.sparse._csr'   # CuPy's own
def issparse(x) -> bool: return isinstance(x, csr_matrix)
