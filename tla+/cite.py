#!/usr/bin/env python3
"""Re-points the `mod|resize|segment.rs:a[-b][,c]` citations of tla+/ElasticQueue.tla and
tla+/README.md at the same code after edits to engine/lock_free/, or checks (--check) that
they do. REV is the revision the citations were last right for. Each cited file is diffed
between REV and the work tree: an unchanged line maps exactly; a line inside a changed hunk
maps to the hunk's replacement and is reported for review, and a reviewed citation can be
pinned with --override=FILE:OLD=NEW[;NEW...] (NEWs used in order of appearance).

    python3 tla+/cite.py REV [--check] [--override=...]...

As run for the room gate: python3 tla+/cite.py 905604c --override=segment.rs:63-82=70-90
--override=mod.rs:153-156=182-189 '--override=resize.rs:92=92;99'"""
import difflib, re, subprocess, sys
root = subprocess.run(['git', 'rev-parse', '--show-toplevel'], capture_output=True, text=True,
                      check=True).stdout.strip()
base = 'elasticq-runtime/src/engine/lock_free/'
rev = sys.argv[1]
check = '--check' in sys.argv
specs = ['tla+/ElasticQueue.tla', 'tla+/README.md']
maps = {}
def mapping(f):
    if f not in maps:
        old = subprocess.run(['git', '-C', root, 'show', f'{rev}:{base}{f}'],
                             capture_output=True, text=True, check=True).stdout.split('\n')
        new = open(root + '/' + base + f).read().split('\n')
        m = {}
        sm = difflib.SequenceMatcher(None, old, new, autojunk=False)
        for tag, i1, i2, j1, j2 in sm.get_opcodes():
            for k in range(i1, i2):
                if tag == 'equal':
                    m[k + 1] = (j1 + (k - i1) + 1, j1 + (k - i1) + 1, True)
                else:
                    # changed: start maps to the start of the replacement, end to its end
                    m[k + 1] = (j1 + 1, max(j2, j1 + 1), False)
        maps[f] = (m, old, new)
    return maps[f]
pat = re.compile(r'\b(mod|resize|segment)\.rs:(\d+(?:-\d+)?(?:,\d+(?:-\d+)?)*)')
review = []
# Citations of changed code, re-pointed by hand (file, old item) -> new items in order of
# appearance; passed as --override file:old=new[;new...] (repeatable).
overrides = {}
for arg in sys.argv[2:]:
    if arg.startswith('--override='):
        key, new = arg[len('--override='):].split('=')
        overrides[tuple(key.split(':'))] = new.split(';')
used = {}
def one(f, item, whole):
    key = (f, item)
    if key in overrides:
        k = used.get(key, 0)
        used[key] = k + 1
        choices = overrides[key]
        return choices[min(k, len(choices) - 1)]
    m, old, new = mapping(f)
    if '-' in item:
        a, b = map(int, item.split('-'))
    else:
        a = b = int(item)
    sa, _, exact_a = m[a]
    eb = m[b][0] if m[b][2] else m[b][1]
    if not exact_a or not m[b][2]:
        review.append(f'{whole}: {item} -> {sa}-{eb} (changed code)')
    if '-' in item and sa != eb:
        return f'{sa}-{eb}'
    if sa != eb:
        return f'{sa}-{eb}'
    return f'{sa}'
def relocate(mt):
    f = mt.group(1) + '.rs'
    items = mt.group(2).split(',')
    return f'{mt.group(1)}.rs:' + ','.join(one(f, it, mt.group(0)) for it in items)
stale = False
for rel in specs:
    spec_path = root + '/' + rel
    spec = open(spec_path).read().split('\n')
    old_spec = subprocess.run(['git', '-C', root, 'show', f'{rev}:{rel}'],
                              capture_output=True, text=True, check=True).stdout.split('\n')
    review.clear()
    used.clear()
    # Lines also in the spec at REV (up to their citations) get the citations re-derived
    # from REV's; lines written since are cited against the work tree by hand, kept as is.
    norm = lambda lines: [pat.sub('X', l) for l in lines]
    sm = difflib.SequenceMatcher(None, norm(old_spec), norm(spec), autojunk=False)
    new_spec = list(spec)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == 'equal':
            for k in range(i2 - i1):
                new_spec[j1 + k] = pat.sub(relocate, old_spec[i1 + k])
    for r in review:
        print(rel, 'review:', r)
    if new_spec != spec:
        stale = True
        if not check:
            open(spec_path, 'w').write('\n'.join(new_spec))
print('citations need updating' if stale and check else 'citations up to date' if not stale else 'citations updated')
sys.exit(1 if stale and check else 0)
