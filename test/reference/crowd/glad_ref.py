#!/usr/bin/env python3
"""Reference GLAD (Whitehill et al. 2009, multi-class as in Crowd-Kit) for checking
workflows/src/quality/consensus/glad.ts. Written from the paper's model, plain numpy.

Model: P(answer = true label) = sigmoid(alpha_w * exp(b_t)), each wrong label (1 - that)/(K - 1);
class priors fixed; alpha ~ N(alpha_prior_mean, 1), b ~ N(beta_prior_mean, 1) (b = log inverse difficulty).
EM: E-step = posteriors of the true label; M-step = Armijo-backtracked gradient steps on the expected
complete log-posterior, each gradient coordinate divided by its Fisher curvature. Stops when the mean log
marginal posterior per answer rises by less than `tolerance`.

stdin:  {"sets": [{"name": str, "answers": [[task, worker, label], ...], "categories"?: [...], "options"?: {...}}]}
stdout: {"results": [{"name", "categories", "tasks", "labels", "posteriors", "alphas", "betas",
                      "iterations", "converged", "objective", "ties"}]}
"""
import json
import math
import sys

import numpy as np

from kos_ref import category_order

TIE = 1e-9  # scores closer than TIE x (sum of the task's absolute contributions) tie -> lowest category


def encode(answers, categories=None):
    tasks, workers = {}, {}
    t = np.empty(len(answers), dtype=np.int64)
    w = np.empty(len(answers), dtype=np.int64)
    keys = []
    for i, (task, worker, label) in enumerate(answers):
        t[i] = tasks.setdefault(task, len(tasks))
        w[i] = workers.setdefault(worker, len(workers))
        keys.append(str(label))
    cats = [str(c) for c in categories] if categories else category_order(keys)
    index = {c: k for k, c in enumerate(cats)}
    lab = np.array([index[k] for k in keys], dtype=np.int64)
    return list(tasks), list(workers), cats, t, w, lab


def softplus(x):
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def pick_labels(score, scale):
    """Argmax per row; categories within TIE * scale of the best count as tied and the lowest wins."""
    best = score.max(axis=1, keepdims=True)
    tied = score >= best - TIE * scale[:, None]
    return tied.argmax(axis=1), int((tied.sum(axis=1) > 1).sum())


def glad(answers, categories=None, options=None):
    o = options or {}
    max_iter = o.get('maxIterations', 100)
    tol = o.get('tolerance', 1e-5)
    m_steps = o.get('mStepIterations', 10)
    m_tol = o.get('mStepTolerance', 1e-2)
    lr = o.get('learningRate', 1.0)
    mu_a = o.get('alphaPriorMean', 1.0)
    mu_b = o.get('betaPriorMean', 1.0)
    tasks, workers, cats, t, w, lab = encode(answers, categories)
    n, T, W, K = len(answers), len(tasks), len(workers), len(cats)
    priors = np.array(o['classPriors'], dtype=float) if o.get('classPriors') else np.full(K, 1.0 / K)
    priors = priors / priors.sum()
    log_prior = np.log(priors)
    log_k1 = math.log(K - 1)
    const_prior = -0.5 * math.log(2 * math.pi) * (W + T)

    alpha = np.full(W, float(mu_a))
    b = np.full(T, float(mu_b))

    def e_step(alpha, b):
        x = alpha[w] * np.exp(b)[t]
        score = np.tile(log_prior, (T, 1))
        np.add.at(score, (t, lab), x + log_k1)
        base = np.bincount(t, weights=-softplus(x) - log_k1, minlength=T)
        mx = score.max(axis=1, keepdims=True)
        e = np.exp(score - mx)
        s = e.sum(axis=1, keepdims=True)
        post = e / s
        log_marginal = (mx[:, 0] + np.log(s[:, 0]) + base).sum()
        penalty = -0.5 * ((alpha - mu_a) ** 2).sum() - 0.5 * ((b - mu_b) ** 2).sum() + const_prior
        scale = np.abs(log_prior).max() + np.bincount(t, weights=np.abs(x + log_k1), minlength=T)
        return post, score, scale, (log_marginal + penalty) / n

    def evaluate(alpha, b, p):
        """Expected complete log-posterior (terms constant in alpha, b dropped), its raw gradient and curvature."""
        eb = np.exp(b)[t]
        x = alpha[w] * eb
        z = np.exp(-np.abs(x))
        q = (p * x - (np.maximum(x, 0.0) + np.log1p(z))).sum()
        sig = np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))
        r = p - sig
        c = sig * (1.0 - sig)
        grads = (np.bincount(w, weights=r * eb, minlength=W), np.bincount(t, weights=r * x, minlength=T))
        curvature = (np.bincount(w, weights=c * eb * eb, minlength=W), np.bincount(t, weights=c * x * x, minlength=T))
        return q - 0.5 * ((alpha - mu_a) ** 2).sum() - 0.5 * ((b - mu_b) ** 2).sum(), grads, curvature

    def m_step(alpha, b, p):
        q, (ga, gb), (ha, hb) = evaluate(alpha, b, p)
        for _ in range(m_steps):
            ga = ga - (alpha - mu_a)
            gb = gb - (b - mu_b)
            if max(np.abs(ga).max(), np.abs(gb).max()) < m_tol:
                break
            da = ga / (ha + 1.0)
            db = gb / (hb + 1.0)
            slope = (ga * da).sum() + (gb * db).sum()
            eta = lr
            for _ in range(30):
                na, nb = alpha + eta * da, b + eta * db
                nq, (nga, ngb), (nha, nhb) = evaluate(na, nb, p)
                if nq >= q + 1e-4 * eta * slope:
                    break
                eta *= 0.5
            else:
                break
            alpha, b, q, ga, gb, ha, hb = na, nb, nq, nga, ngb, nha, nhb
        return alpha, b

    post, score, scale, objective = e_step(alpha, b)
    iterations, converged = 0, False
    while iterations < max_iter:
        iterations += 1
        alpha, b = m_step(alpha, b, post[t, lab])
        post, score, scale, new_objective = e_step(alpha, b)
        gain = new_objective - objective
        objective = new_objective
        if gain < tol:
            converged = True
            break
    labels, ties = pick_labels(score, scale)
    return {
        'categories': cats,
        'tasks': tasks,
        'labels': [cats[k] for k in labels],
        'posteriors': post.tolist(),
        'alphas': alpha.tolist(),
        'betas': b.tolist(),
        'iterations': iterations,
        'converged': converged,
        'objective': objective,
        'ties': ties,
    }


def main():
    request = json.load(sys.stdin)
    results = []
    for s in request['sets']:
        r = glad(s['answers'], s.get('categories'), s.get('options'))
        r['name'] = s['name']
        results.append(r)
    json.dump({'results': results}, sys.stdout)


if __name__ == '__main__':
    main()
