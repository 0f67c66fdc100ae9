"NVRTC from the `nvidia-cuda-nvrtc` wheel: CUDA source compiled to PTX as CuPy's RawKernel compiles it, with no GPU."
import ctypes, glob, importlib.util, os

ARCH = 'compute_90'   # Hopper: the lent H100 and H200

class CompileException(Exception): "NVRTC refused the source; the message is its log."

def library() -> ctypes.CDLL|None:
    "NVRTC's shared library from the wheel, or None where it is not installed."
    spec = importlib.util.find_spec('nvidia')
    for folder in (spec.submodule_search_locations if spec else []):
        found = sorted(glob.glob(os.path.join(folder, '*', 'lib', 'libnvrtc.so.*')))
        if found: return ctypes.CDLL(found[0])
    return None

def version(lib:ctypes.CDLL) -> str:
    major, minor = ctypes.c_int(), ctypes.c_int()
    lib.nvrtcVersion(ctypes.byref(major), ctypes.byref(minor))
    return f'{major.value}.{minor.value}'

def ptx(code:str, options=(), arch:str=ARCH, name:str='kernel.cu') -> str:
    "The PTX NVRTC makes of `code` with `options`; `CompileException` with NVRTC's log when it does not compile."
    lib = library()
    if lib is None: raise RuntimeError("NVRTC is not installed (pip install nvidia-cuda-nvrtc)")
    prog = ctypes.c_void_p()
    if lib.nvrtcCreateProgram(ctypes.byref(prog), code.encode(), name.encode(), 0, None, None): raise RuntimeError('nvrtcCreateProgram failed')
    try:
        opts = [f'--gpu-architecture={arch}'.encode(), *(o.encode() for o in options)]
        rc = lib.nvrtcCompileProgram(prog, len(opts), (ctypes.c_char_p * len(opts))(*opts))
        n = ctypes.c_size_t(); lib.nvrtcGetProgramLogSize(prog, ctypes.byref(n))
        log = ctypes.create_string_buffer(n.value); lib.nvrtcGetProgramLog(prog, log)
        if rc: raise CompileException(log.value.decode(errors='replace').strip() or f'NVRTC error {rc}')
        lib.nvrtcGetPTXSize(prog, ctypes.byref(n)); out = ctypes.create_string_buffer(n.value); lib.nvrtcGetPTX(prog, out)
        return out.value.decode()
    finally: lib.nvrtcDestroyProgram(ctypes.byref(prog))
