"The documentation site, built from the notebooks as `make docs` builds it (without running them), read as a browser would."
import importlib, inspect, re, subprocess, sys
from html.parser import HTMLParser
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
MODULES = ['core', 'data', 'train', 'forest', 'infer', 'estimators', 'tune', 'cli', 'launch']


class Page(HTMLParser):
    "The ids, links, image sources and visible text of one page."
    def __init__(self, html):
        super().__init__()
        self.ids, self.links, self.images, self.text, self._skip = set(), [], [], [], 0
        self.feed(html)
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if 'id' in a: self.ids.add(a['id'])
        if tag == 'a' and a.get('href'): self.links.append(a['href'])
        if tag == 'img': self.images.append(a.get('src', ''))
        if tag in ('style', 'script'): self._skip += 1
    def handle_endtag(self, tag):
        if tag in ('style', 'script'): self._skip -= 1
    def handle_data(self, d):
        if not self._skip: self.text.append(d)


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp('docs')
    r = subprocess.run([sys.executable, str(ROOT / 'tools' / 'docs.py'), '--out', str(out)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return {p.name: Page(p.read_text()) for p in out.glob('*.html')}


def test_a_page_per_notebook(site):
    assert sorted(site) == sorted(['index.html'] + [f'{m}.html' for m in MODULES])
    assert 'pip install -e' in ''.join(site['index.html'].text)


def test_every_exported_function_and_class_is_documented(site):
    for m in MODULES:
        mod = importlib.import_module(f'trainfer_nb.{m}')
        names = [n for n in mod.__all__ if (inspect.isfunction(o := getattr(mod, n)) or inspect.isclass(o)) and o.__module__ == mod.__name__]
        assert names, m
        missing = [n for n in names if n.lower() not in site[f'{m}.html'].ids]
        assert not missing, (m, missing)


def test_the_methods_users_call_are_documented(site):
    import trainfer_nb.infer, trainfer_nb.train, trainfer_nb.estimators
    for mod, classes in [(trainfer_nb.infer, ['Predictor']), (trainfer_nb.train, ['TrainResult']),
                         (trainfer_nb.estimators, ['GBMClassifier', 'GBMRegressor', 'GBMRanker'])]:
        page = site[f"{mod.__name__.split('.')[-1]}.html"]
        for c in classes:
            methods = [k for k, v in vars(getattr(mod, c)).items() if not k.startswith('_') and inspect.isfunction(getattr(v, '__func__', v))]
            assert methods, c
            missing = [k for k in methods if f'{c}.{k}'.lower() not in page.ids]
            assert not missing, (c, missing)


def test_links_between_pages_resolve(site):
    for name, page in site.items():
        for href in page.links:
            if href.startswith(('http://', 'https://', 'mailto:')): continue
            target, _, frag = href.partition('#')
            target = target or name
            assert target in site, (name, href)
            assert not frag or frag in site[target].ids, (name, href)
    assert any(l.startswith('forest.html#') for l in site['infer.html'].links)   # across pages, not only within one


def test_no_quarto_or_nbdev_syntax_left(site):
    for name, page in site.items():
        text = ''.join(page.text)
        assert '{target=' not in text and 'Error in notebook' not in text and 'Traceback' not in text, name
        assert not re.search(r'^#\|', text, re.M), name   # cell directives are stripped


def test_every_entry_says_what_it_does(site):
    inherited = ('Initialize self.', 'Return repr(self).', 'Call self as a function.')   # object's words: no docstring of our own
    for name, page in site.items():
        text = ''.join(page.text)
        assert not [w for w in inherited if w in text], (name, [w for w in inherited if w in text])


def test_figures_stand_alone(site):
    imgs = [s for p in site.values() for s in p.images]
    assert imgs and all(s.startswith('data:image/') for s in imgs), [s[:60] for s in imgs]
    assert 'rows/s' in ''.join(site['infer.html'].text)   # the recorded benchmark table, shown in the inference chapter


def test_running_a_notebook_keeps_outputs_and_skips_flagged_cells(tmp_path):
    import nbformat
    v4 = nbformat.v4
    nb = v4.new_notebook(cells=[v4.new_code_cell('6 * 7'), v4.new_code_cell('#| slow\nraise RuntimeError("a slow cell ran")'),
                                v4.new_code_cell('#| gpu\nimport cupy')])
    nbformat.write(nb, tmp_path / 'a.ipynb')
    run = lambda src, dest: subprocess.run([sys.executable, str(ROOT / 'tools' / 'docs.py'), '--run_one', str(src), str(dest)],
                                           capture_output=True, text=True, timeout=120)
    r = run(tmp_path / 'a.ipynb', tmp_path / 'out.ipynb')
    assert r.returncode == 0, r.stderr
    cells = nbformat.read(tmp_path / 'out.ipynb', as_version=4).cells
    assert cells[0].outputs[0]['data']['text/plain'] == '42' and not cells[1].outputs and not cells[2].outputs
    nb.cells.append(v4.new_code_cell('1 / 0'))
    nbformat.write(nb, tmp_path / 'b.ipynb')
    r = run(tmp_path / 'b.ipynb', tmp_path / 'bad.ipynb')
    assert r.returncode != 0 and 'ZeroDivisionError' in r.stderr and not (tmp_path / 'bad.ipynb').exists()


def test_progress_bars_show_as_a_terminal_leaves_them():
    sys.path.insert(0, str(ROOT / 'tools'))
    from docs import as_terminal_shows
    assert as_terminal_shows('\rtrain:   0%| 0/20\rtrain:  50%| 10/20\rtrain: 100%| 20/20\r   \nsaved\n') == 'train: 100%| 20/20\nsaved\n'
    assert as_terminal_shows('no bars here\n') == 'no bars here\n'
