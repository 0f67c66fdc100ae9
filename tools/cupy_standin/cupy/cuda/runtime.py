"The stand-in's CUDA runtime: one 80 GiB device, 500 MiB of it taken before the process starts."
TOTAL, TAKEN = 80 * 2**30, 500 * 2**20

def getDeviceCount() -> int: return 1
def getDeviceProperties(i:int) -> dict: return {'name': b'CuPy stand-in (host)', 'totalGlobalMem': TOTAL}
def memGetInfo() -> tuple: return TOTAL - TAKEN - __import__('cupy')._LIVE['bytes'], TOTAL
def driverGetVersion() -> int: return 13000
def runtimeGetVersion() -> int: return 13000
