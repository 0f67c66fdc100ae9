"""The documentation site, built without Quarto: nbdev's own notebook processing, rendered to HTML by nbconvert.

    python tools/docs.py              # the docs as the notebooks stand: prose, examples, `show_doc` of every exported name
    python tools/docs.py --execute    # run the notebooks first (skipping the cells nbdev_test skips) so that the
                                      # examples show their output; takes about as long as the notebook tests

One page per notebook, named as nbdev names them (`00_core.ipynb` -> `core.html`), in settings.ini's `doc_path`
(`_docs/`) or `--out`. Quarto cannot be installed on the development machines, and `nbdev_docs` would try to.
"""
import argparse, os, re, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUARTO_ATTRS = re.compile(r'(?<=\))\{[^}\n]*\}')           # `[source](url){target="_blank" ...}`: Quarto link attributes
HEADING_ID = re.compile(r'(<h[1-6][^>]* id=")([^"]+)(")')
LOCAL_FRAGMENT = re.compile(r'(href="(?:[\w.-]+\.html)?#)([^"]+)(")')
PRIVATE_LINK = re.compile(r'<a href="(?:[\w.-]+\.html)?#_[^"]*">(.*?)</a>')   # nbdev links `_helper` but documents no private name
LOCAL_IMAGE = re.compile(r'(<img[^>]* src=")(?!data:|https?:)([^"]+)(")')


def execute_one(src:Path, dest:Path, skip:set) -> str:
    "Run notebook `src` as `nbdev_test` does (in its folder, cells flagged with `skip` left out); write it with outputs to `dest`."
    from execnb.shell import CaptureShell
    from execnb.nbio import read_nb, write_nb
    from nbdev.process import extract_directives
    from fastcore.xtras import working_directory
    os.environ['IN_TEST'] = '1'
    nb = read_nb(src)
    def no_eval(cell):
        if cell.cell_type != 'code' or 'nbdev_export(' in cell.source: return True
        return bool(skip & set(extract_directives(cell, remove=False)))
    shell = CaptureShell(src)
    try:
        with working_directory(src.parent): shell.run_all(nb, exc_stop=True, preproc=no_eval)
    except Exception: return shell.prettytb(fname=src)
    write_nb(nb, dest)
    return ''


def execute(nbs:Path, dest:Path, n_workers:int=2):
    "Every notebook of `nbs` run into `dest`, each in a process of its own; stops naming the notebooks that failed."
    import subprocess
    from concurrent.futures import ThreadPoolExecutor
    files = sorted(nbs.glob('*.ipynb'))
    run = lambda f: subprocess.run([sys.executable, __file__, '--run_one', str(f), str(dest / f.name)], capture_output=True, text=True)
    with ThreadPoolExecutor(n_workers) as ex: done = list(ex.map(run, files))
    failed = [(f, r) for f, r in zip(files, done) if r.returncode]
    for f, r in failed: print(r.stderr[-4000:], file=sys.stderr)
    if failed: sys.exit(f"docs: failed when run: {', '.join(f.name for f, _ in failed)}")


def pop_frontmatter(nb) -> dict:
    "The YAML front matter nbdev's processing puts in the first raw cell (title, description, output-file), taken out of `nb`."
    import yaml
    c = nb.cells[0] if nb.cells else None
    if c is None or c.cell_type != 'raw' or not c.source.startswith('---'): return {}
    nb.cells.pop(0)
    return yaml.safe_load(c.source.strip().strip('-')) or {}


def tidy_cell(cell, site:str):
    "A processed cell as plain Markdown/HTML wants it: no `#|` directives, no Quarto attributes, doc links relative."
    fix = lambda s: QUARTO_ATTRS.sub('', s.replace(site, ''))
    if cell.cell_type == 'markdown': cell.source = fix(cell.source); return cell
    lines = cell.source.splitlines()
    directives = {l[2:].strip().split(':')[0]: l.split(':', 1)[-1].strip() for l in lines if l.startswith('#|')}
    cell.source = '\n'.join(l for l in lines if not l.startswith('#|')).strip()
    if directives.get('echo') == 'false': cell.metadata.setdefault('tags', []).append('remove_input')
    for o in cell.get('outputs', []):
        if 'text/markdown' in o.get('data', {}): o['data']['text/markdown'] = fix(o['data']['text/markdown'])
        if o.get('output_type') == 'stream': o['text'] = as_terminal_shows(o['text'])
    return cell


def as_terminal_shows(text:str) -> str:
    "Stream text as a terminal leaves it: a progress bar's updates (each after a carriage return) collapse to the last."
    last = lambda line: ([part for part in line.split('\r') if part.strip()] or [''])[-1]
    return '\n'.join(last(line) if '\r' in line else line for line in text.split('\n'))


def nav(pages:list, current:str) -> str:
    "One line of links to every page, the current one in bold."
    return ' · '.join(f"**{t}**" if f == current else f"[{t}]({f})" for f, t in pages)


def render(proc:Path, out:Path, nbs:Path):
    "Each processed notebook of `proc` as one HTML page in `out`, in notebook order (index first); images resolved from `nbs`."
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor
    from nbdev.config import get_config
    cfg = get_config()
    site = f"{cfg.doc_host}{cfg.doc_baseurl}".rstrip('/') + '/'
    books = []
    for p in sorted(proc.glob('*.ipynb')):
        nb = nbformat.read(p, as_version=4)
        meta = pop_frontmatter(nb)
        page = meta.get('output-file', p.stem + '.html')
        books.append((page, cfg.title if page == 'index.html' else meta.get('title', p.stem), meta.get('description'), nb))
    books.sort(key=lambda b: b[0] != 'index.html')   # stable: the rest stay in notebook order
    pages = [(page, title) for page, title, *_ in books]
    exporter = HTMLExporter(template_name='lab', embed_images=True, exclude_input_prompt=True, exclude_output_prompt=True)
    exporter.register_preprocessor(TagRemovePreprocessor(remove_input_tags={'remove_input'}), enabled=True)
    out.mkdir(parents=True, exist_ok=True)
    for page, title, description, nb in books:
        head = f"{nav(pages, page)}\n\n# {title}\n\n" + (f"> {description}\n" if description else '')
        cells = [nbformat.v4.new_markdown_cell(head)] + [tidy_cell(c, site) for c in nb.cells]
        nb.cells = [c for c in cells if (c.source or c.get('outputs')) and not c.source.startswith('<!-- WARNING')]
        name = title if page == 'index.html' else f"{title} - {cfg.title}"
        html, _ = exporter.from_notebook_node(nb, resources={'metadata': {'name': name, 'path': str(nbs)}})
        html = heading_ids(html)
        html = PRIVATE_LINK.sub(r'\1', html)
        html = LOCAL_FRAGMENT.sub(lambda m: m[1] + m[2].lower() + m[3], html)
        html = LOCAL_IMAGE.sub(lambda m: m[1] + data_uri(nbs / m[2]) + m[3], html)   # figures in outputs, as in cells
        (out / f"{page}.tmp").write_text(html)
        os.replace(out / f"{page}.tmp", out / page)
    return [out / page for page, _ in pages]


def heading_ids(html:str) -> str:
    """Heading ids in lower case, as Quarto's (show_doc links `infer.html#predictor`), and unique: a section and the
    `show_doc` under it often share a name (`## Predictor`, `### Predictor`), and the first keeps the id."""
    seen = {}
    def one(m):
        i = m[2].lower()
        n = seen[i] = seen.get(i, -1) + 1
        return m[1] + (i if n == 0 else f"{i}-{n}") + m[3]
    return HEADING_ID.sub(one, html)


def data_uri(path:Path) -> str:
    "The image at `path` inlined, so the pages stand alone."
    import base64, mimetypes
    if not path.is_file(): raise FileNotFoundError(f"docs: image {path} referenced from a notebook is missing")
    return f"data:{mimetypes.guess_type(path.name)[0]};base64,{base64.b64encode(path.read_bytes()).decode()}"


def build(out:Path=None, execute_first:bool=False, n_workers:int=2) -> list:
    "Process and render the notebooks into `out` (settings.ini's doc_path by default); the pages written."
    from nbdev.config import get_config
    from nbdev.serve import proc_nbs
    os.chdir(ROOT)
    cfg = get_config()
    nbs, out = cfg.config_path / cfg.nbs_path, Path(out or cfg.config_path / cfg.doc_path)
    with tempfile.TemporaryDirectory() as tmp:
        src = nbs
        if execute_first:
            src = Path(tmp)
            execute(nbs, src, n_workers)
        proc = proc_nbs(str(src), n_workers=n_workers, force=True)
        return render(Path(proc), out, nbs)


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--execute', action='store_true', help='run the notebooks first so that examples show their output')
    ap.add_argument('--out', type=Path, help="folder for the pages (default: settings.ini's doc_path)")
    ap.add_argument('--n_workers', type=int, default=2)
    ap.add_argument('--run_one', nargs=2, type=Path, metavar=('NOTEBOOK', 'DEST'), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.run_one:
        from nbdev.config import get_config
        err = execute_one(*a.run_one, skip=set(get_config().get('tst_flags', '').split()))
        sys.exit(err or None)
    pages = build(a.out, a.execute, a.n_workers)
    print(f"{len(pages)} pages in {pages[0].parent}: {', '.join(p.name for p in pages)}")
