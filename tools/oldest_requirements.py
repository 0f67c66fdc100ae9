#!/usr/bin/env python3
"""The oldest release line of every requirement settings.ini declares, one pin per line, for `make test-oldest`.

`name>=X` (with or without an upper bound) becomes `name==X.*`: the oldest X.y.z the floor admits, at its newest patch;
an exact pin stays as it is, and a requirement with no floor is left to pip."""
import configparser, re, sys
from pathlib import Path

def oldest(req:str) -> str:
    "`req` pinned to the release line of its floor."
    m = re.match(r'^([A-Za-z0-9_.\[\]-]+)\s*(.*)$', req.strip())
    name, spec = m.group(1), m.group(2)
    floor = re.search(r'>=\s*([0-9][0-9A-Za-z.]*)', spec)
    return f'{name}=={floor.group(1)}.*' if floor else req.strip()

if __name__ == '__main__':
    cfg = configparser.ConfigParser(); cfg.read(Path(__file__).parent.parent / 'settings.ini')
    keys = sys.argv[1:] or ['requirements', 'dev_requirements']
    print('\n'.join(oldest(r) for k in keys for r in cfg['DEFAULT'].get(k, '').split()))
