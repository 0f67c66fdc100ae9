"The stand-in's `cupy.cuda`: one device, streams and pools that have nothing to wait for or free."
from . import runtime

class Device:
    def __init__(self, i:int=0): self.id = i
    def synchronize(self): pass
    def __enter__(self): return self
    def __exit__(self, *a): pass
    @property
    def mem_info(self): return runtime.memGetInfo()

class Stream:
    def synchronize(self): pass

def get_current_stream(): return Stream()

class MemoryPool:
    def free_all_blocks(self): pass
    def used_bytes(self): return __import__('cupy')._LIVE['bytes']
    def total_bytes(self): return self.used_bytes()

_POOL, _PINNED = MemoryPool(), MemoryPool()
def get_default_memory_pool(): return _POOL
def get_default_pinned_memory_pool(): return _PINNED
