#!/usr/bin/env python3
"""Reference M-MSR (Ma & Olshevsky 2020, matrix mean-subsequence-reduced; as in Crowd-Kit) for checking
workflows/src/quality/consensus/mmsr.ts. Written from the paper and Crowd-Kit's documented steps, plain numpy.

1. Covariance of every pair of annotators who share tasks (each annotator's last answer on a task):
   C_ij = (M * agreement_ij - 1) / (M - 1), M = number of categories; E[C] = s s^T for skills s.
2. Rank-one completion of |C| on the observed pairs: u, v start from one seeded uniform draw; each
   iteration sets v_j = trimmed mean of |C_ij| / u_i over j's partners (drop the F largest and F smallest,
   keeping values on the current side when fewer than F lie there), then u_i likewise from v.
   F = max(0, floor(min partner count / 2) - 1) unless given. Stops when ||u v' - u_prev v_prev'||_F < tol.
3. |s| = u / sqrt(|u| / |v|) within each connected group of co-annotators; signs: start all positive, then
   flip annotator i while sum_j n_ij C_ij z_j |s_j| disagrees with z_i (coordinate ascent on the weighted
   rank-one fit), and make the majority positive. Clip s to [-1/(M-1) + 1/sqrt(T), 1 - 1/sqrt(T)]; annotators with no
   partner get s = 1/sqrt(T).
4. Weighted vote, weight log((M-1) p / (1-p)) with p = s (M-1)/M + 1/M; posterior = softmax of the scores.

stdin:  {"sets": [{"name": str, "answers": [[task, worker, label], ...], "categories"?: [...], "options"?: {...}}]}
stdout: {"results": [{"name", "categories", "tasks", "labels", "posteriors", "skills", "iterations",
                      "converged", "objective", "ties"}]}
"""
import json
import math
import sys

import numpy as np

from kos_ref import Rng, category_order

TIE = 1e-9


def trimmed_mean(values, trim, current, n_tasks):
    y = np.sort(values)
    y = y[y >= current] if (y < current).sum() < trim else y[trim:]
    y = y[y <= current] if (y > current).sum() < trim else y[: len(y) - trim]
    if len(y) == 0:
        return current
    if not y.any():
        return 1.0 / math.sqrt(n_tasks)
    # Left-to-right sum (not numpy's pairwise one): the trimming compares values with the current estimate, and
    # sets whose answers repeat exactly put values right at that boundary, so both implementations must round alike.
    return sum(y.tolist()) / len(y)


def mmsr(answers, categories=None, options=None):
    o = options or {}
    max_iter = o.get('maxIterations', 10000)
    tol = o.get('tolerance', 1e-10)
    seed = o.get('seed', 0)
    tasks, workers = {}, {}
    t = np.array([tasks.setdefault(a[0], len(tasks)) for a in answers], dtype=np.int64)
    w = np.array([workers.setdefault(a[1], len(workers)) for a in answers], dtype=np.int64)
    keys = [str(a[2]) for a in answers]
    cats = [str(c) for c in categories] if categories else category_order(keys)
    index = {c: k for k, c in enumerate(cats)}
    lab = np.array([index[k] for k in keys], dtype=np.int64)
    n, T, W, M = len(answers), len(tasks), len(workers), len(cats)

    last = {}
    for i in range(n):
        last[(int(t[i]), int(w[i]))] = int(lab[i])
    by_task = {}
    for (task, worker), label in last.items():
        by_task.setdefault(task, []).append((worker, label))
    common = np.zeros((W, W))
    agree = np.zeros((W, W))
    for pairs in by_task.values():
        ws = np.array([p[0] for p in pairs])
        ls = np.array([p[1] for p in pairs])
        common[np.ix_(ws, ws)] += 1
        agree[np.ix_(ws, ws)] += ls[:, None] == ls[None, :]
    np.fill_diagonal(common, 0)
    np.fill_diagonal(agree, 0)
    observed = common > 0
    C = np.where(observed, (M * agree / np.where(observed, common, 1) - 1) / (M - 1), 0.0)
    X = np.abs(C)
    partners = [np.flatnonzero(observed[i]) for i in range(W)]
    degree = np.array([len(p) for p in partners])
    trim = o['trim'] if o.get('trim') is not None else max(0, int(degree.min()) // 2 - 1)

    rng = Rng(seed)
    u = np.array([1.0 - rng.next() for _ in range(W)])
    v = u.copy()
    iterations, converged, loss = 0, False, math.inf
    while iterations < max_iter:
        iterations += 1
        u_prev, v_prev = u.copy(), v.copy()
        for j in range(W):
            p = partners[j]
            if len(p):
                v[j] = trimmed_mean(X[p, j] / u[p], trim, v[j], T)
        for i in range(W):
            p = partners[i]
            if len(p):
                u[i] = trimmed_mean(X[i, p] / v[p], trim, u[i], T)
        loss = float(np.linalg.norm(np.outer(u, v) - np.outer(u_prev, v_prev)))
        if loss < tol:
            converged = True
            break

    # u v' fixes each connected group of co-annotators only up to u -> c u, v -> v / c: normalise per group.
    component = np.full(W, -1)
    for start in range(W):
        if component[start] >= 0 or degree[start] == 0:
            continue
        component[start] = start
        stack = [start]
        while stack:
            for j in partners[stack.pop()]:
                if component[j] < 0:
                    component[j] = start
                    stack.append(j)
    magnitude = np.zeros(W)
    for c in set(component[component >= 0].tolist()):
        members = component == c
        magnitude[members] = u[members] / math.sqrt(np.linalg.norm(u[members]) / np.linalg.norm(v[members]))
    evidence = common * C
    z = np.ones(W)
    for _ in range(W):
        flipped = False
        for i in range(W):
            f = (evidence[i] * z * magnitude).sum()
            if f != 0 and np.sign(f) != z[i]:
                z[i] = -z[i]
                flipped = True
        if not flipped:
            break
    if z.sum() < 0:
        z = -z
    s = z * magnitude
    s[degree == 0] = 1.0 / math.sqrt(T)
    s = np.maximum(np.minimum(s, 1 - 1 / math.sqrt(T)), -1 / (M - 1) + 1 / math.sqrt(T))
    p_correct = s * (M - 1) / M + 1 / M
    weight = np.log(p_correct * (M - 1) / (1 - p_correct))

    score = np.zeros((T, M))
    np.add.at(score, (t, lab), weight[w])
    scale = np.bincount(t, weights=np.abs(weight[w]), minlength=T)
    best = score.max(axis=1, keepdims=True)
    tied = score >= best - TIE * scale[:, None]
    labels = tied.argmax(axis=1)
    e = np.exp(score - best)
    post = e / e.sum(axis=1, keepdims=True)
    return {
        'categories': cats,
        'tasks': list(tasks),
        'labels': [cats[k] for k in labels],
        'posteriors': post.tolist(),
        'skills': s.tolist(),
        'iterations': iterations,
        'converged': converged,
        'objective': loss,
        'ties': int((tied.sum(axis=1) > 1).sum()),
        'trim': trim,
    }


def main():
    request = json.load(sys.stdin)
    results = []
    for s in request['sets']:
        r = mmsr(s['answers'], s.get('categories'), s.get('options'))
        r['name'] = s['name']
        results.append(r)
    json.dump({'results': results}, sys.stdout)


if __name__ == '__main__':
    main()
