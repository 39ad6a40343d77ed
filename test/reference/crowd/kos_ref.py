#!/usr/bin/env python3
"""Reference KOS (Karger, Oh & Shah 2011; binary, as in Crowd-Kit) for checking
workflows/src/quality/consensus/kos.ts. Written from the paper's message passing, plain numpy.

Answers are A = +1 (first category) or -1 (second). Every answer (edge task-worker) carries a worker message
y, drawn from N(1, 1) with the seeded stream below (the engine's xoshiro128** + splitmix32, Box-Muller).
Each iteration: x(task->worker) = sum over the task's other answers of A*y, then y(worker->task) = sum over
the worker's other answers of A*x. Messages are rescaled by a power of two after each half-step, which
leaves every rounding unchanged and prevents overflow. Stops after `maxIterations`, or earlier when the
max-normalised worker messages move by less than `tolerance`. Label: sign of sum(A*y) over the task.

stdin:  {"sets": [{"name": str, "answers": [[task, worker, label], ...], "categories"?: [...], "options"?: {...}}]}
stdout: {"results": [{"name", "categories", "tasks", "labels", "scores", "iterations", "converged",
                      "objective", "ties"}]}
"""
import json
import math
import sys

import numpy as np

TIE = 1e-9
MASK = 0xFFFFFFFF


def fnv1a(text):
    """FNV-1a over the string's UTF-16 code units, as JavaScript sees them."""
    data = text.encode('utf-16-le')
    h = 0x811C9DC5
    for i in range(0, len(data), 2):
        h ^= int.from_bytes(data[i : i + 2], 'little')
        h = (h * 0x01000193) & MASK
    return h


def seed_to_uint32(seed):
    if isinstance(seed, str):
        return fnv1a('s:' + seed)
    if isinstance(seed, bool) or not isinstance(seed, int) or abs(seed) >= 2**32:
        raise ValueError('the reference takes string seeds and integer seeds below 2**32')
    return seed & MASK


class Rng:
    """xoshiro128** (Blackman & Vigna 2018) seeded through splitmix32, as workflows/src/quality/random.ts."""

    def __init__(self, seed):
        self.x = seed_to_uint32(seed)
        s = [self._splitmix() for _ in range(4)]
        if not any(s):
            s[0] = 1
        self.s = s

    def _splitmix(self):
        self.x = (self.x + 0x9E3779B9) & MASK
        z = self.x
        z = ((z ^ (z >> 16)) * 0x85EBCA6B) & MASK
        z = ((z ^ (z >> 13)) * 0xC2B2AE35) & MASK
        return (z ^ (z >> 16)) & MASK

    @staticmethod
    def _rotl(v, k):
        return ((v << k) | (v >> (32 - k))) & MASK

    def next_uint32(self):
        s0, s1, s2, s3 = self.s
        result = (self._rotl((s1 * 5) & MASK, 7) * 9) & MASK
        t = (s1 << 9) & MASK
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = self._rotl(s3, 11)
        self.s = [s0, s1, s2, s3]
        return result

    def next(self):
        return self.next_uint32() / 4294967296.0

    def normal(self, mean, sd):
        """Box-Muller, cosine branch only: two uniforms per draw."""
        u1 = 1.0 - self.next()
        u2 = self.next()
        return mean + sd * math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


def category_order(labels):
    keys = list(dict.fromkeys(labels))
    try:
        nums = [float(k) for k in keys]
        if all(k.strip() != '' and math.isfinite(v) for k, v in zip(keys, nums)):
            return [k for _, k in sorted(zip(nums, keys), key=lambda p: (p[0], p[1]))]
    except ValueError:
        pass
    return sorted(keys)


def rescale(v):
    m = np.abs(v).max()
    return np.ldexp(v, -math.frexp(m)[1]) if m > 0 and math.isfinite(m) else v


def kos(answers, categories=None, options=None):
    o = options or {}
    max_iter = o.get('maxIterations', 100)
    tol = o.get('tolerance', 1e-9)
    seed = o.get('seed', 0)
    tasks, workers = {}, {}
    t = np.array([tasks.setdefault(a[0], len(tasks)) for a in answers], dtype=np.int64)
    w = np.array([workers.setdefault(a[1], len(workers)) for a in answers], dtype=np.int64)
    keys = [str(a[2]) for a in answers]
    cats = [str(c) for c in categories] if categories else category_order(keys)
    if len(cats) != 2:
        raise ValueError(f'KOS needs exactly 2 categories, got {len(cats)}')
    sign = np.array([1.0 if k == cats[0] else -1.0 for k in keys])
    T, W = len(tasks), len(workers)
    rng = Rng(seed)
    y = np.array([rng.normal(1.0, 1.0) for _ in answers])
    iterations, converged, change = 0, False, math.inf
    unit = y / np.abs(y).max()
    while iterations < max_iter:
        iterations += 1
        ay = sign * y
        x = rescale(np.bincount(t, weights=ay, minlength=T)[t] - ay)
        ax = sign * x
        y = rescale(np.bincount(w, weights=ax, minlength=W)[w] - ax)
        m = np.abs(y).max()
        new_unit = y / m if m > 0 else y
        change = float(np.abs(new_unit - unit).max())
        unit = new_unit
        if change < tol:
            converged = True
            break
    ay = sign * y
    score = np.bincount(t, weights=ay, minlength=T)
    scale = np.bincount(t, weights=np.abs(ay), minlength=T)
    tie = np.abs(score) <= TIE * scale
    labels = np.where(tie | (score > 0), 0, 1)
    return {
        'categories': cats,
        'tasks': list(tasks),
        'labels': [cats[k] for k in labels],
        'scores': (score / (scale + (scale == 0))).tolist(),
        'iterations': iterations,
        'converged': converged,
        'objective': change,
        'ties': int(tie.sum()),
    }


def main():
    request = json.load(sys.stdin)
    results = []
    for s in request['sets']:
        r = kos(s['answers'], s.get('categories'), s.get('options'))
        r['name'] = s['name']
        results.append(r)
    json.dump({'results': results}, sys.stdout)


if __name__ == '__main__':
    main()
