"""Synthetic data at scale: write N rows as Parquet shards, then stream them back, measuring time, peak memory
and size. The claim under test (issue 3): the shards are written and read with peak RSS far below their size.

    python bench/data_shards.py --rows 10_000_000 --rows-per-shard 500_000
"""
import argparse, json, platform, shutil, sys, time
from pathlib import Path
import numpy as np, psutil
from trainfer_nb.core import ResourceMeter
from trainfer_nb.data import write_shards, iter_batches, synthetic_chunks

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--rows', type=int, default=10_000_000)
    ap.add_argument('--rows-per-shard', type=int, default=500_000)
    ap.add_argument('--features', type=int, default=28)
    ap.add_argument('--dir', default='bench/out/shards', help='where the shards go (removed afterwards unless --keep)')
    ap.add_argument('--keep', action='store_true')
    ap.add_argument('--results', default='bench/results/data_shards')
    a = ap.parse_args()
    out = Path(a.dir); shutil.rmtree(out, ignore_errors=True)
    # what the whole set would take as one in-memory DataFrame: one shard's frame, scaled
    one = next(synthetic_chunks(a.rows_per_shard, a.features, chunk_rows=a.rows_per_shard))
    in_memory = one.memory_usage(deep=True).sum() * a.rows / a.rows_per_shard
    del one
    with ResourceMeter(interval=0.005) as w: write_shards(out, a.rows, a.rows_per_shard, a.features, progress=False)
    on_disk = sum(f.stat().st_size for f in out.glob('*.parquet'))
    total, n = 0.0, 0
    with ResourceMeter(interval=0.005) as r:
        for b in iter_batches(out, batch_rows=65_536, columns=['f00', 'y']):
            total += float(b['y'].sum()); n += len(b)
    assert n == a.rows, (n, a.rows)
    if not a.keep: shutil.rmtree(out)
    mib = 2**20
    res = dict(rows=a.rows, rows_per_shard=a.rows_per_shard, features=a.features, shards=-(-a.rows // a.rows_per_shard),
               in_memory_mib=in_memory / mib, on_disk_mib=on_disk / mib,
               write=dict(wall_s=w.wall_s, cpu_s=w.cpu_s, start_rss_mib=w.start_rss / mib, peak_rss_mib=w.peak_rss / mib,
                          rows_per_s=a.rows / w.wall_s),
               read=dict(wall_s=r.wall_s, start_rss_mib=r.start_rss / mib, peak_rss_mib=r.peak_rss / mib, rows_per_s=a.rows / r.wall_s),
               positive_rate=total / n,
               machine=dict(python=platform.python_version(), cpus=psutil.cpu_count(), memory_gib=psutil.virtual_memory().total / 2**30),
               date=time.strftime('%Y-%m-%d'))
    res['write']['peak_over_in_memory'] = res['write']['peak_rss_mib'] / res['in_memory_mib']
    res['write']['growth_over_in_memory'] = (res['write']['peak_rss_mib'] - res['write']['start_rss_mib']) / res['in_memory_mib']
    md = f"""# Synthetic shards: {a.rows:,} rows × {a.features} features, {res['shards']} shards of {a.rows_per_shard:,} rows

Measured {res['date']} on {res['machine']['cpus']} CPUs, {res['machine']['memory_gib']:.0f} GiB, Python {res['machine']['python']}.

| | value |
|---|---|
| whole set as one DataFrame (estimated from one shard) | {res['in_memory_mib']:,.0f} MiB |
| on disk (Parquet, snappy) | {res['on_disk_mib']:,.0f} MiB |
| write: wall / CPU | {w.wall_s:.1f} s / {w.cpu_s:.1f} s ({res['write']['rows_per_s']:,.0f} rows/s) |
| write: RSS at start → peak | {res['write']['start_rss_mib']:,.0f} → {res['write']['peak_rss_mib']:,.0f} MiB |
| write: peak RSS / in-memory size | {res['write']['peak_over_in_memory']:.2f} (growth above the start: {res['write']['growth_over_in_memory']:.2f}) |
| stream back 2 columns (`iter_batches`, 65,536 rows): wall | {r.wall_s:.1f} s ({res['read']['rows_per_s']:,.0f} rows/s) |
| stream back: RSS at start → peak | {res['read']['start_rss_mib']:,.0f} → {res['read']['peak_rss_mib']:,.0f} MiB |
"""
    Path(a.results).parent.mkdir(parents=True, exist_ok=True)
    Path(a.results + '.json').write_text(json.dumps(res, indent=1))
    Path(a.results + '.md').write_text(md)
    print(md)

if __name__ == '__main__': sys.exit(main())
