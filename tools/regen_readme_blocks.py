#!/usr/bin/env python3
"""Regenerates README example blocks from a command's real output, so that no
example is edited by hand.

    tools/regen_readme_blocks.py README.md OUTPUT.txt 'first line of a block' [...]

For each block (from the README line containing the given text to the
closing ```), every line is replaced by the next line of OUTPUT.txt with the
same shape (its first 24 characters with numbers and git hashes masked); a
line "..." keeps eliding whatever it elided, and a line ending in " ..." is
truncated at the same place. A README line with no real counterpart stops
the script with an error. Lines the block skips without a "..." are reported
as notes. Used at stop 29 for the `mambahw run` and `mambahw compare`
blocks (e.g. `build/tools/mambahw run > out.txt`, then
`tools/regen_readme_blocks.py README.md out.txt 'mambahw 0.1.0 (git'
'Golden layer:' 'Analytic roofline' 'SystemC accelerator model'`).
"""
import re, sys

def key(line, n=24):
    k = re.sub(r'git [0-9a-f]{6,}(-dirty)?', 'git H', line)
    k = re.sub(r'[0-9][0-9.e+\-x]*', '#', k)
    k = re.sub(r'#(\s*#)*', '#', k)
    return k[:n]

def truncate_like(real, readme):
    pre = readme[:-4] if readme.endswith(' ...') else readme
    if pre.endswith(')'):
        n = pre.count(')')
        idx = -1
        for _ in range(n):
            idx = real.index(')', idx + 1)
        return real[:idx + 1] + ' ...'
    m = re.search(r'([A-Za-z][A-Za-z ,:;()/]*)$', pre)
    tail = m.group(1).strip() if m else pre[-15:]
    i = real.find(tail)
    if i < 0:
        raise SystemExit(f'cannot truncate: {readme!r} / {real!r}')
    return real[:i + len(tail)] + ' ...'

def regen(block, real):
    out, p = [], 0
    for li, l in enumerate(block):
        if l.strip() == '...':
            out.append(l)
            continue
        k = key(l)
        q = p
        while q < len(real) and key(real[q]) != k:
            q += 1
        if q == len(real):
            raise SystemExit(f'no real line for README line {l!r} (key {k!r}) after line {p}')
        # after an elision the real output may skip lines; without one it must not
        if q != p and out and out[-1].strip() != '...' and li > 0:
            sys.stderr.write(f'note: {q - p} real line(s) before {l[:50]!r} not in the README block\n')
        r = real[q]
        out.append(truncate_like(r, l) if l.endswith(' ...') else r)
        p = q + 1
    return out

def main():
    readme, outfile, starts = sys.argv[1], sys.argv[2], sys.argv[3:]
    text = open(readme).read().split('\n')
    real = open(outfile).read().rstrip('\n').split('\n')
    for st in starts:
        i = next(n for n, l in enumerate(text) if st in l)
        a = i  # block content starts at the line containing st
        b = next(n for n in range(a, len(text)) if text[n].startswith('```'))
        text[a:b] = regen(text[a:b], real)
    open(readme, 'w').write('\n'.join(text))

main()
