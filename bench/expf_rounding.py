"""How often the C library's `expf` and a float64 exponential rounded to float32 part, over every float32 argument.

XGBoost takes its sigmoid, softmax and exponential in float32 with the C library's `expf`; so does the compiled
forest's CPU engine (numba's `math.exp` of a float32 calls it). The CUDA engine rounds a float64 exponential
instead (CUDA's `expf` is another function again). Where the two exponentials part, a row's prediction on the two
engines is a float32 step apart. This counts those arguments exactly, enumerating every float32 within ±88.7
(XGBoost's sigmoid clips there), on this machine's C library:

    python bench/expf_rounding.py
    python bench/expf_rounding.py --quick --results DIR/name   # arguments of magnitude 64 to 88.7 only: a smoke run
"""
import json, math, platform, time
from pathlib import Path
import numba as nb, numpy as np
from _options import options

CHUNKS = 256

@nb.njit(parallel=True)
def parted(lo:int, hi:int):
    "How many float32 bit patterns in [lo, hi) have expf(x) != float32(exp(float64(x))), and up to one example per chunk."
    per = (hi - lo + CHUNKS - 1) // CHUNKS
    count, example = np.zeros(CHUNKS, np.int64), np.full(CHUNKS, -1, np.int64)
    steps, sig_steps, sig_count = np.zeros(CHUNKS, np.int64), np.zeros(CHUNKS, np.int64), np.zeros(CHUNKS, np.int64)
    one, tiny = np.float32(1), np.float32(1e-16)
    for c in nb.prange(CHUNKS):
        bits, e, s = np.empty(1, np.uint32), np.empty(2, np.float32), np.empty(2, np.float32)
        for i in range(lo + c * per, min(hi, lo + (c + 1) * per)):
            bits[0] = np.uint32(i); x = bits.view(np.float32)[0]
            e[0] = math.exp(x); e[1] = np.float32(math.exp(np.float64(x)))
            if e[0] != e[1]:
                count[c] += 1
                if example[c] < 0: example[c] = i
                u = e.view(np.int32)   # both positive: float32 steps apart is their bit patterns' difference
                steps[c] = max(steps[c], abs(np.int64(u[0]) - np.int64(u[1])))
                s[0] = one / (e[0] + one + tiny); s[1] = one / (e[1] + one + tiny)   # XGBoost's sigmoid of the margin -x, in float32
                v = s.view(np.int32)
                if v[0] != v[1]: sig_count[c] += 1
                sig_steps[c] = max(sig_steps[c], abs(np.int64(v[0]) - np.int64(v[1])))
    return count.sum(), example[example >= 0], steps.max(), sig_count.sum(), sig_steps.max()

def as_float(bits) -> list: return [float(v) for v in np.asarray(bits, np.uint32).view(np.float32)]

def main():
    opts = options(__doc__, 'expf_rounding', 'only the arguments of magnitude 64 to 88.7')
    edge = int(np.float32([88.7]).view(np.uint32)[0])   # the bit pattern of 88.7; below it, every positive float32 (0 included)
    low = int(np.float32([64]).view(np.uint32)[0]) if opts.quick else 0
    t0 = time.perf_counter()
    pos, pos_ex, pos_steps, pos_sig, pos_sig_steps = parted(low, edge + 1)
    neg, neg_ex, neg_steps, neg_sig, neg_sig_steps = parted(0x80000000 + low, 0x80000000 + edge + 1)   # -0 (or -64) down to -88.7
    total = 2 * (edge + 1 - low)
    within = f"of magnitude {as_float([low])[0]:g} to 88.7" if low else "within ±88.7"
    libc = ' '.join(platform.libc_ver())
    r = dict(when=time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()), machine=platform.processor() or platform.machine(), libc=libc,
             numba=nb.__version__, arguments=total, parted=int(pos + neg), positive=int(pos), negative=int(neg),
             share=(pos + neg) / total, most_steps=int(max(pos_steps, neg_steps)), sigmoids_parted=int(pos_sig + neg_sig), sigmoid_most_steps=int(max(pos_sig_steps, neg_sig_steps)), seconds=round(time.perf_counter() - t0, 1),
             examples=sorted(as_float(pos_ex[:5]) + as_float(neg_ex[:5]), key=abs))
    stem = opts.results
    Path(stem + '.json').write_text(json.dumps(r, indent=1))
    Path(stem + '.md').write_text(
        f"# The C library's expf against a float64 exponential rounded to float32\n\n"
        f"{r['when']}, {libc}, numba {nb.__version__}; every float32 argument {within} ({total:,}), enumerated in {r['seconds']} s. "
        "`bench/expf_rounding.py`.\n\n"
        "| arguments | where the two part | share |\n|---:|---:|---:|\n"
        f"| {total:,} | {pos + neg:,} ({pos:,} positive, {neg:,} negative) | {100 * r['share']:.4f}% |\n\n"
        f"They part by at most {r['most_steps']} float32 step{'s' if r['most_steps'] > 1 else ''}. XGBoost's sigmoid of such an argument "
        f"(`1 / (exp(-margin) + 1 + 1e-16)`, in float32) parts on {r['sigmoids_parted']:,} of them, by at most {r['sigmoid_most_steps']} float32 steps. Some arguments where they part: {', '.join(f'{v:.7g}' for v in r['examples'])}.\n\n"
        "The CPU engine and XGBoost take `expf`; the CUDA engine the rounded float64 exponential. A row of an XGBoost model "
        "whose sigmoid, softmax or exponential meets one of these arguments scores a few float32 steps apart on the two engines "
        "(03_forest tests which rows, on NumPy margins; the GPU cells allow 4 steps).\n")
    print(Path(stem + '.md').read_text())

if __name__ == '__main__': main()
